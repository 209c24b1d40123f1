"""``run_app``, ``AppRunner`` and sites, serving an application with uvicorn.

uvicorn owns sockets and HTTP parsing; the runner owns the application's
lifecycle, in aiohttp's order. On shutdown it stops accepting connections,
runs ``on_shutdown`` while connections are still open (so handlers can close
WebSockets with 1001 GOING_AWAY), lets in-flight requests finish for up to
``shutdown_timeout`` seconds, cancels what is left, then runs ``on_cleanup``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import uvicorn

from .app import Application
from .lifespan import cleanup, shutdown, startup

__all__ = (
    "AppRunner",
    "BaseSite",
    "GracefulExit",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "run_app",
)


class GracefulExit(SystemExit):
    """Raised by the SIGINT/SIGTERM handlers of ``run_app`` to stop it gracefully."""

    code = 1


def _raise_graceful_exit() -> None:
    raise GracefulExit()


class AppRunner:
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
        shutdown_timeout: float = 60.0,
        keepalive_timeout: float = 75.0,
        access_log: bool = True,
        **uvicorn_options: Any,
    ) -> None:
        if not isinstance(app, Application):
            raise TypeError(f"The first argument should be web.Application instance, got {app!r}")
        self._app = app
        self._handle_signals = handle_signals
        self._handler_cancellation = handler_cancellation
        self.shutdown_timeout = shutdown_timeout
        self._keepalive_timeout = keepalive_timeout
        self._access_log = access_log
        self._uvicorn_options = uvicorn_options
        self._sites: list[BaseSite] = []
        self._set_up = False

    @property
    def app(self) -> Application:
        """The application this runner serves."""
        return self._app

    @property
    def sites(self) -> set[BaseSite]:
        """The sites started on this runner."""
        return set(self._sites)

    @property
    def addresses(self) -> list[Any]:
        """The addresses the sites listen on (``(host, port)`` tuples, or socket paths)."""
        return [sock.getsockname() for site in self._sites for sock in site._sockets]

    async def setup(self) -> None:
        """Freeze the app and run its startup signals."""
        if self._set_up:
            return
        loop = asyncio.get_running_loop()
        if self._handle_signals:
            try:
                loop.add_signal_handler(signal.SIGINT, _raise_graceful_exit)
                loop.add_signal_handler(signal.SIGTERM, _raise_graceful_exit)
            except NotImplementedError:  # pragma: no cover - Windows
                pass
        if self._handler_cancellation:
            for app in self._app.iter_apps():
                app.enable_handler_cancellation()
        await startup(self._app)
        self._set_up = True

    def _config(self, **overrides: Any) -> uvicorn.Config:
        options: dict[str, Any] = {
            "lifespan": "off",  # the runner drives the signals itself
            "log_config": None,  # leave the user's logging configuration alone
            "access_log": self._access_log,
            "proxy_headers": False,  # trust no X-Forwarded-* unless asked to
            "server_header": False,
            "timeout_keep_alive": self._keepalive_timeout,
            "timeout_graceful_shutdown": self.shutdown_timeout,
        }
        options.update(self._uvicorn_options)
        options.update(overrides)
        config = uvicorn.Config(self._app, **options)
        config.load()
        return config

    async def shutdown(self) -> None:
        """Run ``on_shutdown`` (once)."""
        await shutdown(self._app)

    async def cleanup(self) -> None:
        """Stop the sites, run ``on_shutdown``, drain connections, run ``on_cleanup``."""
        for site in self._sites:
            site._stop_accepting()
        try:
            await self.shutdown()
        finally:
            await asyncio.gather(*(site._drain() for site in self._sites))
            self._sites.clear()
            await cleanup(self._app)
            if self._handle_signals:
                loop = asyncio.get_running_loop()
                try:
                    loop.remove_signal_handler(signal.SIGINT)
                    loop.remove_signal_handler(signal.SIGTERM)
                except NotImplementedError:  # pragma: no cover - Windows
                    pass


class BaseSite:
    """A listening socket served by uvicorn for an :class:`AppRunner`."""

    def __init__(
        self,
        runner: AppRunner,
        *,
        ssl_context: ssl_module.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        if not runner._set_up:
            raise RuntimeError("Call runner.setup() before making a site")
        self._runner = runner
        self._ssl_context = ssl_context
        self._backlog = backlog
        self._sockets: list[socket.socket] = []
        self._server: uvicorn.Server | None = None
        self._main_loop: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        """The URL this site serves on, e.g. ``http://127.0.0.1:8080``."""
        raise NotImplementedError

    def _make_sockets(self) -> list[socket.socket]:
        raise NotImplementedError

    async def start(self) -> None:
        """Bind and start serving."""
        self._sockets = self._make_sockets()
        config = self._runner._config(backlog=self._backlog)
        if self._ssl_context is not None:
            config.ssl = self._ssl_context
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=self._sockets)
        self._server = server
        self._main_loop = asyncio.create_task(server.main_loop())
        self._runner._sites.append(self)

    def _stop_accepting(self) -> None:
        if self._server is not None:
            for listener in self._server.servers:
                listener.close()

    async def _drain(self) -> None:
        """Let open connections finish (up to the runner's shutdown_timeout), then close."""
        server = self._server
        if server is None:
            return
        server.should_exit = True
        if self._main_loop is not None:
            await self._main_loop
        await server.shutdown(sockets=self._sockets)
        self._server = None

    async def stop(self) -> None:
        """Stop this site alone: stop accepting, then drain its connections."""
        self._stop_accepting()
        await self._drain()
        if self in self._runner._sites:
            self._runner._sites.remove(self)


class TCPSite(BaseSite):
    """Serve on a TCP host and port (``port=0`` picks a free port)."""

    def __init__(
        self,
        runner: AppRunner,
        host: str | None = None,
        port: int | None = None,
        *,
        ssl_context: ssl_module.SSLContext | None = None,
        backlog: int = 128,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._host = host or "0.0.0.0"
        self._port = 8443 if port is None and ssl_context else 8080 if port is None else port
        self._reuse_address = reuse_address
        self._reuse_port = reuse_port

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        host = self._host
        port = self._sockets[0].getsockname()[1] if self._sockets else self._port
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{port}"

    def _make_sockets(self) -> list[socket.socket]:
        infos = socket.getaddrinfo(
            self._host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        if self._reuse_address is not False and os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self._reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            sock.close()
            raise OSError(
                exc.errno, f"Cannot listen on {self._host}:{self._port}: {exc.strerror}"
            ) from None
        sock.listen(self._backlog)
        sock.setblocking(False)
        return [sock]


class UnixSite(BaseSite):
    """Serve on a Unix domain socket at *path*."""

    def __init__(
        self,
        runner: AppRunner,
        path: str | os.PathLike[str],
        *,
        ssl_context: ssl_module.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._path = os.fspath(path)

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://unix:{self._path}:"

    def _make_sockets(self) -> list[socket.socket]:
        if os.path.exists(self._path) and not os.path.isdir(self._path):
            os.unlink(self._path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(self._path)
        sock.listen(self._backlog)
        sock.setblocking(False)
        return [sock]


class SockSite(BaseSite):
    """Serve on a socket you created and bound yourself."""

    def __init__(
        self,
        runner: AppRunner,
        sock: socket.socket,
        *,
        ssl_context: ssl_module.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._sock = sock

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        address = self._sock.getsockname()
        if isinstance(address, tuple):
            return f"{scheme}://{address[0]}:{address[1]}"
        return f"{scheme}://unix:{address}:"

    def _make_sockets(self) -> list[socket.socket]:
        with contextlib.suppress(OSError):  # it may be listening already
            self._sock.listen(self._backlog)
        self._sock.setblocking(False)
        return [self._sock]


AppOrAwaitable = Application | Awaitable[Application]


async def _run_app(
    app: AppOrAwaitable,
    *,
    host: str | Iterable[str] | None,
    port: int | None,
    path: str | Iterable[str] | None,
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
    app: AppOrAwaitable,
    *,
    host: str | Iterable[str] | None = None,
    port: int | None = None,
    path: str | Iterable[str] | None = None,
    sock: socket.socket | Iterable[socket.socket] | None = None,
    shutdown_timeout: float = 60.0,
    keepalive_timeout: float = 75.0,
    ssl_context: ssl_module.SSLContext | None = None,
    print: Callable[..., None] | None = print,
    backlog: int = 128,
    access_log: bool | Any = True,
    handle_signals: bool = True,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    handler_cancellation: bool = False,
    loop: asyncio.AbstractEventLoop | None = None,
    **uvicorn_options: Any,
) -> None:
    """Serve *app* (or the app an awaitable returns) until SIGINT or SIGTERM.

    >>> web.run_app(app, host="127.0.0.1", port=8080)

    Extra keyword arguments go to ``uvicorn.Config`` (``http="httptools"``,
    ``loop="uvloop"``, ``ws="wsproto"``, …).
    """
    if loop is None:
        loop = asyncio.new_event_loop()
    runner_options = {
        "handle_signals": handle_signals,
        "handler_cancellation": handler_cancellation,
        "shutdown_timeout": shutdown_timeout,
        "keepalive_timeout": keepalive_timeout,
        "access_log": access_log is not None and access_log is not False,
        **uvicorn_options,
    }
    main_task = loop.create_task(
        _run_app(
            app,
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
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main_task)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            main_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, GracefulExit, KeyboardInterrupt):
                loop.run_until_complete(main_task)
            _cancel_remaining_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_remaining_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
