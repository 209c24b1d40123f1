"""Application: the ASGI entry, error pages, state, freezing, signals, lifespan basics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from asgiweb import web
from asgiweb.exceptions import NotAppKeyWarning
from asgiweb.testing import LifespanError, TestClient

from .conftest import ClientFactory


async def boom(request: web.Request) -> web.Response:
    raise ZeroDivisionError("kaboom")


async def test_unhandled_exception_is_aiohttp_500(
    client_for: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = web.Application()
    app.router.add_get("/", boom)
    client = await client_for(app)
    with caplog.at_level(logging.ERROR, logger="asgiweb.server"):
        r = await client.get("/")
    assert r.status_code == 500
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == ("500 Internal Server Error\n\nServer got itself in trouble")
    assert r.headers["connection"] == "close"
    record = next(rec for rec in caplog.records if rec.name == "asgiweb.server")
    assert record.message.startswith("Error handling request from 127.0.0.1")
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError
    html = await client.get("/", headers={"Accept": "text/html"})
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>500 Internal Server Error</h1>" in html.text
    assert "kaboom" not in html.text


async def test_debug_puts_traceback_in_response(client_for: ClientFactory) -> None:
    app = web.Application(debug=True)
    app.router.add_get("/", boom)
    client = await client_for(app)
    r = await client.get("/")
    assert "Traceback (most recent call last)" in r.text
    assert "ZeroDivisionError: kaboom" in r.text
    html = await client.get("/", headers={"Accept": "text/html"})
    assert "<h2>Traceback:</h2>" in html.text


@pytest.mark.parametrize("asyncio_debug", [True, False])
async def test_debug_unless_given_follows_asyncio_debug_as_in_aiohttp(asyncio_debug: bool) -> None:
    import aiohttp.test_utils
    import aiohttp.web

    async def theirs_boom(request: aiohttp.web.Request) -> aiohttp.web.Response:
        raise ZeroDivisionError("kaboom")

    loop = asyncio.get_running_loop()
    loop.set_debug(asyncio_debug)
    try:
        theirs = aiohttp.web.Application()  # no debug argument: aiohttp follows the loop
        theirs.router.add_get("/", theirs_boom)
        async with aiohttp.test_utils.TestClient(aiohttp.test_utils.TestServer(theirs)) as client:
            resp = await client.get("/")
            their_text = await resp.text()
        ours = web.Application()
        ours.router.add_get("/", boom)
        async with TestClient(ours) as our_client:
            our_text = (await our_client.get("/")).text
            assert ours.debug is asyncio_debug
        assert ("ZeroDivisionError: kaboom" in their_text) is asyncio_debug
        assert ("ZeroDivisionError: kaboom" in our_text) is asyncio_debug
        # a value given to the constructor wins over the loop, in both
        assert web.Application(debug=not asyncio_debug).debug is not asyncio_debug
    finally:
        loop.set_debug(False)


async def test_timeout_error_is_504(client_for: ClientFactory) -> None:
    async def slow(request: web.Request) -> web.Response:
        async with asyncio.timeout(0):
            await asyncio.sleep(1)
        return web.Response()

    app = web.Application()
    app.router.add_get("/", slow)
    r = await (await client_for(app)).get("/")
    assert r.status_code == 504
    assert r.text == ""  # aiohttp sends an empty body for any error but 500
    assert r.headers["Content-Type"] == "text/plain"


async def test_handler_returning_none_is_500(
    client_for: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async def forgot(request: web.Request) -> web.Response:
        return None  # type: ignore[return-value]

    app = web.Application()
    app.router.add_get("/", forgot)
    with caplog.at_level(logging.ERROR, logger="asgiweb.server"):
        r = await (await client_for(app)).get("/")
    assert r.status_code == 500
    assert "should return a response instance, got None" in caplog.text


async def test_error_after_headers_sent_propagates_to_the_server(
    client_for: ClientFactory,
) -> None:
    """Once headers are out, no error page can be sent: the server must abort."""

    async def half(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"partial")
        raise RuntimeError("mid-stream")

    app = web.Application()
    app.router.add_get("/", half)
    client = await client_for(app)
    with pytest.raises(RuntimeError, match="mid-stream"):
        await client.get("/")


DB_KEY = web.AppKey("db", dict)
UNTYPED_KEY: web.AppKey[object] = web.AppKey("n")
LIST_KEY = web.AppKey[list[int]]("items")


def test_state_and_app_keys() -> None:
    app = web.Application()
    db_key = DB_KEY
    app[db_key] = {"x": 1}
    assert app[db_key] == {"x": 1}
    assert app.get(db_key) == {"x": 1}
    with pytest.warns(NotAppKeyWarning):
        app["plain"] = 1
    assert set(app) == {db_key, "plain"}
    assert len(app) == 2
    del app["plain"]
    # as in aiohttp: the name is qualified by the module creating the key
    assert repr(db_key) == "<AppKey(tests.test_app.db, type=dict)>"
    assert repr(UNTYPED_KEY) == "<AppKey(tests.test_app.n, type=<<Unknown>>)>"
    assert repr(LIST_KEY) == "<AppKey(tests.test_app.items, type=list[int])>"
    app[LIST_KEY] = [1]
    with pytest.warns(NotAppKeyWarning, match=r"web_advanced\.html#application-s-config"):
        app["a"] = 1
    assert sorted(app) == [db_key, LIST_KEY, "a"]  # keys sort first, then str (aiohttp)
    app.freeze()
    with pytest.warns(DeprecationWarning, match="Changing state of started"):
        app[db_key] = {}


def test_freeze_blocks_middlewares_and_routes() -> None:
    app = web.Application()
    app.freeze()
    assert app.frozen and app.pre_frozen
    with pytest.raises(RuntimeError):
        app.middlewares.append(web.middleware(boom))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        app.router.add_get("/", boom)
    with pytest.raises(RuntimeError):
        app.on_startup.append(boom)  # type: ignore[arg-type]


async def test_on_response_prepare_reaches_every_response(client_for: ClientFactory) -> None:
    async def add_header(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Prepared"] = "yes"

    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"s")
        return resp

    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="p")

    async def raising(request: web.Request) -> web.Response:
        raise web.HTTPForbidden()

    app = web.Application()
    app.on_response_prepare.append(add_header)
    app.router.add_get("/stream", stream)
    app.router.add_get("/plain", plain)
    app.router.add_get("/raising", raising)
    client = await client_for(app)
    for path in ("/stream", "/plain", "/raising", "/missing"):
        assert (await client.get(path)).headers["x-prepared"] == "yes", path


async def test_root_path_routing() -> None:
    """Mounted under /api: route on the rest, report the full URL."""
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        seen.update(path=request.path, url=str(request.url), match=dict(request.match_info))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/items/{id}", handler)
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    for raw in (b"/api/items/7", b"/api/items/a%2Fb"):
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": raw.decode().replace("%2F", "/"),
            "raw_path": raw,
            "root_path": "/api",
            "query_string": b"",
            "headers": [(b"host", b"example.com")],
        }
        messages.clear()
        await app(scope, receive, send)
        assert messages[0]["status"] == 200, raw
    assert seen["match"] == {"id": "a/b"}
    assert seen["url"] == "http://example.com/api/items/a%2Fb"


async def test_lifespan_startup_cleanup_ctx_and_cleanup() -> None:
    events: list[str] = []

    async def on_startup(app: web.Application) -> None:
        events.append("startup")

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        events.append("ctx enter")
        yield
        events.append("ctx exit")

    async def on_shutdown(app: web.Application) -> None:
        events.append("shutdown")

    async def on_cleanup(app: web.Application) -> None:
        events.append("cleanup")

    app = web.Application()
    app.on_startup.append(on_startup)
    app.cleanup_ctx.append(ctx)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    async with TestClient(app):
        assert events == ["ctx enter", "startup"]  # aiohttp enters cleanup_ctx first
        assert app.frozen
    assert events == ["ctx enter", "startup", "shutdown", "ctx exit", "cleanup"]


async def test_lifespan_startup_failure_is_reported() -> None:
    async def broken(app: web.Application) -> None:
        raise RuntimeError("database unreachable")

    app = web.Application()
    app.on_startup.append(broken)
    with pytest.raises(LifespanError, match="RuntimeError: database unreachable"):
        async with TestClient(app):
            pass


async def test_unknown_scope_type_is_refused() -> None:
    app = web.Application()

    async def nothing() -> dict[str, Any]:
        return {}

    async def sink(message: dict[str, Any]) -> None:
        return None

    with pytest.raises(ValueError, match="cannot handle ASGI scope type 'webtransport'"):
        await app({"type": "webtransport"}, nothing, sink)


async def test_first_request_freezes_and_warns_about_unrun_startup(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def on_startup(app: web.Application) -> None:
        pass

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application()
    app.on_startup.append(on_startup)
    app.router.add_get("/", hello)
    with caplog.at_level(logging.WARNING, logger="asgiweb.server"):
        async with TestClient(app, lifespan=False) as client:
            assert (await client.get("/")).text == "hi"
            assert (await client.get("/")).text == "hi"
    assert app.frozen
    warnings = [r for r in caplog.records if "never ran" in r.message]
    assert len(warnings) == 1


async def test_deprecated_aiohttp_arguments_work_and_warn(client_for: ClientFactory) -> None:
    import aiohttp.web as aiohttp_web

    loop = asyncio.get_running_loop()
    for web_module in (web, aiohttp_web):  # the same warnings as aiohttp
        with pytest.warns(DeprecationWarning, match="loop argument is deprecated"):
            app = web_module.Application(loop=loop)
        with pytest.warns(DeprecationWarning, match="loop property is deprecated"):
            assert app.loop is loop
        with pytest.warns(DeprecationWarning, match="is discouraged"):

            class Sub(web_module.Application):  # type: ignore[misc]
                pass

    app = web.Application()
    with pytest.warns(DeprecationWarning, match="make_handler"):
        assert app.make_handler() is app  # the ASGI handler is the app itself
    assert app.frozen


async def test_custom_router_with_resolve_only(client_for: ClientFactory) -> None:
    class Router:
        def freeze(self) -> None:
            pass

        async def resolve(self, request: web.Request) -> Any:
            raise web.HTTPPreconditionFailed()

    with pytest.warns(DeprecationWarning, match="router argument is deprecated"):
        app = web.Application(router=Router())  # type: ignore[arg-type]
    r = await (await client_for(app)).get("/")
    assert r.status_code == 412


async def test_returning_an_http_exception_warns_and_is_sent(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.HTTPNoContent()

    app = web.Application()
    app.router.add_get("/", handler)
    client = await client_for(app)
    with pytest.warns(DeprecationWarning, match="returning HTTPException object is deprecated"):
        r = await client.get("/")
    assert r.status_code == 204


async def test_read_bufsize_from_handler_args(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        limits = request.content.get_read_buffer_limits()
        return web.Response(text=f"{await request.text()} {limits}")

    app = web.Application(handler_args={"read_bufsize": 2})
    app.router.add_post("/", handler)
    r = await (await client_for(app)).post("/", content=b"data")
    assert r.text == "data (2, 4)"  # as aiohttp
    assert web.Application().read_bufsize == 2**16


async def test_auto_decompress_off_from_handler_args(client_for: ClientFactory) -> None:
    import gzip

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    body = gzip.compress(b"a" * 1000)
    for handler_args, expected in (({"auto_decompress": False}, len(body)), (None, 1000)):
        app = web.Application(handler_args=handler_args)
        app.router.add_post("/", handler)
        client = await client_for(app)
        r = await client.post("/", content=body, headers={"Content-Encoding": "gzip"})
        assert r.text == str(expected)  # as aiohttp
