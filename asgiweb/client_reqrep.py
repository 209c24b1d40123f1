"""``ClientResponse``: aiohttp's client response API over an ``httpx`` response.

What the test client's ``get``/``post``/… return: ``status``, ``reason``,
``headers``, ``await text()``/``json()``/``read()``, ``content`` (a stream),
``cookies``, ``release()``, ``raise_for_status()``, ``async with``.

The error classes are aiohttp's own when aiohttp is installed, so a ported
test's ``pytest.raises(aiohttp.ClientResponseError)`` keeps working; without
aiohttp, the classes of the same names below are raised.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Coroutine, Generator
from http import HTTPStatus
from http.cookies import SimpleCookie
from types import TracebackType
from typing import Any, Generic, NamedTuple, TypeVar

import httpx
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .protocol import HttpVersion, HttpVersion10, HttpVersion11
from .streams import StreamReader
from .typedefs import Message

__all__ = (
    "ClientError",
    "ClientResponse",
    "ClientResponseError",
    "ContentTypeError",
    "RequestContextManager",
    "RequestInfo",
    "WSServerHandshakeError",
    "aiohttp_error",
)

_T = TypeVar("_T")


def aiohttp_module() -> Any:
    """The ``aiohttp`` package when it is installed, else ``None``."""
    try:
        return importlib.import_module("aiohttp")
    except ImportError:
        return None


class RequestInfo(NamedTuple):
    """What was requested: ``url``, ``method``, ``headers``, ``real_url``."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL


class ClientError(Exception):
    """Base of the client errors (used when aiohttp is not installed)."""


class ClientResponseError(ClientError):
    """An error status or a bad response: ``status``, ``message``, ``headers``."""

    def __init__(
        self,
        request_info: RequestInfo,
        history: tuple[ClientResponse, ...],
        *,
        status: int | None = None,
        message: str = "",
        headers: CIMultiDictProxy[str] | None = None,
    ) -> None:
        self.request_info = request_info
        self.history = history
        self.status = 0 if status is None else status
        self.message = message
        self.headers = headers
        super().__init__(f"{self.status}, message={message!r}, url={request_info.real_url!s}")


class ContentTypeError(ClientResponseError):
    """``json()`` was called on a response whose Content-Type is not JSON."""


class WSServerHandshakeError(ClientResponseError):
    """The server refused the WebSocket handshake (``status`` is its answer)."""


def aiohttp_error(
    name: str,
    request_info: RequestInfo,
    history: tuple[ClientResponse, ...],
    *,
    status: int,
    message: str,
    headers: CIMultiDictProxy[str] | None,
) -> Exception:
    """aiohttp's exception class *name* when aiohttp is installed, else ours."""
    aiohttp = aiohttp_module()
    if aiohttp is not None:
        info = aiohttp.RequestInfo(
            request_info.url, request_info.method, request_info.headers, request_info.real_url
        )
        error: Exception = getattr(aiohttp, name)(
            info, history, status=status, message=message, headers=headers
        )
        return error
    cls = {
        "ClientResponseError": ClientResponseError,
        "ContentTypeError": ContentTypeError,
        "WSServerHandshakeError": WSServerHandshakeError,
    }[name]
    return cls(request_info, history, status=status, message=message, headers=headers)


def _headers(pairs: list[tuple[bytes, bytes]]) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(
        CIMultiDict((k.decode("latin-1"), v.decode("utf-8", "surrogateescape")) for k, v in pairs)
    )


def _content_type(headers: CIMultiDictProxy[str]) -> tuple[str, dict[str, str]]:
    raw = headers.get("Content-Type")
    if raw is None:
        return "application/octet-stream", {}
    kind, _, rest = raw.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            params[name.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), params


class ClientResponse:
    """A response the test client received, with aiohttp's ``ClientResponse`` API.

    >>> async with client.get("/") as resp:
    ...     assert resp.status == 200
    ...     assert "Hello" in await resp.text()
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        history: tuple[ClientResponse, ...] = (),
        request_headers: CIMultiDictProxy[str] | None = None,
    ) -> None:
        self._response = response
        self.method: str = response.request.method
        self.url = URL(str(response.url))
        self.real_url = self.url
        self.status: int = response.status_code
        try:
            phrase = response.reason_phrase
        except (KeyError, AttributeError):
            phrase = ""
        if not phrase:
            try:
                phrase = HTTPStatus(self.status).phrase
            except ValueError:
                phrase = ""
        self.reason: str = phrase
        self.raw_headers = tuple(response.headers.raw)
        self.headers = _headers(list(response.headers.raw))
        self.history = history
        self.version: HttpVersion = (
            HttpVersion10 if response.http_version == "HTTP/1.0" else HttpVersion11
        )
        self.request_info = RequestInfo(
            self.url,
            self.method,
            request_headers
            if request_headers is not None
            else _headers(list(response.request.headers.raw)),
            self.url,
        )
        self._body: bytes | None = None
        self._closed = False
        self._chunks = response.aiter_bytes().__aiter__()
        self.content = StreamReader(self._receive_chunk)
        self._content_type, self._params = _content_type(self.headers)

    async def _receive_chunk(self) -> Message:
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    # -- metadata -------------------------------------------------------------------

    @property
    def ok(self) -> bool:
        """True for a status below 400."""
        return self.status < 400

    @property
    def content_type(self) -> str:
        """The media type of Content-Type (``application/octet-stream`` when absent)."""
        return self._content_type

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of Content-Type, if any."""
        return self._params.get("charset")

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int, if present."""
        value = self.headers.get("Content-Length")
        return int(value) if value is not None else None

    @property
    def cookies(self) -> SimpleCookie:
        """The cookies this response sets (its ``Set-Cookie`` headers)."""
        jar: SimpleCookie = SimpleCookie()
        for value in self.headers.getall("Set-Cookie", ()):
            jar.load(value)
        return jar

    @property
    def closed(self) -> bool:
        """True once the response was released or closed."""
        return self._closed

    @property
    def connection(self) -> None:
        """aiohttp's connection object; there is none to show here."""
        return None

    def get_encoding(self) -> str:
        """The charset to decode the body with (aiohttp's rules: JSON is UTF-8)."""
        charset = self.charset
        if charset:
            return charset
        if self._content_type in ("application/json", "application/ld+json"):
            return "utf-8"
        if self._body is not None:
            return self._response.encoding or "utf-8"
        return "utf-8"

    def raise_for_status(self) -> None:
        """Raise ``ClientResponseError`` (aiohttp's when installed) for a status of 400 or more."""
        if self.status >= 400:
            self.release_nowait()
            raise aiohttp_error(
                "ClientResponseError",
                self.request_info,
                self.history,
                status=self.status,
                message=self.reason,
                headers=self.headers,
            )

    # -- the body --------------------------------------------------------------------

    async def read(self) -> bytes:
        """The whole body (read once, then cached)."""
        if self._body is None:
            self._body = await self.content.read()
            await self.release()
        return self._body

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """The body decoded with *encoding*, else the response's charset."""
        body = await self.read()
        return body.decode(encoding or self.get_encoding(), errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = json.loads,
        content_type: str | None = "application/json",
    ) -> Any:
        """The body parsed as JSON; ``ContentTypeError`` if Content-Type is not *content_type*."""
        body = await self.read()
        if content_type and content_type not in self._content_type:
            raise aiohttp_error(
                "ContentTypeError",
                self.request_info,
                self.history,
                status=self.status,
                message=(f"Attempt to decode JSON with unexpected mimetype: {self._content_type}"),
                headers=self.headers,
            )
        stripped = body.strip()
        if not stripped:
            return None
        return loads(stripped.decode(encoding or self.get_encoding()))

    # -- lifetime --------------------------------------------------------------------

    async def release(self) -> None:
        """Finish with the response: the server sees the client leave if the body was unread."""
        if not self._closed:
            self._closed = True
            await self._response.aclose()

    def release_nowait(self) -> None:
        """Mark the response closed; the connection is closed when the client closes."""
        self._closed = True

    def close(self) -> None:
        """aiohttp's synchronous close: the test client finishes the exchange on close."""
        self._closed = True

    async def wait_for_close(self) -> None:
        """Wait until the body is read, then release."""
        await self.content.read()
        await self.release()

    async def __aenter__(self) -> ClientResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()

    def __repr__(self) -> str:
        return f"<ClientResponse({self.url}) [{self.status} {self.reason}]>"


class RequestContextManager(Generic[_T]):
    """Both ``await client.get(...)`` and ``async with client.get(...) as resp`` work."""

    __slots__ = ("_coro", "_result")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._result: _T | None = None

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    async def __aenter__(self) -> _T:
        self._result = await self._coro
        return self._result

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        result: Any = self._result
        if result is not None:
            if hasattr(result, "release"):
                await result.release()
            else:
                await result.close()
