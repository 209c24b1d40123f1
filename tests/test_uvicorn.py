"""asgiweb behind a real uvicorn on 127.0.0.1 (h11 and httptools parsers)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from asgiweb import web

from .conftest import ServerFactory

READ_BYTES = web.AppKey("read_bytes", list[int])

#: uvicorn pauses reading once a request's unread body passes this many bytes
UVICORN_HIGH_WATER = 64 * 1024
#: the most asyncio's socket transport reads at once
ASYNCIO_READ_SIZE = 256 * 1024

pytestmark = pytest.mark.parametrize("http", ["h11", "httptools"])


def make_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.match_info.get('name', 'world')}")

    async def upload(request: web.Request) -> web.Response:
        try:
            body = await request.read()
        finally:
            request.app[READ_BYTES].append(request.content.total_bytes)
        return web.json_response({"size": len(body)})

    async def stream_in(request: web.Request) -> web.Response:
        total = 0
        async for chunk in request.content.iter_chunked(64 * 1024):
            total += len(chunk)
        return web.json_response({"size": total})

    async def broken_stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b"partial")
        raise RuntimeError("failure after headers")

    app = web.Application(client_max_size=64 * 1024)
    app[READ_BYTES] = []
    app.router.add_get("/", hello)
    app.router.add_get("/hello/{name}", hello)
    app.router.add_post("/upload", upload)
    app.router.add_post("/stream-in", stream_in)
    app.router.add_get("/broken", broken_stream)
    return app


async def test_basic_requests(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    async with server.client() as client:
        assert (await client.get("/")).text == "hello world"
        assert (await client.get("/hello/ann")).text == "hello ann"
        head = await client.head("/")
        assert head.headers["content-length"] == "11"
        assert head.content == b""
        assert (await client.get("/nope")).status_code == 404


async def test_large_upload_is_refused_at_the_limit(live_server: ServerFactory, http: str) -> None:
    app = make_app()
    server = await live_server(app, http=http)
    sent = 0

    async def endless() -> object:
        nonlocal sent
        chunk = b"x" * 65536
        for _ in range(1600):  # 100 MiB if it were all read
            sent += len(chunk)
            yield chunk

    async with server.client() as client:
        r = await client.post("/upload", content=endless())
    assert r.status_code == 413
    assert r.text == f"Maximum request body size {64 * 1024} exceeded."
    # The client sent 100 MiB (uvicorn drains and discards what the app did not
    # read, as aiohttp does), but the app took in no more than the limit plus
    # one ASGI message. uvicorn collects body bytes into the next message until
    # they pass its 64 KiB high-water mark and it pauses reading; the read that
    # passes the mark can bring up to 256 KiB (asyncio's read size). On an idle
    # machine each message is about one read; on a busy one the app is slower
    # to ask, and a message grows to the whole bound.
    assert sent == 1600 * 65536
    [read] = app[READ_BYTES]
    assert read <= 64 * 1024 + UVICORN_HIGH_WATER + ASYNCIO_READ_SIZE


async def test_streaming_read_is_not_limited(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)

    async def body() -> object:
        for _ in range(32):
            yield b"y" * 65536

    async with server.client() as client:
        r = await client.post("/stream-in", content=body())
    assert r.json() == {"size": 32 * 65536}


async def test_error_after_headers_aborts_connection(
    live_server: ServerFactory, http: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = await live_server(make_app(), http=http)
    with caplog.at_level(logging.CRITICAL):
        async with server.client() as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/broken")
            # the server is still fine for the next request
            assert (await client.get("/")).status_code == 200


async def test_concurrent_requests(live_server: ServerFactory, http: str) -> None:
    server = await live_server(make_app(), http=http)
    async with server.client() as client:
        results = await asyncio.gather(*(client.get(f"/hello/{i}") for i in range(50)))
    assert [r.text for r in results] == [f"hello {i}" for i in range(50)]
