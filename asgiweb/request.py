"""``BaseRequest`` and ``Request``: aiohttp's request API over an ASGI scope.

Nothing is parsed when a request is created; each attribute is computed on
first access from the scope and cached (see :mod:`asgiweb.lazy`).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from .charsets import body_charset, decode_body
from .connection import Connection
from .contentcoding import decoder_for
from .exceptions import BadJSONBody, HTTPBadRequest, HTTPRequestEntityTooLarge
from .lazy import reify
from .multipart import BodyPartReader, MultipartReader
from .protocol import (
    HTTP_VERSIONS,
    ETag,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    parse_content_type,
    parse_etags,
    parse_forwarded,
    parse_http_date,
)
from .streams import StreamReader
from .transport import ScopeProtocol, ScopeTransport, scope_extra_info
from .typedefs import Receive, Scope, Send

if TYPE_CHECKING:
    from .app import Application
    from .routing import UrlMappingMatchInfo

POST_METHODS = frozenset({"PATCH", "POST", "PUT", "TRACE", "DELETE"})
_FILE_SPOOL_MAX_SIZE = 1024 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$", re.ASCII | re.IGNORECASE)
_NO_BODY_SCOPE_TYPES = ("websocket",)


@dataclass(frozen=True)
class FileField:
    """An uploaded file from ``await request.post()``; ``file`` is positioned at 0."""

    name: str
    filename: str
    file: IO[bytes]
    content_type: str
    headers: CIMultiDictProxy[str]


def _too_many_fields(max_fields: int) -> HTTPRequestEntityTooLarge:
    return HTTPRequestEntityTooLarge(
        max_fields, text=f"Maximum number of form fields {max_fields} exceeded."
    )


_COOKIE_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def _unescape_cookie(match: re.Match[str]) -> str:
    octal = match[1]
    return chr(int(octal, 8)) if octal else match[2]


def _close_files(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, FileField):
            value.file.close()


async def _spool(field: BodyPartReader, check_size: Callable[[], None]) -> IO[bytes]:
    """Copy an uploaded part into a temporary file, positioned at 0.

    Up to ``_FILE_SPOOL_MAX_SIZE`` bytes stay in memory; past that the file
    rolls over to disk, and every write (and the final seek) runs in a worker
    thread so that the event loop never waits for the disk.
    """
    loop = asyncio.get_running_loop()
    tmp = tempfile.SpooledTemporaryFile(_FILE_SPOOL_MAX_SIZE)  # noqa: SIM115 - returned to the caller
    size = 0
    try:
        while chunk := await field.read_chunk(64 * 1024):
            check_size()
            size += len(chunk)
            if size > _FILE_SPOOL_MAX_SIZE:
                await loop.run_in_executor(None, tmp.write, chunk)
            else:
                tmp.write(chunk)
        check_size()
        if size > _FILE_SPOOL_MAX_SIZE:
            await loop.run_in_executor(None, tmp.seek, 0)
        else:
            tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    return tmp


# Cookie header grammar, as aiohttp 3.14 reads it (RFC 6265 §5.4, relaxed):
# a name of token-ish characters; optionally '=' and a value that is a quoted
# string (';' allowed inside), an unterminated quote (up to ';'), or a run of
# value characters; then whitespace, ';' or the end.
_COOKIE_CHARS = r"\w!#%&'~`><@,:/$*+\-.^|)(?}{\[\]"
_COOKIE_PAIR = re.compile(
    rf"""\s*(?P<name>[{_COOKIE_CHARS}]+)"""
    rf"""(?:\s*=\s*(?P<value>"(?:[^\\"]|\\.)*"|"[^";]*|[{_COOKIE_CHARS}=]*))?"""
    r"""\s*(?:\s+|;|$)""",
    re.ASCII,
)
_COOKIE_NAME = re.compile(r"[!#$%&'()*+\-./0-9:<=>?@A-Z\[\]^_`a-z{|}~]+", re.ASCII)


def _cookie_value(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        # a quoted value may hold escapes (\" and octal \054): undo them, as aiohttp does
        return _COOKIE_ESCAPE.sub(_unescape_cookie, value[1:-1])
    return value


def _parse_cookies(header: str) -> dict[str, str]:
    """The ``Cookie`` header as a dict; a repeated name keeps its last value (as aiohttp).

    Names outside RFC 6265's token characters are dropped; an item the
    grammar cannot read is skipped up to the next ``;``, keeping a plain
    ``name=value`` in it if there is one.
    """
    cookies: dict[str, str] = {}
    pos, end = 0, len(header)
    while pos < end:
        match = _COOKIE_PAIR.match(header, pos)
        if match is not None and match.end() > pos:
            pos = match.end()
            name, value = match.group("name"), match.group("value") or ""
        else:
            semicolon = header.find(";", pos)
            stop = semicolon if semicolon >= 0 else end
            name, sep, value = header[pos:stop].partition("=")
            pos = stop + 1
            if not sep:
                continue
            name, value = name.strip(), value.strip()
        if _COOKIE_NAME.fullmatch(name):
            cookies[name] = _cookie_value(value)
    return cookies


def _path_safe(raw_path: bytes) -> str:
    """Percent-decode a raw path but keep ``%2F`` and ``%25`` encoded (aiohttp's ``path_safe``)."""
    text = raw_path.decode("latin-1")
    if "%" not in text:
        return raw_path.decode("utf-8", "surrogateescape")
    pieces = re.split(r"(%2[fF]|%25)", text)
    return "".join(
        piece.upper() if i % 2 else unquote(piece, errors="surrogateescape")
        for i, piece in enumerate(pieces)
    )


class BaseRequest(MutableMapping[str, Any]):
    """An HTTP request: headers, URL parts and a lazily read body.

    >>> async def handler(request: web.Request) -> web.Response:
    ...     data = await request.json()
    ...     return web.json_response({"got": data, "from": request.remote})
    """

    POST_METHODS = POST_METHODS
    # Set per instance only when they differ from these (fewer stores per request).
    _client_max_fields = 1000
    _read_bytes: bytes | None = None
    _post: MultiDictProxy[Any] | None = None
    _match_info: UrlMappingMatchInfo | None = None
    #: The ASGI connection the request arrived on: ``receive``, ``send`` and
    #: the exchange's state, shared with the response (internal to asgiweb).
    connection: Connection

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        client_max_size: int = 1024**2,
        client_max_fields: int = 1000,
        route_path: str | None = None,
    ) -> None:
        self._scope = scope
        #: ``GET``, ``POST``, …
        self.method: str = scope.get("method", "GET")
        self.connection = Connection(receive, send)
        self._client_max_size = client_max_size
        if client_max_fields != 1000:
            self._client_max_fields = client_max_fields
        self._route_path = route_path

    @reify
    def _state(self) -> dict[str, Any]:
        """What ``request[key] = value`` stores (made on first use)."""
        return {}

    # -- the scope ---------------------------------------------------------

    @property
    def scope(self) -> Scope:
        """The ASGI connection scope this request was built from."""
        return self._scope

    @reify
    def version(self) -> HttpVersion:
        """The HTTP version as ``HttpVersion(1, 1)``."""
        return HTTP_VERSIONS.get(self._scope.get("http_version", "1.1"), HttpVersion11)

    @reify
    def headers(self) -> CIMultiDictProxy[str]:
        """Request headers, case-insensitive; several values per name are kept."""
        return CIMultiDictProxy(
            CIMultiDict(
                (k.decode("latin-1"), v.decode("utf-8", "surrogateescape"))
                for k, v in self._scope["headers"]
            )
        )

    @reify
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """Headers as ``(name, value)`` byte pairs (ASGI lower-cases the names)."""
        return tuple((k, v) for k, v in self._scope["headers"])

    @reify
    def scheme(self) -> str:
        """``http`` or ``https`` (``ws``/``wss`` scopes are reported as ``http``/``https``)."""
        scheme: str = self._scope.get("scheme", "http")
        if scheme == "ws":
            return "http"
        if scheme == "wss":
            return "https"
        return scheme

    @property
    def secure(self) -> bool:
        """True for ``https``."""
        return self.scheme == "https"

    @reify
    def host(self) -> str:
        """The ``Host`` header, else the server address the request arrived on."""
        host = self.headers.get("Host")
        if host is not None:
            return host
        server = self._scope.get("server")
        if server:
            name, port = server
            return f"{name}:{port}" if port is not None else str(name)
        return ""

    @reify
    def remote(self) -> str | None:
        """The client's IP address, if the server reported it."""
        client = self._scope.get("client")
        return str(client[0]) if client else None

    @reify
    def forwarded(self) -> tuple[Mapping[str, str], ...]:
        """The parsed ``Forwarded`` headers (RFC 7239), one mapping per proxy."""
        return parse_forwarded(self.headers.getall("Forwarded", []))

    @reify
    def _raw_path_bytes(self) -> bytes:
        raw: bytes | None = self._scope.get("raw_path")
        if raw is None:
            raw = self._scope["path"].encode("utf-8")
        return raw

    @reify
    def raw_path(self) -> str:
        """The path as the client sent it (percent-encoded), with the query string."""
        path = self._raw_path_bytes.decode("latin-1")
        qs: bytes = self._scope.get("query_string", b"")
        return path + "?" + qs.decode("latin-1") if qs else path

    @reify
    def path(self) -> str:
        """The decoded path, e.g. ``/a b``."""
        path: str = self._scope["path"]
        return path

    @reify
    def rel_url(self) -> URL:
        """The path and query as a relative ``yarl.URL``."""
        qs: bytes = self._scope.get("query_string", b"")
        return URL.build(
            path=self._raw_path_bytes.decode("latin-1"),
            query_string=qs.decode("latin-1"),
            encoded=True,
        )

    @reify
    def url(self) -> URL:
        """The absolute URL: scheme, host, path and query."""
        try:
            return URL.build(scheme=self.scheme, authority=self.host, encoded=True).join(
                self.rel_url
            )
        except ValueError:
            return self.rel_url

    @reify
    def path_qs(self) -> str:
        """Path and query string, e.g. ``/search?q=x``."""
        return str(self.rel_url)

    @reify
    def query_string(self) -> str:
        """The decoded query string."""
        return self.rel_url.query_string

    @reify
    def query(self) -> MultiDictProxy[str]:
        """Query parameters; ``request.query.getall("tag")`` for repeated ones."""
        qs: bytes = self._scope.get("query_string", b"")
        if not qs:
            return MultiDictProxy(MultiDict())
        return MultiDictProxy(MultiDict(parse_qsl(qs.decode("latin-1"), keep_blank_values=True)))

    @reify
    def cookies(self) -> Mapping[str, str]:
        """Cookies sent by the client, read-only."""
        return MappingProxyType(_parse_cookies(self.headers.get("Cookie", "")))

    @reify
    def _content_type_parts(self) -> tuple[str, dict[str, str]]:
        raw = self.headers.get("Content-Type")
        if raw is None:
            return "application/octet-stream", {}
        return parse_content_type(raw)

    @property
    def content_type(self) -> str:
        """The body's media type, ``application/octet-stream`` when not given."""
        return self._content_type_parts[0]

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, if any."""
        return self._content_type_parts[1].get("charset")

    def _raw_header(self, name: bytes) -> bytes | None:
        """The first value of a header, straight from the scope (*name* in lower case)."""
        for key, value in self._scope["headers"]:
            if key == name:
                return value  # type: ignore[no-any-return]
        return None

    @reify
    def content_length(self) -> int | None:
        """``Content-Length`` as an int, ``None`` when absent."""
        value = self._raw_header(b"content-length")
        if value is None:
            return None
        if not value.isdigit():
            raise HTTPBadRequest(text=f"400: Invalid Content-Length header: {value!r}")
        return int(value)

    @reify
    def keep_alive(self) -> bool:
        """Whether the client asked to keep the connection open."""
        connection = self.headers.get("Connection", "").lower()
        if self.version >= HttpVersion11:
            return "close" not in connection
        return self.version == HttpVersion10 and "keep-alive" in connection

    @reify
    def if_modified_since(self) -> datetime.datetime | None:
        """``If-Modified-Since`` as an aware datetime, ``None`` if absent or invalid."""
        return parse_http_date(self.headers.get("If-Modified-Since"))

    @reify
    def if_unmodified_since(self) -> datetime.datetime | None:
        """``If-Unmodified-Since`` as an aware datetime, ``None`` if absent or invalid."""
        return parse_http_date(self.headers.get("If-Unmodified-Since"))

    @reify
    def if_range(self) -> datetime.datetime | None:
        """``If-Range`` as an aware datetime, ``None`` if absent or not a date."""
        return parse_http_date(self.headers.get("If-Range"))

    @reify
    def if_match(self) -> tuple[ETag, ...] | None:
        """``If-Match`` as a tuple of :class:`ETag`, ``None`` if absent."""
        return parse_etags(self.headers.get("If-Match"))

    @reify
    def if_none_match(self) -> tuple[ETag, ...] | None:
        """``If-None-Match`` as a tuple of :class:`ETag`, ``None`` if absent."""
        return parse_etags(self.headers.get("If-None-Match"))

    @reify
    def http_range(self) -> slice:
        """The ``Range`` header as a slice; ``ValueError`` when it is malformed."""
        header = self.headers.get("Range")
        start: int | None = None
        end: int | None = None
        if header is not None:
            match = _RANGE_RE.match(header)
            if match is None:
                raise ValueError("range not in acceptable format")
            start = int(match.group(1)) if match.group(1) else None
            end = int(match.group(2)) if match.group(2) else None
            if start is None and end is not None:
                start, end = -end, None
            if start is not None and end is not None:
                end += 1
                if start >= end:
                    raise ValueError("start cannot be after end")
            if start is None and end is None:
                raise ValueError("No start or end of range specified")
        return slice(start, end, 1)

    @property
    def transport(self) -> ScopeTransport:
        """A read-only stand-in for aiohttp's transport: ``get_extra_info()``, ``is_closing()``.

        The server owns the socket; see :mod:`asgiweb.transport`.
        """
        return ScopeTransport(self._scope, self.connection)

    @property
    def protocol(self) -> ScopeProtocol:
        """A stand-in for aiohttp's ``RequestHandler``: ``logger`` and ``transport``."""
        return ScopeProtocol(self.transport)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running event loop (deprecated, as in aiohttp)."""
        warnings.warn("request.loop property is deprecated", DeprecationWarning, stacklevel=2)
        return asyncio.get_running_loop()

    @reify
    def task(self) -> asyncio.Task[Any] | None:
        """The task handling this request."""
        return asyncio.current_task()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``peername``, ``sockname`` (and ``peercert`` with the ASGI TLS extension) from the
        scope; *default* for anything else."""
        return scope_extra_info(self._scope, name, default)

    # -- the body ----------------------------------------------------------

    @reify
    def content(self) -> StreamReader:
        """The body as a stream: ``read(n)``, ``readany()``, ``readline()``, ``iter_chunked(n)``."""
        eof = self._read_bytes is not None or not self.body_exists
        match_info = self._match_info
        app = None if match_info is None else match_info.current_app
        decode = not eof and (app is None or app.auto_decompress)
        decoder = decoder_for(self.headers.get("Content-Encoding")) if decode else None
        if app is None:
            return StreamReader(self.connection.receive, eof=eof, decoder=decoder)
        limit = app.read_bufsize
        return StreamReader(self.connection.receive, eof=eof, decoder=decoder, limit=limit)

    @reify
    def body_exists(self) -> bool:
        """Whether the request carries a body at all."""
        if self._scope["type"] in _NO_BODY_SCOPE_TYPES:
            return False
        length = self.content_length
        if length is not None:
            return length != 0
        if self._raw_header(b"transfer-encoding") is not None:
            return True
        # HTTP/2 and HTTP/3 may stream a body without announcing its length.
        return self.version.major >= 2 and self.method not in ("GET", "HEAD", "OPTIONS")

    @property
    def client_max_size(self) -> int:
        """The largest body ``read()``, ``post()`` and friends accept (0: no limit)."""
        return self._client_max_size

    @property
    def can_read_body(self) -> bool:
        """Whether there is body left to read."""
        return not self.content.at_eof()

    @property
    def has_body(self) -> bool:
        """Deprecated alias of :attr:`can_read_body`."""
        warnings.warn(
            "request.has_body is deprecated, use request.can_read_body",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.can_read_body

    async def read(self) -> bytes:
        """Read the whole body, refusing more than ``client_max_size`` bytes with 413."""
        if self._read_bytes is not None:
            return self._read_bytes
        max_size = self._client_max_size
        length = self.content_length
        # A compressed body is limited by its decoded size, read through the stream.
        compressed = self._raw_header(b"content-encoding") is not None
        if max_size and length is not None and length > max_size and not compressed:
            raise HTTPRequestEntityTooLarge(max_size, actual_size=length)
        if "content" in self.__dict__ or compressed:
            content = self.content
            first = await content.readany()
        else:
            # Nobody has touched the stream: take the first message directly,
            # which for most requests is the whole body.
            if not (length and self._scope["type"] == "http") and not self.body_exists:
                self._read_bytes = b""
                return b""
            message = await self.connection.receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body: bytes = message.get("body", b"")
                if max_size and len(body) > max_size:
                    raise HTTPRequestEntityTooLarge(max_size, actual_size=len(body))
                self._read_bytes = body
                return body
            content = self.content
            first = content.consume(message)
        if content.at_eof():
            body = first
        else:
            if max_size and len(first) > max_size:
                # the server may deliver several network reads in one message
                raise HTTPRequestEntityTooLarge(max_size, actual_size=len(first))
            buffer = bytearray(first)
            while chunk := await content.readany():
                buffer += chunk
                if max_size and len(buffer) > max_size:
                    raise HTTPRequestEntityTooLarge(max_size, actual_size=len(buffer))
            body = bytes(buffer)
        if max_size and len(body) > max_size:
            raise HTTPRequestEntityTooLarge(max_size, actual_size=len(body))
        self._read_bytes = body
        return body

    async def release(self) -> None:
        """Read and discard what is left of the body."""
        while await self.content.readany():
            pass

    async def text(self) -> str:
        """The body decoded with the request charset (UTF-8 by default).

        An unknown charset or bytes that are not valid in it answer 400.
        """
        body = await self.read()
        return decode_body(body, self.charset or "utf-8")

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        """Decode the body as JSON; a malformed body answers 400 (:class:`BadJSONBody`).

        As in aiohttp, the request's ``Content-Type`` is not checked. A document
        nested deeper than the parser can follow is malformed too.
        """
        body = await self.text()
        try:
            return loads(body)
        except ValueError as exc:
            raise BadJSONBody(exc, body) from exc
        except RecursionError:
            error = ValueError("JSON is nested too deeply to parse")
            raise BadJSONBody(error, body) from None

    async def multipart(self) -> MultipartReader:
        """A streaming reader over a ``multipart/*`` body.

        A part read whole (``await part.read()``) is limited to ``client_max_size``
        (413 beyond it), as in aiohttp; ``part.read_chunk()`` streams without limit.
        """
        max_size = self._client_max_size or sys.maxsize
        return MultipartReader(self.headers, self.content, client_max_size=max_size)

    async def post(self) -> MultiDictProxy[str | bytes | FileField]:
        """Form fields of an urlencoded or multipart body; files become :class:`FileField`."""
        if self._post is not None:
            return self._post
        if self.method not in POST_METHODS or self.content_type not in (
            "",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            if self.method in POST_METHODS and "Content-Type" not in self.headers:
                self._post = await self._parse_urlencoded()
            else:
                self._post = MultiDictProxy(MultiDict())
            return self._post
        if self.content_type == "multipart/form-data":
            self._post = await self._parse_multipart()
        else:
            self._post = await self._parse_urlencoded()
        return self._post

    async def _parse_urlencoded(self) -> MultiDictProxy[Any]:
        data = await self.read()
        if not data:
            return MultiDictProxy(MultiDict())
        charset = body_charset(self.charset or "utf-8")
        query = decode_body(data.rstrip(), charset, "Form body")
        max_fields = self._client_max_fields
        if 0 < max_fields < query.count("&") + 1:
            raise _too_many_fields(max_fields)
        pairs = parse_qsl(query, keep_blank_values=True, encoding=charset)
        return MultiDictProxy(MultiDict(pairs))

    async def _parse_multipart(self) -> MultiDictProxy[Any]:
        out: MultiDict[Any] = MultiDict()
        max_size = self._client_max_size
        if max_size and self._raw_header(b"content-encoding") is None:
            length = self.content_length
            if length is not None and length > max_size:
                raise HTTPRequestEntityTooLarge(max_size, actual_size=length)
        try:
            await self._read_form_fields(out)
        except BaseException:
            _close_files(out.values())
            raise
        return MultiDictProxy(out)

    async def _read_form_fields(self, out: MultiDict[Any]) -> None:
        reader = await self.multipart()
        max_size = self._client_max_size
        max_fields = self._client_max_fields
        content = self.content

        def check_size() -> None:
            if 0 < max_size < content.total_bytes:
                raise HTTPRequestEntityTooLarge(max_size, actual_size=content.total_bytes)

        while (field := await reader.next()) is not None:
            check_size()
            if 0 < max_fields <= len(out):
                raise _too_many_fields(max_fields)
            if field.name is None:
                raise HTTPBadRequest(text="400: Multipart field missing name.")
            field_ct = field.headers.get("Content-Type")
            if field.filename:
                tmp = await _spool(field, check_size)
                out.add(
                    field.name,
                    FileField(
                        field.name,
                        field.filename,
                        tmp,
                        field_ct or "application/octet-stream",
                        field.headers,
                    ),
                )
            else:
                value = bytearray()
                while chunk := await field.read_chunk(64 * 1024):
                    value += chunk
                    check_size()
                if field_ct is None or field_ct.startswith("text/"):
                    charset = field.get_charset("utf-8")
                    out.add(field.name, decode_body(value, charset, f"Field {field.name!r}"))
                else:
                    out.add(field.name, bytes(value))

    def close_uploads(self) -> None:
        """Close the temporary files of the :class:`FileField` uploads ``post()`` made.

        The application calls it once the response has been sent (as aiohttp
        does), so a handler need not; a file kept for later must be copied first.
        """
        post = self._post
        if post is not None:
            _close_files(post.values())

    # -- cloning and state -------------------------------------------------

    def clone(
        self,
        *,
        method: str | None = None,
        rel_url: str | URL | None = None,
        headers: Mapping[str, str] | None = None,
        scheme: str | None = None,
        host: str | None = None,
        remote: str | None = None,
        client_max_size: int | None = None,
    ) -> BaseRequest:
        """A copy with some parts changed; the body stream is shared, not copied."""
        if self._read_bytes is None and self.content.total_bytes:
            raise RuntimeError("Cannot clone request after reading its content")
        scope = dict(self._scope)
        if method is not None:
            scope["method"] = method.upper()
        if rel_url is not None:
            url = URL(rel_url)
            if url.absolute:
                raise ValueError("rel_url should be a relative URL")
            scope["path"] = url.path
            scope["raw_path"] = url.raw_path.encode("latin-1")
            scope["query_string"] = url.raw_query_string.encode("latin-1")
        if headers is not None:
            scope["headers"] = [
                (k.lower().encode("latin-1"), v.encode("utf-8"))
                for k, v in CIMultiDict(headers).items()
            ]
        cls = type(self)
        new = cls.__new__(cls)
        # copy the instance state, but not the values computed from the old scope
        new.__dict__.update(
            {k: v for k, v in self.__dict__.items() if not isinstance(getattr(cls, k, None), reify)}
        )
        new._scope = scope
        new.method = scope.get("method", "GET")
        new._state = self._state.copy()
        if client_max_size is not None:
            new._client_max_size = client_max_size
        if "content" in self.__dict__:
            new.__dict__["content"] = self.content
        if scheme is not None:
            new.__dict__["scheme"] = scheme
        if host is not None:
            new.__dict__["host"] = host
        if remote is not None:
            new.__dict__["remote"] = remote
        if rel_url is not None:
            new._route_path = None
        return new

    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        path = self.path.encode("ascii", "backslashreplace").decode("ascii")
        return f"<{type(self).__name__} {self.method} {path} >"


class Request(BaseRequest):
    """A request that went through the router: ``match_info``, ``app``, ``config_dict``."""

    @property
    def match_info(self) -> UrlMappingMatchInfo:
        """The route's match: ``request.match_info["name"]`` for ``/{name}``."""
        match_info = self._match_info
        if match_info is None:
            raise RuntimeError("match_info is available only after routing")
        return match_info

    @match_info.setter
    def match_info(self, match_info: UrlMappingMatchInfo) -> None:
        """Set by the application once the router has matched the request."""
        self._match_info = match_info

    @property
    def app(self) -> Application:
        """The application that owns the matched route (the innermost sub-app)."""
        return self.match_info.current_app

    @property
    def config_dict(self) -> Mapping[Any, Any]:
        """Look a key up in the current app, then in each outer app."""
        from collections import ChainMap

        apps = self.match_info.apps
        return MappingProxyType(ChainMap(*reversed(apps)))

    @property
    def route_path(self) -> str:
        """The path the router matches: the decoded path under the ASGI ``root_path``.

        ``%2F`` and ``%25`` stay encoded, as in aiohttp's ``URL.path_safe``.
        """
        path = self._route_path
        if path is None:
            path = self._compute_route_path()
            self._route_path = path
        return path

    def _compute_route_path(self) -> str:
        raw = self._raw_path_bytes
        root_path: str = self._scope.get("root_path", "")
        if b"%" in raw:
            path = _path_safe(raw)
            if root_path and self._scope["path"].startswith(root_path):
                depth = root_path.rstrip("/").count("/")
                path = "/" + "/".join(path.split("/")[depth + 1 :])
            return path
        path = self._scope["path"]
        if root_path and path.startswith(root_path):
            path = path[len(root_path.rstrip("/")) :] or "/"
        return path
