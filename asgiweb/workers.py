"""Many worker processes behind one listening socket: ``web.run_app(..., workers=N)``.

The parent binds the sockets once, starts ``N`` processes that each import
the app and serve it with :func:`asgiweb.web.run_app` on those sockets (each
with its own lifespan), and supervises them: a worker that dies while
serving is replaced; one that fails before it starts serving stops the whole
server (the app is broken and would fail the same way again). SIGINT or
SIGTERM to the parent is passed on to every worker as SIGTERM, so each runs
asgiweb's graceful shutdown (``on_shutdown`` while connections are still
open, then the drain), and the parent returns when all have exited.

Why not uvicorn's ``--workers`` supervisor: its worker processes run
uvicorn's own server, which closes every connection (WebSockets get 1012)
before the app's shutdown signal runs. Every asgiweb worker must run
asgiweb's runner to keep aiohttp's order, and uvicorn's supervisor has no
way to start a different server in its workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from .app import Application
from .targets import load

__all__ = ("WorkerTarget", "run_workers")

WorkerTarget = str | Callable[..., Any]
"""What a worker serves: ``"package.module:app"`` or a module-level factory function."""

STARTUP_FAILED = 3
"""The exit code of a worker whose app could not start."""

_spawn = multiprocessing.get_context("spawn")
multiprocessing.allow_connection_pickling()


def check_target(target: object, workers: int) -> None:
    """Raise ``TypeError`` when ``target`` cannot be started in other processes."""
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        if not module or not attr:
            raise TypeError(
                f"run_app(workers={workers}) needs 'package.module:attribute', got {target!r}"
            )
        return
    if isinstance(target, Application) or not callable(target):
        raise TypeError(
            f"run_app(workers={workers}) cannot send {target!r} to other processes: pass an "
            "import string such as 'myapp.main:app', or a module-level factory function "
            "(each worker imports it and builds its own app)"
        )
    qualname = getattr(target, "__qualname__", "")
    if "<locals>" in qualname or "<lambda>" in qualname or not getattr(target, "__module__", None):
        raise TypeError(
            f"run_app(workers={workers}) needs a factory defined at module level, got {target!r}"
        )


def bind_sockets(
    host: str | Iterable[str] | None,
    port: int | None,
    path: str | Iterable[str] | None,
    backlog: int,
) -> list[socket.socket]:
    """Listening sockets for the hosts and Unix paths, shared by every worker."""
    sockets: list[socket.socket] = []
    hosts = [] if host is None else [host] if isinstance(host, str) else list(host)
    paths = [] if path is None else [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not hosts and (not paths or port is not None):
        hosts = ["0.0.0.0"]
    from .runner import listen_tcp, listen_unix

    try:
        for name in hosts:
            sockets.append(listen_tcp(name, 8080 if port is None else port, backlog=backlog))
        for unix_path in paths:
            sockets.append(listen_unix(unix_path, backlog=backlog))
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _worker_main(
    target: WorkerTarget,
    argv: list[str],
    sockets: list[socket.socket],
    options: dict[str, Any],
    ready: Connection,
) -> None:
    """A worker process: build the app, serve it on the inherited sockets until SIGTERM."""
    from .runner import run_app

    os.setpgrp()  # a terminal's Ctrl-C reaches the parent only, which passes it on once
    try:
        app = load(target, argv)
    except Exception as exc:
        print(f"asgiweb worker {os.getpid()}: cannot load {target!r}: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILED)

    def started(*args: Any, **kwargs: Any) -> None:
        ready.send(True)

    certfile = options.pop("ssl_certfile", None)
    keyfile = options.pop("ssl_keyfile", None)
    if certfile is not None:
        options["ssl_context"] = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        options["ssl_context"].load_cert_chain(certfile, keyfile)
    run_app(app, sock=sockets, print=started, **options)


class _Worker:
    """One worker process and the pipe on which it says it is serving."""

    def __init__(
        self,
        target: WorkerTarget,
        argv: list[str],
        sockets: list[socket.socket],
        options: dict[str, Any],
    ) -> None:
        receiver, sender = _spawn.Pipe(duplex=False)
        self.ready = receiver
        self.started = False
        self.process: BaseProcess = _spawn.Process(
            target=_worker_main, args=(target, argv, sockets, options, sender), daemon=False
        )
        self.process.start()
        sender.close()

    def poll_started(self) -> bool:
        """True once the worker has reported that it serves."""
        if not self.started:
            with contextlib.suppress(EOFError, OSError):
                if self.ready.poll(0):
                    self.started = bool(self.ready.recv())
        return self.started


def run_workers(
    target: object,
    workers: int,
    *,
    host: str | Iterable[str] | None = None,
    port: int | None = None,
    path: str | Iterable[str] | None = None,
    sock: socket.socket | Iterable[socket.socket] | None = None,
    backlog: int = 128,
    shutdown_timeout: float = 60.0,
    print: Callable[..., None] | None = print,
    options: dict[str, Any] | None = None,
    argv: Sequence[str] = (),
) -> None:
    """Serve ``target`` from ``workers`` processes until SIGINT or SIGTERM.

    >>> run_workers("myapp.main:create_app", 4, host="0.0.0.0", port=8080)

    ``options`` are :func:`~asgiweb.web.run_app` keyword arguments for each
    worker (they must be picklable: an ``ssl.SSLContext`` is not, so pass
    ``ssl_certfile=`` and ``ssl_keyfile=`` instead); ``argv`` goes to a
    factory that takes a parameter.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    check_target(target, workers)
    assert isinstance(target, str) or callable(target)
    options = dict(options or {})
    if isinstance(options.get("ssl_context"), ssl.SSLContext):
        raise TypeError(
            "an ssl.SSLContext cannot be sent to worker processes: pass "
            "ssl_certfile='cert.pem', ssl_keyfile='key.pem' instead"
        )
    options["shutdown_timeout"] = shutdown_timeout
    if sock is not None:
        sockets = [sock] if isinstance(sock, socket.socket) else list(sock)
    else:
        sockets = bind_sockets(host, port, path, backlog)
    stop: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stop.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    pool: list[_Worker] = []
    try:
        pool = [_Worker(target, list(argv), sockets, options) for _ in range(workers)]
        announced = False
        while not stop:
            time.sleep(0.1)
            for index, worker in enumerate(pool):
                worker.poll_started()
                if worker.process.is_alive():
                    continue
                if not worker.started:
                    raise SystemExit(
                        f"asgiweb: worker {worker.process.pid} exited with "
                        f"{worker.process.exitcode} before it could serve; stopping"
                    )
                if print is not None:
                    print(f"asgiweb: worker {worker.process.pid} died "
                          f"(exit {worker.process.exitcode}); starting a new one")
                pool[index] = _Worker(target, list(argv), sockets, options)
            if not announced and all(worker.started for worker in pool):
                announced = True
                if print is not None:
                    names = [_socket_name(bound, options) for bound in sockets]
                    print(f"======== Running on {', '.join(names)} with {workers} workers "
                          "========\n(Press CTRL+C to quit)")
    finally:
        for worker in pool:
            if worker.process.is_alive() and worker.process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + shutdown_timeout + 10
        for worker in pool:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        if sock is None:
            for bound in sockets:
                bound.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _socket_name(sock: socket.socket, options: dict[str, Any]) -> str:
    address = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return f"http://unix:{address}:"
    scheme = "https" if options.get("ssl_certfile") else "http"
    host = address[0]
    return f"{scheme}://[{host}]:{address[1]}" if ":" in host else f"{scheme}://{host}:{address[1]}"
