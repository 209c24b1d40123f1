"""``run_app``, the runners and the sites: serving an ASGI app with uvicorn in aiohttp's order.

uvicorn owns sockets and HTTP parsing; the runner owns the application's
lifecycle, in aiohttp's order. On shutdown it stops accepting connections,
runs ``on_shutdown`` while connections are still open (so handlers can close
WebSockets with 1001 GOING_AWAY), lets in-flight requests finish for up to
``shutdown_timeout`` seconds, cuts what is left (503, or a plain close once a
response has started, with one summary log line), then runs ``on_cleanup``.

The runner also sets what plain uvicorn leaves open: aiohttp's request-head
limits (``max_line_size``, ``max_field_size``, ``max_headers``), a 4 MiB
WebSocket message limit (``ws_max_size``, aiohttp's ``max_msg_size``) and
TCP_NODELAY on every accepted connection.

uvicorn is imported when a site starts, not when ``asgiweb.web`` is imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import os
import signal
import socket
import ssl as ssl_module
import warnings
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from .accesslog import AbstractAccessLogger, AccessLogger, access_logger
from .app import Application
from .headlimits import HeadLimits
from .inflight import InFlight, drop_cut_tracebacks
from .lifespan import cleanup, shutdown, startup
from .server import Server
from .typedefs import ASGIApp

if TYPE_CHECKING:
    import uvicorn

__all__ = (
    "AppRunner",
    "BaseRunner",
    "BaseSite",
    "GracefulExit",
    "NamedPipeSite",
    "RequestHandler",
    "ServerRunner",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "current_shutdown_timeout",
    "run_app",
)

runner_logger = logging.getLogger("asgiweb.runner")

#: aiohttp's ``WebSocketResponse(max_msg_size=...)`` default, given to uvicorn as ``ws_max_size``.
DEFAULT_WS_MAX_SIZE = 4 * 1024 * 1024

#: How long the requests cut at ``shutdown_timeout`` get to write their 503 before
#: their connections are closed.
CUT_GRACE_SECONDS = 2.0

_shutdown_timeout: contextvars.ContextVar[float] = contextvars.ContextVar(
    "asgiweb_shutdown_timeout"
)

# aiohttp's handler options that have no meaning on uvicorn: accepted, so that
# code written for aiohttp runs, and otherwise ignored (docs/porting.md).
_AIOHTTP_ONLY_OPTIONS = frozenset(
    {
        "auto_decompress",
        "lingering_time",
        "logger",
        "read_bufsize",
        "request_factory",
        "timeout_ceil_threshold",
        "loop",
        "debug",
    }
)


# aiohttp's connection options that the runner applies (see BaseRunner).
_CONNECTION_OPTIONS = frozenset(
    {
        "access_log",
        "access_log_class",
        "access_log_format",
        "keepalive_timeout",
        "max_field_size",
        "max_headers",
        "max_line_size",
        "tcp_keepalive",
        *_AIOHTTP_ONLY_OPTIONS,
    }
)


def current_shutdown_timeout() -> float | None:
    """The ``shutdown_timeout`` of the runner that is shutting the app down, else ``None``.

    Set while a runner's ``cleanup()`` runs ``on_shutdown``, drains
    connections and runs ``on_cleanup``, so that shutdown handlers (the jobs
    scheduler, for one) can give their work the same grace period. Under a
    server you start yourself (plain ``uvicorn app:app``) it is ``None``.

    >>> async def on_shutdown(app):
    ...     grace = web.current_shutdown_timeout() or 10.0
    """
    return _shutdown_timeout.get(None)


class GracefulExit(SystemExit):
    """Raised by the SIGINT/SIGTERM handlers of ``run_app`` to stop it gracefully."""

    code = 1


def _raise_graceful_exit() -> None:
    raise GracefulExit()


def make_access_logger(
    access_log: logging.Logger | bool | None,
    access_log_class: type[AbstractAccessLogger] | None = None,
    access_log_format: str | None = None,
) -> AbstractAccessLogger | None:
    """The access logger a runner's ``access_log*`` arguments describe, ``None`` for off.

    ``access_log`` is a logger, ``True`` for ``asgiweb.access`` (aiohttp's
    ``aiohttp.access``), or ``None``/``False``; the class defaults to
    :class:`~asgiweb.web.AccessLogger` and the format to its ``LOG_FORMAT``.
    """
    if access_log is None or access_log is False:
        return None
    logger = access_logger if access_log is True else access_log
    if access_log_class is None:
        access_log_class = AccessLogger
    elif not (
        isinstance(access_log_class, type) and issubclass(access_log_class, AbstractAccessLogger)
    ):
        raise TypeError(
            "access_log_class must be a subclass of asgiweb.abc.AbstractAccessLogger "
            f"(aiohttp.abc.AbstractAccessLogger in aiohttp code), got {access_log_class!r}"
        )
    if access_log_format is None:
        access_log_format = AccessLogger.LOG_FORMAT
    return access_log_class(logger, access_log_format)


class BaseRunner(ABC):
    """Serve an ASGI app on sites through uvicorn: the part every runner shares.

    Keyword arguments: ``handle_signals``, ``shutdown_timeout`` (60 s),
    ``keepalive_timeout`` (75 s), ``access_log`` (a logger, ``True`` for
    ``asgiweb.access``, or ``None``/``False`` to turn it off),
    ``access_log_class`` and ``access_log_format`` (aiohttp's access log, see
    :mod:`asgiweb.accesslog`), ``tcp_keepalive`` (``True``), the
    request-head limits ``max_line_size``, ``max_field_size`` (8190 bytes
    each) and ``max_headers`` (128), as aiohttp names them; anything else
    goes to ``uvicorn.Config`` (``http="h11"``, ``ws_max_size=...``, ...).
    """

    def __init__(
        self,
        *,
        handle_signals: bool = False,
        shutdown_timeout: float = 60.0,
        keepalive_timeout: float = 75.0,
        access_log: logging.Logger | bool | None = True,
        access_log_class: type[AbstractAccessLogger] | None = None,
        access_log_format: str | None = None,
        tcp_keepalive: bool = True,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        **kwargs: Any,
    ) -> None:
        for name in _AIOHTTP_ONLY_OPTIONS.intersection(kwargs):
            del kwargs[name]
        self._handle_signals = handle_signals
        self._shutdown_timeout = float(shutdown_timeout)
        self._keepalive_timeout = keepalive_timeout
        self._access_log = access_log is not None and access_log is not False
        self._access_logger = make_access_logger(access_log, access_log_class, access_log_format)
        self._tcp_keepalive = tcp_keepalive
        self._head_limits = HeadLimits(
            max_line_size=max_line_size, max_field_size=max_field_size, max_headers=max_headers
        )
        self._uvicorn_options = kwargs
        self._sites: list[BaseSite] = []
        self._server: ASGIApp | None = None
        self._setup_failed = False  # cleanup() then releases what the failed setup() made
        self._served: InFlight | None = None

    @property
    def server(self) -> ASGIApp | None:
        """The ASGI app the sites serve, once :meth:`setup` has run."""
        return self._server

    @property
    def shutdown_timeout(self) -> float:
        """Seconds that in-flight requests get to finish at shutdown before they are cut."""
        return self._shutdown_timeout

    @shutdown_timeout.setter
    def shutdown_timeout(self, value: float) -> None:
        self._shutdown_timeout = float(value)

    @property
    def sites(self) -> set[BaseSite]:
        """The sites started on this runner."""
        return set(self._sites)

    @property
    def addresses(self) -> list[Any]:
        """The addresses the sites listen on (``(host, port)`` tuples, or socket paths)."""
        return [sock.getsockname() for site in self._sites for sock in site._sockets]

    async def setup(self) -> None:
        """Install the signal handlers (if asked) and make the server (for apps: startup)."""
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        if self._handle_signals:
            try:
                loop.add_signal_handler(signal.SIGINT, _raise_graceful_exit)
                loop.add_signal_handler(signal.SIGTERM, _raise_graceful_exit)
            except NotImplementedError:  # pragma: no cover - Windows
                pass
        logging_app = self._access_logging_app()
        if logging_app is not None:
            logging_app.set_access_logger(self._access_logger)
        try:
            self._server = await self._make_server()
        except BaseException:
            self._setup_failed = True
            raise
        self._served = InFlight(self._server)

    def _access_logging_app(self) -> Application | None:
        """The application that writes the access log itself, if the runner serves one.

        Its lines replace uvicorn's; for another ASGI app uvicorn logs access.
        """
        return None

    @abstractmethod
    async def shutdown(self) -> None:
        """Run the shutdown hooks (for apps, ``on_shutdown``), connections still open."""

    @abstractmethod
    async def _make_server(self) -> ASGIApp:
        """Prepare and return the ASGI app to serve."""

    @abstractmethod
    async def _cleanup_server(self) -> None:
        """Release what :meth:`_make_server` set up (for apps, ``on_cleanup``)."""

    async def cleanup(self) -> None:
        """Stop the sites, run :meth:`shutdown`, drain (cutting at the timeout), clean up."""
        token = _shutdown_timeout.set(self._shutdown_timeout)
        try:
            sites = list(self._sites)
            for site in sites:
                site._stop_accepting()
            if self._server is not None:
                await asyncio.sleep(0)  # let connections accepted just now start their request
                try:
                    await self.shutdown()
                finally:
                    await self._drain(sites)
                    self._sites.clear()
                await self._cleanup_server()
            elif self._setup_failed:
                # as aiohttp: cleanup() after a failed setup() exits the entered cleanup_ctx
                self._setup_failed = False
                await self._cleanup_server()
            self._server = None
        finally:
            _shutdown_timeout.reset(token)
            logging_app = self._access_logging_app()
            if logging_app is not None:
                logging_app.set_access_logger(None)
            if self._handle_signals:
                loop = asyncio.get_running_loop()
                try:
                    loop.remove_signal_handler(signal.SIGINT)
                    loop.remove_signal_handler(signal.SIGTERM)
                except NotImplementedError:  # pragma: no cover - Windows
                    pass

    async def _drain(self, sites: list[BaseSite]) -> None:
        """Let the sites' requests finish within ``shutdown_timeout``, cut the rest, close."""
        servers = [site._uvicorn for site in sites if site._uvicorn is not None]
        for server in servers:
            for connection in list(server.server_state.connections):
                connection.shutdown()  # closes idle keep-alive connections at once
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._shutdown_timeout
        # uvicorn offers no event for "the last connection closed": poll, as it does.
        while loop.time() < deadline and any(  # noqa: ASYNC110
            server.server_state.tasks or server.server_state.connections for server in servers
        ):
            await asyncio.sleep(0.05)
        leftover = [task for server in servers for task in server.server_state.tasks]
        served = self._served
        if leftover and served is not None:
            before = (served.answered_503, served.closed, served.websockets_closed)
            served.start_cut()
            for task in leftover:
                task.cancel()
            await asyncio.wait(leftover, timeout=CUT_GRACE_SECONDS)
            answered, closed, websockets = (
                now - then
                for now, then in zip(
                    (served.answered_503, served.closed, served.websockets_closed),
                    before,
                    strict=True,
                )
            )
            runner_logger.warning(
                "shutdown_timeout (%g s) expired with %d request(s) in flight: "
                "%d answered 503, %d closed after their response had started, "
                "%d WebSocket(s) closed with 1001",
                self._shutdown_timeout,
                len(leftover),
                answered,
                closed,
                websockets,
            )
        for site in sites:
            await site._close()

    def _reg_site(self, site: BaseSite) -> None:
        if site in self._sites:
            raise RuntimeError(f"Site {site} is already registered in runner {self}")
        self._sites.append(site)

    def _unreg_site(self, site: BaseSite) -> None:
        if site not in self._sites:
            raise RuntimeError(f"Site {site} is not registered in runner {self}")
        self._sites.remove(site)

    def _config(self, **overrides: Any) -> uvicorn.Config:
        import uvicorn

        from .uvicorn_protocols import protocol_class

        limits = self._head_limits
        options: dict[str, Any] = {
            "lifespan": "off",  # the runner drives the signals itself
            "log_config": None,  # leave the user's logging configuration alone
            # the application writes aiohttp's access line itself when it can
            "access_log": self._access_log and self._access_logging_app() is None,
            "proxy_headers": False,  # trust no X-Forwarded-* unless asked to
            "server_header": False,
            "timeout_keep_alive": self._keepalive_timeout,
            "timeout_graceful_shutdown": self._shutdown_timeout,
            "ws_max_size": DEFAULT_WS_MAX_SIZE,
            "h11_max_incomplete_event_size": limits.max_head_size,
        }
        options.update(self._uvicorn_options)
        options.update(overrides)
        http = options.get("http", "auto")
        if http in ("auto", "httptools", "h11"):
            options["http"] = protocol_class(http, limits, tcp_keepalive=self._tcp_keepalive)
        config = uvicorn.Config(self._served, **options)  # type: ignore[arg-type]
        config.load()
        drop_cut_tracebacks(logging.getLogger("uvicorn.error"))
        return config


class AppRunner(BaseRunner):
    """Run an application's lifecycle and serve it on one or more sites.

    >>> runner = web.AppRunner(app)
    >>> await runner.setup()
    >>> await web.TCPSite(runner, "127.0.0.1", 8080).start()
    >>> ...
    >>> await runner.cleanup()
    """

    def __init__(
        self,
        app: Application,
        *,
        handle_signals: bool = False,
        handler_cancellation: bool = False,
        **kwargs: Any,
    ) -> None:
        if not isinstance(app, Application):
            raise TypeError(f"The first argument should be web.Application instance, got {app!r}")
        super().__init__(handle_signals=handle_signals, **kwargs)
        self._app = app
        self._handler_cancellation = handler_cancellation

    @property
    def app(self) -> Application:
        """The application this runner serves."""
        return self._app

    def _access_logging_app(self) -> Application | None:
        return self._app

    async def _make_server(self) -> ASGIApp:
        if self._handler_cancellation:
            for app in self._app.iter_apps():
                app.enable_handler_cancellation()
        await startup(self._app)
        return self._app

    async def shutdown(self) -> None:
        """Run ``on_shutdown`` (once)."""
        await shutdown(self._app)

    async def _cleanup_server(self) -> None:
        await cleanup(self._app)


class ServerRunner(BaseRunner):
    """Serve a low-level server (``web.Server(handler)``) or any ASGI app, with no lifespan.

    >>> runner = web.ServerRunner(web.Server(handler))
    >>> await runner.setup()
    >>> await web.TCPSite(runner, "127.0.0.1", 8080).start()
    """

    def __init__(self, web_server: ASGIApp, *, handle_signals: bool = False, **kwargs: Any) -> None:
        if not callable(web_server):
            raise TypeError(
                f"web_server must be an ASGI app such as web.Server, got {web_server!r}"
            )
        if isinstance(web_server, Server):
            # aiohttp's Server(handler, **kwargs) hands these to its connections.
            given = {k: v for k, v in web_server.kwargs.items() if k in _CONNECTION_OPTIONS}
            kwargs = {**given, **kwargs}
        super().__init__(handle_signals=handle_signals, **kwargs)
        self._web_server = web_server

    def _access_logging_app(self) -> Application | None:
        if isinstance(self._web_server, Server):
            return self._web_server.application
        return None

    async def shutdown(self) -> None:
        """Nothing to run: a low-level server has no shutdown signal."""

    async def _make_server(self) -> ASGIApp:
        return self._web_server

    async def _cleanup_server(self) -> None:
        pass


class RequestHandler:
    """aiohttp's per-connection HTTP protocol: not available, uvicorn's protocol plays its part.

    The name exists so that imports and annotations written for aiohttp keep
    working; constructing it raises ``RuntimeError``. Options aiohttp gives
    it (``keepalive_timeout``, ``max_line_size``, ...) go to the runner.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "web.RequestHandler is aiohttp's connection protocol; under asgiweb the ASGI "
            "server (uvicorn) handles connections. Pass its options (keepalive_timeout, "
            "max_line_size, max_field_size, max_headers) to AppRunner or run_app instead"
        )


class BaseSite:
    """A listening socket served by uvicorn for a runner."""

    def __init__(
        self,
        runner: BaseRunner,
        *,
        shutdown_timeout: float = 60.0,
        ssl_context: ssl_module.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        if runner.server is None:
            raise RuntimeError("Call runner.setup() before making a site")
        if shutdown_timeout != 60.0:
            warnings.warn(
                "shutdown_timeout should be set on BaseRunner", DeprecationWarning, stacklevel=2
            )
            runner.shutdown_timeout = shutdown_timeout
        self._runner = runner
        self._ssl_context = ssl_context
        self._backlog = backlog
        self._sockets: list[socket.socket] = []
        self._uvicorn: uvicorn.Server | None = None
        self._main_loop: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        """The URL this site serves, e.g. ``http://127.0.0.1:8080``."""
        raise NotImplementedError

    def _make_sockets(self) -> list[socket.socket]:
        raise NotImplementedError

    async def start(self) -> None:
        """Bind and start serving."""
        import uvicorn

        self._runner._reg_site(self)
        try:
            self._sockets = self._make_sockets()
            config = self._runner._config(backlog=self._backlog)
            if self._ssl_context is not None:
                config.ssl = self._ssl_context
            server = uvicorn.Server(config)
            server.lifespan = config.lifespan_class(config)
            await server.startup(sockets=self._sockets)
        except BaseException:
            self._runner._unreg_site(self)
            raise
        self._uvicorn = server
        self._main_loop = asyncio.create_task(server.main_loop())

    def _stop_accepting(self) -> None:
        if self._uvicorn is not None:
            for listener in self._uvicorn.servers:
                listener.close()

    async def _close(self) -> None:
        """Close what is still open of this site, once drained (or cut)."""
        server = self._uvicorn
        if server is None:
            return
        self._uvicorn = None
        for connection in list(server.server_state.connections):
            connection.transport.close()
        server.should_exit = True
        if self._main_loop is not None:
            await self._main_loop
        for listener in server.servers:
            listener.close()
        for sock in self._sockets:
            sock.close()

    async def stop(self) -> None:
        """Stop this site alone: stop accepting, drain its connections, unregister it."""
        self._stop_accepting()
        await self._runner._drain([self])
        self._runner._unreg_site(self)


class TCPSite(BaseSite):
    """Serve on a TCP host and port (``port=0`` picks a free port, then see :attr:`port`)."""

    def __init__(
        self,
        runner: BaseRunner,
        host: str | None = None,
        port: int | None = None,
        *,
        shutdown_timeout: float = 60.0,
        ssl_context: ssl_module.SSLContext | None = None,
        backlog: int = 128,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._host = host
        self._port = (8443 if ssl_context else 8080) if port is None else port
        self._reuse_address = reuse_address
        self._reuse_port = reuse_port
        self._bound_port: int | None = None

    @property
    def port(self) -> int:
        """The port: the one asked for until the site starts, then the bound one (for ``0``)."""
        if self._bound_port is not None:
            return self._bound_port
        return self._port

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        host = self._host or "0.0.0.0"
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    def _make_sockets(self) -> list[socket.socket]:
        sock = listen_tcp(
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        self._bound_port = int(sock.getsockname()[1])
        return [sock]


def listen_tcp(
    host: str | None,
    port: int,
    *,
    backlog: int = 128,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
) -> socket.socket:
    """A listening, non-blocking TCP socket on *host*:*port* (what :class:`TCPSite` binds).

    It is created with ``IPPROTO_TCP``, not 0: asyncio sets TCP_NODELAY only on
    sockets that say they are TCP.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    try:
        if reuse_address is not False and os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise OSError(exc.errno, f"Cannot listen on {host}:{port}: {exc.strerror}") from None
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def listen_unix(path: str | os.PathLike[str], *, backlog: int = 128) -> socket.socket:
    """A listening, non-blocking Unix socket at *path* (a stale socket file is replaced)."""
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class UnixSite(BaseSite):
    """Serve on a Unix domain socket at *path*."""

    def __init__(
        self,
        runner: BaseRunner,
        path: str | os.PathLike[str],
        *,
        shutdown_timeout: float = 60.0,
        ssl_context: ssl_module.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._path = os.fspath(path)

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://unix:{self._path}:"

    def _make_sockets(self) -> list[socket.socket]:
        return [listen_unix(self._path, backlog=self._backlog)]


class NamedPipeSite(BaseSite):
    """aiohttp's Windows named-pipe site: not available, uvicorn cannot listen on a pipe.

    Constructing it raises ``RuntimeError`` naming the alternatives
    (:class:`TCPSite`, :class:`UnixSite`, :class:`SockSite`).
    """

    def __init__(
        self, runner: BaseRunner, path: str, *, shutdown_timeout: float = 60.0
    ) -> None:
        raise RuntimeError(
            "Named Pipes only available in proactor loop under windows, and asgiweb's "
            "runner serves through uvicorn, which cannot listen on a named pipe on any "
            f"platform (path {path!r}): use TCPSite, UnixSite or SockSite instead"
        )

    @property
    def name(self) -> str:  # pragma: no cover - never constructed
        return ""


class SockSite(BaseSite):
    """Serve on a socket you created and bound yourself."""

    def __init__(
        self,
        runner: BaseRunner,
        sock: socket.socket,
        *,
        shutdown_timeout: float = 60.0,
        ssl_context: ssl_module.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._sock = sock

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        address = self._sock.getsockname()
        if isinstance(address, tuple):
            host = address[0]
            if ":" in host:
                host = f"[{host}]"
            return f"{scheme}://{host}:{address[1]}"
        return f"{scheme}://unix:{address}:"

    def _make_sockets(self) -> list[socket.socket]:
        with contextlib.suppress(OSError):  # it may be listening already
            self._sock.listen(self._backlog)
        self._sock.setblocking(False)
        return [self._sock]


AppOrAwaitable = Application | Awaitable[Application]


def _event_loop(loop: asyncio.AbstractEventLoop | str | None) -> asyncio.AbstractEventLoop:
    """A new loop for ``run_app``: aiohttp's ``loop=`` object, or uvicorn's loop names."""
    if loop is None or loop == "asyncio":
        return asyncio.new_event_loop()
    if isinstance(loop, str):
        if loop not in ("auto", "uvloop"):
            raise ValueError(
                f"loop must be an event loop, 'auto', 'asyncio' or 'uvloop', not {loop!r}"
            )
        try:
            import uvloop
        except ImportError:
            if loop == "uvloop":
                raise
            return asyncio.new_event_loop()
        return uvloop.new_event_loop()
    return loop


async def _run_app(
    app: AppOrAwaitable,
    *,
    host: str | Iterable[str] | None,
    port: int | None,
    path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None,
    sock: socket.socket | Iterable[socket.socket] | None,
    ssl_context: ssl_module.SSLContext | None,
    backlog: int,
    reuse_address: bool | None,
    reuse_port: bool | None,
    print: Callable[..., None] | None,
    runner_options: dict[str, Any],
) -> None:
    if not isinstance(app, Application):
        app = await app
    runner = AppRunner(app, **runner_options)
    await runner.setup()
    sites: list[BaseSite] = []
    try:
        common: dict[str, Any] = {"ssl_context": ssl_context, "backlog": backlog}
        tcp: dict[str, Any] = {"reuse_address": reuse_address, "reuse_port": reuse_port}
        if host is not None:
            hosts = [host] if isinstance(host, str) else list(host)
            sites += [TCPSite(runner, h, port, **common, **tcp) for h in hosts]
        elif (path is None and sock is None) or port is not None:
            sites.append(TCPSite(runner, port=port, **common, **tcp))
        if path is not None:
            paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
            sites += [UnixSite(runner, p, **common) for p in paths]
        if sock is not None:
            socks = [sock] if isinstance(sock, socket.socket) else list(sock)
            sites += [SockSite(runner, s, **common) for s in socks]
        for site in sites:
            await site.start()
        if print is not None:
            names = sorted(site.name for site in runner.sites)
            print(f"======== Running on {', '.join(names)} ========\n(Press CTRL+C to quit)")
        await asyncio.Event().wait()  # serve until cancelled
    finally:
        await runner.cleanup()


def run_app(
    app: AppOrAwaitable | str | Callable[..., Any],
    *,
    host: str | Iterable[str] | None = None,
    port: int | None = None,
    path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    sock: socket.socket | Iterable[socket.socket] | None = None,
    shutdown_timeout: float = 60.0,
    keepalive_timeout: float = 75.0,
    ssl_context: ssl_module.SSLContext | None = None,
    print: Callable[..., None] | None = print,
    backlog: int = 128,
    access_log_class: type[AbstractAccessLogger] = AccessLogger,
    access_log_format: str = AccessLogger.LOG_FORMAT,
    access_log: logging.Logger | bool | None = access_logger,
    handle_signals: bool = True,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    handler_cancellation: bool = False,
    loop: asyncio.AbstractEventLoop | str | None = None,
    workers: int = 1,
    **kwargs: Any,
) -> None:
    """Serve *app* (or the app an awaitable returns) until SIGINT or SIGTERM.

    >>> web.run_app(app, host="127.0.0.1", port=8080)

    aiohttp's arguments, plus: ``max_line_size``, ``max_field_size``,
    ``max_headers`` (aiohttp's request-head limits), ``loop="uvloop"``, and
    any ``uvicorn.Config`` keyword (``http="h11"``, ``ws_max_size=...``).
    The access log is aiohttp's: one line per request in ``access_log_format``
    to ``access_log`` (the ``asgiweb.access`` logger; ``None`` turns it off),
    written by ``access_log_class`` (:mod:`asgiweb.accesslog`), in place of
    uvicorn's own access line.

    ``workers=N`` serves from N processes (see :mod:`asgiweb.workers`): *app*
    is then an import string (``"myapp.main:app"``) or a module-level factory
    function, which every worker imports and builds for itself.
    """
    make_access_logger(access_log, access_log_class, access_log_format)  # fail before serving
    access_options = {
        "access_log": access_log,
        "access_log_class": access_log_class,
        "access_log_format": access_log_format,
    }
    if workers != 1:
        from .workers import run_workers

        paths: list[str] | None = None
        if path is not None:
            each = [path] if isinstance(path, (str, os.PathLike)) else list(path)
            paths = [os.fspath(p) for p in each]
        run_workers(
            app,
            workers,
            host=host,
            port=port,
            path=paths,
            sock=sock,
            backlog=backlog,
            shutdown_timeout=shutdown_timeout,
            print=print,
            options={
                "keepalive_timeout": keepalive_timeout,
                **access_options,
                "handle_signals": True,
                "handler_cancellation": handler_cancellation,
                "ssl_context": ssl_context,
                **kwargs,
            },
        )
        return
    served: AppOrAwaitable
    if isinstance(app, str) or (
        callable(app) and not isinstance(app, Application) and not inspect.isawaitable(app)
    ):
        from .targets import load

        served = load(app)
    else:
        served = app
    event_loop = _event_loop(loop)
    if event_loop.get_debug() and access_log is access_logger:
        # as aiohttp: in debug mode the default access log shows even unconfigured
        if access_logger.level == logging.NOTSET:
            access_logger.setLevel(logging.DEBUG)
        if not access_logger.hasHandlers():
            access_logger.addHandler(logging.StreamHandler())
    runner_options = {
        "handle_signals": handle_signals,
        "handler_cancellation": handler_cancellation,
        "shutdown_timeout": shutdown_timeout,
        "keepalive_timeout": keepalive_timeout,
        **access_options,
        **kwargs,
    }
    main_task = event_loop.create_task(
        _run_app(
            served,
            host=host,
            port=port,
            path=path,
            sock=sock,
            ssl_context=ssl_context,
            backlog=backlog,
            reuse_address=reuse_address,
            reuse_port=reuse_port,
            print=print,
            runner_options=runner_options,
        )
    )
    try:
        asyncio.set_event_loop(event_loop)
        event_loop.run_until_complete(main_task)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main_task.done():
                main_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, GracefulExit, KeyboardInterrupt):
                    event_loop.run_until_complete(main_task)
            _cancel_remaining_tasks(event_loop)
            event_loop.run_until_complete(event_loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            event_loop.close()


def _cancel_remaining_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
