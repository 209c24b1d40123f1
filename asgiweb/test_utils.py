"""aiohttp.test_utils' API for asgiweb apps: ``from asgiweb import test_utils``.

>>> async with TestClient(TestServer(app, in_process=True)) as client:
...     resp = await client.get("/")
...     assert resp.status == 200
...     assert await resp.text() == "Hello"

``TestClient`` answers with aiohttp's response API (``status``, ``reason``,
``headers``, ``await text()``/``json()``/``read()``, ``content``, ``cookies``)
and ``ws_connect()`` gives aiohttp's ``ClientWebSocketResponse`` API.

Two ways to serve the app:

* in process (``TestServer(app, in_process=True)``; what ``aiohttp_client(app)``
  and ``AioHTTPTestCase`` use): requests go straight through ASGI, no
  socket is opened, and the lifespan runs on start and close;
* over real uvicorn (``TestServer(app)``, as aiohttp's ``TestServer``):
  the app listens on 127.0.0.1 and any HTTP client, aiohttp's own
  ``ClientSession`` included, can talk to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import ipaddress
import json
import os
import socket
import sys
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.cookies import Morsel, SimpleCookie
from types import TracebackType
from typing import Any
from unittest import IsolatedAsyncioTestCase, mock
from urllib.parse import quote

import httpx
import uvicorn
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .app import Application
from .client_reqrep import (
    ClientResponse,
    RequestContextManager,
    RequestInfo,
    aiohttp_error,
)
from .client_ws import (
    ClientWebSocketResponse,
    InProcessWebSocket,
    NetworkWebSocket,
    WebSocketTransport,
    websocket_key,
)
from .inprocess import ASGIWebSocketConnection, StreamingASGITransport, WebSocketDenied
from .lifespan import LifespanDriver
from .protocol import HttpVersion
from .request import Request
from .routing import UrlMappingMatchInfo
from .runner import AppRunner, SockSite
from .server import RawHandler, Server
from .typedefs import ASGIApp, Message

__all__ = (
    "AioHTTPTestCase",
    "BaseTestServer",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "get_port_socket",
    "get_unused_port_socket",
    "loop_context",
    "make_mocked_coro",
    "make_mocked_request",
    "setup_test_loop",
    "teardown_test_loop",
    "unittest_run_loop",
    "unused_port",
)

REUSE_ADDRESS = os.name == "posix" and sys.platform != "cygwin"

_SENTINEL: Any = object()
_EMPTY_URL = URL()
_HTTP11 = HttpVersion(1, 1)


def get_port_socket(host: str, port: int, family: socket.AddressFamily) -> socket.socket:
    """A TCP socket bound to *host*:*port* (port 0: any free port)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    if REUSE_ADDRESS:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def get_unused_port_socket(
    host: str, family: socket.AddressFamily = socket.AF_INET
) -> socket.socket:
    """A TCP socket bound to a free port of *host*."""
    return get_port_socket(host, 0, family)


def unused_port() -> int:
    """A port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class BaseTestServer(ABC):
    """A server for tests: started by ``start_server()``, stopped by ``close()``.

    With ``in_process=True`` nothing listens: the test client calls the ASGI
    app directly, and ``host``/``port`` only name the server in URLs.
    """

    __test__ = False

    def __init__(
        self,
        *,
        scheme: str = "",
        loop: asyncio.AbstractEventLoop | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        skip_url_asserts: bool = False,
        socket_factory: Callable[[str, int, socket.AddressFamily], socket.socket] = (
            get_port_socket
        ),
        in_process: bool = False,
        **kwargs: Any,
    ) -> None:
        self._loop = loop
        self._root: URL | None = None
        self.host = host
        self.port = port
        self._closed = False
        self._started = False
        self.scheme = scheme
        self.skip_url_asserts = skip_url_asserts
        self.socket_factory = socket_factory
        self.in_process = in_process
        self._kwargs = kwargs
        self._lifespan: LifespanDriver | None = None

    @property
    @abstractmethod
    def asgi_app(self) -> ASGIApp:
        """The ASGI application this server serves."""

    @property
    def lifespan_state(self) -> dict[str, Any] | None:
        """The ASGI lifespan state requests get in process (``None`` without lifespan)."""
        return self._lifespan.state if self._lifespan is not None else None

    async def start_server(
        self, loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any
    ) -> None:
        """Start serving (once): run the lifespan startup, and listen unless in process."""
        if self._started:
            return
        self._started = True
        ssl_context = kwargs.pop("ssl", None)
        absolute_host = self.host
        try:
            version = ipaddress.ip_address(self.host).version
        except ValueError:
            version = 4
        if version == 6:
            absolute_host = f"[{self.host}]"
        if self.in_process:
            if not self.port:
                self.port = unused_port()
            await self._start_in_process()
        else:
            family = socket.AF_INET6 if version == 6 else socket.AF_INET
            sock = self.socket_factory(self.host, self.port or 0, family)
            self.host, self.port = sock.getsockname()[:2]
            await self._start_listening(sock, ssl_context, {**self._kwargs, **kwargs})
        if not self.scheme:
            self.scheme = "https" if ssl_context else "http"
        self._root = URL(f"{self.scheme}://{absolute_host}:{self.port}")

    async def _start_in_process(self) -> None:  # noqa: B027 - optional hook
        """Run what a server runs before the first request (nothing by default)."""

    @abstractmethod
    async def _start_listening(
        self, sock: socket.socket, ssl_context: Any, options: dict[str, Any]
    ) -> None:
        """Serve the app on *sock* with uvicorn."""

    @abstractmethod
    async def _stop(self) -> None:
        """Stop serving (and run the lifespan shutdown)."""

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of *path* on this server."""
        if self._root is None:
            raise RuntimeError("the test server is not started (await server.start_server())")
        url = URL(path)
        if not self.skip_url_asserts:
            if url.absolute:
                raise ValueError(f"expected a relative URL, got {path!r}")
            return self._root.join(url)
        return URL(str(self._root) + str(path))

    @property
    def started(self) -> bool:
        """True once ``start_server()`` ran."""
        return self._started

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran."""
        return self._closed

    @property
    def handler(self) -> ASGIApp:
        """The ASGI app being served (aiohttp returns its ``web.Server`` here)."""
        return self.asgi_app

    async def close(self) -> None:
        """Stop the server and run the lifespan shutdown; safe to call twice."""
        if self._started and not self._closed:
            self._closed = True
            await self._stop()
            self._root = None
            self.port = None

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(  # noqa: B027 - pairs with __enter__, which raises
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pass  # pragma: no cover - __enter__ raises

    async def __aenter__(self) -> BaseTestServer:
        await self.start_server(loop=self._loop)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


class TestServer(BaseTestServer):
    """Serve an ``Application``: through ``AppRunner`` on 127.0.0.1, or in process.

    >>> server = TestServer(app)                   # real uvicorn, like aiohttp
    >>> server = TestServer(app, in_process=True)  # no socket
    """

    def __init__(
        self,
        app: Application,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.app = app
        self.runner: AppRunner | None = None
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    @property
    def asgi_app(self) -> ASGIApp:
        """The application."""
        return self.app

    async def _start_in_process(self) -> None:
        self._lifespan = LifespanDriver(self.app)
        await self._lifespan.startup()

    async def _start_listening(
        self, sock: socket.socket, ssl_context: Any, options: dict[str, Any]
    ) -> None:
        options.setdefault("handler_cancellation", True)  # as aiohttp's TestServer
        options.setdefault("access_log", False)
        self.runner = AppRunner(self.app, **options)
        await self.runner.setup()
        await SockSite(self.runner, sock, ssl_context=ssl_context).start()

    async def _stop(self) -> None:
        if self._lifespan is not None:
            await self._lifespan.shutdown()
        if self.runner is not None:
            await self.runner.cleanup()


class RawTestServer(BaseTestServer):
    """Serve a low-level handler (``web.Server``): ``RawTestServer(handler)``."""

    def __init__(
        self,
        handler: RawHandler,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._handler = handler
        self._uvicorn: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        debug = kwargs.pop("debug", True)
        in_process = kwargs.pop("in_process", False)
        self.server = Server(handler, debug=debug, **kwargs)
        super().__init__(scheme=scheme, host=host, port=port, in_process=in_process)

    @property
    def asgi_app(self) -> ASGIApp:
        """The ``web.Server`` wrapping the handler."""
        return self.server

    async def _start_listening(
        self, sock: socket.socket, ssl_context: Any, options: dict[str, Any]
    ) -> None:
        config: dict[str, Any] = {"lifespan": "off", "log_level": "warning", "log_config": None}
        if ssl_context is not None:
            raise ValueError("RawTestServer over uvicorn takes no ssl context; use TestServer")
        self._uvicorn = uvicorn.Server(uvicorn.Config(self.server, **config))
        self._serving = asyncio.create_task(self._uvicorn.serve(sockets=[sock]))
        while not self._uvicorn.started:
            if self._serving.done():
                self._serving.result()
                raise RuntimeError("uvicorn exited before it started")
            await asyncio.sleep(0.01)

    async def _stop(self) -> None:
        if self._uvicorn is not None and self._serving is not None:
            self._uvicorn.should_exit = True
            await self._serving


class _ServerTransport(httpx.AsyncBaseTransport):
    """The client's transport, chosen when the server starts (in process or network)."""

    def __init__(self) -> None:
        self.target: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.target is None:
            raise RuntimeError("the test client is not started (await client.start_server())")
        return await self.target.handle_async_request(request)

    async def aclose(self) -> None:
        if self.target is not None:
            await self.target.aclose()


class CookieJarView:
    """The client's cookies with the parts of aiohttp's ``CookieJar`` tests use."""

    def __init__(self, cookies: httpx.Cookies) -> None:
        self._cookies = cookies

    def __iter__(self) -> Iterator[Morsel[str]]:
        for cookie in self._cookies.jar:
            morsel: Morsel[str] = Morsel()
            morsel.set(cookie.name, cookie.value or "", cookie.value or "")
            morsel["domain"] = cookie.domain
            morsel["path"] = cookie.path
            yield morsel

    def __len__(self) -> int:
        return len(self._cookies.jar)

    def filter_cookies(self, request_url: str | URL = _EMPTY_URL) -> SimpleCookie:
        """The cookies that would be sent to *request_url* (all of them for ``URL()``)."""
        url = URL(request_url)
        jar: SimpleCookie = SimpleCookie()
        for cookie in self._cookies.jar:
            if (
                url.host
                and cookie.domain
                and not (url.host == cookie.domain.lstrip(".") or url.host.endswith(cookie.domain))
            ):
                continue
            if url.path and cookie.path and not url.path.startswith(cookie.path):
                continue
            jar[cookie.name] = cookie.value or ""
        return jar

    def update_cookies(self, cookies: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add cookies (name → value or ``Morsel``) for every host."""
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, value in items:
            self._cookies.set(name, value.value if isinstance(value, Morsel) else str(value))

    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        """Remove all cookies (or those *predicate* selects)."""
        if predicate is None:
            self._cookies.clear()
            return
        for morsel in list(self):
            if predicate(morsel):
                self._cookies.delete(morsel.key)


class ClientSessionView:
    """``client.session``: what tests read from aiohttp's ``ClientSession``."""

    def __init__(self, client: TestClient) -> None:
        self._client = client
        self.cookie_jar = CookieJarView(client._http.cookies)

    @property
    def closed(self) -> bool:
        """True once the test client is closed."""
        return self._client._closed


# ClientSession options the test client understands.
_SESSION_OPTIONS = frozenset(
    {"headers", "cookies", "auth", "raise_for_status", "json_serialize", "timeout"}
)


def _basic_auth(auth: Any) -> httpx.BasicAuth | None:
    if auth is None:
        return None
    if isinstance(auth, tuple):
        return httpx.BasicAuth(auth[0], auth[1] if len(auth) > 1 else "")
    return httpx.BasicAuth(auth.login, auth.password)  # aiohttp.BasicAuth


def _authorization(auth: httpx.BasicAuth) -> str:
    """The ``Authorization`` header value *auth* adds to a request."""
    request = next(auth.sync_auth_flow(httpx.Request("GET", "http://localhost/")))
    return request.headers["Authorization"]


def _timeout(value: Any) -> httpx.Timeout | None:
    if value is None or value is _SENTINEL:
        return None
    if isinstance(value, (int, float)):
        return httpx.Timeout(float(value))
    total = getattr(value, "total", None)  # aiohttp.ClientTimeout
    return httpx.Timeout(total)


def _pairs(data: Any) -> list[tuple[str, Any]]:
    if isinstance(data, Mapping) or hasattr(data, "items"):
        return list(data.items())
    return list(data)


def _is_file(value: Any) -> bool:
    return hasattr(value, "read") and not isinstance(value, (str, bytes))


class TestClient:
    """aiohttp's ``TestClient``: requests to a test server, aiohttp's response API.

    >>> async with TestClient(TestServer(app, in_process=True)) as client:
    ...     async with client.get("/", params={"q": "x"}) as resp:
    ...         assert resp.status == 200
    """

    __test__ = False

    def __init__(
        self,
        server: BaseTestServer,
        *,
        cookie_jar: Any = None,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(server, BaseTestServer):
            raise TypeError(f"server must be TestServer instance, found type: {type(server)!r}")
        unknown = set(kwargs) - _SESSION_OPTIONS
        if unknown:
            raise TypeError(
                f"TestClient got ClientSession options it does not support: {sorted(unknown)}; "
                f"supported: {sorted(_SESSION_OPTIONS)}"
            )
        self._server = server
        self._loop = loop
        self._closed = False
        self._responses: list[ClientResponse] = []
        self._websockets: list[ClientWebSocketResponse] = []
        self._raise_for_status = bool(kwargs.get("raise_for_status", False))
        self._json_serialize: Callable[[Any], str] = kwargs.get("json_serialize", json.dumps)
        self._default_headers = CIMultiDict(kwargs.get("headers") or {})
        self._auth = _basic_auth(kwargs.get("auth"))
        self._timeout = _timeout(kwargs.get("timeout")) or httpx.Timeout(300.0)
        self._transport = _ServerTransport()
        self._http = httpx.AsyncClient(
            transport=self._transport, cookies=kwargs.get("cookies"), timeout=self._timeout
        )
        self.session = ClientSessionView(self)

    async def start_server(self) -> None:
        """Start the server (if needed) and connect the client to it."""
        await self._server.start_server(loop=self._loop)
        if self._transport.target is None:
            if self._server.in_process:
                self._transport.target = StreamingASGITransport(
                    self._server.asgi_app, state=self._server.lifespan_state
                )
            else:
                self._transport.target = httpx.AsyncHTTPTransport()

    @property
    def host(self) -> str:
        """The server's host."""
        return self._server.host

    @property
    def port(self) -> int | None:
        """The server's port (in process: the port its URLs name)."""
        return self._server.port

    @property
    def server(self) -> BaseTestServer:
        """The test server."""
        return self._server

    @property
    def app(self) -> Application | None:
        """The application (``None`` for a ``RawTestServer``)."""
        app: Application | None = getattr(self._server, "app", None)
        return app

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of *path* on the server."""
        return self._server.make_url(path)

    # -- HTTP --------------------------------------------------------------------------

    def _body_options(self, data: Any, json_data: Any) -> tuple[dict[str, Any], str | None]:
        """httpx keyword arguments for aiohttp's ``data=``/``json=``, and a default type."""
        if data is not None and json_data is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        if json_data is not None:
            return {"content": self._json_serialize(json_data).encode()}, "application/json"
        if data is None:
            return {}, None
        if isinstance(data, str):
            return {"content": data.encode()}, "text/plain; charset=utf-8"
        if isinstance(data, (bytes, bytearray, memoryview)):
            return {"content": bytes(data)}, "application/octet-stream"
        if _is_file(data):
            return {"content": data.read()}, "application/octet-stream"
        if callable(data) and hasattr(data, "is_multipart"):  # aiohttp.FormData
            data = data()
        if hasattr(data, "as_bytes") and hasattr(data, "content_type"):  # aiohttp payload
            return {"_payload": data}, None
        if hasattr(data, "__aiter__"):
            return {"content": data}, "application/octet-stream"
        fields = _pairs(data)
        if any(_is_file(value) for _, value in fields):
            files: list[tuple[str, Any]] = []
            form: dict[str, list[str]] = {}
            for name, value in fields:
                if _is_file(value):
                    filename = os.path.basename(getattr(value, "name", name) or name)
                    files.append((name, (filename, value)))
                else:
                    form.setdefault(name, []).append(str(value))
            return {"data": form, "files": files}, None
        form = {}
        for name, value in fields:
            form.setdefault(str(name), []).append(str(value))
        return {"data": form}, None

    async def _request(self, method: str, path: str | URL, **kwargs: Any) -> ClientResponse:
        if self._closed:
            raise RuntimeError("Session is closed")
        if self._transport.target is None:
            raise RuntimeError("the test client is not started (await client.start_server())")
        allow_redirects = kwargs.pop("allow_redirects", True)
        max_redirects = kwargs.pop("max_redirects", 10)
        raise_for_status = kwargs.pop("raise_for_status", None)
        params = kwargs.pop("params", None)
        headers = CIMultiDict(self._default_headers)
        headers.update(CIMultiDict(kwargs.pop("headers", None) or {}))
        auth = _basic_auth(kwargs.pop("auth", None)) or self._auth
        cookies = kwargs.pop("cookies", None)
        timeout = _timeout(kwargs.pop("timeout", _SENTINEL))
        options, content_type = self._body_options(
            kwargs.pop("data", None), kwargs.pop("json", None)
        )
        for ignored in (
            "compress",
            "chunked",
            "expect100",
            "read_until_eof",
            "ssl",
            "verify_ssl",
            "proxy",
            "proxy_auth",
            "server_hostname",
            "skip_auto_headers",
            "trace_request_ctx",
            "read_bufsize",
            "auto_decompress",
            "max_line_size",
            "max_field_size",
            "fingerprint",
        ):
            kwargs.pop(ignored, None)
        if kwargs:
            raise TypeError(f"request() got unexpected keyword arguments: {sorted(kwargs)}")
        payload = options.pop("_payload", None)
        if payload is not None:
            options["content"] = await payload.as_bytes()
            for name, value in payload.headers.items():
                headers.setdefault(name, value)
            content_type = payload.content_type
        if content_type is not None and "Content-Type" not in headers:
            headers["Content-Type"] = content_type
        url = self.make_url(path)
        if params is not None:
            if isinstance(params, str):
                url = url.with_query(params)
            else:
                url = url.extend_query(_pairs(params))
        if cookies:
            for name, value in _pairs(cookies):
                self._http.cookies.set(name, value.value if isinstance(value, Morsel) else value)
        request = self._http.build_request(
            method,
            str(url),
            headers=list(headers.items()),
            timeout=timeout or self._timeout,
            **options,
        )
        self._http.max_redirects = max_redirects
        response = await self._http.send(
            request,
            stream=True,
            follow_redirects=allow_redirects,
            auth=auth or httpx.USE_CLIENT_DEFAULT,
        )
        history = tuple(ClientResponse(r) for r in response.history)
        resp = ClientResponse(response, history=history)
        self._responses.append(resp)
        if raise_for_status is None:
            raise_for_status = self._raise_for_status
        if raise_for_status:
            resp.raise_for_status()
        return resp

    def request(
        self, method: str, path: str | URL, **kwargs: Any
    ) -> RequestContextManager[ClientResponse]:
        """Send a request to the server: ``await`` it, or ``async with`` it."""
        return RequestContextManager(self._request(method, path, **kwargs))

    def get(self, path: str | URL, **kwargs: Any) -> RequestContextManager[ClientResponse]:
        """Perform an HTTP GET request."""
        return RequestContextManager(self._request("GET", path, **kwargs))

    def post(self, path: str | URL, **kwargs: Any) -> RequestContextManager[ClientResponse]:
        """Perform an HTTP POST request."""
        return RequestContextManager(self._request("POST", path, **kwargs))

    def options(self, path: str | URL, **kwargs: Any) -> RequestContextManager[ClientResponse]:
        """Perform an HTTP OPTIONS request."""
        return RequestContextManager(self._request("OPTIONS", path, **kwargs))

    def head(self, path: str | URL, **kwargs: Any) -> RequestContextManager[ClientResponse]:
        """Perform an HTTP HEAD request."""
        return RequestContextManager(self._request("HEAD", path, **kwargs))

    def put(self, path: str | URL, **kwargs: Any) -> RequestContextManager[ClientResponse]:
        """Perform an HTTP PUT request."""
        return RequestContextManager(self._request("PUT", path, **kwargs))

    def patch(self, path: str | URL, **kwargs: Any) -> RequestContextManager[ClientResponse]:
        """Perform an HTTP PATCH request."""
        return RequestContextManager(self._request("PATCH", path, **kwargs))

    def delete(self, path: str | URL, **kwargs: Any) -> RequestContextManager[ClientResponse]:
        """Perform an HTTP DELETE request."""
        return RequestContextManager(self._request("DELETE", path, **kwargs))

    # -- WebSocket ---------------------------------------------------------------------

    def ws_connect(
        self, path: str | URL, **kwargs: Any
    ) -> RequestContextManager[ClientWebSocketResponse]:
        """Open a WebSocket: ``await`` it, or ``async with`` it (aiohttp's options)."""
        return RequestContextManager(self._ws_connect(path, **kwargs))

    async def _ws_connect(
        self,
        path: str | URL,
        *,
        method: str = "GET",
        protocols: Iterable[str] = (),
        timeout: Any = 10.0,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        auth: Any = None,
        origin: str | None = None,
        params: Any = None,
        headers: Any = None,
        decode_text: bool = True,
        **ignored: Any,
    ) -> ClientWebSocketResponse:
        if self._transport.target is None:
            raise RuntimeError("the test client is not started (await client.start_server())")
        url = self.make_url(path)
        if params is not None:
            url = url.extend_query(_pairs(params))
        protocols = list(protocols)
        extra = CIMultiDict(self._default_headers)
        extra.update(CIMultiDict(headers or {}))
        if origin is not None:
            extra["Origin"] = origin
        basic = _basic_auth(auth) or self._auth
        if basic is not None:
            extra["Authorization"] = _authorization(basic)
        cookie = "; ".join(
            f"{c.name}={c.value}" for c in self._http.cookies.jar if c.value is not None
        )
        if cookie and "Cookie" not in extra:
            extra["Cookie"] = cookie
        # aiohttp.ClientWSTimeout(ws_receive=...) is the newer spelling of receive_timeout
        if receive_timeout is None:
            receive_timeout = getattr(timeout, "ws_receive", None)
        open_timeout = timeout if isinstance(timeout, (int, float)) else 10.0
        target = url.raw_path_qs
        request_headers = CIMultiDictProxy(CIMultiDict(extra))
        info = RequestInfo(url, method, request_headers, url)
        if self._server.in_process:
            transport, subprotocol, response_headers = await self._ws_in_process(
                url, extra, protocols, info, float(open_timeout)
            )
        else:
            transport, subprotocol, response_headers = await self._ws_network(
                target, extra, protocols, info, float(open_timeout)
            )
        ws = ClientWebSocketResponse(
            transport,
            protocol=subprotocol,
            headers=response_headers,
            autoclose=autoclose,
            receive_timeout=receive_timeout,
            decode_text=decode_text,
        )
        self._websockets.append(ws)
        return ws

    def _handshake_error(
        self, info: RequestInfo, status: int, headers: list[tuple[bytes, bytes]]
    ) -> Exception:
        proxy = CIMultiDictProxy(
            CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers)
        )
        message = "Invalid response status"
        return aiohttp_error(
            "WSServerHandshakeError", info, (), status=status, message=message, headers=proxy
        )

    async def _ws_in_process(
        self,
        url: URL,
        extra: CIMultiDict[str],
        protocols: list[str],
        info: RequestInfo,
        timeout: float,
    ) -> tuple[WebSocketTransport, str | None, list[tuple[bytes, bytes]]]:
        raw_headers = [(b"host", f"{url.host}:{url.port}".encode())]
        raw_headers += [
            (b"connection", b"upgrade"),
            (b"upgrade", b"websocket"),
            (b"sec-websocket-version", b"13"),
            (b"sec-websocket-key", websocket_key()),
        ]
        if protocols:
            raw_headers.append((b"sec-websocket-protocol", ", ".join(protocols).encode()))
        for name, value in extra.items():
            raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        raw_path = url.raw_path.encode("latin-1")
        scope: dict[str, Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if url.scheme == "https" else "ws",
            "path": url.path,
            "raw_path": raw_path,
            "query_string": url.raw_query_string.encode("latin-1"),
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 123),
            "server": (url.host, url.port),
            "subprotocols": protocols,
            "extensions": {"websocket.http.response": {}},
        }
        state = self._server.lifespan_state
        if state is not None:
            scope["state"] = dict(state)
        connection = ASGIWebSocketConnection(self._server.asgi_app, scope)
        try:
            await connection.connect(timeout)
        except WebSocketDenied as denied:
            raise self._handshake_error(info, denied.status, denied.headers) from None
        return InProcessWebSocket(connection), connection.subprotocol, connection.headers

    async def _ws_network(
        self,
        target: str,
        extra: CIMultiDict[str],
        protocols: list[str],
        info: RequestInfo,
        timeout: float,
    ) -> tuple[WebSocketTransport, str | None, list[tuple[bytes, bytes]]]:
        assert self._server.port is not None
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
        ws, status, response_headers, _body, subprotocol = await NetworkWebSocket.connect(
            self._server.host, self._server.port, target, headers, protocols, timeout
        )
        if ws is None:
            raise self._handshake_error(info, status, response_headers)
        return ws, subprotocol, response_headers

    # -- lifetime ----------------------------------------------------------------------

    async def close(self) -> None:
        """Close open WebSockets and responses, then the server; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for ws in self._websockets:
            with contextlib.suppress(Exception):
                await ws.close()
        for resp in self._responses:
            with contextlib.suppress(Exception):
                await resp.release()
        await self._http.aclose()
        await self._server.close()

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass  # pragma: no cover - __enter__ raises

    async def __aenter__(self) -> TestClient:
        await self.start_server()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class AioHTTPTestCase(IsolatedAsyncioTestCase):
    """A ``unittest`` case with ``self.app``, ``self.server`` and ``self.client``.

    Override ``get_application()``; the app is served in process (override
    ``get_server()`` to return ``TestServer(app)`` for real uvicorn).
    """

    async def get_application(self) -> Application:
        """The application to test (override this)."""
        return self.get_app()

    def get_app(self) -> Application:
        """Obsolete: override ``get_application()`` instead."""
        raise RuntimeError("Did you forget to define get_application()?")

    async def asyncSetUp(self) -> None:
        """unittest's hook: calls ``setUpAsync()``."""
        self.loop = asyncio.get_running_loop()
        await self.setUpAsync()

    async def setUpAsync(self) -> None:  # noqa: N802 - aiohttp's name
        """Build the app, server and client, and start them."""
        self.app = await self.get_application()
        self.server = await self.get_server(self.app)
        self.client = await self.get_client(self.server)
        await self.client.start_server()

    async def asyncTearDown(self) -> None:
        """unittest's hook: calls ``tearDownAsync()``."""
        await self.tearDownAsync()

    async def tearDownAsync(self) -> None:  # noqa: N802 - aiohttp's name
        """Close the client (and with it the server)."""
        await self.client.close()

    async def get_server(self, app: Application) -> TestServer:
        """The test server for *app* (in process)."""
        return TestServer(app, in_process=True)

    async def get_client(self, server: TestServer) -> TestClient:
        """The test client for *server*."""
        return TestClient(server)


def unittest_run_loop(func: Any, *args: Any, **kwargs: Any) -> Any:
    """No longer needed (as in aiohttp 3.8+): returns *func* with a DeprecationWarning."""
    warnings.warn(
        "Decorator `@unittest_run_loop` is no longer needed in aiohttp 3.8+",
        DeprecationWarning,
        stacklevel=2,
    )
    return func


LoopFactory = Callable[[], asyncio.AbstractEventLoop]


@contextlib.contextmanager
def loop_context(
    loop_factory: LoopFactory = asyncio.new_event_loop, fast: bool = False
) -> Iterator[asyncio.AbstractEventLoop]:
    """A new event loop for the ``with`` block, closed afterwards."""
    loop = setup_test_loop(loop_factory)
    yield loop
    teardown_test_loop(loop, fast=fast)


def setup_test_loop(
    loop_factory: LoopFactory = asyncio.new_event_loop,
) -> asyncio.AbstractEventLoop:
    """Make a new event loop and set it as the current one."""
    loop = loop_factory()
    asyncio.set_event_loop(loop)
    return loop


def teardown_test_loop(loop: asyncio.AbstractEventLoop, fast: bool = False) -> None:
    """Stop and close a loop made by ``setup_test_loop``."""
    if not loop.is_closed():
        loop.call_soon(loop.stop)
        loop.run_forever()
        loop.close()
    if not fast:
        gc.collect()
    asyncio.set_event_loop(None)


def make_mocked_coro(return_value: Any = _SENTINEL, raise_exception: Any = _SENTINEL) -> Any:
    """A ``Mock`` wrapping a coroutine function that returns *return_value* or raises."""

    async def mock_coro(*args: Any, **kwargs: Any) -> Any:
        if raise_exception is not _SENTINEL:
            raise raise_exception
        if not inspect.isawaitable(return_value):
            return None if return_value is _SENTINEL else return_value
        return await return_value

    return mock.Mock(wraps=mock_coro)


def make_mocked_request(
    method: str,
    path: str,
    headers: Any = None,
    *,
    match_info: Any = _SENTINEL,
    version: HttpVersion = _HTTP11,
    closing: bool = False,
    app: Application | None = None,
    writer: Any = _SENTINEL,
    protocol: Any = _SENTINEL,
    transport: Any = _SENTINEL,
    payload: Any = b"",
    sslcontext: Any = None,
    client_max_size: int = 1024**2,
    client_max_fields: int = 1000,
    loop: Any = ...,
) -> Request:
    """A ``web.Request`` built from an ASGI scope, for unit tests of handlers.

    *payload* is the body (bytes, or an object with ``async read()``); a
    bytes payload adds a ``Content-Length`` header unless one is given.
    ``writer``, ``protocol``, ``transport`` and ``loop`` are accepted for
    aiohttp compatibility; an ASGI request has none of them.
    """
    target = URL(path)
    header_pairs = list(CIMultiDict(headers or {}).items())
    raw_headers = [
        (name.lower().encode("latin-1"), value.encode("utf-8")) for name, value in header_pairs
    ]
    if (
        isinstance(payload, (bytes, bytearray))
        and payload
        and not any(name in (b"content-length", b"transfer-encoding") for name, _ in raw_headers)
    ):
        # an HTTP/1.1 request without either header has no body
        raw_headers.append((b"content-length", str(len(payload)).encode()))
    raw_path = target.raw_path.encode("latin-1")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": f"{version.major}.{version.minor}",
        "method": method.upper(),
        "scheme": "https" if sslcontext else "http",
        "path": target.path,
        "raw_path": quote(raw_path.decode("latin-1"), safe="/%:@!$&'()*+,;=").encode("latin-1"),
        "query_string": target.raw_query_string.encode("latin-1"),
        "root_path": "",
        "headers": raw_headers,
        "server": ("127.0.0.1", 80),
        "extensions": {},
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        body = payload if isinstance(payload, (bytes, bytearray)) else await payload.read()
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    async def send(message: Message) -> None:
        pass

    request = Request(scope, receive, send, client_max_size, client_max_fields)
    info = UrlMappingMatchInfo({} if match_info is _SENTINEL else dict(match_info), mock.Mock())
    info.add_app(app if app is not None else Application())
    request.match_info = info
    return request
