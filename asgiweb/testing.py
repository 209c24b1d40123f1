"""``TestClient``: drive an application in process over ASGI.

HTTP goes through ``httpx.AsyncClient`` with ``httpx.ASGITransport``; entering
the client runs the ASGI lifespan startup, leaving it runs shutdown.

>>> async with TestClient(app) as client:
...     response = await client.get("/")
...     assert response.status_code == 200
"""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any

import httpx

from .lifespan import LifespanDriver, LifespanError
from .typedefs import ASGIApp, Message
from .websocket import WSMessage, WSMsgType

__all__ = ("LifespanError", "TestClient", "WSServerHandshakeError", "WebSocketTestSession")


class TestClient:
    """An in-process client for an ASGI app: HTTP via httpx, lifespan on enter/exit.

    Every ``get``/``post``/… returns an ``httpx.Response``; ``client.http`` is the
    underlying ``httpx.AsyncClient``.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str = "http://testserver",
        lifespan: bool = True,
        client: tuple[str, int] = ("127.0.0.1", 123),
        **client_kwargs: Any,
    ) -> None:
        self.app = app
        self._client_address = client
        self._lifespan = LifespanDriver(app) if lifespan else None
        self._websockets: list[WebSocketTestSession] = []
        transport = httpx.ASGITransport(app=app, client=client)
        self.http = httpx.AsyncClient(transport=transport, base_url=base_url, **client_kwargs)

    async def __aenter__(self) -> TestClient:
        if self._lifespan is not None:
            await self._lifespan.startup()
        await self.http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # WebSockets left open close first, as aiohttp's test client does, so
        # shutdown handlers that close them find them gone, not waiting.
        for ws in self._websockets:
            await ws.close()
        await self.http.__aexit__(exc_type, exc, tb)
        if self._lifespan is not None:
            await self._lifespan.shutdown()

    async def ws_connect(
        self,
        path: str,
        *,
        protocols: tuple[str, ...] | list[str] = (),
        headers: dict[str, str] | None = None,
        denial_responses: bool = True,
    ) -> WebSocketTestSession:
        """Open a WebSocket to *path* in process; use it as ``async with``.

        >>> async with await client.ws_connect("/ws") as ws:
        ...     await ws.send_str("hi")
        ...     assert await ws.receive_str() == "hi"

        ``denial_responses=False`` simulates a server without the ASGI
        WebSocket denial-response extension.
        """
        url = httpx.URL(str(self.http.base_url).rstrip("/") + path)
        raw_headers = [(b"host", (url.netloc or b"testserver"))]
        raw_headers += [
            (b"sec-websocket-version", b"13"),
            (b"upgrade", b"websocket"),
            (b"connection", b"upgrade"),
        ]
        if protocols:
            raw_headers.append((b"sec-websocket-protocol", ", ".join(protocols).encode()))
        for name, value in (headers or {}).items():
            raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "ws" if url.scheme == "http" else "wss",
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "root_path": "",
            "headers": raw_headers,
            "client": self._client_address,
            "server": (url.host, url.port or 80),
            "subprotocols": list(protocols),
            "extensions": {"websocket.http.response": {}} if denial_responses else {},
            "state": dict(self._lifespan.state) if self._lifespan else {},
        }
        session = await WebSocketTestSession(self.app, scope).connect()
        self._websockets.append(session)
        return session

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request to the app; an ``httpx.Response``."""
        return await self.http.request(method, url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """``GET`` *url*."""
        return await self.http.get(url, **kwargs)

    async def head(self, url: str, **kwargs: Any) -> httpx.Response:
        """``HEAD`` *url*."""
        return await self.http.head(url, **kwargs)

    async def options(self, url: str, **kwargs: Any) -> httpx.Response:
        """``OPTIONS`` *url*."""
        return await self.http.options(url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """``POST`` to *url*."""
        return await self.http.post(url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        """``PUT`` to *url*."""
        return await self.http.put(url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        """``PATCH`` to *url*."""
        return await self.http.patch(url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        """``DELETE`` *url*."""
        return await self.http.delete(url, **kwargs)


class WSServerHandshakeError(Exception):
    """The application refused the WebSocket handshake; ``status``, ``headers``, ``body``."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__(f"WebSocket handshake refused with {status}: {body[:200]!r}")
        self.status = status
        self.headers = headers
        self.body = body


class WebSocketTestSession:
    """An in-process WebSocket client speaking ASGI to the app (``client.ws_connect()``)."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        self._app = app
        self._scope = scope
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.protocol: str | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._closed = False
        self._disconnect_sent = False

    def _disconnect(self, code: int) -> None:
        if not self._disconnect_sent:
            self._disconnect_sent = True
            self._to_app.put_nowait({"type": "websocket.disconnect", "code": code})

    async def _from_app_put(self, message: Message) -> None:
        await self._from_app.put(message)
        if message["type"] == "websocket.close":
            # a server completes the close handshake at once; the app need not
            # wait for the test to read the close
            self._disconnect(message.get("code", 1000))

    async def _run(self) -> None:
        try:
            await self._app(self._scope, self._to_app.get, self._from_app_put)
        finally:
            await self._from_app.put({"type": "app.returned"})

    async def _next(self, timeout: float) -> Message:
        message = await asyncio.wait_for(self._from_app.get(), timeout)
        if message["type"] == "app.returned" and self._task is not None and self._task.done():
            error = self._task.exception()
            if error is not None:
                raise error
        return message

    async def connect(self, timeout: float = 5.0) -> WebSocketTestSession:
        """Perform the handshake; the subprotocol the app accepted."""
        await self._to_app.put({"type": "websocket.connect"})
        self._task = asyncio.create_task(self._run())
        message = await self._next(timeout)
        if message["type"] == "websocket.accept":
            self.protocol = message.get("subprotocol")
            self.headers = list(message.get("headers") or [])
            return self
        if message["type"] == "websocket.http.response.start":
            body = b""
            while True:
                part = await self._next(timeout)
                if part["type"] != "websocket.http.response.body":
                    break
                body += part.get("body", b"")
                if not part.get("more_body"):
                    break
            raise WSServerHandshakeError(message["status"], message.get("headers", []), body)
        if message["type"] == "websocket.close":
            raise WSServerHandshakeError(403, [], b"")
        raise WSServerHandshakeError(500, [], repr(message).encode())

    async def send_str(self, data: str) -> None:
        """Send a text message to the app."""
        await self._to_app.put({"type": "websocket.receive", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message to the app."""
        await self._to_app.put({"type": "websocket.receive", "bytes": data})

    async def send_json(self, data: Any) -> None:
        """Send *data* as a JSON text message."""
        await self.send_str(json.dumps(data))

    async def receive(self, timeout: float = 5.0) -> WSMessage:
        """The next message from the app; CLOSE when it closes, CLOSED once it is gone."""
        if self._closed:
            return WSMessage(WSMsgType.CLOSED, None, None)
        message = await self._next(timeout)
        kind = message["type"]
        if kind == "websocket.send":
            if message.get("text") is not None:
                return WSMessage(WSMsgType.TEXT, message["text"], None)
            return WSMessage(WSMsgType.BINARY, message.get("bytes", b""), None)
        if kind == "websocket.close":
            self._closed = True
            self.close_code = message.get("code", 1000)
            self.close_reason = message.get("reason") or ""
            self._disconnect(self.close_code)
            return WSMessage(WSMsgType.CLOSE, self.close_code, self.close_reason)
        self._closed = True
        if self.close_code is None:
            self.close_code = 1011 if kind == "app.returned" else 1006
        return WSMessage(WSMsgType.CLOSED, None, None)

    async def receive_str(self, timeout: float = 5.0) -> str:
        """The next message from the app, which must be text."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.TEXT:
            raise TypeError(f"Received {msg.type!r} ({msg.data!r}), not TEXT")
        return str(msg.data)

    async def receive_bytes(self, timeout: float = 5.0) -> bytes:
        """The next message from the app, which must be binary."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.BINARY:
            raise TypeError(f"Received {msg.type!r} ({msg.data!r}), not BINARY")
        return bytes(msg.data)

    async def receive_json(self, timeout: float = 5.0) -> Any:
        """The next text message from the app, parsed as JSON."""
        return json.loads(await self.receive_str(timeout))

    @property
    def closed(self) -> bool:
        """True once the app closed the WebSocket."""
        return self._closed

    async def close(self, code: int = 1000, timeout: float = 5.0) -> None:
        """Close from the client side and wait for the handler to return."""
        if not self._closed:
            self._closed = True
            self.close_code = code
            self._disconnect(code)
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            finally:
                if not self._task.done():
                    self._task.cancel()

    async def __aenter__(self) -> WebSocketTestSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
