"""Fan-out benchmark: one publisher, many WebSocket clients, one or two workers.

Each server app has one endpoint, ``/ws``: every connection subscribes to one
channel and forwards what it carries; a text message from any connection is
published to that channel. One sender connection publishes ``--messages``
messages at ``--rate`` per second, each stamped with the send time
(``time.monotonic()``, one clock for every process on the machine); every
client records each message's delivery latency. Clients live in
``--client-procs`` processes so the client is not the bottleneck.

Configurations, interleaved within each round (the first round is a warm-up
and not counted):

- asgiweb, ``memory://``, 1 worker (the in-process backend cannot cross workers)
- asgiweb, ``redis://``, 2 workers
- Starlette + the ``broadcaster`` package, ``memory://``, 1 worker, and
  ``redis://``, 2 workers (the peer)

asgiweb runs under its own ``web.run_app(..., workers=N)``; Starlette under
``uvicorn --workers N``. Both use the asyncio event loop and uvicorn's default
WebSocket implementation.

Reported per configuration, as the median over rounds with the min-max spread:
deliveries per second, p50 and p99 delivery latency, and server memory per
connected client (the workers' RSS with clients connected, less before, over
the number of clients). It needs ``redis-server`` on the PATH.

    python -m benchmarks.broadcast_fanout --clients 1000 --messages 200 --rate 100 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .e2e import free_port, wait_until_serving

CHANNEL = "bench"
REPO = Path(__file__).resolve().parent.parent


# -- the two server apps ---------------------------------------------------------------


def asgiweb_app() -> Any:
    """The asgiweb endpoint (``uvicorn --factory benchmarks.broadcast_fanout:asgiweb_app``)."""
    from asgiweb import broadcast, web

    app = web.Application()
    hub = broadcast.setup(app, os.environ["BENCH_BROADCAST_URL"], max_queue=10_000)

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with hub.subscribe(channel=CHANNEL) as subscriber:

            async def forward() -> None:
                async for event in subscriber:
                    await ws.send_str(event.message)

            forwarder = asyncio.create_task(forward())
            await ws.send_str(f"subscribed {os.getpid()}")
            async for msg in ws:
                if msg.type == web.WSMsgType.TEXT:
                    await hub.publish(channel=CHANNEL, message=msg.data)
            forwarder.cancel()
        return ws

    app.router.add_get("/ws", ws_handler)
    return app


def starlette_app() -> Any:
    """The peer: Starlette with ``broadcaster`` (``--factory ...:starlette_app``)."""
    from broadcaster import Broadcast
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    hub = Broadcast(os.environ["BENCH_BROADCAST_URL"])

    async def ws_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        async with hub.subscribe(channel=CHANNEL) as subscriber:

            async def forward() -> None:
                async for event in subscriber:  # type: ignore[union-attr]
                    if event is not None:
                        await websocket.send_text(event.message)

            forwarder = asyncio.create_task(forward())
            await websocket.send_text("subscribed 0")
            try:
                while True:
                    await hub.publish(channel=CHANNEL, message=await websocket.receive_text())
            except WebSocketDisconnect:
                pass
            forwarder.cancel()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.connect()
        yield
        await hub.disconnect()

    return Starlette(routes=[WebSocketRoute("/ws", ws_endpoint)], lifespan=lifespan)


# -- clients ----------------------------------------------------------------------------


def client_process(port: int, connections: int, expected: int, pipe: Connection) -> None:
    """Open ``connections`` WebSockets, report ready, then collect ``expected`` messages each."""

    async def main() -> None:
        import aiohttp

        latencies: list[float] = []
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            async def connect() -> aiohttp.ClientWebSocketResponse:
                ws = await session.ws_connect(f"ws://127.0.0.1:{port}/ws")
                assert (await ws.receive_str(timeout=60)).startswith("subscribed")
                return ws

            # One handshake at a time: broadcaster loses subscribers that arrive while
            # the first subscription to a channel is being set up (asgiweb does not).
            sockets = [await connect() for _ in range(connections)]
            pipe.send("ready")

            async def collect(ws: aiohttp.ClientWebSocketResponse) -> None:
                for _ in range(expected):
                    msg = await ws.receive()
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        return
                    latencies.append(time.monotonic() - float(msg.data.split()[1]))

            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(collect(ws) for ws in sockets)), timeout=60
                )
            pipe.send((len(latencies), latencies))
            for ws in sockets:
                await ws.close()

    asyncio.run(main())


async def send_messages(port: int, count: int, rate: float) -> None:
    """Publish ``count`` stamped messages at ``rate``; return once the last came back."""
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(
        f"ws://127.0.0.1:{port}/ws"
    ) as ws:
        assert (await ws.receive_str(timeout=60)).startswith("subscribed")

        async def until_last() -> None:
            # the sender is subscribed too: its last message coming back means all were sent
            while not (await ws.receive_str()).startswith(f"{count - 1} "):
                pass

        echoes = asyncio.create_task(until_last())
        start = time.monotonic()
        for seq in range(count):
            delay = start + seq / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await ws.send_str(f"{seq} {time.monotonic()}")
        with contextlib.suppress(asyncio.TimeoutError):  # lost: the clients' counts show it
            await asyncio.wait_for(echoes, 30)


# -- one measurement ---------------------------------------------------------------------


def tree_rss_kib(pid: int) -> int:
    """The resident memory of ``pid`` and its children, in KiB."""
    total = 0
    out = subprocess.run(["ps", "-o", "pid=,ppid=,rss=", "-e"], capture_output=True, text=True)
    rows = [tuple(int(x) for x in line.split()) for line in out.stdout.splitlines()]
    family = {pid}
    changed = True
    while changed:
        changed = False
        for child, parent, _ in rows:
            if parent in family and child not in family:
                family.add(child)
                changed = True
    for child, _, rss in rows:
        if child in family:
            total += rss
    return total


def measure(
    factory: str, url: str, workers: int, args: argparse.Namespace
) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "BENCH_BROADCAST_URL": url}
    if factory == "asgiweb_app":  # asgiweb's own runner and worker supervisor
        command = [
            sys.executable, "-c",
            "from asgiweb import web; "
            f"web.run_app('benchmarks.broadcast_fanout:asgiweb_app', workers={workers}, "
            f"host='127.0.0.1', port={port}, access_log=None, print=None)",
        ]
    else:  # uvicorn's --workers supervisor, same event loop and WebSocket implementation
        command = [
            sys.executable, "-m", "uvicorn", "--factory", f"benchmarks.broadcast_fanout:{factory}",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log", "--loop", "asyncio",
        ]
    server = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True)
    try:
        wait_until_serving(port, server)
        time.sleep(2.0 * workers)  # every worker accepting
        before = tree_rss_kib(server.pid)
        per_proc = args.clients // args.client_procs
        pipes = []
        procs = []
        ctx = multiprocessing.get_context("spawn")
        for _ in range(args.client_procs):  # one process connects after the other
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=client_process, args=(port, per_proc, args.messages, child)
            )
            proc.start()
            pipes.append(parent)
            procs.append(proc)
            if not parent.poll(120):
                raise RuntimeError("the clients did not connect within 120 s")
            assert parent.recv() == "ready"
        after = tree_rss_kib(server.pid)
        start = time.monotonic()
        asyncio.run(asyncio.wait_for(send_messages(port, args.messages, args.rate), 120))
        delivered = 0
        latencies: list[float] = []
        for pipe in pipes:
            if not pipe.poll(180):
                raise RuntimeError("the clients did not report within 180 s")
            got, lat = pipe.recv()
            delivered += got
            latencies.extend(lat)
        elapsed = time.monotonic() - start
        for proc in procs:
            proc.join(30)
        latencies.sort()
        clients = per_proc * args.client_procs
        return {
            "deliveries/s": delivered / elapsed,
            "lost": float(clients * args.messages - delivered),
            "p50 ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
            "p99 ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else float("nan"),
            "KiB/client": (after - before) / clients,
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--rounds", type=int, default=5, help="counted rounds (plus one warm-up)")
    parser.add_argument("--only", default="", help="run only configurations containing this")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        redis_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--dir", workdir],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_until_serving(redis_port, redis)
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            configs = [
                ("asgiweb, memory://, 1 worker", "asgiweb_app", "memory://", 1),
                ("asgiweb, redis://, 2 workers", "asgiweb_app", redis_url, 2),
                ("Starlette+broadcaster, memory://, 1 worker", "starlette_app", "memory://", 1),
                ("Starlette+broadcaster, redis://, 2 workers", "starlette_app", redis_url, 2),
            ]
            configs = [c for c in configs if args.only in c[0]]
            results: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in configs}
            for round_no in range(args.rounds + 1):
                for name, factory, url, workers in configs:
                    figures = measure(factory, url, workers, args)
                    if round_no:
                        results[name].append(figures)
                    print(f"round {round_no}{' (warm-up)' if not round_no else ''}: {name}: "
                          + ", ".join(f"{k} {v:,.1f}" for k, v in figures.items()), flush=True)
        finally:
            redis.terminate()
            redis.wait(10)

    print(f"\n{args.clients} clients in {args.client_procs} processes, {args.messages} messages "
          f"at {args.rate:g}/s, median of {args.rounds} rounds (min–max):\n")
    keys = ["deliveries/s", "p50 ms", "p99 ms", "KiB/client", "lost"]
    print("| configuration | " + " | ".join(keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for name, rows in results.items():
        cells = []
        for key in keys:
            values = [row[key] for row in rows]
            cells.append(
                f"{statistics.median(values):,.1f} ({min(values):,.1f}–{max(values):,.1f})"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
