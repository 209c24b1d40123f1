"""Bounded memory under real uvicorn: a huge upload is refused early, a slow reader throttles.

Fault tests (docs/reliability.md): a client that starts a 1 GiB upload gets
413 after about ``client_max_size`` bytes, and the process's memory stays
flat; a client that reads a large streamed response slowly holds the
handler back (``await resp.write()`` waits), so what is buffered stays
bounded by the socket buffers, not by the response size.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

import pytest

from asgiweb import web

from .conftest import ServerFactory

GIB = 1024**3
CHUNK = 64 * 1024


def rss() -> int:
    """The resident set size of this process (where uvicorn runs), in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def upload_app() -> web.Application:
    async def read(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    async def form(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.post())))

    app = web.Application()  # client_max_size: 1 MiB
    app.router.add_post("/read", read)
    app.router.add_post("/form", form)
    return app


async def upload(
    port: int, path: str, chunked: bool, content_type: bytes, first: bytes = b""
) -> tuple[bytes, int]:
    """Start a 1 GiB upload and keep sending until the server answers; (answer, bytes sent).

    The body is *first* (a multipart part's headers, say) followed by ``x``s.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % GIB
    writer.write(
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type
        + b"\r\n" + framing + b"\r\n\r\n"
    )
    if first:
        writer.write(b"%x\r\n" % len(first) + first + b"\r\n" if chunked else first)
    piece = b"x" * CHUNK
    framed = b"%x\r\n" % CHUNK + piece + b"\r\n" if chunked else piece
    answer = asyncio.ensure_future(reader.read(65536))
    sent = 0
    try:
        while sent < GIB and not answer.done():
            writer.write(framed)
            drain = asyncio.ensure_future(writer.drain())
            await asyncio.wait([drain, answer], timeout=30, return_when=asyncio.FIRST_COMPLETED)
            if not drain.done():
                drain.cancel()
                break
            if drain.exception() is not None:
                break
            sent += CHUNK
        return await asyncio.wait_for(answer, 30), sent
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_a_1_gib_upload_is_refused_early_with_flat_memory(
    live_server: ServerFactory, http: str
) -> None:
    server = await live_server(upload_app(), http=http)
    before = rss()
    part = b'--b0\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n\r\n'
    cases = [
        ("/read", True, b"application/octet-stream", b""),
        ("/read", False, b"application/octet-stream", b""),
        ("/form", True, b"multipart/form-data; boundary=b0", part),
        ("/form", True, b"application/x-www-form-urlencoded", b"a="),
    ]
    for path, chunked, ctype, first in cases:
        answer, sent = await upload(server.port, path, chunked, ctype, first)
        assert answer.startswith(b"HTTP/1.1 413"), (path, chunked, ctype, answer[:80])
        assert sent < 64 * 1024 * 1024, (path, chunked, sent)  # refused after ~1 MiB, not 1 GiB
        label = f"{path} {ctype.decode()} chunked={chunked}"
        print(f"[{http}] {label}: 413 after {sent / 2**20:.1f} MiB sent")
    grown = rss() - before
    print(f"[{http}] RSS grew by {grown / 2**20:.1f} MiB over the four 1 GiB uploads")
    assert grown < 48 * 1024 * 1024


def stream_app(written: list[int]) -> web.Application:
    async def big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_type = "application/octet-stream"
        await resp.prepare(request)
        piece = b"y" * CHUNK
        for _ in range(1024):  # 64 MiB if anyone read it all
            await resp.write(piece)
            written[0] += len(piece)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/big", big)
    return app


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_a_slow_reader_holds_the_writer_back(live_server: ServerFactory, http: str) -> None:
    written = [0]
    server = await live_server(stream_app(written), http=http)
    before = rss()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, limit=CHUNK)
    writer.write(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    read = 0
    ahead = []
    try:
        while read < 8 * 1024 * 1024:
            data = await asyncio.wait_for(reader.read(16 * 1024), 30)
            assert data, "the response ended early"
            read += len(data)
            await asyncio.sleep(0.002)  # a slow client
            ahead.append(written[0] - read)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    grown = rss() - before
    print(
        f"[{http}] read {read / 2**20:.1f} MiB slowly; the handler was at most "
        f"{max(ahead) / 2**20:.1f} MiB ahead and wrote {written[0] / 2**20:.1f} MiB; "
        f"RSS grew by {grown / 2**20:.1f} MiB"
    )
    # The handler is never more than the socket buffers ahead of the reader.
    assert max(ahead) < 16 * 1024 * 1024, max(ahead)
    assert written[0] < 32 * 1024 * 1024
    assert grown < 48 * 1024 * 1024
