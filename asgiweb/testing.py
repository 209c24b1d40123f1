"""``TestClient``: drive an application in process over ASGI.

HTTP goes through ``httpx.AsyncClient`` with ``httpx.ASGITransport``; entering
the client runs the ASGI lifespan startup, leaving it runs shutdown.

>>> async with TestClient(app) as client:
...     response = await client.get("/")
...     assert response.status_code == 200
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any

import httpx

from .inprocess import ASGIWebSocketConnection, WebSocketDenied
from .lifespan import LifespanDriver, LifespanError
from .typedefs import ASGIApp
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


class WSServerHandshakeError(WebSocketDenied):
    """The application refused the WebSocket handshake; ``status``, ``headers``, ``body``."""


class WebSocketTestSession:
    """An in-process WebSocket client speaking ASGI to the app (``client.ws_connect()``).

    Built on :class:`~asgiweb.inprocess.ASGIWebSocketConnection`, with the
    app's exceptions raised in the test. Every wait has a timeout (5 s by
    default), so a test that expects a message the app never sends fails
    with ``TimeoutError`` instead of hanging.
    """

    def __init__(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        self._connection = ASGIWebSocketConnection(app, scope, raise_app_errors=True)
        self.protocol: str | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._closed = False

    async def connect(self, timeout: float = 5.0) -> WebSocketTestSession:
        """Perform the handshake; ``WSServerHandshakeError`` when the app refuses it."""
        connection = self._connection
        try:
            await connection.connect(timeout)
        except WebSocketDenied as denied:
            raise WSServerHandshakeError(denied.status, denied.headers, denied.body) from None
        self.protocol = connection.subprotocol
        self.headers = connection.headers
        return self

    async def send_str(self, data: str) -> None:
        """Send a text message to the app."""
        self._connection.send_text(data)

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message to the app."""
        self._connection.send_bytes(data)

    async def send_json(self, data: Any) -> None:
        """Send *data* as a JSON text message."""
        await self.send_str(json.dumps(data))

    async def receive(self, timeout: float = 5.0) -> WSMessage:
        """The next message from the app; CLOSE when it closes, CLOSED once it is gone."""
        if self._closed:
            return WSMessage(WSMsgType.CLOSED, None, None)
        message = await self._connection.next_event(timeout)
        kind = None if message is None else message["type"]
        if message is not None and kind == "websocket.send":
            if message.get("text") is not None:
                return WSMessage(WSMsgType.TEXT, message["text"], None)
            return WSMessage(WSMsgType.BINARY, message.get("bytes", b""), None)
        self._closed = True
        if message is not None and kind == "websocket.close":
            self.close_code = message.get("code", 1000)
            self.close_reason = message.get("reason") or ""
            return WSMessage(WSMsgType.CLOSE, self.close_code, self.close_reason)
        if self.close_code is None:
            # the app returned without closing (a server closes with 1011), or
            # sent something a WebSocket cannot carry
            self.close_code = 1011 if message is None else 1006
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
        """Close from the client side and wait for the handler to return.

        Raises what the app raised, or ``TimeoutError`` if it is still running
        after *timeout* seconds (it is then cancelled).
        """
        if not self._closed:
            self._closed = True
            self.close_code = code
        await self._connection.close(code, timeout)

    async def __aenter__(self) -> WebSocketTestSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
