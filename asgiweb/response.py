"""``StreamResponse``, ``Response`` and ``json_response``, sent over ASGI."""

from __future__ import annotations

import datetime
import enum
import json
import math
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from http.cookies import Morsel, SimpleCookie
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy, getversion

from . import hdrs
from .lazy import reify
from .payload import BodyPayload, body_payload
from .protocol import (
    ETAG_ANY,
    REASON_PHRASES,
    ETag,
    HttpVersion11,
    must_be_empty_body,
    parse_content_type,
    parse_http_date,
    should_remove_content_length,
    validate_etag_value,
)

if TYPE_CHECKING:
    from .request import BaseRequest

LooseHeaders = Any  # a mapping, a multidict or an iterable of (name, value) pairs


class ContentCoding(enum.Enum):
    """The content codings ``enable_compression`` can apply (checked in this order)."""

    deflate = "deflate"
    gzip = "gzip"
    identity = "identity"


_WBITS = {ContentCoding.deflate: zlib.MAX_WBITS, ContentCoding.gzip: 16 + zlib.MAX_WBITS}
_CONTENT_CODINGS = {coding.value: coding for coding in ContentCoding}


# Lower-case ASGI names of the standard headers, so the common ones are not
# re-encoded (and re-checked) on every response.
_ENCODED_NAMES: Mapping[str, bytes] = MappingProxyType(
    {
        str(value): str(value).lower().encode("latin-1")
        for name, value in vars(hdrs).items()
        if name.isupper() and isinstance(value, str) and not name.startswith("METH_")
    }
)


def encode_headers(headers: CIMultiDict[str]) -> list[tuple[bytes, bytes]]:
    """Encode headers for ASGI (names lower-cased, as the spec asks); refuse CR and LF.

    Names and values are sent as UTF-8, as aiohttp does: ``"€"`` goes out as
    ``b"\xe2\x82\xac"`` rather than failing the response.
    """
    raw = []
    for name, value in headers.items():
        encoded_name = _ENCODED_NAMES.get(name)
        if encoded_name is None:
            if "\n" in name or "\r" in name or ":" in name:
                raise ValueError(f"Invalid header name {name!r}: it holds CR, LF or ':'")
            encoded_name = name.lower().encode("utf-8")
        if "\n" in value or "\r" in value:
            raise ValueError(
                f"Newline or carriage return character detected in header {name!r}: "
                f"{value!r}. This is a potential security issue (header injection)."
            )
        raw.append((encoded_name, value.encode("utf-8")))
    return raw


class HeadersMixin:
    """Content-Type, charset and Content-Length views over ``self.headers``."""

    _headers: CIMultiDict[str]
    _ctype_raw: str | None = None
    _ctype: tuple[str, dict[str, str]] = ("application/octet-stream", {})

    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        raw = self._headers.get(hdrs.CONTENT_TYPE)
        if raw is None:
            return "application/octet-stream", {}
        if raw != self._ctype_raw:
            self._ctype_raw = raw
            self._ctype = parse_content_type(raw)
        return self._ctype

    @property
    def content_type(self) -> str:
        """The media type without parameters, ``application/octet-stream`` by default."""
        return self._parsed_content_type()[0]

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, if any."""
        return self._parsed_content_type()[1].get("charset")

    @property
    def content_length(self) -> int | None:
        """``Content-Length`` as an int, ``None`` when absent."""
        value = self._headers.get(hdrs.CONTENT_LENGTH)
        return int(value) if value is not None else None


class StreamResponse(MutableMapping[str, Any], HeadersMixin):
    """A response whose body is written piece by piece after ``prepare()``.

    >>> resp = web.StreamResponse()
    >>> await resp.prepare(request)
    >>> await resp.write(b"chunk")
    >>> await resp.write_eof()
    """

    __http_exception__ = False
    # Watch for a client that leaves while the body is streamed, from prepare()
    # on; a Response (whole body in memory) starts watching only if written to.
    _watch_disconnect = True
    _body: bytes | bytearray | memoryview | None = None
    _keep_alive: bool | None = None
    _chunked = False
    _compression = False
    _compression_force: ContentCoding | None = None
    _compression_strategy: int | None = None
    _compressor: Any = None
    _req: BaseRequest | None = None
    _started = False
    _eof_sent = False
    _must_be_empty_body = False
    _body_length = 0
    _cookies: SimpleCookie | None = None
    _reason: str | None
    # Response: the multidict version of headers built from a template while
    # nothing that changes how the response is sent (status, cookies,
    # compression, chunking, keep-alive, headers) has been touched.
    _pristine: int | None = None

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: LooseHeaders | None = None,
    ) -> None:
        self._headers = CIMultiDict(headers) if headers is not None else CIMultiDict()
        self._set_status(status, reason)

    @reify
    def _state(self) -> dict[str, Any]:
        """What ``response[key] = value`` stores (made on first use)."""
        return {}

    # -- status ------------------------------------------------------------

    @property
    def prepared(self) -> bool:
        """True once the status line and headers have been sent."""
        return self._eof_sent or self._started

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return self._status

    @property
    def reason(self) -> str:
        """The reason phrase (the standard one unless set)."""
        reason = self._reason
        if reason is None:
            reason = self._reason = REASON_PHRASES.get(self._status, "")
        return reason

    def set_status(self, status: int, reason: str | None = None) -> None:
        """Change the status (and reason) before the response is prepared."""
        if self.prepared:
            raise AssertionError(
                "Cannot change the response status code after the headers have been sent"
            )
        self._set_status(status, reason)

    def _set_status(self, status: int, reason: str | None) -> None:
        self._pristine = None
        self._status = status if type(status) is int else int(status)
        if reason is not None and ("\r" in reason or "\n" in reason):
            raise ValueError("Reason cannot contain \\r or \\n")
        self._reason = reason  # None: the standard phrase, looked up when asked for

    @property
    def keep_alive(self) -> bool | None:
        """``False`` after :meth:`force_close`, else ``None`` (the server decides)."""
        return self._keep_alive

    def force_close(self) -> None:
        """Ask the server to close the connection after this response."""
        self._pristine = None
        self._keep_alive = False

    @property
    def body_length(self) -> int:
        """How many body bytes have been sent so far."""
        return self._body_length

    @property
    def chunked(self) -> bool:
        """True after :meth:`enable_chunked_encoding`."""
        return self._chunked

    @property
    def compression(self) -> bool:
        """True after :meth:`enable_compression`."""
        return self._compression

    def enable_chunked_encoding(self, chunk_size: int | None = None) -> None:
        """Send the body without ``Content-Length`` (the server frames it in chunks)."""
        if hdrs.CONTENT_LENGTH in self._headers:
            raise RuntimeError("You can't enable chunked encoding when a content length is set")
        self._pristine = None
        self._chunked = True

    def enable_compression(
        self, force: ContentCoding | None = None, strategy: int | None = None
    ) -> None:
        """Compress the body with gzip or deflate, as the client's Accept-Encoding allows.

        ``force`` picks a coding regardless of the request header.
        """
        if force is not None and not isinstance(force, ContentCoding):
            raise TypeError(f"force must be a ContentCoding or None, not {force!r}")
        self._pristine = None
        self._compression = True
        self._compression_force = force
        self._compression_strategy = strategy

    def disable_compression(self) -> None:
        """Undo :meth:`enable_compression`: the body goes out as it is.

        For a body that is already encoded, as ``FileResponse`` does when it
        serves a pre-compressed file.
        """
        self._compression = False

    def defer_body_to_eof(self) -> None:
        """Say that the whole body goes out with :meth:`write_eof`, in one message.

        ``prepare()`` then starts no disconnect watcher (a :class:`Response`
        never does). For a subclass that sends a small body whole, as
        ``FileResponse`` does with a small file; call it before ``prepare()``.
        """
        self._watch_disconnect = False

    # -- headers -----------------------------------------------------------

    @property
    def headers(self) -> CIMultiDict[str]:
        """The response headers, changeable until the response is prepared."""
        return self._headers

    @property
    def cookies(self) -> SimpleCookie:
        """Cookies to send, as a ``SimpleCookie`` (see :meth:`set_cookie`)."""
        if self._cookies is None:
            self._pristine = None
            self._cookies = SimpleCookie()
        return self._cookies

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        expires: str | None = None,
        domain: str | None = None,
        max_age: int | str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        version: str | None = None,
        samesite: str | None = None,
        partitioned: bool | None = None,
    ) -> None:
        """Set a cookie; only the attributes given (not ``None``) are changed."""
        cookies = self.cookies
        cookies[name] = value
        morsel = cookies[name]
        if expires is not None:
            morsel["expires"] = expires
        elif morsel.get("expires") == "Thu, 01 Jan 1970 00:00:00 GMT":
            del morsel["expires"]
        if domain is not None:
            morsel["domain"] = domain
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        elif "max-age" in morsel:
            del morsel["max-age"]
        morsel["path"] = path
        if secure is not None:
            morsel["secure"] = secure
        if httponly is not None:
            morsel["httponly"] = httponly
        if version is not None:
            morsel["version"] = version
        if samesite is not None:
            morsel["samesite"] = samesite
        if partitioned:
            self._partitioned().add(name)
        elif partitioned is False:
            self._partitioned().discard(name)

    def _partitioned(self) -> set[str]:
        names: set[str] = self.__dict__.setdefault("_partitioned_names", set())
        return names

    def del_cookie(
        self,
        name: str,
        *,
        domain: str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        samesite: str | None = None,
    ) -> None:
        """Delete a cookie on the client by expiring it."""
        self.cookies.pop(name, None)
        self.set_cookie(
            name,
            "",
            max_age=0,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
            domain=domain,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    @property
    def content_length(self) -> int | None:
        return super().content_length

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self._headers.pop(hdrs.CONTENT_LENGTH, None)
            return
        value = int(value)
        if self._chunked:
            raise RuntimeError("You can't set content length when chunked encoding is enable")
        self._headers[hdrs.CONTENT_LENGTH] = str(value)

    @property
    def content_type(self) -> str:
        return super().content_type

    @content_type.setter
    def content_type(self, value: str) -> None:
        params = self._parsed_content_type()[1]
        self._set_content_type(str(value), params)

    @property
    def charset(self) -> str | None:
        return super().charset

    @charset.setter
    def charset(self, value: str | None) -> None:
        ctype, params = self._parsed_content_type()
        if ctype == "application/octet-stream":
            raise RuntimeError(
                "Setting charset for application/octet-stream doesn't make sense, "
                "setup content_type first"
            )
        params = dict(params)
        if value is None:
            params.pop("charset", None)
        else:
            params["charset"] = str(value).lower()
        self._set_content_type(ctype, params)

    def _set_content_type(self, ctype: str, params: dict[str, str]) -> None:
        if params:
            ctype = ctype + "; " + "; ".join(f"{k}={v}" for k, v in params.items())
        self._headers[hdrs.CONTENT_TYPE] = ctype

    @property
    def last_modified(self) -> datetime.datetime | None:
        """``Last-Modified`` as an aware datetime; set it from a datetime, timestamp or str."""
        return parse_http_date(self._headers.get(hdrs.LAST_MODIFIED))

    @last_modified.setter
    def last_modified(self, value: int | float | datetime.datetime | str | None) -> None:
        if value is None:
            self._headers.pop(hdrs.LAST_MODIFIED, None)
        elif isinstance(value, (int, float)):
            self._headers[hdrs.LAST_MODIFIED] = time.strftime(
                "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(math.ceil(value))
            )
        elif isinstance(value, datetime.datetime):
            self._headers[hdrs.LAST_MODIFIED] = time.strftime(
                "%a, %d %b %Y %H:%M:%S GMT", value.utctimetuple()
            )
        elif isinstance(value, str):
            self._headers[hdrs.LAST_MODIFIED] = value
        else:
            raise TypeError(
                f"Unsupported type for last_modified: {type(value).__name__}; "
                "use a datetime, a timestamp, a string or None"
            )

    @property
    def etag(self) -> ETag | None:
        """``ETag`` as an :class:`ETag`; set it from a str or an ETag."""
        raw = self._headers.get(hdrs.ETAG)
        if raw is None:
            return None
        if raw == ETAG_ANY:
            return ETag(ETAG_ANY)
        weak = raw.startswith("W/")
        value = raw[2:] if weak else raw
        if len(value) < 2 or value[0] != '"' or value[-1] != '"':
            return None
        return ETag(value=value[1:-1], is_weak=weak)

    @etag.setter
    def etag(self, value: ETag | str | None) -> None:
        if value is None:
            self._headers.pop(hdrs.ETAG, None)
        elif (isinstance(value, str) and value == ETAG_ANY) or (
            isinstance(value, ETag) and value.value == ETAG_ANY
        ):
            self._headers[hdrs.ETAG] = ETAG_ANY
        elif isinstance(value, str):
            validate_etag_value(value)
            self._headers[hdrs.ETAG] = f'"{value}"'
        elif isinstance(value, ETag):
            validate_etag_value(value.value)
            self._headers[hdrs.ETAG] = f'{"W/" if value.is_weak else ""}"{value.value}"'
        else:
            raise ValueError(
                f"Unsupported etag type: {type(value)}. etag must be str, ETag or None"
            )

    # -- sending -----------------------------------------------------------

    async def prepare(self, request: BaseRequest) -> None:
        """Send the status line and headers; after this only the body can change."""
        if self._eof_sent or self._started:
            return
        await self._start(request)

    async def _start(self, request: BaseRequest) -> None:
        self._req = request
        connection = request.connection
        self._must_be_empty_body = must_be_empty_body(request.method, self._status)
        self._prepare_headers(request)
        hook = connection.prepare_hook
        if hook is not None:
            await hook(request, self)
        await self._send_start(request)
        if self._watch_disconnect:
            self._watch(request)

    def _watch(self, request: BaseRequest) -> None:
        """Notice a client that leaves mid-stream, so that ``write()`` can say so."""
        connection = request.connection
        if connection.watcher is None and request.scope["type"] == "http":
            connection.watch_disconnect(request)

    def _prepare_headers(self, request: BaseRequest) -> None:
        headers = self._headers
        if self._cookies:
            partitioned = self.__dict__.get("_partitioned_names", ())
            for name, morsel in self._cookies.items():
                headers.add(hdrs.SET_COOKIE, _cookie_header(morsel, name in partitioned))
        if self._compression:
            self._start_compression(request)
        if self._chunked and request.version != HttpVersion11:
            raise RuntimeError(
                "Using chunked encoding is forbidden for "
                f"HTTP/{request.version.major}.{request.version.minor}"
            )
        if self._must_be_empty_body:
            if hdrs.CONTENT_LENGTH in headers and should_remove_content_length(
                request.method, self._status
            ):
                del headers[hdrs.CONTENT_LENGTH]
        elif self.content_length != 0:
            headers.setdefault(hdrs.CONTENT_TYPE, "application/octet-stream")
        if self._keep_alive is False and hdrs.CONNECTION not in headers:
            headers[hdrs.CONNECTION] = "close"

    def _start_compression(self, request: BaseRequest) -> None:
        coding = self._compression_force
        if coding is None:
            accept = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
            for value, candidate in _CONTENT_CODINGS.items():
                if value in accept:
                    coding = candidate
                    break
        if coding is None or coding is ContentCoding.identity:
            return
        self._apply_compression(coding)

    def _apply_compression(self, coding: ContentCoding) -> None:
        self._headers[hdrs.CONTENT_ENCODING] = coding.value
        self._headers.popall(hdrs.CONTENT_LENGTH, None)
        self._compressor = _compressor(coding, self._compression_strategy)

    async def _send_start(self, request: BaseRequest) -> None:
        raw_headers = encode_headers(self._headers)
        self._started = True
        await request.connection.start_response(self._status, raw_headers)

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send a piece of the body; ``prepare()`` must have been awaited first."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        if self._eof_sent:
            raise RuntimeError("Cannot call write() after write_eof()")
        request = self._req
        if not self._started or request is None:
            raise RuntimeError("Cannot call write() before prepare()")
        if self._must_be_empty_body or not data:
            return
        connection = request.connection
        if connection.client_gone:
            raise ConnectionResetError("Cannot write to closing transport")
        if connection.watcher is None:
            # a Response written piece by piece streams after all
            self._watch(request)
        self._body_length += len(data)
        if self._compressor is not None:
            data = self._compressor.compress(data)
            if not data:
                return
        # connection.send directly, not send_body(): one coroutine frame less per piece
        await connection.send(
            {"type": "http.response.body", "body": bytes(data), "more_body": True}
        )

    async def drain(self) -> None:
        """Deprecated, as in aiohttp: ``await write()`` waits already (the ASGI server
        applies back-pressure in ``send``)."""
        warnings.warn(
            "drain method is deprecated, use await resp.write()",
            DeprecationWarning,
            stacklevel=2,
        )

    async def write_eof(self, data: bytes = b"") -> None:
        """Finish the body (optionally with a last piece)."""
        if self._eof_sent:
            return
        if not self._started or self._req is None:
            raise AssertionError("Response has not been started")
        tail = b""
        if data and not self._must_be_empty_body:
            self._body_length += len(data)
            tail = self._compressor.compress(data) if self._compressor else bytes(data)
        if self._compressor is not None:
            tail += self._compressor.flush()
        self._eof_sent = True
        connection = self._req.connection
        connection.stop_watching()
        await connection.send_body(tail, more_body=False)

    def mark_sent(self) -> None:
        """Record that the whole response went out by other means (a file path, a mounted app)."""
        self._started = True
        self._eof_sent = True

    async def deliver(self, request: BaseRequest) -> None:
        """Send this response to *request* in full: ``prepare()`` unless done, ``write_eof()``.

        What the application does with the response a handler returned.
        """
        if not self.prepared:
            await self.prepare(request)
        await self.write_eof()

    # -- misc --------------------------------------------------------------

    def __repr__(self) -> str:
        info = "eof" if self._eof_sent else "not prepared" if not self._started else "prepared"
        return f"<{type(self).__name__} {self.reason} {info}>"

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

    def __hash__(self) -> int:
        return hash(id(self))

    def __eq__(self, other: object) -> bool:
        return self is other

    def __bool__(self) -> bool:
        return True


def _compressor(coding: ContentCoding, strategy: int | None) -> Any:
    return zlib.compressobj(
        wbits=_WBITS[coding], strategy=strategy if strategy is not None else zlib.Z_DEFAULT_STRATEGY
    )


def _cookie_header(morsel: Morsel[str], partitioned: bool) -> str:
    value = morsel.output(header="")[1:]
    return value + "; Partitioned" if partitioned else value


# Responses built from a body and a Content-Type only (``Response(text=...)``,
# ``json_response(...)``, ``Response(body=..., content_type=...)``) start from a
# shared header template whose ASGI encoding is known. While their headers stay
# untouched (multidict's version says so), they are sent without re-encoding.
_HeaderTemplate = tuple[CIMultiDictProxy[str], tuple[bytes, bytes] | None]


def _template(content_type: str | None) -> _HeaderTemplate:
    if content_type is None:
        return CIMultiDictProxy(CIMultiDict()), None
    headers = CIMultiDictProxy(CIMultiDict({hdrs.CONTENT_TYPE: content_type}))
    return headers, (b"content-type", content_type.encode("ascii"))


_NO_CONTENT_TYPE = _template(None)
_TEXT_PLAIN = _template("text/plain; charset=utf-8")
_OCTET_STREAM = (b"content-type", b"application/octet-stream")
# The Content-Types most responses carry; others take the general path.
_TEMPLATES: Mapping[str, _HeaderTemplate] = MappingProxyType(
    {
        content_type: _template(content_type)
        for media_type in (
            "text/plain",
            "text/html",
            "text/css",
            "text/csv",
            "text/xml",
            "application/json",
            "application/javascript",
            "application/xml",
            "application/octet-stream",
            "application/x-www-form-urlencoded",
        )
        for content_type in (media_type, media_type + "; charset=utf-8")
    }
)
# Response(text=..., content_type=media_type): the template with charset=utf-8
_TEXT_TEMPLATES: Mapping[str, _HeaderTemplate] = MappingProxyType(
    {
        content_type.partition(";")[0]: template
        for content_type, template in _TEMPLATES.items()
        if content_type.endswith("; charset=utf-8")
    }
)


class Response(StreamResponse):
    """A response with its whole body in memory, sent in exactly two ASGI messages.

    >>> web.Response(text="Hello")
    >>> web.Response(body=b"\\x00", content_type="application/octet-stream")
    """

    _compressed_body: bytes | None = None
    _raw_content_type: tuple[bytes, bytes] | None = None
    _watch_disconnect = False
    _payload: BodyPayload | None = None  # a body object streamed when sent

    def __init__(
        self,
        *,
        body: Any = None,
        status: int = 200,
        reason: str | None = None,
        text: str | None = None,
        headers: LooseHeaders | None = None,
        content_type: str | None = None,
        charset: str | None = None,
    ) -> None:
        if headers is None and charset is None and reason is None and type(status) is int:
            template: _HeaderTemplate | None = None
            if body is None and type(text) is str:
                if content_type is None:
                    template = _TEXT_PLAIN
                else:  # a content_type holding a charset is refused below
                    template = _TEXT_TEMPLATES.get(content_type)
                if template is not None:
                    body = text.encode()
            elif text is None and (type(body) is bytes or body is None):
                if content_type is None:
                    template = _NO_CONTENT_TYPE
                elif "charset" not in content_type:
                    template = _TEMPLATES.get(content_type)
            if template is not None:
                headers = self._headers = template[0].copy()
                if 200 <= status < 300 and status != 204:
                    self._pristine = getversion(headers)  # type: ignore[arg-type]
                self._raw_content_type = template[1]
                self._body = body
                self._status = status
                self._reason = None
                return
        if body is not None and text is not None:
            raise ValueError("body and text are not allowed together")
        real_headers: CIMultiDict[str] = CIMultiDict() if headers is None else CIMultiDict(headers)
        if content_type is not None and "charset" in content_type:
            raise ValueError("charset must not be in content_type argument")
        if text is not None:
            if hdrs.CONTENT_TYPE in real_headers:
                if content_type or charset:
                    raise ValueError(
                        "passing both Content-Type header and content_type or charset "
                        "params is forbidden"
                    )
            else:
                if not isinstance(text, str):
                    raise TypeError(f"text argument must be str ({type(text)!r})")
                real_headers[hdrs.CONTENT_TYPE] = (
                    (content_type or "text/plain") + "; charset=" + (charset or "utf-8")
                )
                body = text.encode(charset or "utf-8")
                text = None
        elif hdrs.CONTENT_TYPE in real_headers:
            if content_type is not None or charset is not None:
                raise ValueError(
                    "passing both Content-Type header and content_type or charset "
                    "params is forbidden"
                )
        elif content_type is not None:
            if charset is not None:
                content_type += "; charset=" + charset
            real_headers[hdrs.CONTENT_TYPE] = content_type
        self._headers = real_headers
        self._set_status(status, reason)
        if text is not None:
            self.text = text
        else:
            self.body = body

    @property
    def body(self) -> bytes | bytearray | memoryview | None:
        """The body as bytes (``None`` when there is none)."""
        return self._body

    @body.setter
    def body(self, body: Any) -> None:
        if body is None or isinstance(body, (bytes, bytearray)):
            self._body = body
        elif isinstance(body, memoryview):
            self._body = body.tobytes()
        elif isinstance(body, str):
            self._body = body.encode("utf-8")
            self._headers.setdefault(hdrs.CONTENT_TYPE, "text/plain; charset=utf-8")
        else:
            payload = body_payload(body)
            if payload is None:
                raise ValueError(f"Unsupported body type {type(body)!r}")
            self._body = None
            self._payload = payload
            self._pristine = None
            if payload.content_type is not None:
                self._headers.setdefault(hdrs.CONTENT_TYPE, payload.content_type)
            if payload.content_disposition is not None:
                self._headers.setdefault(hdrs.CONTENT_DISPOSITION, payload.content_disposition)
            return
        self._payload = None
        self._compressed_body = None

    @property
    def text(self) -> str | None:
        """The body decoded with the response charset (UTF-8 by default)."""
        if self._body is None:
            return None
        return bytes(self._body).decode(self.charset or "utf-8")

    @text.setter
    def text(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text argument must be str ({type(text)!r})")
        if self.content_type == "application/octet-stream":
            self.content_type = "text/plain"
        if self.charset is None:
            self.charset = "utf-8"
        self._body = text.encode(self.charset or "utf-8")
        self._compressed_body = None

    @property
    def content_length(self) -> int | None:
        if self._chunked:
            return None
        if hdrs.CONTENT_LENGTH in self._headers:
            return int(self._headers[hdrs.CONTENT_LENGTH])
        if self._payload is not None:
            return self._payload.size
        if self._compressed_body is not None:
            return len(self._compressed_body)
        if self._body is not None:
            return len(self._body)
        return 0

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        raise RuntimeError("Content length is set automatically")

    def _prepare_headers(self, request: BaseRequest) -> None:
        headers = self._headers
        payload = self._payload
        if payload is not None:
            # a streamed body: its size when known, else the server frames it (chunked)
            if hdrs.CONTENT_LENGTH not in headers and payload.size is not None:
                headers[hdrs.CONTENT_LENGTH] = str(payload.size)
            super()._prepare_headers(request)
            return
        if hdrs.CONTENT_LENGTH in headers:
            if should_remove_content_length(request.method, self._status):
                del headers[hdrs.CONTENT_LENGTH]
        elif not self._chunked:
            length = len(self._body) if self._body else 0
            if length or (self._status != 304 and request.method != "HEAD"):
                headers[hdrs.CONTENT_LENGTH] = str(length)
        super()._prepare_headers(request)

    def _apply_compression(self, coding: ContentCoding) -> None:
        if self._chunked or self._payload is not None:
            super()._apply_compression(coding)
            return
        compressor = _compressor(coding, self._compression_strategy)
        self._compressed_body = compressor.compress(self._body or b"") + compressor.flush()
        self._headers[hdrs.CONTENT_ENCODING] = coding.value
        self._headers[hdrs.CONTENT_LENGTH] = str(len(self._compressed_body))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that changes how it is prepared or written takes the general path.
        cls._sends_in_one_go = (
            cls.prepare is StreamResponse.prepare
            and cls._start is StreamResponse._start
            and cls.write_eof is Response.write_eof
            and cls._send_start is StreamResponse._send_start
            and cls.deliver is Response.deliver
        )

    _sends_in_one_go = True

    async def deliver(self, request: BaseRequest) -> None:
        """``prepare()`` then ``write_eof()``, as exactly two ASGI messages.

        Headers untouched since the response was built from a template go out
        pre-encoded; other responses are prepared in place. A subclass that
        overrides how it is prepared or written, or a response the handler
        prepared, takes ``prepare()`` + ``write_eof()``. Each of the three sends
        the same messages (tests/test_send_paths.py); the two shortcuts are
        kept because each measurably pays (docs/architecture.md).
        """
        if self._payload is not None:
            await self._deliver_payload(request, self._payload)
            return
        if not self._sends_in_one_go or self._started or self._eof_sent:
            await super().deliver(request)
            return
        self._req = request
        connection = request.connection
        status = self._status
        headers = self._headers
        pristine = self._pristine
        if (
            pristine is not None
            and getversion(headers) == pristine  # type: ignore[arg-type]
            and connection.prepare_hook is None
            and request.method != "HEAD"
        ):
            # headers as built from the template: encode only Content-Length
            body: Any = self._body or b""
            length = str(len(body))
            headers[hdrs.CONTENT_LENGTH] = length
            content_type = self._raw_content_type
            if content_type is not None:
                raw_headers = [content_type, (b"content-length", length.encode())]
            elif body:
                headers[hdrs.CONTENT_TYPE] = "application/octet-stream"
                raw_headers = [(b"content-length", length.encode()), _OCTET_STREAM]
            else:
                raw_headers = [(b"content-length", b"0")]
        else:
            # prepare()'s work, in place: no extra frames, no disconnect watcher
            body = None
            self._must_be_empty_body = must_be_empty_body(request.method, status)
            self._prepare_headers(request)
            hook = connection.prepare_hook
            if hook is not None:
                await hook(request, self)
            raw_headers = encode_headers(headers)
        self._started = True
        connection.response_started = True
        send = connection.send
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        if body is None:
            if self._must_be_empty_body:
                body = b""
            elif self._compressed_body is not None:
                body = self._compressed_body
            else:
                body = self._body or b""
                if self._compressor is not None:
                    body = self._compressor.compress(body) + self._compressor.flush()
        self._body_length = len(body)
        self._eof_sent = True
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _deliver_payload(self, request: BaseRequest, payload: BodyPayload) -> None:
        """Send a streamed body: the headers, the body as the payload writes it, the end."""
        try:
            if not self.prepared:
                await self.prepare(request)
            if not self._must_be_empty_body and not self._eof_sent:
                await payload.write(self)
        finally:
            await payload.close()
        await StreamResponse.write_eof(self)

    async def write_eof(self, data: bytes = b"") -> None:
        if self._payload is not None:
            await super().write_eof(data)
            return
        if self._eof_sent:
            return
        if self._compressed_body is not None:
            body: bytes | bytearray | memoryview = self._compressed_body
        else:
            body = self._body or b""
        if not self._started or self._req is None:
            raise AssertionError("Response has not been started")
        if self._must_be_empty_body:
            body = b""
        elif self._chunked and self._compressor is not None:
            body = self._compressor.compress(body) + self._compressor.flush()
        if data:
            body = bytes(body) + data
        self._body_length = len(body)
        self._eof_sent = True
        await self._req.connection.send_body(body, more_body=False)


_SENTINEL: Any = object()


def json_response(
    data: Any = _SENTINEL,
    *,
    text: str | None = None,
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: LooseHeaders | None = None,
    content_type: str = "application/json",
    dumps: Callable[[Any], str] = json.dumps,
) -> Response:
    """Serialize *data* with *dumps* into an ``application/json`` response.

    >>> web.json_response({"ok": True}, status=201)
    """
    if data is not _SENTINEL:
        if text or body:
            raise ValueError("only one of data, text, or body should be specified")
        text = dumps(data)
    return Response(
        text=text,
        body=body,
        status=status,
        reason=reason,
        headers=headers,
        content_type=content_type,
    )


def json_bytes_response(
    data: Any = _SENTINEL,
    *,
    dumps: Callable[[Any], bytes],
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: LooseHeaders | None = None,
    content_type: str = "application/json",
) -> Response:
    """A JSON response from an encoder that returns bytes (orjson), without a str round trip.

    >>> web.json_bytes_response({"ok": True}, dumps=orjson.dumps)
    """
    if data is not _SENTINEL:
        if body is not None:
            raise ValueError("only one of data or body should be specified")
        body = dumps(data)
    return Response(
        body=body, status=status, reason=reason, headers=headers, content_type=content_type
    )
