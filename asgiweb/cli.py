"""The ``asgiweb`` command: ``run``, ``routes`` (and ``python -m asgiweb``).

``asgiweb run TARGET`` serves ``module:app`` (an :class:`~asgiweb.web.Application`
or any ASGI app) or ``module:factory`` (a sync or async callable; given the
arguments after TARGET when it takes a parameter, as ``python -m aiohttp.web``
does). Applications are served by the same runner as
:func:`asgiweb.web.run_app`, so ``on_shutdown`` runs before connections
close; ``--reload`` restarts that runner under uvicorn's file watcher and
``--workers N`` under asgiweb's worker supervisor.

``asgiweb dev TARGET`` is ``run --reload`` for development: asyncio's debug
mode (so ``app.debug``), the debug toolbar, a ``--static`` folder, and pages
that reload themselves when a file changes (see :mod:`asgiweb.devserver`).

``asgiweb routes TARGET`` prints the route table; ``asgiweb port PATH`` ports aiohttp code
(:mod:`asgiweb.porting`).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import functools
import inspect
import logging
import os
import socket
import ssl
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from .app import Application
from .targets import TargetError, import_target, load

__all__ = ("main", "parser", "route_table", "serve")


def _resolve(app: Any) -> Any:
    if inspect.isawaitable(app):
        return asyncio.run(_await(app))
    return app


async def _await(app: Any) -> Any:
    return await app


# -- run ---------------------------------------------------------------------------------


def _ssl_context(certfile: str | None, keyfile: str | None) -> ssl.SSLContext | None:
    if certfile is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context


def serve(
    target: str, argv: Sequence[str], options: dict[str, Any], sockets: list[socket.socket]
) -> None:
    """Serve TARGET on ``sockets`` in this process (the ``--reload`` child)."""
    from .runner import run_app

    app = load(target, argv)
    tls = _ssl_context(options.pop("ssl_certfile", None), options.pop("ssl_keyfile", None))
    if not isinstance(app, Application) and not inspect.isawaitable(app):
        import uvicorn

        config = uvicorn.Config(app, ssl_certfile=None, **_uvicorn_only(options))
        uvicorn.Server(config).run(sockets=sockets)
        return
    run_app(app, sock=sockets, ssl_context=tls, print=None, **options)


def _uvicorn_only(options: dict[str, Any]) -> dict[str, Any]:
    mapped = dict(options)
    mapped.pop("shutdown_timeout", None)
    if "access_log" in mapped:
        mapped["access_log"] = bool(mapped["access_log"])
    return mapped


def _run(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {
        "access_log": True if args.access_log else None,
        "log_level": args.log_level,
        "root_path": args.root_path,
        "proxy_headers": args.proxy_headers,
        "forwarded_allow_ips": args.forwarded_allow_ips,
        "shutdown_timeout": args.shutdown_timeout,
    }
    if args.ssl_certfile:
        options["ssl_certfile"] = args.ssl_certfile
        options["ssl_keyfile"] = args.ssl_keyfile
    host = None if args.uds and args.host is None else (args.host or "127.0.0.1")
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")

    if args.reload:
        return _run_reloading(args, host, options)

    if args.workers > 1:
        from .workers import run_workers

        import_target(args.target)  # a bad TARGET is reported here, once, not by every worker
        run_workers(
            args.target,
            args.workers,
            host=host,
            port=args.port,
            path=args.uds,
            shutdown_timeout=args.shutdown_timeout,
            options={k: v for k, v in options.items() if k != "shutdown_timeout"},
            argv=args.args,
        )
        return 0

    app = load(args.target, args.args)
    tls = _ssl_context(options.pop("ssl_certfile", None), options.pop("ssl_keyfile", None))
    if isinstance(app, Application) or inspect.isawaitable(app):
        from .runner import run_app

        run_app(app, host=host, port=args.port, path=args.uds, ssl_context=tls, **options)
    else:
        import uvicorn

        uvicorn.run(
            app,
            host=host or "127.0.0.1",
            port=args.port,
            uds=args.uds,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
            **_uvicorn_only(options),
        )
    return 0


def _run_reloading(args: argparse.Namespace, host: str | None, options: dict[str, Any]) -> int:
    import uvicorn
    from uvicorn.supervisors import ChangeReload

    import_target(args.target)  # fail fast with a clear message
    config = uvicorn.Config(
        args.target,
        host=host or "127.0.0.1",
        port=args.port,
        uds=args.uds,
        reload=True,
        reload_dirs=args.reload_dir or None,
        reload_includes=args.reload_include or None,
        reload_excludes=args.reload_exclude or None,
        log_level=args.log_level,
    )
    sock = config.bind_socket()
    target = functools.partial(serve, args.target, list(args.args), options)
    ChangeReload(config, target=target, sockets=[sock]).run()
    return 0


# -- dev ---------------------------------------------------------------------------------


def _dev(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import ChangeReload

    from .devserver import DevOptions, serve
    from .runner import listen_tcp

    import_target(args.target)  # fail fast with a clear message
    static_dir = None
    if args.static is not None:
        static_dir = os.path.realpath(args.static)
        if not os.path.isdir(static_dir):
            print(f"asgiweb: --static {args.static!r} is not a folder", file=sys.stderr)
            return 2
    watch_dirs = [os.path.realpath(d) for d in args.reload_dir or [args.app_dir]]
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")
    sock = listen_tcp(args.host, args.port)
    try:
        config = uvicorn.Config(
            args.target,
            host=args.host,
            port=args.port,
            reload=True,
            reload_dirs=watch_dirs,
            reload_includes=args.reload_include or None,
            reload_excludes=args.reload_exclude or None,
            log_level=args.log_level,
        )
    except BaseException:
        sock.close()
        raise
    options = DevOptions(
        static_dir=static_dir,
        static_url=args.static_url,
        livereload=args.livereload,
        toolbar=args.toolbar,
        watch_dirs=tuple(watch_dirs),
        restart_patterns=tuple(config.reload_includes),
        ignore_patterns=tuple(config.reload_excludes),
        access_log=args.access_log,
        log_level=args.log_level,
    )
    target = functools.partial(serve, args.target, list(args.args), options)
    ChangeReload(config, target=target, sockets=[sock]).run()
    return 0


# -- routes -------------------------------------------------------------------------------


def route_table(app: Application, prefix: str = "") -> Iterator[tuple[str, str, str, str, str]]:
    """``(method, path, name, handler, sub-app prefix)`` for every route, sub-apps included."""
    from .mount import MountedASGIResource
    from .subapps import PrefixedSubAppResource

    for resource in app.router.resources():
        if isinstance(resource, PrefixedSubAppResource):
            # the sub-app's own resources already carry its prefix
            yield from route_table(resource.app, resource.canonical)
            continue
        if isinstance(resource, MountedASGIResource):
            yield ("*", resource.canonical + "/...", resource.name or "",
                   _qualname(resource.app), prefix)
            continue
        for route in resource:
            yield (
                route.method,
                resource.canonical,
                route.name or "",
                _qualname(route.handler),
                prefix,
            )


def _qualname(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}.{name}"


def _routes(args: argparse.Namespace) -> int:
    app = _resolve(load(args.target, args.args))
    if not isinstance(app, Application):
        raise TargetError(f"{args.target!r} is not an asgiweb Application, so it has no routes")
    rows = [("METHOD", "PATH", "NAME", "HANDLER", "SUB-APP")]
    rows += list(route_table(app))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0


# -- the command ----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """The ``asgiweb`` argument parser (``asgiweb --help``)."""
    top = argparse.ArgumentParser(
        prog="asgiweb", description="Serve and inspect asgiweb (and other ASGI) apps."
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="serve an app",
        description=(
            "Serve TARGET ('module:app' or 'module:factory'). Arguments this command does not "
            "know (or all after '--') go to a factory that takes a parameter, as with "
            "python -m aiohttp.web."
        ),
    )
    run.add_argument("target", metavar="TARGET", help="module:app or module:factory")
    run.add_argument("--host", default=None, help="address to listen on (default: 127.0.0.1)")
    run.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    run.add_argument("--uds", default=None, help="serve on this Unix socket path")
    run.add_argument("--app-dir", default=".", help="look for TARGET's module here")
    run.add_argument("--reload", action="store_true", help="restart when a file changes")
    run.add_argument("--reload-dir", action="append", default=[], help="folder to watch")
    run.add_argument("--reload-include", action="append", default=[], help="glob to watch")
    run.add_argument("--reload-exclude", action="append", default=[], help="glob to ignore")
    run.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    run.add_argument("--root-path", default="", help="the path prefix a proxy serves under")
    run.add_argument(
        "--proxy-headers", action="store_true",
        help="trust X-Forwarded-* from --forwarded-allow-ips (off by default)",
    )
    run.add_argument(
        "--forwarded-allow-ips", default="127.0.0.1",
        help="proxies whose X-Forwarded-* headers are trusted with --proxy-headers",
    )
    run.add_argument("--log-level", default="info",
                     choices=["critical", "error", "warning", "info", "debug"])
    run.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    run.add_argument("--shutdown-timeout", type=float, default=60.0,
                     help="seconds in-flight requests get at shutdown (default: 60)")
    run.add_argument("--ssl-certfile", default=None)
    run.add_argument("--ssl-keyfile", default=None)
    run.set_defaults(handler=_run)

    dev = commands.add_parser(
        "dev",
        help="serve an app for development: reload, debug, toolbar, live reload",
        description=(
            "Serve TARGET ('module:app' or 'module:factory') for development: restart when a "
            "Python file changes (uvicorn's reloader), asyncio's debug mode (so app.debug is "
            "on for an Application that does not set it), the debug toolbar "
            "(asgiweb.debugtoolbar.setup(app), for asgiweb Applications), and a script in HTML "
            "pages that reloads them when a template, stylesheet, script or --static file "
            "changes, or once the server has restarted. "
            "Any other ASGI app is served the same way, without debug flag and toolbar. "
            "Arguments this command does not know (or all after '--') go to a factory that "
            "takes a parameter."
        ),
    )
    dev.add_argument("target", metavar="TARGET", help="module:app or module:factory")
    dev.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    dev.add_argument("-p", "--port", type=int, default=8080, help="port (default: 8080)")
    dev.add_argument("--app-dir", default=".",
                     help="look for TARGET's module here; watched unless --reload-dir is given")
    dev.add_argument("-s", "--static", default=None, metavar="DIR",
                     help="serve this folder (relative to the current one) at --static-url; "
                     "pages reload when it changes")
    dev.add_argument("--static-url", default="/static/",
                     help="URL path of the --static folder (default: /static/)")
    dev.add_argument("--livereload", action=argparse.BooleanOptionalAction, default=True,
                     help="reload the browser's page on changes (default: on)")
    dev.add_argument("--toolbar", action=argparse.BooleanOptionalAction, default=True,
                     help="switch the debug toolbar on (default: on)")
    dev.add_argument("--reload-dir", action="append", default=[],
                     help="folder to watch (repeatable; default: --app-dir)")
    dev.add_argument("--reload-include", action="append", default=[],
                     help="glob of files whose change restarts the server (default: *.py)")
    dev.add_argument("--reload-exclude", action="append", default=[], help="glob to ignore")
    dev.add_argument("--log-level", default="info",
                     choices=["critical", "error", "warning", "info", "debug"])
    dev.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    dev.set_defaults(handler=_dev)

    routes = commands.add_parser(
        "routes", help="print the route table",
        description="Print the route table of TARGET: method, path, name, handler, sub-app.",
    )
    routes.add_argument("target", metavar="TARGET", help="module:app or module:factory")
    routes.add_argument("--app-dir", default=".", help="look for TARGET's module here")
    routes.set_defaults(handler=_routes)

    from .porting.command import add_parser as add_port_parser

    add_port_parser(commands)
    return top


def _takes_factory_arguments(target: str) -> bool:
    """Whether TARGET looks like it can take arguments; decided for real when it is loaded."""
    return ":" in target


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``asgiweb`` command; returns its exit status."""
    top = parser()
    args, extra = top.parse_known_args(argv)
    if extra and extra[0] == "--":
        extra = extra[1:]
    if extra and not _takes_factory_arguments(args.target):
        top.error(f"unrecognized arguments: {' '.join(extra)}")
    args.args = extra
    app_dir = os.path.abspath(args.app_dir)
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    try:
        result: int = args.handler(args)
        return result
    except TargetError as exc:
        print(f"asgiweb: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            host = getattr(args, "host", None) or "127.0.0.1"
            where = getattr(args, "uds", None) or f"{host}:{args.port}"
            print(f"asgiweb: {where} is already in use; stop the other server or choose "
                  "another --port", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        return 130
