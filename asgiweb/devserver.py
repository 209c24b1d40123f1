"""The server ``asgiweb dev`` runs: the app in debug mode, with its toolbar and live reload.

``asgiweb dev`` (see :mod:`asgiweb.cli`) binds the socket and runs uvicorn's
reloader, which restarts :func:`serve` in a fresh process whenever a Python
file changes. Each :func:`serve`:

- runs the event loop in asyncio's debug mode, so an :class:`~asgiweb.web.Application`
  that was not given ``debug=`` has ``app.debug`` on (as under aiohttp-devtools);
- switches the debug toolbar on (``asgiweb.debugtoolbar.setup(app)``) when the
  target is an ``Application`` and the toolbar's dependencies are installed;
- serves the app through :class:`~asgiweb.livereload.LiveReload` (the script in
  HTML pages, the ``--static`` folder) with :class:`DevRunner`, which keeps
  ``run_app``'s shutdown order (``on_shutdown`` before connections close);
- watches the project's other files (templates, the static folder) and tells the
  open pages to reload, without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
import os
import signal
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .app import Application
from .lifespan import LifespanDriver
from .livereload import LiveReload
from .runner import ServerRunner, SockSite
from .targets import load
from .typedefs import ASGIApp

try:
    from watchfiles import DefaultFilter, awatch
except ImportError:  # uvicorn without [standard]: its reloader polls *.py, pages reload on restart
    DefaultFilter = object  # type: ignore[assignment,misc]
    awatch = None  # type: ignore[assignment]

__all__ = (
    "PAGE_FILES",
    "DevOptions",
    "DevRunner",
    "serve",
    "static_folders",
    "switch_on_toolbar",
    "watch",
)

logger = logging.getLogger("asgiweb.dev")

#: Files outside the static folder whose change reloads the pages (templates, assets).
PAGE_FILES = (
    "*.html", "*.htm", "*.jinja", "*.jinja2", "*.j2", "*.css", "*.js", "*.mjs", "*.svg",
)
#: Seconds in-flight requests get when the server restarts or stops.
SHUTDOWN_TIMEOUT = 2.0


@dataclass(frozen=True)
class DevOptions:
    """What ``asgiweb dev`` was asked for (picklable: it crosses into each server process)."""

    static_dir: str | None = None  # a real path (symlinks resolved), as every path here
    static_url: str = "/static/"
    livereload: bool = True
    toolbar: bool = True
    #: folders whose non-Python files reload the pages when they change
    watch_dirs: tuple[str, ...] = ()
    #: patterns of the files whose change restarts the server (uvicorn's reloader sees those)
    restart_patterns: tuple[str, ...] = ("*.py",)
    ignore_patterns: tuple[str, ...] = ()
    access_log: bool = True
    log_level: str = "info"


class DevRunner(ServerRunner):
    """Serve ``served`` (a layer around ``app``) while running ``app``'s own lifecycle.

    For an :class:`~asgiweb.web.Application`: ``on_startup`` at :meth:`setup`,
    ``on_shutdown`` before connections are drained and ``on_cleanup`` after, as
    :func:`~asgiweb.web.run_app` does. Another ASGI app gets the lifespan
    protocol (when it speaks it) at the same two points.
    """

    def __init__(self, app: ASGIApp, served: ASGIApp, **kwargs: Any) -> None:
        super().__init__(served, **kwargs)
        self._app = app
        self._lifespan: LifespanDriver | None = None

    async def setup(self) -> None:
        """Start the app (startup signals or lifespan), then the server."""
        if isinstance(self._app, Application):
            try:
                await self._app.startup()
            except BaseException:
                await self._app.cleanup()
                raise
        else:
            self._lifespan = LifespanDriver(self._app, optional=True)
            await self._lifespan.startup()
        await super().setup()

    async def shutdown(self) -> None:
        """``on_shutdown`` (or lifespan shutdown), while connections are still open."""
        if isinstance(self._app, Application):
            await self._app.shutdown()
        elif self._lifespan is not None:
            await self._lifespan.shutdown()

    async def cleanup(self) -> None:
        """Stop serving (see :meth:`BaseRunner.cleanup`), then ``on_cleanup``."""
        try:
            await super().cleanup()
        finally:
            if isinstance(self._app, Application):
                await self._app.cleanup()


def switch_on_toolbar(app: Application) -> str:
    """Set the debug toolbar up on ``app``; returns a few words on what happened."""
    try:
        toolbar = importlib.import_module("asgiweb.debugtoolbar")
    except ImportError as exc:
        return f"no debug toolbar ({exc}; pip install 'asgiweb[debugtoolbar]')"
    toolbar.setup(app)
    return "debug toolbar on"


def serve(
    target: str, argv: Sequence[str], options: DevOptions, sockets: list[socket.socket]
) -> None:
    """Serve TARGET on ``sockets`` until SIGINT/SIGTERM (one process of the reloader)."""
    logging.basicConfig(
        level=options.log_level.upper(), format="%(levelname)s: %(name)s: %(message)s"
    )
    if options.log_level != "debug":
        # debug mode's own chatter ("... is serving"); its warnings (slow callbacks,
        # never-awaited coroutines) still show
        logging.getLogger("asyncio").setLevel(logging.WARNING)
        logging.getLogger("watchfiles").setLevel(logging.WARNING)
    app = load(target, argv)  # imported before the loop runs, so no "slow callback" for it
    with asyncio.Runner(debug=True) as loop:
        loop.run(_serve(target, app, options, sockets))


async def _serve(
    target: str, app: Any, options: DevOptions, sockets: list[socket.socket]
) -> None:
    if inspect.isawaitable(app):
        app = await app
    notes = ["debug on"]
    roots: list[tuple[str, str]] = []
    if isinstance(app, Application):
        roots = static_folders(app)
        if options.toolbar:
            notes.append(switch_on_toolbar(app))
        if options.static_dir is not None:
            _set_static_root(app, options.static_url)
    else:
        notes = [f"not an asgiweb Application ({type(app).__name__}): no app.debug, no toolbar"]
    layer = LiveReload(
        app,
        static_dir=options.static_dir,
        static_url=options.static_url,
        livereload=options.livereload,
        static_roots=roots,
    )
    if options.livereload:
        notes.append("live reload on")
    if options.static_dir is not None:
        notes.append(f"{options.static_dir} at {options.static_url}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Debug mode reports callbacks that block the loop for over 0.1 s: not the server's own
    # start (imports, the watcher's first scan), only what runs once it serves.
    slow = loop.slow_callback_duration
    loop.slow_callback_duration = 3600.0
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner = DevRunner(
        app, layer, access_log=options.access_log, shutdown_timeout=SHUTDOWN_TIMEOUT
    )
    watcher: asyncio.Task[None] | None = None
    try:
        await runner.setup()
        sites = [SockSite(runner, sock) for sock in sockets]
        for site in sites:
            await site.start()
        if options.livereload:
            own_static = [folder for folder, _ in roots]
            watcher = asyncio.create_task(watch(layer, options, own_static))
        await asyncio.sleep(0)  # the watcher's first step: its scan of the folders
        loop.slow_callback_duration = slow
        where = ", ".join(site.name for site in sites)
        print(f"asgiweb dev: {target} on {where} ({'; '.join(notes)})", flush=True)
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await runner.cleanup()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _set_static_root(app: Application, static_url: str) -> None:
    """Point aiohttp_jinja2's ``{{ static(...) }}`` at the dev static folder, as adev does."""
    try:
        from .templating import static_root_key
    except ImportError:  # jinja2 is not installed
        return
    for each in app.iter_apps():
        if static_root_key not in each:
            each[static_root_key] = "/" + static_url.strip("/")


def static_folders(app: Application) -> list[tuple[str, str]]:
    """``(folder, URL prefix)`` of each ``add_static`` of the app and its sub-apps."""
    from .subapps import PrefixedSubAppResource

    found: list[tuple[str, str]] = []
    for resource in app.router.resources():
        if isinstance(resource, PrefixedSubAppResource):
            found += static_folders(resource.app)
            continue
        info = resource.get_info()
        if "directory" in info and "prefix" in info:
            found.append((os.path.realpath(info["directory"]), info["prefix"]))
    return found


async def watch(
    layer: LiveReload, options: DevOptions, static_dirs: Sequence[str] = ()
) -> None:
    """Tell the pages to reload when a page file (:data:`PAGE_FILES`) or a static file changes.

    Static files are those of ``options.static_dir`` and of ``static_dirs`` (the app's
    own ``add_static`` folders): any change there counts.

    Files whose change restarts the server (``options.restart_patterns``) are left
    to uvicorn's reloader: the pages reload once the new server answers.
    """
    if awatch is None:
        logger.warning(
            "pages reload after a restart only: install watchfiles "
            "(pip install 'asgiweb[devtools]') to reload them when other files change"
        )
        return
    statics = [d for d in (options.static_dir, *static_dirs) if d]  # real paths, as reported
    restart = options.restart_patterns + options.ignore_patterns

    class PagesFilter(DefaultFilter):
        def __call__(self, change: Any, path: str) -> bool:
            if not super().__call__(change, path):
                return False
            as_path = Path(path)
            if any(as_path.match(pattern) for pattern in restart):
                return False
            in_static = any(path.startswith(d + os.sep) for d in statics)
            return in_static or any(as_path.match(pattern) for pattern in PAGE_FILES)

    dirs = _outermost([*options.watch_dirs, *statics])
    if not dirs:
        return
    async for changes in awatch(*dirs, watch_filter=PagesFilter()):
        paths = sorted({path for _, path in changes})
        url = layer.static_url_of(paths[0]) if len(paths) == 1 else None
        told = layer.reload(url)
        logger.info("%s changed: %d page(s) told to reload", ", ".join(paths), told)


def _outermost(dirs: Sequence[str]) -> list[str]:
    """The folders, without those inside another (watched already)."""
    resolved = sorted({os.path.realpath(d) for d in dirs if os.path.isdir(d)})
    kept: list[str] = []
    for each in resolved:
        if not any(each == k or each.startswith(k.rstrip(os.sep) + os.sep) for k in kept):
            kept.append(each)
    return kept
