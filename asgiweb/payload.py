"""Body objects a ``Response`` streams: files, ``io`` buffers, async iterables, parts, payloads.

``web.Response(body=...)`` takes bytes and str, kept in memory and sent in one
message, and, as in aiohttp, objects it streams when the response is sent:

- a binary or text file object (``open(path, "rb")``): read in chunks on a worker
  thread; ``Content-Type`` guessed from its name, ``Content-Disposition:
  attachment; filename="..."``, ``Content-Length`` from its size; closed when sent;
- ``io.BytesIO`` / ``io.StringIO`` (text is encoded as UTF-8, ``text/plain``);
- an async iterable of bytes (an async generator), sent as it comes;
- a ``BodyPartReader`` (a part of a multipart request), streamed through;
- an object with aiohttp's payload interface (``async write(writer)``,
  ``headers``, ``size``) such as ``aiohttp.get_payload(...)``, and aiohttp's
  deprecated ``@streamer`` functions.

Without a known size and without a ``Content-Length`` header, the server sends
the body with chunked framing.
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
import os
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .response import StreamResponse

CHUNK_SIZE = 256 * 1024


class PayloadWriter:
    """What aiohttp payloads write into: ``await write(data)``, ``drain()``, ``write_eof()``."""

    __slots__ = ("_response",)

    def __init__(self, response: StreamResponse) -> None:
        self._response = response

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send *data* as the next piece of the body."""
        if data:
            await self._response.write(data)

    async def drain(self) -> None:
        """Nothing to wait for: ``write()`` already waits for the server."""

    async def write_eof(self, data: bytes = b"") -> None:
        """The response ends the body itself; send *data* if given."""
        await self.write(data)


class BodyPayload:
    """A body that a response sends by streaming it: size, headers and ``write()``."""

    size: int | None = None
    content_type: str | None = "application/octet-stream"
    content_disposition: str | None = None

    async def write(self, response: StreamResponse) -> None:
        """Send the whole body through ``response.write()``."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release what the body holds (an open file)."""


def _disposition(kind: str, **params: str) -> str:
    parts = [kind]
    for name, value in params.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'{name}="{escaped}"')
    return "; ".join(parts)


class FilePayload(BodyPayload):
    """An open file (binary or text), read in chunks on a worker thread and closed after."""

    def __init__(self, file: io.IOBase) -> None:
        self._file: Any = file
        name = getattr(file, "name", None)
        self._text = isinstance(file, io.TextIOBase)
        if isinstance(name, str) and name:
            filename = os.path.basename(name)
            self.content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            self.content_disposition = _disposition("attachment", filename=filename)
        if self._text:
            self.content_type = "text/plain; charset=utf-8"
        else:
            try:
                self.size = os.fstat(file.fileno()).st_size - file.tell()
            except (AttributeError, OSError, ValueError):
                self.size = None

    async def write(self, response: StreamResponse) -> None:
        while True:
            chunk = await asyncio.to_thread(self._file.read, CHUNK_SIZE)
            if not chunk:
                return
            await response.write(chunk.encode("utf-8") if self._text else chunk)

    async def close(self) -> None:
        await asyncio.to_thread(self._file.close)


class BufferPayload(BodyPayload):
    """``io.BytesIO`` or ``io.StringIO``: what is left of it from its position."""

    def __init__(self, buffer: io.BytesIO | io.StringIO) -> None:
        data = buffer.read()
        if isinstance(data, str):
            self._data = data.encode("utf-8")
            self.content_type = "text/plain; charset=utf-8"
        else:
            self._data = data
        self.size = len(self._data)

    async def write(self, response: StreamResponse) -> None:
        await response.write(self._data)


class AsyncIterablePayload(BodyPayload):
    """An async iterable of bytes, sent piece by piece as it yields."""

    def __init__(self, iterable: AsyncIterable[bytes]) -> None:
        self._iterable = iterable

    async def write(self, response: StreamResponse) -> None:
        async for chunk in self._iterable:
            if chunk:
                await response.write(chunk)

    async def close(self) -> None:
        aclose = getattr(self._iterable, "aclose", None)
        if aclose is not None:
            await aclose()


class PartPayload(BodyPayload):
    """A part of a multipart request (``BodyPartReader``), streamed as it is read."""

    def __init__(self, part: Any) -> None:
        self._part = part
        self.content_type = part.headers.get("Content-Type", "application/octet-stream")
        params = {}
        if part.name:
            params["name"] = part.name
        if part.filename:
            params["filename"] = part.filename
        if params:
            self.content_disposition = _disposition("attachment", **params)

    async def write(self, response: StreamResponse) -> None:
        while True:
            chunk = await self._part.read_chunk()
            if not chunk:
                return
            await response.write(chunk)


class ForeignPayload(BodyPayload):
    """An object with aiohttp's payload interface: ``write(writer)``, ``headers``, ``size``."""

    def __init__(self, payload: Any) -> None:
        self._payload = payload
        headers = getattr(payload, "headers", None) or {}
        self.content_type = headers.get("Content-Type")
        self.content_disposition = headers.get("Content-Disposition")
        self.size = getattr(payload, "size", None)

    async def write(self, response: StreamResponse) -> None:
        await self._payload.write(PayloadWriter(response))

    async def close(self) -> None:
        close = getattr(self._payload, "close", None)
        if close is not None:
            result = close()
            if isinstance(result, Awaitable):
                await result


class StreamerPayload(BodyPayload):
    """aiohttp's deprecated ``@streamer``: a coroutine function that writes into a writer."""

    def __init__(self, write: Callable[[PayloadWriter], Awaitable[None]]) -> None:
        self._write = write

    async def write(self, response: StreamResponse) -> None:
        await self._write(PayloadWriter(response))


def body_payload(body: Any) -> BodyPayload | None:
    """The payload that streams *body*, or ``None`` when *body* is no streamable object."""
    from .multipart import BodyPartReader

    if isinstance(body, BodyPartReader):
        return PartPayload(body)
    if isinstance(body, (io.BytesIO, io.StringIO)):
        return BufferPayload(body)
    if isinstance(body, io.IOBase) and hasattr(body, "read"):
        return FilePayload(body)
    if hasattr(body, "__aiter__"):
        return AsyncIterablePayload(body)
    write = getattr(body, "write", None)
    if write is not None and hasattr(body, "headers") and callable(write):
        return ForeignPayload(body)
    if hasattr(body, "coro") and callable(body):
        # aiohttp's @streamer: the decorated function called with its arguments takes
        # the writer; the bare decorated function is called with no arguments first
        return StreamerPayload(body if hasattr(body, "args") else body())
    return None


__all__ = (
    "AsyncIterablePayload",
    "BodyPayload",
    "BufferPayload",
    "FilePayload",
    "ForeignPayload",
    "PartPayload",
    "PayloadWriter",
    "StreamerPayload",
    "body_payload",
)
