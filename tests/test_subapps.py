"""Nested applications (add_subapp, add_domain), mounting foreign ASGI apps, root_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from yarl import URL

from asgiweb import web
from asgiweb.testing import TestClient

from .conftest import ClientFactory, ServerFactory

EVENTS = web.AppKey("events", list[str])


async def test_subapp_routing_url_for_and_apps(client_for: ClientFactory) -> None:
    async def dashboard(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "url": str(request.app.router["dashboard"].url_for()),
                "user": str(request.app.router["user"].url_for(id="7")),
                "apps": len(request.match_info.apps),
                "current_is_admin": request.match_info.current_app is request.app,
                "config": request.config_dict[EVENTS],
            }
        )

    admin = web.Application()
    admin.router.add_get("/", dashboard, name="dashboard")
    admin.router.add_get("/users/{id}", dashboard, name="user")
    app = web.Application()
    app[EVENTS] = ["from the root"]
    resource = app.add_subapp("/admin/", admin)
    assert resource.canonical == "/admin"
    client = await client_for(app)
    r = await client.get("/admin/")
    assert r.json() == {
        "url": "/admin/",
        "user": "/admin/users/7",
        "apps": 2,
        "current_is_admin": True,
        "config": ["from the root"],
    }
    assert (await client.get("/admin/users/9")).status_code == 200
    assert (await client.get("/admin/nope")).status_code == 404
    assert (await client.post("/admin/")).status_code == 405
    assert (await client.get("/other")).status_code == 404
    with pytest.raises(RuntimeError, match="not supported by sub-application root"):
        resource.url_for()


async def test_middlewares_chain_outer_first_and_current_app(client_for: ClientFactory) -> None:
    events: list[str] = []
    seen_apps: list[str] = []

    def mw(label: str) -> Any:
        @web.middleware
        async def record(request: web.Request, handler: web.Handler) -> web.StreamResponse:
            seen_apps.append(f"{label}:{request.app['name']}")
            events.append(f"{label} in")
            response = await handler(request)
            events.append(f"{label} out")
            return response

        return record

    async def handler(request: web.Request) -> web.Response:
        seen_apps.append(f"handler:{request.app['name']}")
        events.append("handler")
        return web.Response(text="ok")

    with pytest.warns(web.NotAppKeyWarning):
        inner = web.Application(middlewares=[mw("inner")])
        inner["name"] = "inner"
        inner.router.add_get("/x", handler)
        outer = web.Application(middlewares=[mw("outer1"), mw("outer2")])
        outer["name"] = "outer"
    outer.add_subapp("/sub", inner)
    client = await client_for(outer)
    assert (await client.get("/sub/x")).text == "ok"
    assert events == [
        "outer1 in",
        "outer2 in",
        "inner in",
        "handler",
        "inner out",
        "outer2 out",
        "outer1 out",
    ]
    assert seen_apps == ["outer1:outer", "outer2:outer", "inner:inner", "handler:inner"]


async def test_404_in_subapp_runs_both_apps_middlewares(client_for: ClientFactory) -> None:
    seen: list[str] = []

    def mw(label: str) -> Any:
        @web.middleware
        async def record(request: web.Request, handler: web.Handler) -> web.StreamResponse:
            seen.append(label)
            return await handler(request)

        return record

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    inner = web.Application(middlewares=[mw("inner")])
    inner.router.add_get("/x", handler)
    outer = web.Application(middlewares=[mw("outer")])
    outer.add_subapp("/sub", inner)
    client = await client_for(outer)
    assert (await client.get("/sub/missing")).status_code == 404
    assert seen == ["outer", "inner"]


async def test_unlimited_nesting_and_response_prepare_for_each_app(
    client_for: ClientFactory,
) -> None:
    async def leaf_handler(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "url": str(request.app.router["leaf"].url_for(name="z")),
                "depth": len(request.match_info.apps),
            }
        )

    def tag(label: str) -> Any:
        async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
            response.headers.add("X-Prepared-By", label)

        return on_prepare

    root, mid, leaf = web.Application(), web.Application(), web.Application()
    leaf.router.add_get("/item/{name}", leaf_handler, name="leaf")
    for app, label in ((root, "root"), (mid, "mid"), (leaf, "leaf")):
        app.on_response_prepare.append(tag(label))
    mid.add_subapp("/b", leaf)
    root.add_subapp("/a", mid)
    client = await client_for(root)
    r = await client.get("/a/b/item/q")
    assert r.json() == {"url": "/a/b/item/z", "depth": 3}
    assert r.headers.get_list("x-prepared-by") == ["root", "mid", "leaf"]


async def test_signals_reach_subapps_with_the_subapp(client_for: ClientFactory) -> None:
    got: list[tuple[str, str]] = []

    def on(signal: str) -> Any:
        async def handler(app: web.Application) -> None:
            got.append((signal, app["name"]))

        return handler

    apps = {}
    for name in ("root", "sub", "subsub"):
        with pytest.warns(web.NotAppKeyWarning):
            apps[name] = web.Application()
            apps[name]["name"] = name
        for signal in ("on_startup", "on_shutdown", "on_cleanup"):
            getattr(apps[name], signal).append(on(signal))
    apps["sub"].add_subapp("/deeper", apps["subsub"])
    apps["root"].add_subapp("/sub", apps["sub"])
    async with TestClient(apps["root"]):
        pass
    assert got == [
        ("on_startup", "root"),
        ("on_startup", "sub"),
        ("on_startup", "subsub"),
        ("on_shutdown", "root"),
        ("on_shutdown", "sub"),
        ("on_shutdown", "subsub"),
        ("on_cleanup", "root"),
        ("on_cleanup", "sub"),
        ("on_cleanup", "subsub"),
    ]


def test_subapp_errors() -> None:
    app = web.Application()
    sub = web.Application()
    with pytest.raises(ValueError, match="Prefix cannot be empty"):
        app.add_subapp("/", sub)
    with pytest.raises(TypeError, match="Prefix must be str"):
        app.add_subapp(b"/x", sub)  # type: ignore[arg-type]
    app.add_subapp("/x", sub)
    other = web.Application()
    with pytest.raises(RuntimeError, match="already a sub-application"):
        other.add_subapp("/y", sub)
    frozen = web.Application()
    frozen.freeze()
    with pytest.raises(RuntimeError, match="Cannot add frozen application"):
        web.Application().add_subapp("/z", frozen)
    app.freeze()
    with pytest.raises(RuntimeError, match="frozen application"):
        app.add_subapp("/w", web.Application())
    with pytest.raises(ValueError, match="not valid"):
        web.Application().add_domain("bad_domain!", web.Application())
    with pytest.raises(ValueError, match="Scheme not supported"):
        web.Application().add_domain("http://example.com", web.Application())


async def test_add_domain(client_for: ClientFactory) -> None:
    async def which(request: web.Request) -> web.Response:
        return web.Response(text=request.app["which"])

    def app_named(name: str) -> web.Application:
        with pytest.warns(web.NotAppKeyWarning):
            app = web.Application()
            app["which"] = name
        app.router.add_get("/", which)
        return app

    root = app_named("root")
    root.add_domain("api.example.com", app_named("api"))
    root.add_domain("*.users.example.com", app_named("users"))
    client = await client_for(root)
    assert (await client.get("/", headers={"Host": "api.example.com"})).text == "api"
    assert (await client.get("/", headers={"Host": "API.example.com:8080"})).text == "api"
    assert (await client.get("/", headers={"Host": "ann.users.example.com"})).text == "users"
    assert (await client.get("/", headers={"Host": "example.com"})).text == "root"
    r = await client.get("/nope", headers={"Host": "api.example.com"})
    assert r.status_code == 404


def starlette_app() -> Starlette:
    async def info(request: StarletteRequest) -> JSONResponse:
        return JSONResponse(
            {
                "root_path": request.scope["root_path"],
                "path": request.scope["path"],
                "url": str(request.url),
                "state": getattr(request.state, "ready", None),
            }
        )

    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, str]]:
        LIFESPAN_EVENTS.append("starlette startup")
        yield {"ready": "yes"}
        LIFESPAN_EVENTS.append("starlette shutdown")

    from contextlib import asynccontextmanager

    return Starlette(routes=[Route("/info", info)], lifespan=asynccontextmanager(lifespan))


LIFESPAN_EVENTS: list[str] = []


async def test_mount_starlette_app_with_lifespan() -> None:
    LIFESPAN_EVENTS.clear()
    app = web.Application()

    async def own(request: web.Request) -> web.Response:
        return web.Response(text="own")

    app.router.add_get("/own", own)
    mount = app.mount("/legacy", starlette_app())
    async with TestClient(app) as client:
        assert LIFESPAN_EVENTS == ["starlette startup"]
        r = await client.get("/legacy/info")
        assert r.json() == {
            "root_path": "/legacy",
            "path": "/legacy/info",
            "url": "http://testserver/legacy/info",
            "state": "yes",
        }
        assert (await client.get("/own")).text == "own"
        assert (await client.get("/legacy/missing")).status_code == 404
        assert (await client.get("/legacyx")).status_code == 404
        assert mount.url_for(path="info") == URL("/legacy/info")
    assert LIFESPAN_EVENTS == ["starlette startup", "starlette shutdown"]


async def test_mount_raw_asgi_and_middlewares_still_guard(client_for: ClientFactory) -> None:
    async def raw(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = (scope["root_path"] + "|" + scope["path"]).encode()
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": body})

    @web.middleware
    async def guard(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        if request.headers.get("X-Token") != "ok":
            raise web.HTTPUnauthorized()
        return await handler(request)

    app = web.Application(middlewares=[guard])
    app.mount("/raw", raw)
    client = await client_for(app)
    assert (await client.get("/raw/a/b")).status_code == 401
    r = await client.post("/raw/a/b", headers={"X-Token": "ok"})
    assert (r.status_code, r.text) == (202, "/raw|/raw/a/b")


async def test_mount_refuses_non_callable() -> None:
    with pytest.raises(TypeError, match="needs an ASGI application"):
        web.Application().mount("/x", object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must start with '/'"):
        web.Application().mount("x", web.Application())


def root_path_app() -> web.Application:
    async def item(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "url": str(request.url),
                "link": str(request.app.router["item"].url_for(id="9")),
                "match": request.match_info["id"],
            }
        )

    app = web.Application(middlewares=[web.normalize_path_middleware()])
    app.router.add_get("/items/{id}", item, name="item")
    app.router.add_get("/folder/", item)
    return app


async def test_asgiweb_inside_starlette_honours_root_path(client_for: ClientFactory) -> None:
    outer = Starlette(routes=[Mount("/api", app=root_path_app())])
    client = await client_for(outer, lifespan=False)
    r = await client.get("/api/items/5")
    assert r.json() == {
        "url": "http://testserver/api/items/5",
        "link": "/api/items/9",
        "match": "5",
    }
    redirect = await client.get("/api/folder")
    assert redirect.status_code == 308
    assert redirect.headers["location"] == "/api/folder/"
    assert (await client.get("/api/items/a%2Fb")).json()["match"] == "a/b"


async def test_asgiweb_inside_asgiweb_mount(client_for: ClientFactory) -> None:
    outer = web.Application()
    outer.mount("/v1", root_path_app())
    client = await client_for(outer)
    assert (await client.get("/v1/items/5")).json()["link"] == "/v1/items/9"
    assert (await client.get("/v1/folder")).headers["location"] == "/v1/folder/"


async def test_url_for_outside_a_request_has_no_root_path() -> None:
    app = root_path_app()
    assert app.router["item"].url_for(id="1") == URL("/items/1")


async def test_subapp_under_real_uvicorn(live_server: ServerFactory) -> None:
    started: list[str] = []

    async def on_startup(app: web.Application) -> None:
        started.append("admin")

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=str(request.app.router["home"].url_for()))

    admin = web.Application()
    admin.on_startup.append(on_startup)
    admin.router.add_get("/home", handler, name="home")
    app = web.Application()
    app.add_subapp("/admin", admin)
    server = await live_server(app)
    assert started == ["admin"]
    async with server.client() as client:
        assert (await client.get("/admin/home")).text == "/admin/home"
