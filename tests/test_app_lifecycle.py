"""``Application.startup()/shutdown()/cleanup()`` and ``lifespan_context()`` for mounting.

Starlette's and FastAPI's ``Mount`` never forward lifespan events; an asgiweb
app mounted there runs its signals through ``lifespan_context`` given as the
outer app's ``lifespan``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount

from asgiweb import web
from asgiweb.lifespan import LifespanDriver, LifespanError

from .conftest import ServerFactory

DB = web.AppKey("db", dict)


def make_shop(events: list[str]) -> web.Application:
    async def on_startup(app: web.Application) -> None:
        events.append("startup")

    async def db(app: web.Application) -> AsyncIterator[None]:
        app[DB] = {"items": 3}
        events.append("db open")
        yield
        events.append("db closed")

    async def on_shutdown(app: web.Application) -> None:
        events.append("shutdown")

    async def on_cleanup(app: web.Application) -> None:
        events.append("cleanup")

    async def items(request: web.Request) -> web.Response:
        return web.json_response({"items": request.app[DB]["items"], "url": str(request.url)})

    shop = web.Application()
    shop.on_startup.append(on_startup)
    shop.cleanup_ctx.append(db)
    shop.on_shutdown.append(on_shutdown)
    shop.on_cleanup.append(on_cleanup)
    shop.router.add_get("/items", items)
    return shop


async def test_startup_shutdown_cleanup_run_the_signals_once_in_order() -> None:
    events: list[str] = []
    shop = make_shop(events)
    await shop.startup()
    await shop.startup()  # a second call (say, a lifespan event as well) does nothing
    assert shop.frozen
    assert events == ["db open", "startup"]  # cleanup_ctx enters first, as in aiohttp
    await shop.shutdown()
    await shop.cleanup()
    await shop.cleanup()
    assert events == ["db open", "startup", "shutdown", "db closed", "cleanup"]


async def test_cleanup_after_failed_startup_exits_the_entered_contexts() -> None:
    events: list[str] = []

    async def first(app: web.Application) -> AsyncIterator[None]:
        events.append("first in")
        yield
        events.append("first out")

    async def broken(app: web.Application) -> AsyncIterator[None]:
        raise ConnectionError("database is down")
        yield  # pragma: no cover

    app = web.Application()
    app.cleanup_ctx.append(first)
    app.cleanup_ctx.append(broken)
    with pytest.raises(ConnectionError):
        await app.startup()
    await app.cleanup()
    assert events == ["first in", "first out"]


async def test_starlette_mount_runs_the_signals_through_lifespan_context(
    live_server: ServerFactory,
) -> None:
    events: list[str] = []
    shop = make_shop(events)
    outer = Starlette(routes=[Mount("/shop", app=shop)], lifespan=shop.lifespan_context)
    server = await live_server(outer)
    assert events == ["db open", "startup"]
    async with server.client() as client:
        response = await client.get("/shop/items")
    assert response.json() == {"items": 3, "url": f"{server.url}/shop/items"}
    await server.stop()
    assert events == ["db open", "startup", "shutdown", "db closed", "cleanup"]


async def test_fastapi_mount_runs_the_signals_of_two_apps(live_server: ServerFactory) -> None:
    events: list[str] = []
    shop = make_shop(events)
    admin_events: list[str] = []
    admin = make_shop(admin_events)

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        async with shop.lifespan_context(), admin.lifespan_context():
            yield

    api = FastAPI(lifespan=lifespan)

    @api.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    api.mount("/shop", shop)
    api.mount("/admin", admin)
    server = await live_server(api)
    async with server.client() as client:
        assert (await client.get("/health")).json() == {"ok": True}
        assert (await client.get("/shop/items")).json()["items"] == 3
        assert (await client.get("/admin/items")).json()["items"] == 3
    await server.stop()
    assert events == ["db open", "startup", "shutdown", "db closed", "cleanup"]
    assert admin_events == events


async def test_a_failing_startup_stops_the_outer_app_and_cleans_up() -> None:
    events: list[str] = []
    shop = make_shop(events)

    async def broken(app: web.Application) -> None:
        raise RuntimeError("no database")

    shop.on_startup.append(broken)
    outer = Starlette(routes=[Mount("/shop", app=shop)], lifespan=shop.lifespan_context)
    driver = LifespanDriver(outer)  # speaks the ASGI lifespan protocol as a server does
    with pytest.raises(LifespanError, match="no database"):
        await driver.startup()
    assert events == ["db open", "startup", "db closed", "cleanup"]


async def test_without_lifespan_context_the_mounted_app_never_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What lifespan_context exists for: Mount does not forward lifespan, so
    # on_startup never runs and the handler finds no database.
    events: list[str] = []
    shop = make_shop(events)
    outer = Starlette(routes=[Mount("/shop", app=shop)])
    transport = httpx.ASGITransport(app=outer)
    with caplog.at_level(logging.WARNING, logger="asgiweb.server"):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/shop/items")
    assert response.status_code == 500
    assert events == []
    assert "no ASGI lifespan startup" in caplog.text


async def test_runner_cleanup_after_a_failed_setup_exits_the_entered_contexts() -> None:
    events: list[str] = []

    async def first(app: web.Application) -> AsyncIterator[None]:
        events.append("first in")
        yield
        events.append("first out")

    async def broken(app: web.Application) -> AsyncIterator[None]:
        raise ConnectionError("database is down")
        yield  # pragma: no cover

    app = web.Application()
    app.cleanup_ctx.append(first)
    app.cleanup_ctx.append(broken)
    runner = web.AppRunner(app)
    with pytest.raises(ConnectionError):
        await runner.setup()
    await runner.cleanup()  # as aiohttp
    assert events == ["first in", "first out"]
