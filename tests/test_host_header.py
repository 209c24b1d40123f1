"""Duplicate or missing ``Host`` is refused with 400 under every server, before the app."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asgiweb import web

from .conftest import ServerFactory


def host_app(seen: list[str]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        seen.append(request.host)
        return web.Response(text=f"host={request.host}")

    app = web.Application()
    app.router.add_get("/", handler)
    return app


async def raw_request(port: int, head: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(65536), 10)
        while b"\r\n\r\n" not in data:
            more = await asyncio.wait_for(reader.read(65536), 10)
            if not more:
                break
            data += more
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data else 0
    return status, data


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_duplicate_or_missing_host_is_400(live_server: ServerFactory, http: str) -> None:
    seen: list[str] = []
    server = await live_server(host_app(seen), http=http)
    duplicate = (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    status, data = await raw_request(server.port, duplicate)
    assert status == 400
    missing = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
    status, data = await raw_request(server.port, missing)
    assert status == 400
    assert seen == []  # neither reached the handler
    # HTTP/1.0 may leave Host out; one Host is the normal case
    status, data = await raw_request(server.port, b"GET / HTTP/1.0\r\n\r\n")
    assert status == 200
    status, data = await raw_request(
        server.port, b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
    )
    assert status == 200 and data.endswith(b"host=example.com")


async def test_messages_name_the_problem_in_process() -> None:
    seen: list[str] = []
    app = host_app(seen)

    async def call(headers: list[tuple[bytes, bytes]], version: str = "1.1") -> list[Any]:
        scope = {
            "type": "http",
            "http_version": version,
            "method": "GET",
            "scheme": "http",
            "path": "/",
            "raw_path": b"/",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
        }
        messages: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await app(scope, receive, send)
        return messages

    messages = await call([(b"host", b"a"), (b"host", b"b")])
    assert messages[0]["status"] == 400 and messages[1]["body"] == b"400: Duplicate Host header"
    messages = await call([])
    assert messages[0]["status"] == 400 and b"Missing Host header" in messages[1]["body"]
    # HTTP/2 carries :authority instead of Host
    assert (await call([], "2"))[0]["status"] == 200
    assert seen == [""]  # only the HTTP/2 request reached the handler
