"""Shared fixtures: an in-process client and a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn

from asgiweb.testing import TestClient
from asgiweb.typedefs import ASGIApp

pytest_plugins = ["asgiweb.pytest_plugin", "tests.differential", "tests.redis_server"]

ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def client_for(asgiweb_client: ClientFactory) -> ClientFactory:
    """The plugin's ``asgiweb_client`` fixture, under the name these tests use."""
    return asgiweb_client


class LiveServer:
    """A uvicorn server serving an app on an ephemeral loopback port."""

    def __init__(self, app: ASGIApp, **config: Any) -> None:
        # IPPROTO_TCP lets asyncio set TCP_NODELAY (no ~40 ms wait per keep-alive response)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        config.setdefault("log_level", "warning")
        config.setdefault("lifespan", "on")
        self.server = uvicorn.Server(uvicorn.Config(app, **config))
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        for _ in range(500):
            if self.server.started:
                return
            if self.task.done():
                self.task.result()
                raise RuntimeError("uvicorn exited before it started")
            await asyncio.sleep(0.01)
        raise RuntimeError("uvicorn did not start within 5 s")

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)
        self.sock.close()

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=5, **kwargs)


ServerFactory = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
async def live_server() -> AsyncIterator[ServerFactory]:
    """``server = await live_server(app, http="h11")``: uvicorn on 127.0.0.1, stopped after."""
    servers: list[LiveServer] = []

    async def make(app: ASGIApp, **config: Any) -> LiveServer:
        server = LiveServer(app, **config)
        await server.start()
        servers.append(server)
        return server

    yield make
    for server in reversed(servers):
        await server.stop()


async def asgi_request(
    app: ASGIApp, raw_path: str, *, extensions: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """GET *raw_path* straight through the ASGI interface, as a server would pass it on.

    The path is percent-decoded for ``scope["path"]`` and kept as sent in
    ``raw_path``; returns every message the app sent.
    """
    from urllib.parse import unquote_to_bytes

    raw = raw_path.encode("latin-1", "backslashreplace")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote_to_bytes(raw).decode("utf-8", "surrogateescape"),
        "raw_path": raw,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "extensions": extensions or {},
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages
