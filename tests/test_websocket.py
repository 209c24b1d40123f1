"""WebSocketResponse in process (TestClient.ws_connect) and through real uvicorn."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import aiohttp
import pytest

from asgiweb import web
from asgiweb.testing import TestClient, WSServerHandshakeError

from .conftest import ClientFactory, ServerFactory

WS_IMPLEMENTATIONS = ["websockets-sansio", "websockets", "wsproto"]


def echo_app(**ws_options: Any) -> web.Application:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("chat", "v2"), **ws_options)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                if msg.data == "close":
                    await ws.close(code=4000, message=b"bye")
                elif msg.data.startswith("{"):
                    await ws.send_json({"got": msg.json()})
                else:
                    await ws.send_str(f"echo:{msg.data}")
            elif msg.type == web.WSMsgType.BINARY:
                await ws.send_bytes(msg.data[::-1])
            elif msg.type == web.WSMsgType.ERROR:
                request.app[ERRORS].append(str(msg.data))
        request.app[CLOSE_CODES].append(ws.close_code)
        return ws

    app = web.Application()
    app[ERRORS] = []
    app[CLOSE_CODES] = []
    app.router.add_get("/ws", echo)
    return app


ERRORS = web.AppKey("errors", list[str])
CLOSE_CODES = web.AppKey("close_codes", list[Any])


async def test_echo_text_bytes_json_and_protocol(client_for: ClientFactory) -> None:
    client = await client_for(echo_app())
    async with await client.ws_connect("/ws", protocols=["v2", "chat"]) as ws:
        assert ws.protocol == "v2"  # the client's order of preference
        await ws.send_str("hi")
        assert await ws.receive_str() == "echo:hi"
        await ws.send_bytes(b"abc")
        assert await ws.receive_bytes() == b"cba"
        await ws.send_json({"a": 1})
        assert await ws.receive_json() == {"got": {"a": 1}}
        await ws.send_str("close")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (web.WSMsgType.CLOSE, 4000, "bye")
    assert client.app[CLOSE_CODES] == [4000]  # type: ignore[index]


async def test_client_close_ends_async_for(client_for: ClientFactory) -> None:
    client = await client_for(echo_app())
    ws = await client.ws_connect("/ws")
    await ws.send_str("x")
    assert await ws.receive_str() == "echo:x"
    await ws.close(code=1001)
    assert client.app[CLOSE_CODES] == [1001]  # type: ignore[index]


async def test_plain_http_to_ws_route_is_400(client_for: ClientFactory) -> None:
    client = await client_for(echo_app())
    r = await client.get("/ws")
    assert r.status_code == 400
    assert r.text == 'No WebSocket UPGRADE hdr: None\n Can "Upgrade" only to "WebSocket".'


async def test_receive_messages_after_close_and_concurrent_receive(
    client_for: ClientFactory,
) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        assert ws.can_prepare(request)
        await ws.prepare(request)
        reader = asyncio.create_task(ws.receive())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="Concurrent call to receive\\(\\) is not allowed"):
            await ws.receive()
        first = await reader
        seen.append((first.type, first.data))
        closing = await ws.receive()
        seen.append(closing.type)
        seen.append((await ws.receive()).type)
        for _ in range(3):
            await ws.receive()
        with pytest.raises(RuntimeError, match=r"WebSocket connection is closed\."):
            await ws.receive()
        with pytest.raises(ConnectionResetError, match="Cannot write to closing transport"):
            await ws.send_str("late")
        assert await ws.close() is False
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await client_for(app)
    ws = await client.ws_connect("/")
    await ws.send_str("one")
    await ws.close(code=1000)
    assert seen == [(web.WSMsgType.TEXT, "one"), web.WSMsgType.CLOSE, web.WSMsgType.CLOSED]


async def test_send_and_close_from_another_task(client_for: ClientFactory) -> None:
    """The seed's rule: read only in the handler task, write and close from any task."""
    result: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        async def other_task() -> None:
            await ws.send_str("from the other task")
            await asyncio.sleep(0.05)
            result["closed_by_other"] = await ws.close(code=web.WSCloseCode.GOING_AWAY)

        task = asyncio.create_task(other_task())
        messages = [msg.type async for msg in ws]
        await task
        result["messages"] = messages
        result["code"] = ws.close_code
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await client_for(app)
    ws = await client.ws_connect("/")
    assert await ws.receive_str() == "from the other task"
    msg = await ws.receive()
    assert (msg.type, msg.data) == (web.WSMsgType.CLOSE, 1001)
    await ws.close()
    for _ in range(100):
        if "code" in result:
            break
        await asyncio.sleep(0.01)
    assert result == {"closed_by_other": True, "messages": [], "code": 1001}


async def test_max_msg_size_closes_with_1009(client_for: ClientFactory) -> None:
    client = await client_for(echo_app(max_msg_size=10))
    ws = await client.ws_connect("/ws")
    await ws.send_str("short")
    assert await ws.receive_str() == "echo:short"
    await ws.send_str("x" * 11)
    msg = await ws.receive()
    assert (msg.type, msg.data) == (web.WSMsgType.CLOSE, 1009)
    await ws.close()
    assert client.app[ERRORS] == ["Message size 11 exceeds limit 10"]  # type: ignore[index]


async def test_receive_timeout(client_for: ClientFactory) -> None:
    outcome: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(receive_timeout=0.05)
        await ws.prepare(request)
        try:
            await ws.receive()
        except asyncio.TimeoutError:
            outcome.append("timeout")
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await client_for(app)
    ws = await client.ws_connect("/")
    msg = await ws.receive()
    assert msg.type == web.WSMsgType.CLOSE
    assert outcome == ["timeout"]


async def test_receive_str_type_errors(client_for: ClientFactory) -> None:
    errors: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            await ws.receive_str()
        except web.WSMessageTypeError as exc:
            errors.append(str(exc))
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await client_for(app)
    ws = await client.ws_connect("/")
    await ws.send_bytes(b"\x00")
    await ws.receive()
    assert errors == ["Received message 2:b'\\x00' is not WSMsgType.TEXT"]


async def test_rejection_before_prepare_uses_denial_response(client_for: ClientFactory) -> None:
    @web.middleware
    async def auth(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        if request.query.get("token") != "ok":
            raise web.HTTPForbidden(text="no token")
        return await handler(request)

    app = echo_app()
    app.middlewares.append(auth)
    client = await client_for(app)
    with pytest.raises(WSServerHandshakeError) as info:
        await client.ws_connect("/ws")
    assert (info.value.status, info.value.body) == (403, b"no token")
    with pytest.raises(WSServerHandshakeError) as info:
        await client.ws_connect("/ws", denial_responses=False)
    assert info.value.status == 403  # a close before accept is a 403 on the wire
    with pytest.raises(WSServerHandshakeError) as info:
        await client.ws_connect("/nowhere?token=ok")
    assert info.value.status == 404
    async with await client.ws_connect("/ws?token=ok") as ws:
        await ws.send_str("in")
        assert await ws.receive_str() == "echo:in"


async def test_response_prepare_signal_and_headers(client_for: ClientFactory) -> None:
    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Signal"] = type(response).__name__

    app = echo_app()
    app.on_response_prepare.append(on_prepare)
    client = await client_for(app)
    async with await client.ws_connect("/ws") as ws:
        assert (b"x-signal", b"WebSocketResponse") in [(k.lower(), v) for k, v in ws.headers]


async def test_ws_in_subapp_with_match_info_and_middleware(client_for: ClientFactory) -> None:
    seen: list[str] = []

    @web.middleware
    async def mw(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        seen.append(f"mw {request.path}")
        return await handler(request)

    async def room(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(f"welcome to {request.match_info['name']}")
        await ws.close()
        return ws

    sub = web.Application()
    sub.router.add_get("/rooms/{name}", room)
    app = web.Application(middlewares=[mw])
    app.add_subapp("/chat", sub)
    client = await client_for(app)
    ws = await client.ws_connect("/chat/rooms/lobby")
    assert await ws.receive_str() == "welcome to lobby"
    assert seen == ["mw /chat/rooms/lobby"]


async def test_ping_is_not_pretended(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        with pytest.warns(web.ASGIPingWarning, match="handled by the ASGI server"):
            await ws.ping(b"x")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            await ws.pong()  # warned once per connection only
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await client_for(app)
    ws = await client.ws_connect("/")
    assert (await ws.receive()).type == web.WSMsgType.CLOSE


def test_message_types_and_codes_match_aiohttp() -> None:
    assert {m.name: m.value for m in web.WSMsgType} == {m.name: m.value for m in aiohttp.WSMsgType}
    assert {c.name: c.value for c in web.WSCloseCode} == {
        c.name: c.value for c in aiohttp.WSCloseCode
    }
    assert web.WSMessage(web.WSMsgType.TEXT, '{"a": 1}', None).json() == {"a": 1}


# uvicorn warns that its legacy "websockets" implementation is deprecated
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize("ws_impl", WS_IMPLEMENTATIONS)
async def test_real_client_through_uvicorn(live_server: ServerFactory, ws_impl: str) -> None:
    server = await live_server(echo_app(), ws=ws_impl)
    async with aiohttp.ClientSession() as session:
        url = f"ws://127.0.0.1:{server.port}/ws"
        async with session.ws_connect(url, protocols=["chat"]) as ws:
            assert ws.protocol == "chat"
            await ws.send_str("hello")
            assert await ws.receive_str() == "echo:hello"
            await ws.send_bytes(b"xyz")
            assert await ws.receive_bytes() == b"zyx"
            await ws.send_str("close")
            msg = await ws.receive()
            assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 4000)
        async with session.ws_connect(url) as ws:
            await ws.send_str("x" * 10)
            assert await ws.receive_str() == "echo:" + "x" * 10
        # a rejected handshake: the client sees the real status
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(f"ws://127.0.0.1:{server.port}/missing")
        assert info.value.status == 404


async def test_seed_graceful_shutdown_closes_with_going_away() -> None:
    """Under our runner, on_shutdown runs while connections are open: clients see 1001."""
    websockets = web.AppKey("websockets", set[web.WebSocketResponse])

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        request.app[websockets].add(ws)
        try:
            async for msg in ws:
                await ws.send_str(msg.data)
        finally:
            request.app[websockets].discard(ws)
        return ws

    async def on_shutdown(app: web.Application) -> None:
        for ws in set(app[websockets]):
            await ws.close(code=web.WSCloseCode.GOING_AWAY, message=b"Server shutdown")

    app = web.Application()
    app[websockets] = set()
    app.router.add_get("/ws", handler)
    app.on_shutdown.append(on_shutdown)
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        clients = [await session.ws_connect(f"ws://127.0.0.1:{port}/ws") for _ in range(3)]
        for ws in clients:
            await ws.send_str("ping")
            assert await ws.receive_str() == "ping"
        cleanup = asyncio.create_task(runner.cleanup())
        for ws in clients:
            msg = await ws.receive()
            assert (msg.type, msg.data, msg.extra) == (
                aiohttp.WSMsgType.CLOSE,
                1001,
                "Server shutdown",
            )
            await ws.close()
        await asyncio.wait_for(cleanup, 10)


async def test_foreign_server_shutdown_gives_1012(live_server: ServerFactory) -> None:
    """Under plain uvicorn, connections close (1012) before lifespan shutdown runs."""
    server = await live_server(echo_app())
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"ws://127.0.0.1:{server.port}/ws")
        await ws.send_str("a")
        assert await ws.receive_str() == "echo:a"
        stopping = asyncio.create_task(server.stop())
        msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1012)
        await ws.close()
        await stopping


async def test_testclient_lifespan_state_reaches_ws(client_for: ClientFactory) -> None:
    async with TestClient(echo_app()) as client, await client.ws_connect("/ws") as ws:
        await ws.send_str("state")
        assert await ws.receive_str() == "echo:state"


async def test_status_is_101_after_prepare_and_messages_have_empty_extra(
    live_server: ServerFactory,
) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse[bool]:
        ws: web.WebSocketResponse[bool] = web.WebSocketResponse()
        ws.set_status(200)
        await ws.prepare(request)
        seen["status"] = ws.status
        msg = await ws.receive()
        seen["extra"] = msg.extra
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    server = await live_server(app)
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{server.url}/") as ws:
        await ws.send_str("hi")
        await ws.receive()
    assert seen == {"status": 101, "extra": ""}  # as aiohttp
