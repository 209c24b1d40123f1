"""``ClientWebSocketResponse``: aiohttp's client WebSocket API for the test client.

Two ways to reach the app: in process over ASGI (``ASGIWebSocketConnection``)
or over a real socket to a server on 127.0.0.1 (``wsproto``, the WebSocket
library uvicorn already depends on). Both keep reading in the background
and answer the server's close at once, as aiohttp's client does when it
reads the close frame, so closing from the server side never waits for a
test that is not reading.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from typing import Any, Protocol

import wsproto
import wsproto.events as ws_events
from wsproto.utilities import LocalProtocolError

from .inprocess import ASGIWebSocketConnection
from .websocket import WebSocketMessaging, WSCloseCode, WSMessage, WSMsgType

__all__ = ("ClientWebSocketResponse", "NetworkWebSocket", "InProcessWebSocket")

#: how long ``close()`` waits for the server to complete the close handshake
CLOSE_TIMEOUT = 10.0

_CLOSED = WSMessage(WSMsgType.CLOSED, None, None)
_CLOSING = WSMessage(WSMsgType.CLOSING, None, None)


class WebSocketTransport(Protocol):
    """What ``ClientWebSocketResponse`` needs from a connection."""

    async def send(self, data: str | bytes) -> None:
        """Send one message."""

    async def next_message(self) -> WSMessage:
        """The next message from the server (CLOSE once it closed)."""

    async def close(self, code: int, reason: str) -> int | None:
        """Close; the server's close code when it answered."""

    async def ping(self, payload: bytes) -> None:
        """Send a ping where the connection can."""


class InProcessWebSocket:
    """A WebSocket to an app in this process, through the ASGI messages."""

    def __init__(self, connection: ASGIWebSocketConnection) -> None:
        self._connection = connection

    async def send(self, data: str | bytes) -> None:
        """Deliver one message to the app."""
        if isinstance(data, str):
            self._connection.send_text(data)
        else:
            self._connection.send_bytes(data)

    async def next_message(self) -> WSMessage:
        """The app's next message: TEXT, BINARY, CLOSE (code, reason), or CLOSED."""
        message = await self._connection.next_event()
        if message is None:
            return WSMessage(WSMsgType.CLOSE, WSCloseCode.ABNORMAL_CLOSURE, "")
        if message["type"] == "websocket.send":
            text = message.get("text")
            if text is not None:
                return WSMessage(WSMsgType.TEXT, text, "")
            return WSMessage(WSMsgType.BINARY, message.get("bytes") or b"", "")
        if message["type"] == "websocket.close":
            return WSMessage(
                WSMsgType.CLOSE, message.get("code", 1000), message.get("reason") or ""
            )
        return WSMessage(WSMsgType.ERROR, RuntimeError(f"unexpected {message!r}"), None)

    async def close(self, code: int, reason: str) -> int | None:
        """``websocket.disconnect`` to the app, then wait for its handler to return."""
        await self._connection.close(code)
        return None

    async def ping(self, payload: bytes) -> None:
        """ASGI has no ping for the app to see: nothing to send."""


class NetworkWebSocket:
    """A WebSocket over a real TCP connection, framed by ``wsproto``."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        connection: wsproto.WSConnection,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._ws = connection
        self._messages: asyncio.Queue[WSMessage] = asyncio.Queue()
        self._close_reply: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._parts: list[Any] = []
        self._task = asyncio.create_task(self._read_loop())

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        target: str,
        headers: list[tuple[bytes, bytes]],
        protocols: list[str],
        timeout: float,
    ) -> tuple[NetworkWebSocket | None, int, list[tuple[bytes, bytes]], bytes, str | None]:
        """Open the connection: ``(ws or None, status, headers, body, subprotocol)``."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        connection = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
        writer.write(
            connection.send(
                ws_events.Request(
                    host=f"{host}:{port}",
                    target=target,
                    extra_headers=headers,
                    subprotocols=protocols,
                )
            )
        )
        await writer.drain()
        body = b""
        rejection: ws_events.RejectConnection | None = None
        async with asyncio.timeout(timeout):
            while True:
                data = await reader.read(65536)
                connection.receive_data(data or None)
                for event in connection.events():
                    if isinstance(event, ws_events.AcceptConnection):
                        ws = cls(reader, writer, connection)
                        return ws, 101, list(event.extra_headers), b"", event.subprotocol
                    if isinstance(event, ws_events.RejectConnection):
                        rejection = event
                        if not event.has_body:
                            break
                    elif isinstance(event, ws_events.RejectData):
                        body += event.data
                        if event.body_finished:
                            break
                else:
                    if data:
                        continue
                writer.close()
                status = rejection.status_code if rejection is not None else 0
                return None, status, list(rejection.headers if rejection else []), body, None

    async def _read_loop(self) -> None:
        try:
            # frames that came with the handshake answer are already buffered
            for event in self._ws.events():
                self._handle(event)
            while True:
                data = await self._reader.read(65536)
                self._ws.receive_data(data or None)
                for event in self._ws.events():
                    self._handle(event)
                if not data:
                    break
        except (ConnectionError, LocalProtocolError):
            pass
        finally:
            self._messages.put_nowait(WSMessage(WSMsgType.CLOSE, WSCloseCode.ABNORMAL_CLOSURE, ""))
            if not self._close_reply.done():
                self._close_reply.set_result(WSCloseCode.ABNORMAL_CLOSURE)
            self._writer.close()

    def _handle(self, event: ws_events.Event) -> None:
        if isinstance(event, (ws_events.TextMessage, ws_events.BytesMessage)):
            self._parts.append(event.data)
            if event.message_finished:
                parts, self._parts = self._parts, []
                if isinstance(event, ws_events.TextMessage):
                    self._messages.put_nowait(WSMessage(WSMsgType.TEXT, "".join(parts), ""))
                else:
                    self._messages.put_nowait(WSMessage(WSMsgType.BINARY, b"".join(parts), ""))
        elif isinstance(event, ws_events.Ping):
            self._write(self._ws.send(event.response()))
        elif isinstance(event, ws_events.CloseConnection):
            if (
                self._close_reply.done()
                or self._ws.state is wsproto.connection.ConnectionState.CLOSED
            ):
                pass
            else:
                # the server closed first: answer at once (aiohttp's autoclose)
                with contextlib.suppress(LocalProtocolError):
                    self._write(self._ws.send(event.response()))
                self._messages.put_nowait(
                    WSMessage(WSMsgType.CLOSE, event.code, event.reason or "")
                )
            if not self._close_reply.done():
                self._close_reply.set_result(event.code)

    def _write(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    async def send(self, data: str | bytes) -> None:
        """Send one message frame."""
        event: ws_events.Event = (
            ws_events.TextMessage(data=data)
            if isinstance(data, str)
            else ws_events.BytesMessage(data=data)
        )
        self._write(self._ws.send(event))
        await self._writer.drain()

    async def next_message(self) -> WSMessage:
        """The next message the server sent (CLOSE once it closed or the connection broke)."""
        return await self._messages.get()

    async def ping(self, payload: bytes) -> None:
        """Send a ping frame (the server answers with a pong, not shown as a message)."""
        self._write(self._ws.send(ws_events.Ping(payload=payload)))
        await self._writer.drain()

    async def close(self, code: int, reason: str) -> int | None:
        """Send a close frame and wait for the server's; its code, or ``None`` on time-out."""
        with contextlib.suppress(LocalProtocolError, ConnectionError):
            if self._ws.state is wsproto.connection.ConnectionState.OPEN:
                self._write(self._ws.send(ws_events.CloseConnection(code=code, reason=reason)))
                await self._writer.drain()
        try:
            return await asyncio.wait_for(asyncio.shield(self._close_reply), CLOSE_TIMEOUT)
        except asyncio.TimeoutError:
            return None
        finally:
            self._writer.close()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


def websocket_key() -> bytes:
    """A random ``Sec-WebSocket-Key`` value."""
    return base64.b64encode(os.urandom(16))


class ClientWebSocketResponse(WebSocketMessaging):
    """A client WebSocket with aiohttp's ``ClientWebSocketResponse`` API.

    >>> async with client.ws_connect("/ws") as ws:
    ...     await ws.send_str("hi")
    ...     msg = await ws.receive()
    ...     assert msg.type == WSMsgType.TEXT and msg.data == "hi"
    """

    def __init__(
        self,
        transport: WebSocketTransport,
        *,
        protocol: str | None = None,
        headers: Any = None,
        autoclose: bool = True,
        receive_timeout: float | None = None,
        decode_text: bool = True,
    ) -> None:
        self._transport = transport
        self._protocol = protocol
        self._response_headers = headers
        self._autoclose = autoclose
        self._receive_timeout = receive_timeout
        self._decode_text = decode_text
        self._closed = False
        self._closing = False
        self._close_code: int | None = None
        self._exception: BaseException | None = None
        self._waiting = False

    @property
    def closed(self) -> bool:
        """True once the close handshake was done (either side starting it)."""
        return self._closed

    @property
    def close_code(self) -> int | None:
        """The close code, once closed."""
        return self._close_code

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server chose."""
        return self._protocol

    @property
    def compress(self) -> int:
        """Compression is the server's business under ASGI: always 0 here."""
        return 0

    @property
    def client_notakeover(self) -> bool:
        """No compression, so no context takeover setting: always False."""
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport information; the test client has none to give."""
        return default

    def exception(self) -> BaseException | None:
        """The error that ended the connection, if any."""
        return self._exception

    # -- sending ---------------------------------------------------------------------

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a text message."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        await self._send(data)

    async def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | None = None
    ) -> None:
        """Send a binary message."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        await self._send(bytes(data))

    async def send_frame(self, message: bytes, opcode: int, compress: int | None = None) -> None:
        """Send a TEXT or BINARY frame by opcode."""
        if opcode == WSMsgType.TEXT:
            await self._send(message.decode("utf-8"))
        elif opcode == WSMsgType.BINARY:
            await self._send(bytes(message))
        else:
            raise ValueError(f"cannot send a frame with opcode {opcode!r} here")

    async def _send(self, data: str | bytes) -> None:
        if self._closed or self._closing:
            raise ConnectionResetError("Cannot write to closing transport")
        await self._transport.send(data)

    async def ping(self, message: bytes = b"") -> None:
        """Send a ping (over a real connection; in process ASGI has none)."""
        await self._transport.ping(message)

    async def pong(self, message: bytes = b"") -> None:
        """Unsolicited pongs are not sent by this client."""

    # -- receiving -------------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message; CLOSE when the server closes, CLOSED afterwards."""
        if self._waiting:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        if self._closed:
            return _CLOSED
        if self._closing:
            await self.close()
            return _CLOSED
        self._waiting = True
        try:
            wait = timeout or self._receive_timeout
            if wait:
                msg = await asyncio.wait_for(self._transport.next_message(), wait)
            else:
                msg = await self._transport.next_message()
        finally:
            self._waiting = False
        if msg.type is WSMsgType.CLOSE:
            self._closing = True
            self._close_code = msg.data
            if self._autoclose:
                await self._close_transport(msg.data)
            return msg
        if msg.type is WSMsgType.ERROR:
            self._exception = msg.data
            self._closing = True
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            await self.close()
            return msg
        if msg.type is WSMsgType.TEXT and not self._decode_text:
            return WSMessage(WSMsgType.TEXT, msg.data.encode("utf-8"), "")
        return msg

    # -- closing ---------------------------------------------------------------------

    async def _close_transport(self, code: int) -> None:
        self._closed = True
        await self._transport.close(code, "")

    async def close(self, *, code: int = WSCloseCode.OK, message: bytes = b"") -> bool:
        """Close (code 1000 by default); True if this call closed it."""
        if self._closed:
            return False
        self._closed = True
        reason = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        reply = await self._transport.close(code, reason)
        if not self._closing:
            self._close_code = reply if reply is not None else code
        self._closing = True
        return True

    async def __aenter__(self) -> ClientWebSocketResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<ClientWebSocketResponse {state} protocol={self._protocol!r}>"
