"""Play the ASGI server for an app inside the test process: no sockets.

``StreamingASGITransport`` is an ``httpx`` transport that runs one app call
per request and hands the response back as soon as ``http.response.start``
arrives, so a response body streams (``httpx.ASGITransport`` waits for the
whole body). ``ASGIWebSocketConnection`` runs one WebSocket scope and, like
a server, answers the app's close at once, so a test that leaves
WebSockets open is torn down without waiting for close timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote_to_bytes

import httpx

from .typedefs import ASGIApp, Message

__all__ = ("ASGIWebSocketConnection", "StreamingASGITransport", "WebSocketDenied")

client_logger = logging.getLogger("asgiweb.test_utils")

#: how long closing a response or WebSocket waits for the app to return
APP_RETURN_TIMEOUT = 5.0


def _scope_path(url: httpx.URL) -> tuple[str, bytes]:
    raw_path = url.raw_path.split(b"?", 1)[0]
    return unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape"), raw_path


def _server_address(url: httpx.URL) -> tuple[str, int]:
    default = 443 if url.scheme in ("https", "wss") else 80
    return url.host, url.port or default


class _ResponseStream(httpx.AsyncByteStream):
    """The body messages the app sends, as they come; closing it disconnects the client."""

    def __init__(self, exchange: _HTTPExchange) -> None:
        self._exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._exchange.next_message()
            if message is None:
                return
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                self._exchange.response_complete = True
                return

    async def aclose(self) -> None:
        await self._exchange.close()


class _HTTPExchange:
    """One request/response: the app task and the two directions between it and us."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], request: httpx.Request) -> None:
        self._request = request
        self._from_app: asyncio.Queue[Message | None] = asyncio.Queue()
        self._disconnected = asyncio.Event()
        self._response_sent = asyncio.Event()
        self._body = request.stream.__aiter__()  # type: ignore[union-attr]
        self._body_done = False
        self.response_complete = False
        self._task = asyncio.create_task(self._run(app, scope))

    async def _run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self._receive, self._send)
        finally:
            self._from_app.put_nowait(None)

    async def _receive(self) -> Message:
        if not self._body_done:
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                self._body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": bytes(chunk), "more_body": True}
        # as uvicorn: once the response is sent (or the client left), disconnect
        await self._response_sent.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if self._disconnected.is_set():
            # as aiohttp's server, a write after the client left raises (uvicorn
            # drops it silently, and a handler that streams forever never ends)
            raise ConnectionResetError("the test client closed the connection")
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self._response_sent.set()
        self._from_app.put_nowait(message)

    async def next_message(self) -> Message | None:
        """The app's next ``http.response.*`` message; ``None`` once the app returned."""
        message = await self._from_app.get()
        if message is None:
            self._from_app.put_nowait(None)  # every later call sees the end too
            if self._task.done() and not self._task.cancelled():
                error = self._task.exception()
                if error is not None:
                    raise error
        return message

    async def close(self) -> None:
        """The client is done: the app's next ``receive()`` is ``http.disconnect``."""
        self._disconnected.set()
        self._response_sent.set()
        done, _ = await asyncio.wait({self._task}, timeout=APP_RETURN_TIMEOUT)
        if not done:
            self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # the client left first: nobody to answer
            client_logger.debug("the app raised after the test client closed", exc_info=exc)


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """An httpx transport that calls an ASGI app in process and streams its answer.

    >>> transport = StreamingASGITransport(app)
    >>> async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
    ...     response = await c.get("/")

    *state* is the lifespan state each request scope gets a copy of.
    An exception that escapes the app is raised in the test.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        client: tuple[str, int] = ("127.0.0.1", 123),
        root_path: str = "",
        state: dict[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.client = client
        self.root_path = root_path
        self.state = state

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the app for *request*; return when the response headers are sent."""
        url = request.url
        path, raw_path = _scope_path(url)
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": self.root_path + path,
            "raw_path": self.root_path.encode() + raw_path,
            "query_string": url.query,
            "root_path": self.root_path,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": self.client,
            "server": _server_address(url),
            "extensions": {},
        }
        if self.state is not None:
            scope["state"] = dict(self.state)
        exchange = _HTTPExchange(self.app, scope, request)
        message = await exchange.next_message()
        if message is None:
            await exchange.close()
            raise RuntimeError("the application returned without sending a response")
        if message["type"] != "http.response.start":
            await exchange.close()
            raise RuntimeError(f"expected http.response.start, the app sent {message!r}")
        return httpx.Response(
            status_code=message["status"],
            headers=list(message.get("headers") or []),
            stream=_ResponseStream(exchange),
            extensions={"http_version": b"HTTP/1.1"},
        )


class WebSocketDenied(Exception):
    """The app refused the handshake: ``status``, ``headers`` (byte pairs) and ``body``."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__(f"WebSocket handshake refused with {status}: {body[:200]!r}")
        self.status = status
        self.headers = headers
        self.body = body


class ASGIWebSocketConnection:
    """One WebSocket scope run in process, seen from the client side.

    ``next_event()`` gives what the app sent: ``websocket.send`` messages,
    then one ``websocket.close``, then ``None`` once the app returned. When
    the app closes, the connection answers with ``websocket.disconnect`` at
    once, as a server completing the close handshake would; a send after the
    client's close raises ``OSError``, as uvicorn's does.

    An exception that escapes the app is, by default, what a server makes of
    it: logged, and a close with 1011 (aiohttp's test client sees this). With
    ``raise_app_errors=True`` it is raised in the test instead, by the call
    that meets the app's end (``connect()``, ``next_event()``, ``close()``).

    >>> connection = ASGIWebSocketConnection(app, scope)
    >>> await connection.connect()
    >>> connection.send_text("hi")
    >>> await connection.next_event()
    {'type': 'websocket.send', 'text': 'hi'}
    """

    def __init__(
        self, app: ASGIApp, scope: dict[str, Any], *, raise_app_errors: bool = False
    ) -> None:
        self._app = app
        self.scope = scope
        self._raise_app_errors = raise_app_errors
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.subprotocol: str | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self._disconnect_sent = False
        self.error: BaseException | None = None

    async def _run(self) -> None:
        try:
            await self._app(self.scope, self._to_app.get, self._send)
        except Exception as exc:
            self.error = exc
            if self._raise_app_errors:
                raise
            client_logger.error("WebSocket handler raised", exc_info=exc)
            self._from_app.put_nowait({"type": "websocket.close", "code": 1011, "reason": ""})
        finally:
            self._from_app.put_nowait(None)

    async def _send(self, message: Message) -> None:
        if self._disconnect_sent and message["type"] != "websocket.close":
            raise OSError("the WebSocket is closed")
        self._from_app.put_nowait(message)
        if message["type"] == "websocket.close":
            self._disconnect(message.get("code", 1000))

    def _disconnect(self, code: int) -> None:
        if not self._disconnect_sent:
            self._disconnect_sent = True
            self._to_app.put_nowait({"type": "websocket.disconnect", "code": code})

    async def connect(self, timeout: float = APP_RETURN_TIMEOUT) -> None:
        """Send ``websocket.connect``; return once accepted, raise ``WebSocketDenied`` if not.

        A close before the accept is denied with 403, as a server answers it;
        an app that returns without either, or sends something else first,
        with 500.
        """
        self._to_app.put_nowait({"type": "websocket.connect"})
        self._task = asyncio.create_task(self._run())
        message = await self._next(timeout)
        if message is not None and message["type"] == "websocket.accept":
            self.subprotocol = message.get("subprotocol")
            self.headers = list(message.get("headers") or [])
            return
        if message is not None and message["type"] == "websocket.http.response.start":
            body = b""
            while True:
                part = await self._next(timeout)
                if part is None or part["type"] != "websocket.http.response.body":
                    break
                body += part.get("body", b"")
                if not part.get("more_body"):
                    break
            await self._finish()
            raise WebSocketDenied(message["status"], list(message.get("headers") or []), body)
        await self._finish()
        if self.error is None and message is not None and message["type"] == "websocket.close":
            raise WebSocketDenied(403, [], b"")
        body = b"" if message is None or self.error is not None else repr(message).encode()
        raise WebSocketDenied(500, [], body)

    async def _next(self, timeout: float | None) -> Message | None:
        message = await asyncio.wait_for(self._from_app.get(), timeout)
        if message is None:
            self._from_app.put_nowait(None)  # every later call sees the end too
            self._raise_app_error()
        return message

    def _raise_app_error(self) -> None:
        task = self._task
        if self._raise_app_errors and task is not None and task.done() and not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error

    async def next_event(self, timeout: float | None = None) -> Message | None:
        """The next message from the app; ``None`` once it returned."""
        return await self._next(timeout)

    def send_text(self, data: str) -> None:
        """Deliver a text message to the app."""
        self._to_app.put_nowait({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        """Deliver a binary message to the app."""
        self._to_app.put_nowait({"type": "websocket.receive", "bytes": data})

    async def close(self, code: int = 1000, timeout: float = APP_RETURN_TIMEOUT) -> None:
        """Close from the client side (``websocket.disconnect``) and wait for the app.

        An app still running after *timeout* seconds is cancelled (and, with
        ``raise_app_errors``, ``TimeoutError`` is raised).
        """
        self._disconnect(code)
        await self._finish(timeout)

    async def _finish(self, timeout: float = APP_RETURN_TIMEOUT) -> None:
        task = self._task
        if task is None:
            return
        if not task.done():
            done, _ = await asyncio.wait({task}, timeout=timeout)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                if self._raise_app_errors:
                    raise TimeoutError(f"the app did not return within {timeout} s")
                return
        self._raise_app_error()

    @property
    def app_returned(self) -> bool:
        """Whether the app's call for this WebSocket has ended."""
        return self._task is not None and self._task.done()
