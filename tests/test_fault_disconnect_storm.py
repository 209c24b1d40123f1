"""Fault suite: disconnect storms against ``@jobs.atomic``, ``jobs.spawn`` and ``asyncio.shield``.

A storm is N clients per handler kind, all at once, each sending a complete
JSON POST on a raw socket and closing the connection 10-150 ms later (most
before the answer comes). The app runs under real uvicorn (h11 and
httptools) in a subprocess, with ``handler_cancellation=True`` and the
default ``jobs.setup(app)`` (limit 100), so jobs queue behind jobs of clients
that already left. Checked per storm: every write is saved (0 lost), no job
or task is left behind; across storms: the server's live Python objects do
not grow with the requests served and its RSS stays within a generous bound
of its level after a warm-up storm; at the end, after a
graceful shutdown: nothing on the server's log (no traceback, no warning).

Short mode (CI): 200 clients per kind, 2 storms after the warm-up. Long mode:
``ASGIWEB_LONG=1 python -m pytest -s tests/test_fault_disconnect_storm.py``
(1,000 clients per kind, 10 storms; ``-s`` prints the figures). See
docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest

from asgiweb import jobs, web

LONG = os.environ.get("ASGIWEB_LONG") == "1"
CLIENTS = 1000 if LONG else 200  # per handler kind, per storm
STORMS = 10 if LONG else 2  # measured storms, after one warm-up storm
RSS_BOUND_KIB = 40 * 1024  # generous: allocator noise, not leaks, stays far below
KINDS = ("atomic", "spawn", "shield")
SAVED = web.AppKey("saved", dict[str, set[int]])


# -- the server (runs in a subprocess) ---------------------------------------------------


def create_app(*, cancellation: bool = True) -> web.Application:
    """Three ways to protect a write from a client that leaves; each must lose nothing."""

    async def work() -> None:
        await asyncio.sleep(random.uniform(0.05, 0.15))  # a database round trip or two

    @jobs.atomic
    async def atomic(request: web.Request) -> web.Response:
        await work()  # reads the body only now: long after its client left
        data = await request.json()
        request.app[SAVED]["atomic"].add(data["id"])
        return web.json_response({"saved": data["id"]})

    async def store(request: web.Request) -> None:
        await work()
        data = await request.json()  # the response has gone out by now
        request.app[SAVED]["spawn"].add(data["id"])

    async def spawned(request: web.Request) -> web.Response:
        await jobs.spawn(request, store(request))
        return web.Response(status=202, text="accepted")

    async def save_shielded(app: web.Application, data: dict[str, Any]) -> None:
        await work()
        app[SAVED]["shield"].add(data["id"])

    async def shielded(request: web.Request) -> web.Response:
        data = await request.json()
        await asyncio.shield(save_shielded(request.app, data))
        return web.json_response({"saved": data["id"]})

    async def stats(request: web.Request) -> web.Response:
        gc.collect()
        scheduler = jobs.get_scheduler(request)
        with open("/proc/self/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        return web.json_response(
            {
                "saved": {kind: len(ids) for kind, ids in request.app[SAVED].items()},
                "jobs": len(scheduler),
                "tasks": len(asyncio.all_tasks()),
                "objects": len(gc.get_objects()),
                "rss_kib": rss,
            }
        )

    async def reset(request: web.Request) -> web.Response:
        for ids in request.app[SAVED].values():
            ids.clear()
        return web.Response(text="reset")

    app = web.Application(handler_cancellation=cancellation)
    jobs.setup(app)
    app[SAVED] = {kind: set() for kind in KINDS}
    app.router.add_post("/atomic", atomic)
    app.router.add_post("/spawn", spawned)
    app.router.add_post("/shield", shielded)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    return app


def serve(http: str) -> None:
    """Serve :func:`create_app` on 127.0.0.1:0 with uvicorn; print the port; log to stderr."""
    import logging

    import uvicorn

    raise_fd_limit()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)  # connections wait in the backlog until uvicorn serves them
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(create_app(), http=http, log_level="warning", backlog=4096)
    uvicorn.Server(config).run(sockets=[sock])


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- the clients -----------------------------------------------------------------------------


async def http_json(port: int, method: str, path: str) -> Any:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    body = await asyncio.wait_for(reader.readexactly(length), 30)
    writer.close()
    await writer.wait_closed()
    return json.loads(body) if path == "/stats" else body


async def send_and_drop(port: int, kind: str, ident: int) -> None:
    """A complete POST, then the connection closed 10-150 ms later, answered or not."""
    body = json.dumps({"id": ident}).encode()
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST /{kind} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    await asyncio.sleep(random.uniform(0.010, 0.150))
    writer.close()
    # ConnectionError: the server's answer was unread, so the close went out as a reset
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def storm(port: int) -> dict[str, Any]:
    """One storm; returns the server's stats once every write has landed (or 60 s passed)."""
    await http_json(port, "POST", "/reset")
    await asyncio.gather(*(send_and_drop(port, kind, i) for i in range(CLIENTS) for kind in KINDS))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    stats: dict[str, Any] = {}
    last_change = loop.time()
    while loop.time() < deadline:
        previous, stats = stats, await http_json(port, "GET", "/stats")
        if stats["jobs"] == 0 and all(n == CLIENTS for n in stats["saved"].values()):
            break
        if previous.get("saved") != stats["saved"] or stats["jobs"]:
            last_change = loop.time()
        elif loop.time() - last_change > 3:
            break  # nothing runs and nothing lands any more: the rest is lost
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # let the last connections close before counting objects
    return await http_json(port, "GET", "/stats")


@pytest.mark.timeout(600 if LONG else 120)
@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_disconnect_storm_loses_nothing(http: str) -> None:
    raise_fd_limit()
    server = subprocess.Popen(
        [sys.executable, __file__, http],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(await asyncio.to_thread(server.stdout.readline))
        warm = await storm(port)
        figures = [warm]
        for _ in range(STORMS):
            figures.append(await storm(port))
    finally:
        server.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully
        try:
            _, log = await asyncio.to_thread(server.communicate, timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            _, log = server.communicate()
    baseline = warm["rss_kib"]
    print(
        f"\n{http}: {STORMS + 1} storms of {CLIENTS} clients x {len(KINDS)} kinds; "
        f"saved per storm {[f['saved'] for f in figures]}; "
        f"RSS KiB {[f['rss_kib'] for f in figures]}; tasks {[f['tasks'] for f in figures]}; "
        f"objects {[f['objects'] for f in figures]}"
    )
    expected = {kind: CLIENTS for kind in KINDS}
    for stats in figures:
        assert stats["saved"] == expected  # 0 lost writes
        assert stats["jobs"] == 0
        assert stats["tasks"] <= warm["tasks"] + 2  # nothing left running
        assert stats["rss_kib"] - baseline < RSS_BOUND_KIB
    # Live objects wobble between storms (one spike of +1,300 seen on a loaded
    # machine); a leak raises every later storm, so the lowest count tells. Two
    # objects kept per request pass this bound by the first measured storm.
    lowest = min(stats["objects"] for stats in figures[1:])
    assert lowest - warm["objects"] < 2 * len(KINDS) * CLIENTS
    assert server.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert log == ""  # no traceback, no warning, no error: nothing at all


if __name__ == "__main__":
    serve(sys.argv[1])
