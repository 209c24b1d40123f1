"""Ways to start an app from outside: ``python -m asgiweb.web`` and ``uvicorn --factory``.

``python -m asgiweb.web [-H host] [-P port] [-U path] module:init_func [args]``
behaves as ``python -m aiohttp.web``: it imports ``init_func``, calls it with
the arguments it does not know itself, and serves the application (or the
awaitable of one) it returns with :func:`~asgiweb.web.run_app`.

:func:`asgi_factory` makes an async app factory servable by an ASGI server's
factory option. ``uvicorn --factory pkg:init_app`` calls ``init_app()`` and
serves what it returns; for ``async def init_app()`` that is a coroutine,
which is not an ASGI app. Decorated, ``init_app()`` returns a
:class:`DeferredApp`: an ASGI app that awaits the factory when the server
sends the lifespan startup (or the first request), and an awaitable of the
application, so ``web.run_app(init_app())`` and ``await init_app()`` keep
working.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from argparse import ArgumentParser
from collections.abc import Awaitable, Callable, Generator
from importlib import import_module
from typing import Any, ParamSpec

from .typedefs import ASGIApp, Receive, Scope, Send

__all__ = ("DeferredApp", "asgi_factory", "main")

_P = ParamSpec("_P")


class DeferredApp:
    """An ASGI app built by an (async) factory the first time the server calls it.

    >>> app = DeferredApp(init_app)   # what ``@web.asgi_factory`` returns when called
    >>> application = await app       # the web.Application itself
    """

    __slots__ = ("_app", "_args", "_factory", "_kwargs", "_lock")

    def __init__(self, factory: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._factory = factory
        self._args = args
        self._kwargs = kwargs
        self._app: Any = None
        self._lock: asyncio.Lock | None = None

    async def build(self) -> Any:
        """Call the factory once (awaiting its result if needed) and return the app."""
        if self._app is None:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if self._app is None:
                    app = self._factory(*self._args, **self._kwargs)
                    if not callable(app) and isinstance(app, Awaitable):
                        app = await app
                    if not callable(app):
                        raise TypeError(
                            f"{_name(self._factory)}() must return an ASGI app such as "
                            f"web.Application (or an awaitable of one), not {app!r}"
                        )
                    self._app = app
        return self._app

    def __await__(self) -> Generator[Any, None, Any]:
        """``await deferred`` builds the app and returns it (for ``run_app`` and tests)."""
        return self.build().__await__()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve *scope* with the app, building it first if this is the first call."""
        app: ASGIApp | None = self._app
        if app is None:
            try:
                app = await self.build()
            except Exception as exc:
                if scope["type"] != "lifespan":
                    raise
                # Tell the server the app cannot start, with the reason.
                await receive()
                logger = logging.getLogger("asgiweb.entrypoints")
                logger.exception("%s failed", _name(self._factory))
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
        await app(scope, receive, send)


def _name(factory: Callable[..., Any]) -> str:
    return getattr(factory, "__qualname__", repr(factory))


def asgi_factory(factory: Callable[_P, Any]) -> Callable[_P, DeferredApp]:
    """Make an (async) app factory servable with ``uvicorn --factory``.

    >>> @web.asgi_factory
    ... async def init_app() -> web.Application:
    ...     app = web.Application()
    ...     app["db"] = await connect()
    ...     return app

    ``uvicorn --factory pkg:init_app`` then serves the application; the
    factory runs once, inside the server's event loop, at lifespan startup.
    """

    @functools.wraps(factory)
    def make(*args: _P.args, **kwargs: _P.kwargs) -> DeferredApp:
        return DeferredApp(factory, *args, **kwargs)

    return make


def main(argv: list[str]) -> None:
    """``python -m asgiweb.web``: serve the app that ``module:function`` returns."""
    from .runner import run_app

    parser = ArgumentParser(description="asgiweb.web Application server", prog="asgiweb.web")
    parser.add_argument(
        "entry_func",
        help=(
            "Callable returning the `asgiweb.web.Application` instance to "
            "run. Should be specified in the 'module:function' syntax."
        ),
        metavar="entry-func",
    )
    parser.add_argument(
        "-H",
        "--hostname",
        help="TCP/IP hostname to serve on (default: localhost)",
        default=None,
    )
    parser.add_argument(
        "-P",
        "--port",
        help="TCP/IP port to serve on (default: %(default)r)",
        type=int,
        default=8080,
    )
    parser.add_argument(
        "-U",
        "--path",
        help="Unix file system path to serve on. Can be combined with hostname "
        "to serve on both Unix and TCP.",
    )
    args, extra_argv = parser.parse_known_args(argv)

    module_name, _, function_name = args.entry_func.partition(":")
    if not function_name or not module_name:
        parser.error("'entry-func' not in 'module:function' syntax")
    if module_name.startswith("."):
        parser.error("relative module names not supported")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        parser.error(f"unable to import {module_name}: {exc}")
    try:
        function = getattr(module, function_name)
    except AttributeError:
        parser.error(f"module {module_name!r} has no attribute {function_name!r}")

    if args.path is not None and not hasattr(socket, "AF_UNIX"):
        parser.error("file system paths not supported by your operating environment")

    logging.basicConfig(level=logging.DEBUG)

    if args.path and args.hostname is None:
        host = port = None
    else:
        host = args.hostname or "localhost"
        port = args.port

    app = function(extra_argv)
    run_app(app, host=host, port=port, path=args.path)
    parser.exit(message="Stopped\n")


