"""asgiweb.test_utils against aiohttp.test_utils: the same test code, the same observations.

Each scenario builds one app from either ``aiohttp.web`` or ``asgiweb.web`` and
drives it through the ``aiohttp_client`` fixture, which hands aiohttp apps to
aiohttp's own ``TestClient`` and asgiweb apps to ours (in process, or on
uvicorn). What the test code observes must be equal.
"""

from __future__ import annotations

import asyncio
import io
import json
from types import ModuleType
from typing import Any

import aiohttp
import aiohttp.web
import pytest
from yarl import URL

from asgiweb import test_utils, web
from asgiweb.testing import TestClient as HTTPXTestClient

MODES = ["aiohttp", "asgiweb-in-process", "asgiweb-uvicorn"]

KEY_NAME = "seen"


def build_app(w: ModuleType) -> Any:
    """One app, written once against the aiohttp.web API, for either framework."""
    seen = w.AppKey(KEY_NAME, list)

    async def hello(request: Any) -> Any:
        request.app[seen].append(request.path)
        return w.Response(
            text=f"Hello {request.query.get('name', 'world')}",
            headers={"X-Custom": "yes", "X-Got": request.headers.get("X-Default", "")},
        )

    async def as_json(request: Any) -> Any:
        return w.json_response({"a": [1, 2], "host_ok": request.host.startswith("127.0.0.1")})

    async def echo(request: Any) -> Any:
        ctype = request.content_type
        if ctype == "application/json":
            return w.json_response({"json": await request.json()})
        if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            fields = {}
            for name in form:
                value = form[name]
                if hasattr(value, "file"):
                    fields[name] = [value.filename, value.file.read().decode()]
                else:
                    fields[name] = form.getall(name)
            return w.json_response({"type": ctype, "form": fields})
        return w.json_response({"type": ctype, "body": (await request.read()).decode()})

    async def redirect(request: Any) -> Any:
        raise w.HTTPFound("/hello?name=again")

    async def set_cookie(request: Any) -> Any:
        resp = w.Response(text="set")
        resp.set_cookie("sid", "abc123")
        return resp

    async def whoami(request: Any) -> Any:
        return w.Response(text=request.cookies.get("sid", "nobody"))

    async def stream(request: Any) -> Any:
        resp = w.StreamResponse()
        resp.content_type = "text/plain"
        await resp.prepare(request)
        for i in range(3):
            await resp.write(f"line {i}\n".encode())
        await resp.write_eof()
        return resp

    async def ws_echo(request: Any) -> Any:
        ws = w.WebSocketResponse(protocols=("chat",))
        if not ws.can_prepare(request).ok:
            raise w.HTTPForbidden(text="WebSockets only")
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == w.WSMsgType.TEXT:
                if msg.data == "bye":
                    await ws.close(code=4000, message=b"see you")
                    break
                await ws.send_str(msg.data.upper())
            elif msg.type == w.WSMsgType.BINARY:
                await ws.send_bytes(msg.data[::-1])
        return ws

    async def forbidden(request: Any) -> Any:
        raise w.HTTPForbidden(text="no")

    app = w.Application()
    app[seen] = []
    app.router.add_get("/hello", hello)
    app.router.add_get("/json", as_json)
    app.router.add_post("/echo", echo)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/set-cookie", set_cookie)
    app.router.add_get("/whoami", whoami)
    app.router.add_get("/stream", stream)
    app.router.add_get("/ws", ws_echo)
    app.router.add_get("/ws-forbidden", forbidden)
    return app


async def make_client(aiohttp_client: Any, mode: str, **kwargs: Any) -> Any:
    if mode == "aiohttp":
        return await aiohttp_client(build_app(aiohttp.web), **kwargs)
    in_process = mode == "asgiweb-in-process"
    return await aiohttp_client(build_app(web), server_kwargs={"in_process": in_process}, **kwargs)


async def http_observations(client: Any) -> list[Any]:
    seen: list[Any] = []
    resp = await client.get("/hello", params={"name": "Ada"})
    seen += [resp.status, resp.reason, resp.ok, resp.content_type, resp.charset]
    seen += [await resp.text(), resp.headers["X-Custom"], resp.url.path, resp.url.query_string]
    seen += [resp.version, resp.method, resp.real_url == resp.url, resp.request_info.method]

    async with client.get("/json") as resp:
        seen += [await resp.json(), resp.content_length, await resp.read()]

    resp = await client.post("/echo", data={"a": "1", "b": "2"})
    seen.append(await resp.json())
    resp = await client.post("/echo", data=[("a", "1"), ("a", "2")])
    seen.append(await resp.json())
    resp = await client.post("/echo", data=b"raw bytes")
    seen.append(await resp.json())
    resp = await client.post("/echo", data="some text")
    seen.append(await resp.json())
    resp = await client.post("/echo", json={"x": [1, None]})
    seen.append(await resp.json())
    form = aiohttp.FormData()
    form.add_field("title", "report")
    form.add_field("file", io.BytesIO(b"file body"), filename="r.txt", content_type="text/plain")
    resp = await client.post("/echo", data=form)
    seen.append(await resp.json())

    resp = await client.get("/redirect")
    seen += [resp.status, [h.status for h in resp.history], resp.url.path, await resp.text()]
    resp = await client.get("/redirect", allow_redirects=False)
    seen += [resp.status, resp.headers["Location"], resp.history]
    await resp.release()

    resp = await client.get("/set-cookie")
    seen += [resp.cookies["sid"].value, await resp.text()]
    resp = await client.get("/whoami")
    seen.append(await resp.text())
    seen.append(client.session.cookie_jar.filter_cookies(client.make_url("/"))["sid"].value)

    resp = await client.get("/missing")
    seen += [resp.status, resp.ok]
    with pytest.raises(aiohttp.ClientResponseError) as exc_info:
        resp.raise_for_status()
    seen.append(exc_info.value.status)
    resp = await client.get("/hello")
    with pytest.raises(aiohttp.ContentTypeError):
        await resp.json()

    resp = await client.get("/stream")
    lines = [await resp.content.readline() for _ in range(3)]
    seen += [lines, await resp.content.read(), resp.content.at_eof()]
    resp = await client.get("/stream")
    chunks = [chunk async for chunk in resp.content.iter_chunked(4)]  # "up to 4 bytes" each
    seen += [b"".join(chunks), max(map(len, chunks))]

    seen.append(await (await client.head("/hello")).read())
    seen += [client.host, isinstance(client.port, int), client.app is client.server.app]
    seen.append(client.make_url("/x?y=1") == URL(f"http://127.0.0.1:{client.port}/x?y=1"))
    return seen


@pytest.mark.parametrize("mode", MODES)
async def test_http_api_matches_aiohttp(aiohttp_client: Any, mode: str) -> None:
    reference = await http_observations(await make_client(aiohttp_client, "aiohttp"))
    ours = await http_observations(await make_client(aiohttp_client, mode))
    assert ours == reference


async def ws_observations(client: Any) -> list[Any]:
    seen: list[Any] = []
    ws = await client.ws_connect("/ws", protocols=("chat",))
    seen += [ws.protocol, ws.closed]
    await ws.send_str("hi")
    seen.append(await ws.receive_str())
    await ws.send_bytes(b"abc")
    seen.append(await ws.receive_bytes())
    await ws.send_json({"k": 1})
    msg = await ws.receive()
    seen += [msg.type == aiohttp.WSMsgType.TEXT, msg.json(), msg.extra]
    await ws.send_str("bye")
    msg = await ws.receive()
    seen += [msg.type == aiohttp.WSMsgType.CLOSE, msg.data, msg.extra, ws.close_code]
    msg = await ws.receive()
    seen += [msg.type == aiohttp.WSMsgType.CLOSED, ws.closed, await ws.close()]

    async with client.ws_connect("/ws") as ws:
        await ws.send_str("one")
        await ws.send_str("two")
        await ws.send_str("bye")
        seen.append([m.data async for m in ws])
        seen.append(ws.close_code)

    ws = await client.ws_connect("/ws")
    seen += [await ws.close(), ws.closed, ws.close_code]

    for path in ("/ws-forbidden", "/hello", "/nowhere"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc_info:
            await client.ws_connect(path)
        seen += [exc_info.value.status, exc_info.value.message]
    return seen


@pytest.mark.parametrize("mode", MODES)
async def test_websocket_api_matches_aiohttp(aiohttp_client: Any, mode: str) -> None:
    reference = await ws_observations(await make_client(aiohttp_client, "aiohttp"))
    ours = await ws_observations(await make_client(aiohttp_client, mode))
    assert ours == reference


async def ws_option_observations(client: Any) -> list[Any]:
    """``ws_connect``'s decode_text, receive_timeout and autoclose, and send_json_bytes."""
    seen: list[Any] = []
    ws = await client.ws_connect("/ws", decode_text=False)
    await ws.send_str("hi")
    seen.append(await ws.receive_str())  # the text as UTF-8 bytes
    await ws.send_str("json")
    seen.append(await ws.receive_json(loads=lambda data: [type(data).__name__, data]))
    await ws.send_json_bytes({"k": 1}, dumps=lambda data: json.dumps(data).encode())
    seen.append(await ws.receive_bytes())  # the echo reverses binary messages
    await ws.close()

    ws = await client.ws_connect("/ws", timeout=aiohttp.ClientWSTimeout(ws_receive=0.05))
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive()
    seen += [ws.closed, await ws.close()]

    ws = await client.ws_connect("/ws", autoclose=False)
    await ws.send_str("bye")
    msg = await ws.receive()
    seen += [msg.type == aiohttp.WSMsgType.CLOSE, msg.data, ws.closed]
    seen += [await ws.close(), ws.closed, ws.close_code]
    return seen


@pytest.mark.parametrize("mode", MODES)
async def test_websocket_options_match_aiohttp(aiohttp_client: Any, mode: str) -> None:
    reference = await ws_option_observations(await make_client(aiohttp_client, "aiohttp"))
    ours = await ws_option_observations(await make_client(aiohttp_client, mode))
    assert ours == reference


@pytest.mark.parametrize("mode", MODES)
async def test_client_options_match_aiohttp(aiohttp_client: Any, mode: str) -> None:
    async def observe(client: Any) -> list[Any]:
        resp = await client.get("/hello", headers={"X-Other": "1"})
        got = [resp.headers["X-Got"]]
        with pytest.raises(aiohttp.ClientResponseError) as exc_info:
            await client.get("/missing")
        got.append(exc_info.value.status)
        return got

    options = {"headers": {"X-Default": "d"}, "raise_for_status": True}
    reference = await observe(await make_client(aiohttp_client, "aiohttp", **options))
    assert await observe(await make_client(aiohttp_client, mode, **options)) == reference


def chat_room() -> web.Application:
    """The pattern that took 20 s to tear down: open WebSockets closed by on_shutdown."""
    room = web.AppKey("room", set)

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        request.app[room].add(ws)
        await ws.send_str("welcome")
        async for _ in ws:
            pass
        request.app[room].discard(ws)
        return ws

    async def close_all(app: web.Application) -> None:
        for ws in list(app[room]):
            await ws.close()

    app = web.Application()
    app[room] = set()
    app.router.add_get("/", handler)
    app.on_shutdown.append(close_all)
    return app


@pytest.mark.parametrize("in_process", [True, False])
async def test_two_websockets_left_open_close_at_once(in_process: bool) -> None:
    client = test_utils.TestClient(test_utils.TestServer(chat_room(), in_process=in_process))
    await client.start_server()
    first = await client.ws_connect("/")
    second = await client.ws_connect("/")
    assert await first.receive_str() == "welcome"
    assert await second.receive_str() == "welcome"
    # A close that waited for each handler's close timeout took 20 s here.
    async with asyncio.timeout(5):
        await client.close()
    assert first.closed and second.closed


async def test_httpx_client_closes_websockets_left_open() -> None:
    client = HTTPXTestClient(chat_room())
    await client.__aenter__()
    first = await client.ws_connect("/")
    second = await client.ws_connect("/")
    assert await first.receive_str() == "welcome"
    assert await second.receive_str() == "welcome"
    async with asyncio.timeout(5):
        await client.__aexit__(None, None, None)


async def test_server_side_close_needs_no_reader() -> None:
    """An app closing a WebSocket the test is not reading returns at once."""
    app = chat_room()
    async with test_utils.TestClient(test_utils.TestServer(app, in_process=True)) as client:
        ws = await client.ws_connect("/")
        async with asyncio.timeout(5):
            await app.on_shutdown[0](app)
        assert (await ws.receive()).data == "welcome"
        assert (await ws.receive()).type == aiohttp.WSMsgType.CLOSE


async def test_in_process_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sockets(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a socket was opened")

    async with test_utils.TestClient(test_utils.TestServer(chat_room(), in_process=True)) as client:
        monkeypatch.setattr(asyncio, "open_connection", no_sockets)
        monkeypatch.setattr("socket.socket.connect", no_sockets)
        ws = await client.ws_connect("/")
        assert await ws.receive_str() == "welcome"
        assert (await client.get("/")).status == 400


async def test_aiohttp_client_session_reaches_test_server() -> None:
    server = test_utils.TestServer(build_app(web))
    async with server, aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/hello")) as resp:
            assert await resp.text() == "Hello world"
        async with session.ws_connect(server.make_url("/ws")) as ws:
            await ws.send_str("x")
            assert await ws.receive_str() == "X"


async def test_lifespan_runs_in_process() -> None:
    events: list[str] = []
    app = web.Application()

    async def ctx(app: web.Application) -> Any:
        events.append("up")
        yield
        events.append("down")

    app.cleanup_ctx.append(ctx)
    async with test_utils.TestClient(test_utils.TestServer(app, in_process=True)):
        assert events == ["up"]
    assert events == ["up", "down"]


async def test_test_client_rejects_what_aiohttp_rejects() -> None:
    with pytest.raises(TypeError, match="server must be TestServer"):
        test_utils.TestClient(web.Application())  # type: ignore[arg-type]
    client = test_utils.TestClient(test_utils.TestServer(web.Application()))
    with pytest.raises(TypeError, match="Use async with"), client:  # type: ignore[attr-defined]
        pass
    server = test_utils.TestServer(web.Application(), in_process=True)
    with pytest.raises(RuntimeError, match="not started"):
        server.make_url("/")


@pytest.mark.parametrize("in_process", [True, False])
async def test_raw_test_server(in_process: bool) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/forbidden":
            raise web.HTTPForbidden()
        if request.path == "/boom":
            raise ValueError("boom")
        return web.Response(text=f"{request.method} {request.path} {request.query_string}")

    server = test_utils.RawTestServer(handler, in_process=in_process)
    async with test_utils.TestClient(server) as client:
        assert client.app is None
        resp = await client.put("/any/path?x=1")
        assert (resp.status, await resp.text()) == (200, "PUT /any/path x=1")
        assert (await client.get("/forbidden")).status == 403
        resp = await client.get("/boom")
        assert resp.status == 500
        assert "ValueError: boom" in await resp.text()  # debug=True, as aiohttp's
    assert server.server.requests_count == 3


def test_make_mocked_request() -> None:
    key = web.AppKey("db", str)
    app = web.Application()
    app[key] = "the db"
    req = test_utils.make_mocked_request(
        "post", "/items/7?full=1", headers={"X-Token": "t"}, match_info={"id": "7"}, app=app
    )
    assert (req.method, req.path, req.query["full"]) == ("POST", "/items/7", "1")
    assert req.headers["X-Token"] == "t"
    assert req.match_info["id"] == "7"
    assert req.app[key] == "the db"
    assert req.version == web.HttpVersion11


async def test_make_mocked_request_with_payload() -> None:
    req = test_utils.make_mocked_request(
        "POST", "/", headers={"Content-Type": "application/json"}, payload=b'{"a": 1}'
    )
    assert await req.json() == {"a": 1}


async def test_make_mocked_coro() -> None:
    coro = test_utils.make_mocked_coro(return_value=42)
    assert await coro(1, x=2) == 42
    coro.assert_called_once_with(1, x=2)
    failing = test_utils.make_mocked_coro(raise_exception=KeyError("k"))
    with pytest.raises(KeyError):
        await failing()


def test_loop_context_and_unused_port() -> None:
    with test_utils.loop_context() as loop:
        assert loop.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
    assert loop.is_closed()
    port = test_utils.unused_port()
    with test_utils.get_port_socket("127.0.0.1", port, __import__("socket").AF_INET) as sock:
        assert sock.getsockname()[1] == port


def test_public_names_match_aiohttp() -> None:
    import aiohttp.test_utils as theirs

    public = {
        name
        for name in vars(theirs)
        if not name.startswith("_")
        and callable(getattr(theirs, name))
        and getattr(getattr(theirs, name), "__module__", "") == theirs.__name__
    }
    assert public <= set(test_utils.__all__)


class HelloTestCase(test_utils.AioHTTPTestCase):
    """AioHTTPTestCase as aiohttp's documentation uses it."""

    async def get_application(self) -> web.Application:
        return build_app(web)

    async def test_hello(self) -> None:
        async with self.client.get("/hello") as resp:
            self.assertEqual(resp.status, 200)
            self.assertEqual(await resp.text(), "Hello world")
        self.assertTrue(self.server.in_process)


async def test_releasing_a_streaming_response_stops_the_handler() -> None:
    stopped: list[str] = []

    async def forever(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            while True:
                await resp.write(b"tick\n")
                await asyncio.sleep(0.01)
        except ConnectionResetError:
            stopped.append("reset")
            raise

    app = web.Application()
    app.router.add_get("/", forever)
    async with test_utils.TestClient(test_utils.TestServer(app, in_process=True)) as client:
        resp = await client.get("/")
        assert await resp.content.readline() == b"tick\n"
        async with asyncio.timeout(4):  # the handler is stopped, not waited for
            await resp.release()
    assert stopped == ["reset"]
