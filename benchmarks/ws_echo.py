"""WebSocket echo benchmark: in process, and round trips per second through a server.

In process, a synthetic ``receive`` feeds text messages to each ASGI app's
echo endpoint (``/ws-echo`` in ``benchmarks/apps.py``) and ``send`` drops the
answers: the framework's cost per message. Through the server, each echo
endpoint runs in its own process (uvicorn + uvloop, ``--ws`` as given; aiohttp
on its own server); a client opens C connections and sends M text messages on
each, waiting for every echo before the next send. Frameworks are interleaved
within each round; the figure is the median over rounds.

    python -m benchmarks.ws_echo --rounds 3 --connections 8 --messages 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .e2e import free_port, wait_until_serving

FRAMEWORKS = ["raw ASGI", "asgiweb", "Starlette", "aiohttp"]


async def client_run(port: int, connections: int, messages: int) -> float:
    import aiohttp

    payload = "x" * 64

    async def one(session: aiohttp.ClientSession) -> None:
        async with session.ws_connect(f"ws://127.0.0.1:{port}/ws-echo") as ws:
            for _ in range(messages):
                await ws.send_str(payload)
                await ws.receive_str()

    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        await asyncio.gather(*(one(session) for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return connections * messages / elapsed


def serve(name: str, port: int, ws: str) -> subprocess.Popen[bytes]:
    env_code = (
        "import sys, uvicorn; from benchmarks.apps import build; "
        f"app = build({name!r}); "
        + (
            "from aiohttp import web; web.run_app(app, host='127.0.0.1', "
            f"port={port}, access_log=None, print=None)"
            if name == "aiohttp"
            else f"uvicorn.run(app, host='127.0.0.1', port={port}, loop='uvloop', "
            f"ws={ws!r}, log_level='warning', lifespan='on')"
        )
    )
    return subprocess.Popen(
        [sys.executable, "-c", env_code], cwd=Path(__file__).resolve().parent.parent
    )


def measure(rounds: int, connections: int, messages: int, ws: str) -> dict[str, float]:
    servers = {}
    try:
        for name in FRAMEWORKS:
            port = free_port()
            servers[name] = (port, serve(name, port, ws))
        for port, process in servers.values():
            wait_until_serving(port, process)
        samples: dict[str, list[float]] = {name: [] for name in FRAMEWORKS}
        for _ in range(rounds):
            order = FRAMEWORKS[:]
            random.shuffle(order)
            for name in order:
                port, _ = servers[name]
                samples[name].append(asyncio.run(client_run(port, connections, messages)))
        return {name: statistics.median(values) for name, values in samples.items()}
    finally:
        for _, process in servers.values():
            process.terminate()
        for _, process in servers.values():
            process.wait(10)


async def inprocess_run(app: object, messages: int) -> float:
    """µs per echoed message, the framework's own cost."""
    incoming = [{"type": "websocket.connect"}]
    incoming += [{"type": "websocket.receive", "text": "x" * 64}] * messages
    incoming.append({"type": "websocket.disconnect", "code": 1000})
    feed = iter(incoming)

    async def receive() -> dict[str, object]:
        return next(feed)

    async def send(message: dict[str, object]) -> None:
        return None

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": "/ws-echo",
        "raw_path": b"/ws-echo",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "subprotocols": [],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    start = time.perf_counter()
    await app(scope, receive, send)  # type: ignore[operator]
    return (time.perf_counter() - start) / messages * 1e6


def measure_inprocess(rounds: int, messages: int) -> dict[str, float]:
    from .apps import build
    from .inprocess import lifespan_startup

    async def run() -> dict[str, float]:
        apps = {}
        for name in FRAMEWORKS[:-1]:  # aiohttp is not an ASGI app
            apps[name] = build(name)
            await lifespan_startup(apps[name])
        samples: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(rounds):
            order = list(apps)
            random.shuffle(order)
            for name in order:
                samples[name].append(await inprocess_run(apps[name], messages))
        return {name: statistics.median(values) for name, values in samples.items()}

    return asyncio.run(run())


def _ratio_table(results: dict[str, float], column: str, value_format: str, digits: int) -> str:
    base = results["raw ASGI"]
    lines = [f"| framework | {column} | ratio to raw ASGI |", "|---|---:|---:|"]
    for name, value in results.items():
        lines.append(f"| {name} | {value:{value_format}} | {value / base:.{digits}f}× |")
    return "\n".join(lines)


def inprocess_table(results: dict[str, float]) -> str:
    return _ratio_table(results, "µs per message", ".2f", 1)


def table(results: dict[str, float]) -> str:
    return _ratio_table(results, "round trips/s", ",.0f", 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn --ws implementation")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    inproc = measure_inprocess(max(args.rounds, 5), 20_000)
    print("WebSocket echo in process, µs per message (median)")
    print(inprocess_table(inproc))
    print()
    results = measure(args.rounds, args.connections, args.messages, args.ws)
    print(f"WebSocket echo through uvicorn (--ws {args.ws}), median of {args.rounds} rounds")
    print(table(results))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"ws_echo_inprocess": inproc, "ws_echo": results}, out, indent=1)


if __name__ == "__main__":
    main()
