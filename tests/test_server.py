"""web.Server: aiohttp's low-level server (one handler for every request) as an ASGI app."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import aiohttp
import aiohttp.test_utils
import aiohttp.web
import pytest

from asgiweb import test_utils, web
from asgiweb.testing import TestClient


def make_handler(w: ModuleType) -> Any:
    async def handler(request: Any) -> Any:
        if request.path == "/forbidden":
            raise w.HTTPForbidden(text="go away")
        if request.path == "/boom":
            raise RuntimeError("boom")
        if request.path == "/ws":
            ws = w.WebSocketResponse()
            await ws.prepare(request)
            async for msg in ws:
                await ws.send_str(f"{request.path}:{msg.data}")
            return ws
        body = await request.read()
        return w.Response(
            text=f"{request.method} {request.rel_url} {body.decode()}",
            headers={"X-Base": str(isinstance(request, w.BaseRequest))},
        )

    return handler


async def observe(client: Any) -> list[Any]:
    seen: list[Any] = []
    for method, path in [("GET", "/"), ("POST", "/a/b?c=d"), ("DELETE", "/x%20y")]:
        resp = await client.request(method, path, data=b"payload")
        seen += [resp.status, await resp.text(), resp.headers["X-Base"]]
    resp = await client.get("/forbidden")
    seen += [resp.status, await resp.text()]
    resp = await client.get("/boom")
    seen.append(resp.status)
    async with client.ws_connect("/ws") as ws:
        await ws.send_str("hi")
        seen.append(await ws.receive_str())
    return seen


async def test_server_matches_aiohttp_low_level_server() -> None:
    theirs = aiohttp.test_utils.RawTestServer(make_handler(aiohttp.web))
    async with aiohttp.test_utils.TestClient(theirs) as client:
        reference = await observe(client)
    for in_process in (True, False):
        ours = test_utils.RawTestServer(make_handler(web), in_process=in_process)
        async with test_utils.TestClient(ours) as client:
            assert await observe(client) == reference


async def test_server_is_an_asgi_app_with_lifespan() -> None:
    server = web.Server(make_handler(web))
    async with TestClient(server) as client:  # runs the ASGI lifespan too
        resp = await client.post("/p?q=1", content=b"body")
        assert (resp.status_code, resp.text) == (200, "POST /p?q=1 body")
    assert server.requests_count == 1


async def test_server_constructor_is_aiohttps() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response()

    server = web.Server(handler, handler_cancellation=True, debug=True, access_log=None)
    assert server.handler is handler
    assert server.handler_cancellation
    assert server.kwargs == {"debug": True, "access_log": None}
    with pytest.raises(TypeError, match="request_factory"):
        web.Server(handler, request_factory=lambda *a: None)  # type: ignore[arg-type, return-value]
    assert "Server" in web.__all__


async def test_shutdown_waits_for_requests_then_cancels() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow(request: web.BaseRequest) -> web.Response:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return web.Response()

    server = web.Server(slow)
    async with TestClient(server) as client:
        request = asyncio.create_task(client.get("/"))
        await started.wait()
        assert len(server.connections) == 1
        await server.shutdown(timeout=0.1)
        await asyncio.wait_for(cancelled.wait(), 5)
        request.cancel()
        with pytest.raises(BaseException):  # noqa: B017 - the request was cut off
            await request
