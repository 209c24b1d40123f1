"""uvicorn's HTTP protocols with aiohttp's request-head limits and TCP_NODELAY, for the runner.

httptools puts no bound on a request line or a header: a client that sends a
64 MiB header makes the server buffer all of it before the application sees
anything. h11 bounds the whole head (``h11_max_incomplete_event_size``) but not
a single line. aiohttp refuses a request line over ``max_line_size`` and a
header field over ``max_field_size`` (8190 bytes each) and more than
``max_headers`` (128) headers. These subclasses count the bytes of the head
before the parser buffers them, and refuse an oversized head before the
application is called: 400 for the request line, 431 for the header fields.

Counting is cheap: a chunk that starts a request head and is shorter than
every limit (the common case) is accepted after two length checks and one
``bytes.count``; only longer heads are scanned line by line.

Accepted connections also get TCP_NODELAY, whatever socket they came from (a
socket a user created without ``IPPROTO_TCP`` would otherwise leave asyncio's
transport with Nagle's algorithm on, and every keep-alive response would wait
for the client's delayed ACK).

uvicorn is imported here, so the runner imports this module only when a site
starts. Under plain uvicorn, name a class on the command line to get the same
limits (aiohttp's defaults):

    uvicorn app:app --http asgiweb.uvicorn_protocols:LimitedHttpToolsProtocol
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .headlimits import HeadCounter, HeadLimits

__all__ = ("DEFAULT_LIMITS", "LimitedH11Protocol", "LimitedHttpToolsProtocol", "protocol_class")

#: aiohttp's defaults, also what the classes use under plain uvicorn
#: (``uvicorn app:app --http asgiweb.uvicorn_protocols:LimitedHttpToolsProtocol``).
DEFAULT_LIMITS = HeadLimits(max_line_size=8190, max_field_size=8190, max_headers=128)

#: How long a refused connection keeps reading (and discarding) what the client
#: still sends, so that the client reads the error response instead of a reset.
LINGER_SECONDS = 1.0


def _refusal(status: int, reason: str) -> bytes:
    phrase = "Bad Request" if status == 400 else "Request Header Fields Too Large"
    body = reason.encode("ascii")
    return (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode("ascii") + body


def _set_socket_options(transport: asyncio.BaseTransport, tcp_keepalive: bool) -> None:
    """TCP_NODELAY (and SO_KEEPALIVE when asked), as aiohttp sets on each connection."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tcp_keepalive:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        except OSError:  # pragma: no cover - the peer may already be gone
            pass


class _LimitedHead(asyncio.Protocol):
    """What both protocols share: options, TCP_NODELAY, the head counter and the refusal.

    It comes first among the bases, so its ``__init__`` and ``connection_made``
    wrap uvicorn's.
    """

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def __init__(
        self,
        *args: Any,
        head_limits: HeadLimits = DEFAULT_LIMITS,
        tcp_keepalive: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._tcp_keepalive = tcp_keepalive
        self._counter = HeadCounter(head_limits)
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _set_socket_options(transport, self._tcp_keepalive)
        super().connection_made(transport)

    def _refuse(self, status: int, reason: str, *, response_in_progress: bool) -> None:
        self._refused = True
        transport = self.transport
        if response_in_progress:
            # A pipelined head while a response is being written: never mix the two.
            transport.close()
            return
        transport.write(_refusal(status, reason))
        if transport.can_write_eof():
            # Keep reading (and discarding) for a moment so the client gets the
            # answer rather than a connection reset for the bytes it still sends.
            transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, transport.close)
        else:
            transport.close()


class LimitedHttpToolsProtocol(_LimitedHead, HttpToolsProtocol):
    """uvicorn's httptools protocol with aiohttp's head limits and TCP_NODELAY."""

    _in_body = False  # between the end of a head and the end of its message
    _head_begun = False  # httptools has seen the start of a message

    def data_received(self, data: bytes) -> None:
        """Count the head's bytes, refuse an oversized head, else parse as uvicorn does."""
        if self._refused:
            return
        if not self._in_body:
            refusal = self._counter.check(data)
            if refusal is not None:
                cycle = self.cycle
                busy = cycle is not None and not cycle.response_complete
                self._refuse(*refusal, response_in_progress=busy)
                return
        super().data_received(data)
        if self._head_begun:
            self._counter.chunk_was_head(data)

    def on_message_begin(self) -> None:
        """A new message starts: its head is being read."""
        self._head_begun = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        """The head is complete: stop counting until the message ends."""
        self._in_body = True
        self._head_begun = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The message ended: the next bytes start a new head."""
        self._in_body = False
        self._counter.reset()
        super().on_message_complete()


class LimitedH11Protocol(_LimitedHead, H11Protocol):
    """uvicorn's h11 protocol with aiohttp's head limits and TCP_NODELAY."""

    def data_received(self, data: bytes) -> None:
        """Count the head's bytes, refuse an oversized head, else parse as uvicorn does."""
        if self._refused:
            return
        in_head = self.conn.their_state is h11.IDLE
        if in_head:
            refusal = self._counter.check(data)
            if refusal is not None:
                self._refuse(*refusal, response_in_progress=False)
                return
        super().data_received(data)
        if in_head and self.conn.their_state is h11.IDLE:
            self._counter.chunk_was_head(data)
        else:
            self._counter.reset()


def protocol_class(http: str, limits: HeadLimits, *, tcp_keepalive: bool = True) -> Any:
    """The protocol factory for uvicorn's ``http`` option: ``"auto"``, ``"httptools"`` or ``"h11"``.

    >>> limits = HeadLimits(max_line_size=8190, max_field_size=8190, max_headers=128)
    >>> uvicorn.Config(app, http=protocol_class("h11", limits))
    """
    if http == "auto":
        try:
            import httptools  # noqa: F401
        except ImportError:  # pragma: no cover - uvicorn[standard] is a dev dependency
            http = "h11"
        else:
            http = "httptools"
    if http == "httptools":
        base: type[_LimitedHead] = LimitedHttpToolsProtocol
    elif http == "h11":
        base = LimitedH11Protocol
    else:
        raise ValueError(
            f"http must be 'auto', 'httptools', 'h11' or a protocol class, got {http!r}"
        )

    def factory(*args: Any, **kwargs: Any) -> asyncio.Protocol:
        return base(*args, head_limits=limits, tcp_keepalive=tcp_keepalive, **kwargs)

    return factory
