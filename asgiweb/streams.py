"""``StreamReader``: the request body as a stream pulled from ASGI ``receive``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from .contentcoding import BodyDecoder
from .typedefs import Message, Receive


class ClientDisconnectedError(ConnectionResetError):
    """The client went away before the request body was complete."""


DEFAULT_READ_BUFSIZE = 2**16
"""aiohttp's default ``read_bufsize`` (64 KiB)."""

class StreamReader:
    """The body of a request, read on demand from ASGI ``http.request`` messages.

    Nothing is read before it is asked for, so an app that never touches the
    body never makes the server read it (and never triggers ``100 Continue``).

    >>> async for chunk in request.content.iter_chunked(64 * 1024):
    ...     sink.write(chunk)
    """

    __slots__ = (
        "_buffer",
        "_decoder",
        "_disconnected",
        "_eof",
        "_eof_event",
        "_limit",
        "_raw_eof",
        "_receive",
        "_total",
    )

    def __init__(
        self,
        receive: Receive,
        *,
        eof: bool = False,
        decoder: BodyDecoder | None = None,
        limit: int = DEFAULT_READ_BUFSIZE,
    ) -> None:
        self._receive = receive
        self._limit = limit
        self._buffer = bytearray()
        self._eof = eof
        self._raw_eof = eof
        self._total = 0
        self._disconnected = False
        self._eof_event: asyncio.Event | None = None
        # Set for a compressed body: what is read is what the decoder gives.
        self._decoder = decoder

    def get_read_buffer_limits(self) -> tuple[int, int]:
        """aiohttp's read buffer limits ``(low, high)``: ``read_bufsize`` and twice that.

        Set with ``web.Application(handler_args={"read_bufsize": n})``. The ASGI
        server decides how much it buffers; the figures are reported as in aiohttp.
        """
        return (self._limit, 2 * self._limit)

    @property
    def total_bytes(self) -> int:
        """How many body bytes have been received so far (decoded, for a compressed body)."""
        return self._total

    @property
    def disconnected(self) -> bool:
        """True once the server reported ``http.disconnect`` while the body was read."""
        return self._disconnected

    def is_eof(self) -> bool:
        """True when the server has delivered the last piece of the body."""
        return self._eof

    def at_eof(self) -> bool:
        """True when the body is complete and the buffer is empty (never for a cut body)."""
        return self._eof and not self._buffer and not self._disconnected

    def _set_eof(self) -> None:
        self._eof = True
        if self._eof_event is not None:
            self._eof_event.set()

    async def wait_eof(self) -> None:
        """Wait until the last piece of the body has been received (by whoever reads it)."""
        if self._eof:
            return
        if self._eof_event is None:
            self._eof_event = asyncio.Event()
        await self._eof_event.wait()

    def exception(self) -> BaseException | None:
        """``ClientDisconnectedError`` once the client disconnected mid-body, else ``None``."""
        return ClientDisconnectedError("Connection lost") if self._disconnected else None

    async def _next_message(self) -> bytes:
        """Receive one body message (or decoded piece); ``b""`` once the body is complete."""
        if self._eof:
            return b""
        decoder = self._decoder
        if decoder is None:
            return self.consume(await self._receive())
        while True:
            piece = decoder.read()
            if piece:
                self._total += len(piece)
                return piece
            if self._raw_eof:
                decoder.finish()
                self._set_eof()
                return b""
            decoder.feed(self.consume(await self._receive()))

    def consume(self, message: Message) -> bytes:
        """Take one ASGI ``receive()`` message into the stream: its body bytes.

        For a message that someone else received (``request.read()`` takes the
        first one itself). Raises ``ClientDisconnectedError`` on ``http.disconnect``.
        """
        if message["type"] == "http.request":
            body: bytes = message.get("body", b"")
            if not message.get("more_body", False):
                self._raw_eof = True
                if self._decoder is None:
                    self._set_eof()
            if self._decoder is None:
                self._total += len(body)
            return body
        if message["type"] == "http.disconnect":
            self._disconnected = True
            self._raw_eof = True
            self._set_eof()
            raise ClientDisconnectedError("Connection lost")
        return b""

    async def _fill(self) -> bool:
        """Append the next message to the buffer; False at the end of the body."""
        while not self._eof:
            chunk = await self._next_message()
            if chunk:
                self._buffer += chunk
                return True
        self._raise_if_cut()
        return False

    def _raise_if_cut(self) -> None:
        """A body cut short by a disconnect never reads as complete: past it, reads raise."""
        if self._disconnected:
            raise ClientDisconnectedError("Connection lost")

    def _take(self, n: int) -> bytes:
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def readany(self) -> bytes:
        """Return whatever is buffered, or the next piece that arrives; ``b""`` at the end."""
        if self._buffer:
            return self._take(len(self._buffer))
        while not self._eof:
            chunk = await self._next_message()
            if chunk:
                return chunk
        self._raise_if_cut()
        return b""

    async def read(self, n: int = -1) -> bytes:
        """Read up to *n* bytes (all of the rest when *n* is negative)."""
        if n == 0:
            return b""
        if n < 0:
            parts = [self._take(len(self._buffer))]
            while not self._eof:
                parts.append(await self._next_message())
            self._raise_if_cut()
            return b"".join(parts)
        if not self._buffer:
            await self._fill()
        return self._take(n)

    async def readexactly(self, n: int) -> bytes:
        """Read exactly *n* bytes or raise ``asyncio.IncompleteReadError``."""
        while len(self._buffer) < n:
            if not await self._fill():
                partial = self._take(len(self._buffer))
                raise asyncio.IncompleteReadError(partial, n)
        return self._take(n)

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Read up to and including *separator*, or the rest of the body."""
        if not separator:
            raise ValueError("Separator should be at least one-byte string")
        start = 0
        while True:
            index = self._buffer.find(separator, start)
            if index >= 0:
                return self._take(index + len(separator))
            start = max(0, len(self._buffer) - len(separator) + 1)
            if not await self._fill():
                return self._take(len(self._buffer))

    async def readline(self) -> bytes:
        """Read one line, including its ``\\n``."""
        return await self.readuntil(b"\n")

    async def readchunk(self) -> tuple[bytes, bool]:
        """Return ``(data, end_of_http_chunk)`` as aiohttp does; ASGI keeps no chunk marks."""
        data = await self.readany()
        return data, not data

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        """Yield pieces of at most *n* bytes until the body ends."""
        while chunk := await self.read(n):
            yield chunk

    async def iter_any(self) -> AsyncIterator[bytes]:
        """Yield pieces as they arrive."""
        while chunk := await self.readany():
            yield chunk

    async def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        """Yield ``(data, end_of_http_chunk)`` pairs until the body ends."""
        while True:
            data, end = await self.readchunk()
            if not data:
                return
            yield data, end

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.iter_any()

    def unread_data(self, data: bytes) -> None:
        """Push *data* back to the front of the buffer."""
        self._buffer[:0] = data

    def __repr__(self) -> str:
        state = "eof" if self._eof else "open"
        return f"<StreamReader {state} buffered={len(self._buffer)} total={self._total}>"
