"""ASGI lifespan ↔ signals: order, exactly once, failures, background tasks, hypercorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from asgiweb import web
from asgiweb.lifespan import LifespanError, cleanup, shutdown, startup
from asgiweb.testing import TestClient


async def test_failed_startup_exits_entered_contexts_and_reports() -> None:
    events: list[str] = []

    async def first(app: web.Application) -> AsyncIterator[None]:
        events.append("first enter")
        yield
        events.append("first exit")

    async def broken(app: web.Application) -> AsyncIterator[None]:
        raise ConnectionError("database is down")
        yield  # pragma: no cover

    app = web.Application()
    app.cleanup_ctx.append(first)
    app.cleanup_ctx.append(broken)
    with pytest.raises(LifespanError, match="ConnectionError: database is down"):
        async with TestClient(app):
            pass
    assert events == ["first enter", "first exit"]


async def test_failed_shutdown_is_reported() -> None:
    async def bad_cleanup(app: web.Application) -> None:
        raise RuntimeError("could not flush")

    app = web.Application()
    app.on_cleanup.append(bad_cleanup)
    client = TestClient(app)
    await client.__aenter__()
    with pytest.raises(LifespanError, match="shutdown failed: RuntimeError: could not flush"):
        await client.__aexit__(None, None, None)


async def test_each_signal_runs_exactly_once() -> None:
    counts = {"startup": 0, "shutdown": 0, "cleanup": 0}

    def counter(name: str) -> Any:
        async def handler(app: web.Application) -> None:
            counts[name] += 1

        return handler

    app = web.Application()
    for name in counts:
        getattr(app, f"on_{name}").append(counter(name))
    await startup(app)
    await startup(app)
    await shutdown(app)  # e.g. our runner ran it before the server's lifespan.shutdown
    async with TestClient(app):  # the server's lifespan: startup and shutdown again
        pass
    await cleanup(app)
    assert counts == {"startup": 1, "shutdown": 1, "cleanup": 1}


async def test_seed_background_task_pattern(caplog: pytest.LogCaptureFixture) -> None:
    """The seed's example, with app.loop and string keys, works as written."""
    received: list[str] = []
    queue: asyncio.Queue[str] = asyncio.Queue()

    async def listen_to_redis(app: web.Application) -> None:
        try:
            while True:
                received.append(await queue.get())
        except asyncio.CancelledError:
            received.append("cancelled")
            raise

    async def start_background_tasks(app: web.Application) -> None:
        app["redis_listener"] = app.loop.create_task(listen_to_redis(app))

    async def cleanup_background_tasks(app: web.Application) -> None:
        app["redis_listener"].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app["redis_listener"]

    app = web.Application()
    app.on_startup.append(start_background_tasks)
    app.on_cleanup.append(cleanup_background_tasks)
    with (
        pytest.warns(DeprecationWarning, match="loop property"),
        pytest.warns(web.NotAppKeyWarning),
    ):
        async with TestClient(app):
            await queue.put("news")
            await asyncio.sleep(0.01)
    assert received == ["news", "cancelled"]


async def test_cleanup_ctx_background_task_and_failure_is_logged_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listener = web.AppKey("listener", asyncio.Task[None])
    failed = asyncio.Event()

    async def listen(app: web.Application) -> None:
        await asyncio.sleep(0.01)
        failed.set()
        raise ValueError("bad message on the bus")

    async def background_tasks(app: web.Application) -> AsyncIterator[None]:
        app[listener] = asyncio.create_task(listen(app))
        yield
        app[listener].cancel()
        with contextlib.suppress(asyncio.CancelledError, ValueError):
            await app[listener]

    app = web.Application()
    app.cleanup_ctx.append(background_tasks)
    with caplog.at_level(logging.ERROR, logger="asgiweb.lifespan"):
        async with TestClient(app):
            await failed.wait()
            await asyncio.sleep(0)
            # logged while the app is still running, not at shutdown
            assert "bad message on the bus" in caplog.text
            assert "stored under <AppKey(" in caplog.text
            assert ".listener, type=" in caplog.text


async def test_lifespan_under_hypercorn_with_a_subapp() -> None:
    import socket

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    events: list[str] = []

    async def on_startup(app: web.Application) -> None:
        events.append(f"startup {len(app.router.resources())}")

    async def on_cleanup(app: web.Application) -> None:
        events.append("cleanup")

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=str(request.app.router["page"].url_for()))

    sub = web.Application()
    sub.on_startup.append(on_startup)
    sub.on_cleanup.append(on_cleanup)
    sub.router.add_get("/page", handler, name="page")
    app = web.Application()
    app.add_subapp("/sub", sub)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            for _ in range(200):
                try:
                    r = await client.get(f"http://127.0.0.1:{port}/sub/page")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.02)
            assert r.text == "/sub/page"
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)
    assert events == ["startup 1", "cleanup"]
