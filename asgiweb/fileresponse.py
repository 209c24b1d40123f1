"""``FileResponse``: a file from disk, with conditional requests, ranges and precompression.

The file is opened (and checked) before anything is sent, so a missing or
unreadable file is a clean 404/403. It is streamed in ``chunk_size`` pieces
read in a worker thread; a small file is read in the same thread hop that
opens it. When the server offers the ASGI ``http.response.pathsend``
extension, a whole file is handed to the server by path instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import pathlib
from collections.abc import Callable
from mimetypes import MimeTypes
from stat import S_ISREG
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import hdrs
from .protocol import ETAG_ANY, ETag, must_be_empty_body, parse_etags
from .response import LooseHeaders, StreamResponse

if TYPE_CHECKING:
    from .request import BaseRequest

__all__ = ("FileResponse",)

CONTENT_TYPES = MimeTypes()
# Precompressed siblings, in order of preference: app.js.br, then app.js.gz.
ENCODING_EXTENSIONS = MappingProxyType({".br": "br", ".gz": "gzip"})
FALLBACK_CONTENT_TYPE = "application/octet-stream"
# A compressed file served as itself is that type, not "text/plain with gzip encoding".
CONTENT_TYPES.encodings_map.clear()
for _type, _extension in (
    ("application/gzip", ".gz"),
    ("application/x-brotli", ".br"),
    ("application/x-bzip2", ".bz2"),
    ("application/x-compress", ".Z"),
    ("application/x-xz", ".xz"),
):
    CONTENT_TYPES.add_type(_type, _extension)

SMALL_FILE = 64 * 1024  # read in the same thread hop that opens the file


def _etag_match(value: str, etags: tuple[ETag, ...], *, weak: bool) -> bool:
    if len(etags) == 1 and etags[0].value == ETAG_ANY:
        return True
    return any(etag.value == value for etag in etags if weak or not etag.is_weak)


class _Opened:
    """What the worker thread found: a decision, or an open file (and maybe its bytes)."""

    __slots__ = ("data", "encoding", "file", "path", "stat", "status")

    def __init__(
        self,
        status: int,
        stat: os.stat_result | None = None,
        file: io.BufferedReader | None = None,
        encoding: str | None = None,
        path: pathlib.Path | None = None,
        data: bytes | None = None,
    ) -> None:
        self.status = status
        self.stat = stat
        self.file = file
        self.encoding = encoding
        self.path = path
        self.data = data


class FileResponse(StreamResponse):
    """Send the file at *path*: ``return web.FileResponse("static/report.pdf")``.

    Sets ``Content-Type`` from the extension, ``Content-Length``,
    ``Last-Modified``, ``ETag`` and ``Accept-Ranges``; answers
    ``If-None-Match``/``If-Modified-Since`` with 304,
    ``If-Match``/``If-Unmodified-Since`` with 412, ``Range`` with 206 (or 416),
    honours ``If-Range``, and serves ``file.br``/``file.gz`` siblings to
    clients that accept them.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_size: int = 256 * 1024,
        status: int = 200,
        reason: str | None = None,
        headers: LooseHeaders | None = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self._path = pathlib.Path(path)
        self._chunk_size = chunk_size
        self._opened: _Opened | None = None  # set when the file was opened ahead (static)
        self._tail = b""  # a small file's bytes, sent with the end of the response

    def open_ahead(self, request: BaseRequest) -> None:
        """Do the file-system work of ``prepare()`` now, in the calling (worker) thread."""
        accept_encoding = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
        self._opened = self._open(request, accept_encoding, "Range" not in request.headers)

    # -- in the worker thread -----------------------------------------------------

    def _find(self, accept_encoding: str) -> tuple[pathlib.Path | None, os.stat_result, str | None]:
        for extension, encoding in ENCODING_EXTENSIONS.items():
            if encoding not in accept_encoding:
                continue
            compressed = self._path.with_suffix(self._path.suffix + extension)
            try:
                st = compressed.lstat()
            except OSError:
                continue
            if S_ISREG(st.st_mode):
                return compressed, st, encoding
        st = self._path.stat()
        return (self._path if S_ISREG(st.st_mode) else None), st, None

    def _open(self, request: BaseRequest, accept_encoding: str, whole_ok: bool) -> _Opened:
        try:
            path, st, encoding = self._find(accept_encoding)
        except PermissionError:
            return _Opened(403)
        except OSError:
            return _Opened(404)
        if path is None:
            return _Opened(403)  # a directory, a socket, a device…
        etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"
        if_match = request.if_match
        if if_match is not None and not _etag_match(etag, if_match, weak=False):
            return _Opened(412, st)
        since = request.if_unmodified_since
        if since is not None and if_match is None and st.st_mtime > since.timestamp():
            return _Opened(412, st)
        if_none_match = request.if_none_match
        if if_none_match is not None and _etag_match(etag, if_none_match, weak=True):
            return _Opened(304, st)
        modified = request.if_modified_since
        if modified is not None and if_none_match is None and st.st_mtime <= modified.timestamp():
            return _Opened(304, st)
        try:
            handle = path.open("rb")
        except PermissionError:
            return _Opened(403)
        except OSError:
            return _Opened(404)
        with contextlib.suppress(OSError):
            st = os.fstat(handle.fileno())
        opened = _Opened(200, st, handle, encoding, path)
        if whole_ok and st.st_size <= SMALL_FILE:
            opened.data = handle.read()
            handle.close()
            opened.file = None
        return opened

    @staticmethod
    def _read(handle: io.BufferedReader, offset: int, size: int) -> bytes:
        handle.seek(offset)
        return handle.read(size)

    # -- on the event loop --------------------------------------------------------

    async def prepare(self, request: BaseRequest) -> None:
        if self.prepared:
            return
        loop = asyncio.get_running_loop()
        opened = self._opened
        if opened is None:
            accept_encoding = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
            # a range makes the whole-file shortcut pointless
            whole_ok = "Range" not in request.headers
            opened = await loop.run_in_executor(
                None, self._open, request, accept_encoding, whole_ok
            )
        try:
            await self._respond(request, opened)
        finally:
            if opened.file is not None:
                close: Callable[[], None] = opened.file.close
                await loop.run_in_executor(None, close)

    async def _respond(self, request: BaseRequest, opened: _Opened) -> None:
        st = opened.stat
        if opened.status in (403, 404):
            self.set_status(opened.status)
            await super().prepare(request)
            return
        assert st is not None
        if opened.status == 412:
            self.set_status(412)
            self.content_length = 0
            await super().prepare(request)
            return
        if opened.status == 304:
            self.set_status(304)
            self.etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"
            self.last_modified = st.st_mtime
            await super().prepare(request)
            return
        size = st.st_size
        start, count = 0, size
        partial = False
        if self._range_allowed(request, st):
            try:
                rng = request.http_range
            except ValueError:
                await self._unsatisfiable(request, size)
                return
            if rng.start is not None:
                if rng.start < 0 and rng.stop is None:  # the last N bytes
                    start = max(0, rng.start + size)
                    count = size - start
                else:
                    start = rng.start
                    count = min(rng.stop if rng.stop is not None else size, size) - start
                if start >= size:
                    await self._unsatisfiable(request, size)
                    return
                partial = True
                self.set_status(206)
        if hdrs.CONTENT_TYPE not in self.headers:
            self.content_type = CONTENT_TYPES.guess_type(self._path)[0] or FALLBACK_CONTENT_TYPE
        if opened.encoding:
            self.headers[hdrs.CONTENT_ENCODING] = opened.encoding
            self.headers[hdrs.VARY] = hdrs.ACCEPT_ENCODING
            self.disable_compression()
        self.etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"
        self.last_modified = st.st_mtime
        self.content_length = count
        self.headers[hdrs.ACCEPT_RANGES] = "bytes"
        if partial:
            self.headers[hdrs.CONTENT_RANGE] = f"bytes {start}-{start + count - 1}/{size}"
        if opened.data is not None:
            # small: the bytes go out with the end of the response, in one message
            self.defer_body_to_eof()
            await super().prepare(request)
            if count and not must_be_empty_body(request.method, self.status):
                self._tail = opened.data[start : start + count]
            return
        await super().prepare(request)
        if count == 0 or must_be_empty_body(request.method, self.status):
            return
        assert opened.file is not None and opened.path is not None
        if not partial and "http.response.pathsend" in (request.scope.get("extensions") or {}):
            self.mark_sent()
            await request.connection.send(
                {"type": "http.response.pathsend", "path": str(opened.path)}
            )
            return
        await self._stream(opened.file, start, count)

    async def _stream(self, handle: io.BufferedReader, offset: int, count: int) -> None:
        loop = asyncio.get_running_loop()
        chunk_size = self._chunk_size
        while count > 0:
            chunk = await loop.run_in_executor(
                None, self._read, handle, offset, min(chunk_size, count)
            )
            if not chunk:
                # the file shrank after it was opened: the response cannot be completed
                raise OSError(f"{self._path} ended {count} bytes early while being sent")
            await self.write(chunk)
            offset += len(chunk)
            count -= len(chunk)

    async def write_eof(self, data: bytes = b"") -> None:
        tail, self._tail = self._tail, b""
        await super().write_eof(tail + data if tail else data)

    @staticmethod
    def _range_allowed(request: BaseRequest, st: os.stat_result) -> bool:
        """Whether ``If-Range`` (if any) lets ``Range`` apply (RFC 9110 §13.1.5).

        An entity tag must match the file's strongly; a date must not be older
        than the file (aiohttp's rule); anything else fails the condition, and
        the whole file is sent with 200.
        """
        header = request.headers.get(hdrs.IF_RANGE)
        if header is None:
            return True
        header = header.strip()
        if header.startswith(('"', "W/")):
            etags = parse_etags(header) or ()
            etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"
            return bool(etags) and _etag_match(etag, etags, weak=False)
        if_range = request.if_range
        return if_range is not None and st.st_mtime <= if_range.timestamp()

    async def _unsatisfiable(self, request: BaseRequest, size: int) -> None:
        self.headers[hdrs.CONTENT_RANGE] = f"bytes */{size}"
        self.set_status(416)
        await super().prepare(request)

    def __repr__(self) -> str:
        return f"<FileResponse {self._path}>"
