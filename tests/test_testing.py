"""``asgiweb.testing``: the in-process WebSocket session's edges (app errors, ends, time-outs)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asgiweb import web
from asgiweb.testing import TestClient, WSServerHandshakeError


class Boom(Exception):
    pass


def app_with(handler: Any) -> web.Application:
    app = web.Application()
    app.router.add_get("/", handler)
    return app


async def test_an_error_in_the_handler_is_raised_in_the_test() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("first")
        await ws.receive()
        raise Boom("after the first message")

    with pytest.raises(Boom):  # leaving the client closes the session: raised there too
        async with TestClient(app_with(handler)) as client:
            ws = await client.ws_connect("/")
            assert await ws.receive_str() == "first"
            await ws.send_str("go")
            with pytest.raises(Boom, match="after the first message"):
                await ws.receive()
            with pytest.raises(Boom):
                await ws.receive()  # every later read sees it too, without waiting
            with pytest.raises(Boom):
                await ws.close()


async def test_before_accept() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        raise Boom("before accept")

    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # websocket.connect
        if scope["path"] == "/raises":
            raise Boom("escaped the app")
        # "/returns": return without accepting or closing

    async with TestClient(app_with(handler)) as client:
        with pytest.raises(WSServerHandshakeError) as info:
            await client.ws_connect("/")  # the app answers the error with a 500 page
    assert info.value.status == 500
    async with TestClient(raw_app, lifespan=False) as client:
        with pytest.raises(Boom, match="escaped the app"):
            await client.ws_connect("/raises")
        with pytest.raises(WSServerHandshakeError) as info:
            await client.ws_connect("/returns")
    assert info.value.status == 500  # as uvicorn answers


async def test_close_by_the_app_and_after() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(code=4001, message=b"done")
        return ws

    async with TestClient(app_with(handler)) as client:
        ws = await client.ws_connect("/")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (web.WSMsgType.CLOSE, 4001, "done")
        assert (ws.closed, ws.close_code, ws.close_reason) == (True, 4001, "done")
        assert (await ws.receive()).type == web.WSMsgType.CLOSED
        await ws.close()  # the handler has returned: nothing to wait for


async def test_a_send_after_the_client_closed_fails_in_the_handler() -> None:
    outcome: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        msg = await ws.receive()
        assert msg.type == web.WSMsgType.CLOSE
        try:
            await ws.send_str("too late")
        except ConnectionResetError as exc:
            outcome.append(str(exc))
        return ws

    async with TestClient(app_with(handler)) as client:
        ws = await client.ws_connect("/")
        await ws.close(code=1001)
    assert outcome == ["Cannot write to closing transport"]


async def test_a_handler_that_never_returns_is_cancelled_at_close() -> None:
    cancelled = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            await asyncio.Event().wait()  # ignores the close
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return ws

    async with TestClient(app_with(handler)) as client:
        ws = await client.ws_connect("/")
        with pytest.raises(TimeoutError, match=r"did not return within 0\.2 s"):
            await ws.close(timeout=0.2)
        assert cancelled.is_set()
