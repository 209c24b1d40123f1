"""The Expect header through real uvicorn (h11 and httptools), with a raw socket client."""

from __future__ import annotations

import asyncio

import pytest

from asgiweb import HttpVersion11, web

from .conftest import ServerFactory

pytestmark = pytest.mark.parametrize("http", ["h11", "httptools"])


async def check_auth(request: web.Request) -> web.StreamResponse | None:
    """The seed's example, ported: the server sends 100 Continue itself."""
    if request.version != HttpVersion11:
        return None
    expect = request.headers.get("EXPECT")
    if expect != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {expect}")
    if request.headers.get("AUTHORIZATION") is None:
        raise web.HTTPForbidden()
    # aiohttp: request.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    # ASGI: nothing to write; the server sends it when the handler reads the body
    return None


async def payment_required(request: web.Request) -> web.StreamResponse | None:
    if request.headers.get("X-Plan") == "free":
        return web.Response(status=402, text="upgrade first")
    return None


def make_app() -> web.Application:
    async def upload(request: web.Request) -> web.Response:
        return web.Response(text=f"got {len(await request.read())} bytes")

    async def hello(request: web.Request) -> web.Response:
        return web.Response(body=b"Hello, world")

    app = web.Application()
    app.router.add_post("/default", upload)
    app.router.add_post("/auth", upload, expect_handler=check_auth)
    app.router.add_get("/", hello, expect_handler=check_auth)
    app.router.add_put("/plan", upload, expect_handler=payment_required)
    return app


async def exchange(port: int, head: bytes, body: bytes | None = None) -> tuple[bytes, bytes]:
    """Send headers; read what comes back first; if it is 100 Continue send *body*.

    Returns (what came before the body was sent, the final response).
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        if first.startswith(b"HTTP/1.1 100") and body is not None:
            writer.write(body)
            await writer.drain()
            final = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        else:
            final, first = first, b""
        length = next(
            (
                int(line.split(b":")[1])
                for line in final.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        final += await asyncio.wait_for(reader.readexactly(length), 5)
        return first, final
    finally:
        writer.close()


def post(path: str, *, expect: str = "100-continue", extra: str = "", length: int = 5) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n"
        f"Expect: {expect}\r\n{extra}\r\n"
    ).encode()


async def test_default_continue(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    first, final = await exchange(server.port, post("/default"), b"hello")
    assert first.startswith(b"HTTP/1.1 100 Continue")
    assert final.startswith(b"HTTP/1.1 200") and final.endswith(b"got 5 bytes")


async def test_unknown_expectation_is_417(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    first, final = await exchange(server.port, post("/default", expect="teapot"), b"hello")
    assert first == b""
    assert final.startswith(b"HTTP/1.1 417") and final.endswith(b"Unknown Expect: teapot")


async def test_http10_skips_the_check(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    head = b"POST /default HTTP/1.0\r\nContent-Length: 5\r\nExpect: teapot\r\n\r\nhello"
    _, final = await exchange(server.port, head)
    assert final.startswith(b"HTTP/1.1 200") and final.endswith(b"got 5 bytes")


async def test_custom_handler_refuses_without_100(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    first, final = await exchange(server.port, post("/auth"), b"hello")
    assert first == b""  # the client never saw 100 Continue, so it never sent the body
    assert final.startswith(b"HTTP/1.1 403") and final.endswith(b"403: Forbidden")


async def test_custom_handler_accepts(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    head = post("/auth", extra="Authorization: Bearer x\r\n")
    first, final = await exchange(server.port, head, b"hello")
    assert first.startswith(b"HTTP/1.1 100 Continue")
    assert final.endswith(b"got 5 bytes")


async def test_custom_handler_returns_a_response(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    head = post("/plan", extra="X-Plan: free\r\n").replace(b"POST", b"PUT", 1)
    first, final = await exchange(server.port, head, b"hello")
    assert first == b""
    assert final.startswith(b"HTTP/1.1 402") and final.endswith(b"upgrade first")
    head = post("/plan", extra="X-Plan: pro\r\n").replace(b"POST", b"PUT", 1)
    first, final = await exchange(server.port, head, b"hello")
    assert first.startswith(b"HTTP/1.1 100 Continue") and final.endswith(b"got 5 bytes")


async def test_seed_example_on_get(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    head = b"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n"
    _, final = await exchange(server.port, head)
    assert final.startswith(b"HTTP/1.1 403")
    head = b"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nAuthorization: y\r\n\r\n"
    _, final = await exchange(server.port, head)
    assert final.endswith(b"Hello, world")
