"""A streaming ``multipart/form-data`` reader built on python-multipart.

``await request.multipart()`` returns a :class:`MultipartReader`; each
``await reader.next()`` gives a :class:`BodyPartReader` whose data is pulled
from the request body only as it is read.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

from .charsets import body_charset, decode_body
from .contentcoding import decoder_for
from .exceptions import BadJSONBody, HTTPBadRequest, HTTPRequestEntityTooLarge
from .headerparams import parse_header_params
from .protocol import parse_content_type
from .streams import StreamReader

_BEGIN, _HEADERS, _DATA, _END_PART, _END = range(5)


def _disposition_params(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    raw = headers.get("Content-Disposition")
    if raw is None:
        return {}
    return parse_header_params(raw)[1]


def _decode_header_value(raw: bytes | bytearray) -> str:
    """A part header value: UTF-8 (what browsers and httpx send), else latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class BodyPartReader:
    """One part of a multipart body: its headers, and its data as a stream."""

    chunk_size = 8192

    def __init__(self, reader: MultipartReader, headers: CIMultiDictProxy[str]) -> None:
        self._reader = reader
        self.headers = headers
        self._at_eof = False
        self._pending = bytearray()
        params = _disposition_params(headers)
        self.name: str | None = params.get("name")
        self.filename: str | None = params.get("filename")

    def at_eof(self) -> bool:
        """True once the part's body has been read."""
        return self._at_eof

    async def read_chunk(self, size: int = chunk_size) -> bytes:
        """Return up to *size* bytes of this part; ``b""`` when it is done."""
        while len(self._pending) < size and not self._at_eof:
            kind, data = await self._reader._next_event()
            if kind == _DATA:
                self._pending += data
            elif kind == _END_PART:
                self._at_eof = True
            else:
                raise HTTPBadRequest(text="400: Malformed multipart body: part ended early")
        chunk = bytes(self._pending[:size])
        del self._pending[:size]
        return chunk

    async def read(self, *, decode: bool = False) -> bytes:
        """Read the whole part; over the request's ``client_max_size`` answers 413.

        As in aiohttp, the limit applies to a part read into memory at once
        (``read``, ``text``, ``json``, ``form``); ``read_chunk`` streams without it.
        """
        limit = self._reader.client_max_size
        data = bytearray()
        while chunk := await self.read_chunk(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise HTTPRequestEntityTooLarge(limit, actual_size=len(data))
        return self.decode(bytes(data)) if decode else bytes(data)

    def decode(self, data: bytes) -> bytes:
        """Undo the part's ``Content-Transfer-Encoding`` (``base64``, ``quoted-printable``)
        and then, outside ``multipart/form-data``, its ``Content-Encoding`` (``gzip``,
        ``deflate``, ``br``), as aiohttp does.

        Anything that does not decode, or an encoding it does not know, answers 400;
        the decoded size is limited by ``client_max_size`` (413).
        """
        transfer = self.headers.get("Content-Transfer-Encoding", "").strip().lower()
        try:
            if transfer == "base64":
                data = base64.b64decode(data)
            elif transfer == "quoted-printable":
                data = binascii.a2b_qp(data)
            elif transfer not in ("", "binary", "8bit", "7bit"):
                raise HTTPBadRequest(
                    text=f"400: Part {self.name!r} has an unknown Content-Transfer-Encoding "
                    f"{transfer!r}"
                )
        except binascii.Error as exc:
            message = f"400: Part {self.name!r} is not valid {transfer}: {exc}"
            raise HTTPBadRequest(text=message) from None
        coding = self.headers.get("Content-Encoding", "").strip().lower()
        if coding in ("", "identity") or self._reader.is_form_data:
            # RFC 7578 §4.8: in multipart/form-data a part's Content-Encoding is not applied
            return data
        decoder = decoder_for(coding)
        if decoder is None:
            raise HTTPBadRequest(
                text=f"400: Part {self.name!r} has an unknown Content-Encoding {coding!r}"
            )
        limit = self._reader.client_max_size
        decoder.feed(data)
        out = bytearray()
        while piece := decoder.read():
            out += piece
            if len(out) > limit:
                raise HTTPRequestEntityTooLarge(limit, actual_size=len(out))
        decoder.finish()
        return bytes(out)

    async def readline(self) -> bytes:
        """Read one line of this part, including its ``\\n``."""
        while b"\n" not in self._pending and not self._at_eof:
            self._pending[:0] = await self.read_chunk(len(self._pending) + self.chunk_size)
        index = self._pending.find(b"\n")
        end = index + 1 if index >= 0 else len(self._pending)
        line = bytes(self._pending[:end])
        del self._pending[:end]
        return line

    async def release(self) -> None:
        """Skip whatever is left of this part."""
        while await self.read_chunk(64 * 1024):
            pass

    def get_charset(self, default: str) -> str:
        """The ``charset`` of this part's ``Content-Type``, else *default*."""
        raw = self.headers.get("Content-Type")
        if raw is None:
            return default
        return parse_content_type(raw)[1].get("charset", default)

    async def text(self, *, encoding: str | None = None) -> str:
        """The part decoded with *encoding*, else its charset, else UTF-8 (400 if it fails)."""
        charset = encoding or self.get_charset("utf-8")
        return decode_body(await self.read(decode=True), charset, f"Part {self.name!r}")

    async def json(self, *, encoding: str | None = None) -> Any:
        """The part parsed as JSON, ``None`` when it is empty; 400 when it is malformed."""
        data = await self.read(decode=True)
        if not data:
            return None
        text = decode_body(data, encoding or self.get_charset("utf-8"), f"Part {self.name!r}")
        try:
            return json.loads(text)
        except ValueError as exc:
            raise BadJSONBody(exc, text) from exc
        except RecursionError:
            raise BadJSONBody(ValueError("JSON is nested too deeply to parse"), text) from None

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        """Decode an ``application/x-www-form-urlencoded`` part into pairs."""
        charset = body_charset(encoding or self.get_charset("utf-8"))
        text = decode_body(await self.read(decode=True), charset, f"Part {self.name!r}")
        return parse_qsl(text, keep_blank_values=True, encoding=charset)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[bytes]:
        while chunk := await self.read_chunk():
            yield chunk

    def __repr__(self) -> str:
        return f"<BodyPartReader name={self.name!r} filename={self.filename!r}>"


class MultipartReader:
    """Reads the parts of a ``multipart/*`` body one after the other.

    >>> reader = await request.multipart()
    >>> async for part in reader:
    ...     if part.filename:
    ...         await save(part.filename, part)
    """

    part_reader_cls = BodyPartReader

    def __init__(
        self,
        headers: CIMultiDictProxy[str] | CIMultiDict[str],
        content: StreamReader,
        *,
        client_max_size: int = sys.maxsize,
    ) -> None:
        ctype, params = parse_content_type(headers.get("Content-Type", ""))
        if not ctype.startswith("multipart/"):
            raise HTTPBadRequest(text=f"400: Expected a multipart body, got {ctype!r}")
        boundary = params.get("boundary")
        if not boundary:
            raise HTTPBadRequest(text="400: Multipart body has no boundary parameter")
        if len(boundary) > 70:
            raise HTTPBadRequest(text="400: Multipart boundary is longer than 70 characters")
        self.headers = headers
        #: The most bytes one part may hold when it is read whole (``part.read()``).
        self.client_max_size = client_max_size
        #: ``multipart/form-data`` (whose parts' Content-Encoding is not applied)
        self.is_form_data = ctype == "multipart/form-data"
        self._content = content
        self._events: deque[tuple[int, Any]] = deque()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._part_headers: CIMultiDict[str] = CIMultiDict()
        self._current: BodyPartReader | None = None
        self._at_eof = False
        self._stream_done = False
        callbacks: Any = self._callbacks()
        self._parser = MultipartParser(boundary, callbacks, max_header_count=64)

    def _callbacks(self) -> dict[str, Callable[..., None]]:
        events = self._events

        def on_part_begin() -> None:
            self._part_headers = CIMultiDict()

        def on_header_field(data: bytes, start: int, end: int) -> None:
            self._header_field += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            self._header_value += data[start:end]

        def on_header_end() -> None:
            self._part_headers.add(
                self._header_field.decode("latin-1"), _decode_header_value(self._header_value)
            )
            self._header_field.clear()
            self._header_value.clear()

        def on_headers_finished() -> None:
            events.append((_HEADERS, CIMultiDictProxy(self._part_headers)))

        def on_part_data(data: bytes, start: int, end: int) -> None:
            if end > start:
                events.append((_DATA, data[start:end]))

        def on_part_end() -> None:
            events.append((_END_PART, None))

        def on_end() -> None:
            events.append((_END, None))

        return {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": on_end,
        }

    async def _next_event(self) -> tuple[int, Any]:
        while not self._events:
            if self._stream_done:
                raise HTTPBadRequest(text="400: Malformed multipart body: unexpected end")
            chunk = await self._content.readany()
            try:
                if chunk:
                    self._parser.write(chunk)
                else:
                    self._stream_done = True
                    self._parser.finalize()
            except MultipartParseError as exc:
                raise HTTPBadRequest(text=f"400: Malformed multipart body: {exc}") from None
        return self._events.popleft()

    def at_eof(self) -> bool:
        """True once the final boundary has been read."""
        return self._at_eof

    async def next(self) -> BodyPartReader | None:
        """The next part (the previous one is skipped if unread), ``None`` at the end."""
        if self._current is not None:
            await self._current.release()
            self._current = None
        if self._at_eof:
            return None
        kind, value = await self._next_event()
        if kind == _END:
            self._at_eof = True
            return None
        if kind != _HEADERS:
            raise HTTPBadRequest(text="400: Malformed multipart body: part without headers")
        self._current = self.part_reader_cls(self, value)
        return self._current

    async def release(self) -> None:
        """Skip all remaining parts."""
        while await self.next() is not None:
            pass

    def __aiter__(self) -> AsyncIterator[BodyPartReader]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[BodyPartReader]:
        while (part := await self.next()) is not None:
            yield part
