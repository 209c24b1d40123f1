"""``WebSocketResponse``: aiohttp's server-side WebSocket API over the ASGI protocol.

The ASGI server owns the WebSocket framing, pings and pongs; this module maps
aiohttp's API onto the ``websocket.*`` messages. One task reads at a time
(a second concurrent ``receive()`` raises ``RuntimeError``); any task may
send or close.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import warnings
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, NoReturn, Self, TypeVar

from .exceptions import HTTPBadRequest
from .response import StreamResponse, encode_headers
from .streams import ClientDisconnectedError
from .typedefs import Message, Scope, Send

if TYPE_CHECKING:
    from .request import BaseRequest

ws_logger = logging.getLogger("asgiweb.websocket")

__all__ = (
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "WebSocketReady",
    "WebSocketResponse",
    "WSMessageTypeError",
    "ASGIPingWarning",
    "WebSocketMessaging",
)


class WSCloseCode(enum.IntEnum):
    """WebSocket close codes (RFC 6455, section 7.4.1)."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMsgType(enum.IntEnum):
    """Message types: the WebSocket opcodes plus aiohttp's CLOSING, CLOSED and ERROR."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102

    text = TEXT
    binary = BINARY
    ping = PING
    pong = PONG
    close = CLOSE
    closing = CLOSING
    closed = CLOSED
    error = ERROR


class WSMessage(NamedTuple):
    """A received message: ``type``, ``data`` (str, bytes, close code or error), ``extra``.

    ``extra`` is ``''`` for TEXT and BINARY messages, the close reason for CLOSE,
    and ``None`` otherwise (as in aiohttp).
    """

    type: WSMsgType
    data: Any
    extra: str | None

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """Parse ``data`` as JSON."""
        return loads(self.data)


# Building the tuple directly skips NamedTuple's Python-level __new__.
_new_message: Callable[[tuple[WSMsgType, Any, str | None]], WSMessage] = partial(
    tuple.__new__, WSMessage
)
_END_OF_STREAM = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED})
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY

WS_CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)
WS_CLOSING_MESSAGE = WSMessage(WSMsgType.CLOSING, None, None)


class WebSocketError(Exception):
    """A WebSocket protocol error, with the close code it leads to."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.args[1])


class WSMessageTypeError(TypeError):
    """``receive_str()``/``receive_bytes()`` got a message of another type."""


class ASGIPingWarning(RuntimeWarning):
    """The application asked for a WebSocket ping or pong, which ASGI cannot send."""


class WebSocketReady(NamedTuple):
    """The answer of ``can_prepare()``: whether a handshake is possible, and the protocol."""

    ok: bool
    protocol: str | None

    def __bool__(self) -> bool:
        return self.ok


class WebSocketMessaging:
    """aiohttp's typed send and receive methods and ``async for``, on three primitives.

    A class that has ``send_str``, ``send_bytes`` and ``receive`` gets
    ``send_json``, ``send_json_bytes``, ``receive_str``, ``receive_bytes``,
    ``receive_json`` and iteration over its messages; shared by the server's
    :class:`WebSocketResponse` and the test client's ``ClientWebSocketResponse``.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        async def send_str(self, data: str, compress: int | None = None) -> None: ...

        async def send_bytes(
            self, data: bytes | bytearray | memoryview, compress: int | None = None
        ) -> None: ...

        async def receive(self, timeout: float | None = None) -> WSMessage: ...

    async def send_json(
        self,
        data: Any,
        compress: int | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> None:
        """Send *data* serialized by *dumps* as a text message."""
        await self.send_str(dumps(data), compress=compress)

    async def send_json_bytes(
        self,
        data: Any,
        compress: int | None = None,
        *,
        dumps: Callable[[Any], bytes],
    ) -> None:
        """Send *data* serialized by *dumps* (to bytes) as a binary message."""
        await self.send_bytes(dumps(data), compress=compress)

    async def receive_str(self, *, timeout: float | None = None) -> str:
        """The next message, which must be text (else ``WSMessageTypeError``).

        With ``decode_text=False`` the text comes as UTF-8 bytes, as in aiohttp.
        """
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.TEXT:
            raise WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT"
            )
        return msg.data  # type: ignore[no-any-return]

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """The next message, which must be binary (else ``WSMessageTypeError``)."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.BINARY:
            raise WSMessageTypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.BINARY"
            )
        return msg.data  # type: ignore[no-any-return]

    async def receive_json(
        self, *, loads: Callable[[Any], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        """The next text message, parsed by *loads*."""
        data = await self.receive_str(timeout=timeout)
        return loads(data)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg[0] in _END_OF_STREAM:
            raise StopAsyncIteration
        return msg


_DecodeText = TypeVar("_DecodeText", bound=bool)


class WebSocketResponse(WebSocketMessaging, StreamResponse, Generic[_DecodeText]):
    """A WebSocket connection, answered from a handler.

    >>> async def echo(request):
    ...     ws = web.WebSocketResponse()
    ...     await ws.prepare(request)
    ...     async for msg in ws:
    ...         if msg.type == WSMsgType.TEXT:
    ...             await ws.send_str(msg.data)
    ...     return ws
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        protocols: Iterable[str] = (),
        compress: bool = True,
        max_msg_size: int = 4 * 1024 * 1024,
        writer_limit: int = 64 * 1024,
        decode_text: bool = True,
    ) -> None:
        super().__init__(status=101)
        self._protocols = tuple(protocols)
        self._timeout = timeout
        self._receive_timeout = receive_timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._compress = compress
        self._max_msg_size = max_msg_size
        self._decode_text = decode_text
        self._ws_protocol: str | None = None
        self._asgi_receive: Any = None
        self._asgi_send: Any = None
        self._closed = False
        self._closing = False
        self._close_code: int | None = None
        self._waiting = False
        self._peer_closed: asyncio.Future[None] | None = None
        self._exception: BaseException | None = None
        self._conn_lost = 0
        self._warned_ping = False
        self._request: BaseRequest | None = None
        self._handler_done = False  # write_eof() ran: the handler returned

    # -- handshake -----------------------------------------------------------

    def _handshake(self, request: BaseRequest) -> str | None:
        """The negotiated subprotocol; ``HTTPBadRequest`` if this is no WebSocket request."""
        if request.scope.get("type") != "websocket":
            upgrade = request.headers.get("Upgrade")
            raise HTTPBadRequest(
                text=(f'No WebSocket UPGRADE hdr: {upgrade}\n Can "Upgrade" only to "WebSocket".')
            )
        requested = [str(p).strip() for p in request.scope.get("subprotocols", ())]
        if not requested and "Sec-WebSocket-Protocol" in request.headers:
            requested = [p.strip() for p in request.headers["Sec-WebSocket-Protocol"].split(",")]
        if not requested:
            return None
        for proto in requested:
            if proto in self._protocols:
                return proto
        ws_logger.warning(
            "%s: Client protocols %r don’t overlap server-known ones %r",
            request.remote,
            requested,
            self._protocols,
        )
        return None

    def can_prepare(self, request: BaseRequest) -> WebSocketReady:
        """Whether ``prepare(request)`` would succeed, and with which subprotocol."""
        if self._asgi_send is not None:
            raise RuntimeError("Already started")
        try:
            protocol = self._handshake(request)
        except HTTPBadRequest:
            return WebSocketReady(False, None)
        return WebSocketReady(True, protocol)

    async def prepare(self, request: BaseRequest) -> None:
        """Accept the WebSocket (``websocket.accept``), after ``on_response_prepare``."""
        if self._asgi_send is not None:
            return
        protocol = self._handshake(request)
        connection = request.connection
        message = await connection.receive()
        if message["type"] != "websocket.connect":
            raise ClientDisconnectedError("Connection lost")
        self._request = request
        self._ws_protocol = protocol
        self.set_status(101)  # the handshake's status, whatever was set before
        self._asgi_receive = connection.receive
        self._asgi_send = connection.websocket_send or connection.send
        if self._heartbeat is not None:
            self._warn_no_ping("heartbeat")
        hook = connection.prepare_hook
        if hook is not None:
            await hook(request, self)
        accept: dict[str, Any] = {"type": "websocket.accept", "subprotocol": protocol}
        extra_headers = [
            (name, value)
            for name, value in encode_headers(self.headers)
            if name.lower() not in (b"content-type", b"sec-websocket-protocol")
        ]
        if extra_headers:
            accept["headers"] = extra_headers
        await connection.accept_websocket(accept)

    @property
    def prepared(self) -> bool:
        return self._asgi_send is not None

    @property
    def closed(self) -> bool:
        """True once the WebSocket is closed."""
        return self._closed

    @property
    def close_code(self) -> int | None:
        """The close code, once closed."""
        return self._close_code

    @property
    def ws_protocol(self) -> str | None:
        """The negotiated subprotocol, if any."""
        return self._ws_protocol

    @property
    def compress(self) -> bool:
        """Whether compression was asked for (the server negotiates it)."""
        return self._compress

    def exception(self) -> BaseException | None:
        """The exception that ended the connection, if any."""
        return self._exception

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``peername`` and ``sockname`` from the ASGI scope."""
        if self._request is None:
            return default
        return self._request.get_extra_info(name, default)

    # -- sending ---------------------------------------------------------------

    def _check_can_send(self) -> None:
        if self._asgi_send is None:
            raise RuntimeError("Call .prepare() first")
        if self._closed or self._closing:
            raise ConnectionResetError("Cannot write to closing transport")

    async def _send_message(self, message: dict[str, Any]) -> None:
        self._check_can_send()
        try:
            await self._asgi_send(message)
        except OSError as exc:
            self._lost(exc)

    def _lost(self, exc: OSError) -> NoReturn:
        """The server reported a connection that is gone while we sent."""
        self._closing = True
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        raise ConnectionResetError("Cannot write to closing transport") from exc

    async def send_str(self, data: str, compress: int | None = None) -> None:
        """Send a text message."""
        if type(data) is not str and not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        if self._closing or self._closed or self._asgi_send is None:
            self._check_can_send()
        try:
            await self._asgi_send({"type": "websocket.send", "text": data})
        except OSError as exc:
            self._lost(exc)

    async def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | None = None
    ) -> None:
        """Send a binary message."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        await self._send_message({"type": "websocket.send", "bytes": bytes(data)})

    async def send_frame(
        self, message: bytes, opcode: WSMsgType, compress: int | None = None
    ) -> None:
        """Send a raw frame: TEXT and BINARY map to ASGI; PING/PONG go to the server (see ping)."""
        if opcode == WSMsgType.TEXT:
            await self.send_str(message.decode("utf-8"))
        elif opcode == WSMsgType.BINARY:
            await self.send_bytes(message)
        elif opcode in (WSMsgType.PING, WSMsgType.PONG):
            self._check_can_send()
            self._warn_no_ping(opcode.name.lower())
        elif opcode == WSMsgType.CLOSE:
            code = int.from_bytes(message[:2], "big") if len(message) >= 2 else WSCloseCode.OK
            await self.close(code=code, message=message[2:])
        else:
            raise ValueError(f"Cannot send a frame with opcode {opcode!r} over ASGI")

    async def ping(self, message: bytes = b"") -> None:
        """ASGI cannot send pings from the app: the server's own keep-alive pings do this job.

        Warns once per connection with :class:`ASGIPingWarning` and sends nothing.
        """
        self._check_can_send()
        self._warn_no_ping("ping")

    async def pong(self, message: bytes = b"") -> None:
        """ASGI servers answer pings themselves; an unsolicited pong is not sent."""
        self._check_can_send()
        self._warn_no_ping("pong")

    def _warn_no_ping(self, what: str) -> None:
        if self._warned_ping:
            return
        self._warned_ping = True
        warnings.warn(
            f"WebSocket {what} is handled by the ASGI server, not the application: nothing "
            "was sent. Configure the server's keep-alive pings instead (uvicorn "
            "--ws-ping-interval/--ws-ping-timeout, or web.run_app(..., ws_ping_interval=...)).",
            ASGIPingWarning,
            stacklevel=3,
        )

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        raise RuntimeError("Cannot call .write() for websocket")

    async def write_eof(self, data: bytes = b"") -> None:
        """Close the WebSocket if the handler returned without closing it."""
        if self._handler_done:
            return
        if self._asgi_send is None:
            raise RuntimeError("Response has not been started")
        await self.close()
        self._handler_done = True

    # -- closing -----------------------------------------------------------------

    async def close(
        self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True
    ) -> bool:
        """Send a close frame with *code*; True if this call closed the connection."""
        if self._asgi_send is None:
            raise RuntimeError("Call .prepare() first")
        if self._closed:
            return False
        self._closed = True
        if self._closing:
            # the peer closed first, and the ASGI server has answered its close frame
            return True
        reason = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
        try:
            await self._asgi_send({"type": "websocket.close", "code": int(code), "reason": reason})
        except asyncio.CancelledError:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            raise
        except Exception as exc:
            self._exception = exc
            self._closing = True
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            return True
        if self._waiting:
            # another task is reading: it gets the peer's answer and tells us
            self._peer_closed = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(self._timeout):
                    await self._peer_closed
            except asyncio.TimeoutError:
                self._closing = True
                self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            return True
        try:
            async with asyncio.timeout(self._timeout):
                while True:
                    incoming = await self._asgi_receive()
                    if incoming["type"] == "websocket.disconnect":
                        self._close_code = incoming.get("code", code)
                        return True
        except asyncio.CancelledError:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            raise
        except Exception as exc:
            self._exception = exc
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            return True
        finally:
            self._closing = True

    # -- receiving ---------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message: TEXT, BINARY, CLOSE (the peer closed), CLOSING, CLOSED or ERROR."""
        if self._asgi_receive is None:
            raise RuntimeError("Call .prepare() first")
        if self._waiting:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        if self._closed and self._closing:
            self._conn_lost += 1
            if self._conn_lost >= 5:
                raise RuntimeError("WebSocket connection is closed.")
            return WS_CLOSED_MESSAGE
        if self._closing:
            return WS_CLOSING_MESSAGE
        receive_timeout = timeout or self._receive_timeout
        self._waiting = True
        try:
            if receive_timeout:
                async with asyncio.timeout(receive_timeout):
                    message = await self._asgi_receive()
            else:
                message = await self._asgi_receive()
        finally:
            self._waiting = False
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            if text is not None:
                data: Any = text if self._decode_text else text.encode("utf-8")
                msg_type = _TEXT
            else:
                data = message.get("bytes") or b""
                msg_type = _BINARY
            size = len(data)
            if size <= self._max_msg_size or not self._max_msg_size:
                return _new_message((msg_type, data, ""))
            error = WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG,
                f"Message size {size} exceeds limit {self._max_msg_size}",
            )
            await self.close(code=error.code)
            self._close_code = error.code
            return WSMessage(WSMsgType.ERROR, error, None)
        if kind == "websocket.disconnect":
            code = message.get("code", WSCloseCode.OK)
            self._closing = True
            if self._peer_closed is not None and not self._peer_closed.done():
                # close() was called from another task; it waits for this answer
                self._close_code = code
                self._peer_closed.set_result(None)
                return WS_CLOSING_MESSAGE
            if self._closed:
                self._close_code = code
                return WS_CLOSING_MESSAGE
            # the peer closed first; the ASGI server has already answered its close
            self._close_code = code
            self._closed = self._autoclose
            return WSMessage(WSMsgType.CLOSE, code, message.get("reason") or "")
        return WSMessage(
            WSMsgType.ERROR,
            WebSocketError(WSCloseCode.PROTOCOL_ERROR, f"Unexpected ASGI message {kind!r}"),
            None,
        )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self.prepared else "not prepared"
        return f"<WebSocketResponse {state} protocol={self._ws_protocol!r}>"


def denial_sender(scope: Scope, send: Send) -> Send:
    """A ``send`` that turns an HTTP response to a WebSocket handshake into a denial.

    With the ASGI ``websocket.http.response`` extension the client gets the
    response itself (status, headers, body); without it, the handshake is
    closed, which the server answers with 403.
    """
    if "websocket.http.response" in (scope.get("extensions") or {}):

        async def send_denial_response(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start" or kind == "http.response.body":
                message = {**message, "type": "websocket." + kind}
            await send(message)

        return send_denial_response

    async def send_close(message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await send({"type": "websocket.close", "code": WSCloseCode.POLICY_VIOLATION})
        elif kind != "http.response.body":
            await send(message)

    return send_close
