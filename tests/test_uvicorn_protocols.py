"""The runner's uvicorn protocols: TCP_NODELAY on accepted sockets, aiohttp's head limits."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol

from asgiweb import web

HTTP_IMPLEMENTATIONS = ["h11", "httptools"]

Serve = Callable[..., Awaitable[tuple[int, list[str]]]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``port, calls = await serve(**runner_options)``: an app on the runner, stopped after."""
    runners: list[web.AppRunner] = []

    async def start(site: str = "tcp", **options: Any) -> tuple[int, list[str]]:
        calls: list[str] = []

        async def handler(request: web.Request) -> web.Response:
            body = await request.read()
            calls.append(request.path)
            return web.Response(text=f"{len(request.headers)} headers, {len(body)} bytes")

        app = web.Application(client_max_size=2**20)
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, **options)
        await runner.setup()
        runners.append(runner)
        if site == "sock":
            sock = socket.socket()  # proto 0: asyncio alone would not set TCP_NODELAY
            sock.bind(("127.0.0.1", 0))
            await web.SockSite(runner, sock).start()
        else:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner.addresses[0][1], calls

    yield start
    for runner in runners:
        await runner.cleanup()


def server_side_options(client_address: tuple[str, int]) -> tuple[int, int]:
    """TCP_NODELAY and SO_KEEPALIVE of this process's socket connected to *client_address*."""
    for name in os.listdir("/proc/self/fd"):
        try:
            sock = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue
        with sock:
            if sock.family != socket.AF_INET or sock.type != socket.SOCK_STREAM:
                continue
            try:
                peer = sock.getpeername()
            except OSError:
                continue
            if peer == client_address:
                return (
                    sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
                    sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                )
    raise AssertionError(f"no accepted socket for {client_address}")


async def exchange(port: int, raw: bytes, *, keep_open: bool = False) -> tuple[bytes, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if keep_open:
        return head, writer
    writer.close()
    return head, None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
@pytest.mark.parametrize(
    ("site", "http"),
    [("tcp", "h11"), ("tcp", "httptools"), ("sock", "h11"), ("sock", "httptools"),
     ("tcp", H11Protocol)],
)
async def test_accepted_socket_has_tcp_nodelay(serve: Serve, site: str, http: Any) -> None:
    port, _ = await serve(site, http=http)
    head, writer = await exchange(
        port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", keep_open=True
    )
    assert head.startswith(b"HTTP/1.1 200")
    client_address = writer.get_extra_info("sockname")
    nodelay, keepalive = server_side_options(client_address)
    writer.close()
    # Without TCP_NODELAY every keep-alive response waits for the client's delayed ACK.
    assert nodelay != 0
    if http is not H11Protocol:  # a protocol class of your own sets its own options
        assert keepalive != 0  # aiohttp's tcp_keepalive=True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
async def test_tcp_keepalive_can_be_turned_off(serve: Serve) -> None:
    port, _ = await serve(tcp_keepalive=False)
    _, writer = await exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", keep_open=True)
    nodelay, keepalive = server_side_options(writer.get_extra_info("sockname"))
    writer.close()
    assert (nodelay != 0, keepalive) == (True, 0)


def request(*headers: bytes, target: bytes = b"/", body: bytes = b"") -> bytes:
    lines = [b"POST " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.mark.parametrize("http", HTTP_IMPLEMENTATIONS)
async def test_oversized_head_is_refused_before_the_app(serve: Serve, http: str) -> None:
    port, calls = await serve(http=http)
    cases = {
        "64 KiB header": (request(b"X-Big: " + b"a" * 65536), b"431"),
        "8191-byte value": (request(b"X-Big: " + b"a" * 8191), b"431"),
        "9 KiB request line": (request(target=b"/" + b"a" * 9000), b"400"),
        "129 headers": (request(*[b"X-%d: 1" % i for i in range(128)]), b"431"),
    }
    for name, (raw, status) in cases.items():
        head, _ = await exchange(port, raw)
        assert head.split(b" ")[1] == status, name
    assert calls == []  # the app never saw them


@pytest.mark.parametrize("http", HTTP_IMPLEMENTATIONS)
async def test_heads_within_the_limits_pass(serve: Serve, http: str) -> None:
    port, calls = await serve(http=http)
    cases = [
        request(b"X-Big: " + b"a" * 8000),
        # Three near-limit fields: more than h11's own 16 KiB default allows.
        request(*[b"X-Big-%d: " % i + b"a" * 8000 for i in range(3)]),
        request(target=b"/" + b"a" * 8000),
        request(*[b"X-%d: 1" % i for i in range(120)]),
        # The head and a large body in one write: the body is not a header line.
        request(b"Content-Type: application/octet-stream", body=b"b" * 200_000),
        request(body=(b"x" * 9000 + b"\n") * 20),
    ]
    for raw in cases:
        head, _ = await exchange(port, raw)
        assert head.startswith(b"HTTP/1.1 200"), head
    assert len(calls) == len(cases)


@pytest.mark.parametrize("http", HTTP_IMPLEMENTATIONS)
async def test_head_split_across_writes_is_counted(serve: Serve, http: str) -> None:
    port, calls = await serve(http=http)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
    answer = asyncio.ensure_future(reader.readuntil(b"\r\n\r\n"))
    for _ in range(64):  # a header that grows 1 KiB at a time, until the server answers
        if writer.is_closing() or reader.at_eof():
            break
        try:
            writer.write(b"a" * 1024)
            await writer.drain()
        except ConnectionError:
            break
        # (a client still writing once the server stopped lingering would get a
        # reset, and lose the answer: a loaded machine can make this loop slow)
        await asyncio.wait({answer}, timeout=0.005)
        if answer.done():
            break
    head = await asyncio.wait_for(answer, 10)
    writer.close()
    assert head.startswith(b"HTTP/1.1 431")
    assert calls == []


@pytest.mark.parametrize("http", HTTP_IMPLEMENTATIONS)
async def test_keep_alive_requests_are_counted_one_by_one(serve: Serve, http: str) -> None:
    port, calls = await serve(http=http)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(5):  # each head is 6 KiB: only their sum is over the limit
        writer.write(request(b"X-Big: " + b"a" * 6000))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
    writer.close()
    assert len(calls) == 5


@pytest.mark.parametrize("http", HTTP_IMPLEMENTATIONS)
async def test_limits_are_configurable_with_aiohttp_names(serve: Serve, http: str) -> None:
    port, calls = await serve(http=http, max_field_size=100, max_line_size=50, max_headers=3)
    assert (await exchange(port, request(b"X-A: " + b"a" * 120)))[0].startswith(b"HTTP/1.1 431")
    assert (await exchange(port, request(target=b"/" + b"a" * 60)))[0].startswith(b"HTTP/1.1 400")
    assert (await exchange(port, request(b"A: 1", b"B: 2", b"C: 3")))[0].startswith(
        b"HTTP/1.1 431"
    )
    assert (await exchange(port, request(b"X-A: " + b"a" * 80)))[0].startswith(b"HTTP/1.1 200")
    assert len(calls) == 1


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_field_size must be a positive int, got 0"):
        web.AppRunner(web.Application(), max_field_size=0)


@pytest.mark.parametrize("http", ["LimitedHttpToolsProtocol", "LimitedH11Protocol"])
async def test_plain_uvicorn_gets_the_limits_by_class_name(
    live_server: Any, http: str
) -> None:
    """``uvicorn app:app --http asgiweb.uvicorn_protocols:LimitedHttpToolsProtocol``."""
    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", handler)
    server = await live_server(app, http=f"asgiweb.uvicorn_protocols:{http}")
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"
    head, _ = await exchange(server.port, big)
    assert head.startswith(b"HTTP/1.1 431")
    head, _ = await exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert calls == ["/"]
