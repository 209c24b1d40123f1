"""WebSocket echo benchmark: in process, and round trips per second through a server.

In process, a synthetic ``receive`` feeds text messages to each ASGI app's
echo endpoint (``/ws-echo`` in ``benchmarks/apps.py``) and ``send`` drops the
answers: the framework's cost per message.

Through the server, each echo endpoint runs in its own process (uvicorn with
uvloop and the ``--ws`` implementation given; aiohttp on its own server with
uvloop), pinned to one CPU. The load comes from P client processes pinned to
the other CPU, each opening C connections and sending M 64-byte text messages
on each, waiting for every echo before the next send. The client speaks the
protocol over a bare asyncio stream (no client library) so that it is not the
bottleneck: raw ASGI's figure is the ceiling the client allows. After a
warm-up, every round takes the frameworks in a shuffled order; a figure is the
median of the rounds with the interquartile range.

    python -m benchmarks.ws_echo --rounds 5 --processes 4 --connections 4 --messages 2000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from .e2e import free_port, wait_until_serving
from .stats import Spread, cpu_pair

FRAMEWORKS = ["raw ASGI", "asgiweb", "Starlette", "aiohttp"]
PAYLOAD = b"x" * 64
# a client frame: FIN + text, masked, 64-byte payload, mask key 0 (the payload XOR 0)
FRAME = bytes([0x81, 0x80 | len(PAYLOAD)]) + b"\0\0\0\0" + PAYLOAD
ECHO = bytes([0x81, len(PAYLOAD)]) + PAYLOAD


async def _connection(port: int, messages: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            "GET /ws-echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"no WebSocket upgrade: {head!r}")
    for _ in range(messages):
        writer.write(FRAME)
        echo = await reader.readexactly(len(ECHO))
        if echo != ECHO:
            raise RuntimeError(f"unexpected frame {echo[:10]!r}")
    writer.write(b"\x88\x82\0\0\0\0\x03\xe8")  # close 1000
    await writer.drain()
    writer.close()


async def _client(port: int, connections: int, messages: int) -> tuple[float, float]:
    start = time.time()
    await asyncio.gather(*(_connection(port, messages) for _ in range(connections)))
    return start, time.time()


def client_processes(port: int, processes: int, connections: int, messages: int) -> float:
    """Round trips per second from *processes* client processes, all at once."""
    _, client_pin = cpu_pair()
    command = [*client_pin, sys.executable, "-m", "benchmarks.ws_echo", "--client", str(port)]
    command += [str(connections), str(messages)]
    running = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent
        )
        for _ in range(processes)
    ]
    spans = []
    for process in running:
        out, _ = process.communicate(timeout=600)
        if process.returncode:
            raise RuntimeError(f"WebSocket client failed with {process.returncode}")
        spans.append(tuple(map(float, out.split())))
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return processes * connections * messages / elapsed


def serve(name: str, port: int, ws: str) -> subprocess.Popen[bytes]:
    code = f"import sys, uvicorn; from benchmarks.apps import build; app = build({name!r}); " + (
        "import asyncio, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy()); "
        "from aiohttp import web; web.run_app(app, host='127.0.0.1', "
        f"port={port}, access_log=None, print=None)"
        if name == "aiohttp"
        else f"uvicorn.run(app, host='127.0.0.1', port={port}, loop='uvloop', "
        f"http='httptools', ws={ws!r}, log_level='warning', access_log=False, lifespan='on')"
    )
    server_pin, _ = cpu_pair()
    return subprocess.Popen(
        [*server_pin, sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent
    )


def measure(
    rounds: int, processes: int, connections: int, messages: int, ws: str
) -> dict[str, Spread]:
    """Round trips per second per framework: median and IQR over rounds."""
    servers = {}
    try:
        for name in FRAMEWORKS:
            port = free_port()
            servers[name] = (port, serve(name, port, ws))
        for port, process in servers.values():
            wait_until_serving(port, process)
        for port, _ in servers.values():  # warm-up
            client_processes(port, processes, connections, max(messages // 10, 10))
        samples: dict[str, list[float]] = {name: [] for name in FRAMEWORKS}
        for _ in range(rounds):
            order = FRAMEWORKS[:]
            random.shuffle(order)
            for name in order:
                port, _ = servers[name]
                samples[name].append(client_processes(port, processes, connections, messages))
        return {name: Spread.of(values) for name, values in samples.items()}
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
    start = time.thread_time()  # CPU time, as in benchmarks/inprocess.py
    await app(scope, receive, send)  # type: ignore[operator]
    return (time.thread_time() - start) / messages * 1e6


def measure_inprocess(rounds: int, messages: int) -> dict[str, Spread]:
    """µs per message per ASGI framework: median and IQR over rounds."""
    from .apps import build
    from .inprocess import lifespan_startup, run

    async def measure_all() -> dict[str, Spread]:
        apps = {}
        for name in FRAMEWORKS[:-1]:  # aiohttp is not an ASGI app
            apps[name] = build(name)
            await lifespan_startup(apps[name])
            await inprocess_run(apps[name], messages // 10)  # warm-up
        samples: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(rounds):
            order = list(apps)
            random.shuffle(order)
            for name in order:
                samples[name].append(await inprocess_run(apps[name], messages))
        return {name: Spread.of(values) for name, values in samples.items()}

    result: dict[str, Spread] = run(measure_all())
    return result


def _ratio_table(results: dict[str, Spread], column: str, digits: int) -> str:
    base = results["raw ASGI"]
    lines = [f"| framework | {column}, median (IQR) | ratio to raw ASGI |", "|---|---:|---:|"]
    for name, value in results.items():
        figures = f"{value.median:,.{digits}f} ({value.low:,.{digits}f}–{value.high:,.{digits}f})"
        lines.append(f"| {name} | {figures} | {value.ratio(base):.2f}× |")
    return "\n".join(lines)


def inprocess_table(results: dict[str, Spread]) -> str:
    return _ratio_table(results, "µs per message", 2)


def table(results: dict[str, Spread]) -> str:
    return _ratio_table(results, "round trips/s", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="per client process")
    parser.add_argument("--messages", type=int, default=2000, help="per connection")
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn --ws implementation")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--client", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        from .inprocess import run

        start, end = run(_client(*args.client))
        print(start, end)
        return
    inproc = measure_inprocess(max(args.rounds, 5), 20_000)
    print("WebSocket echo in process, µs per message")
    print(inprocess_table(inproc))
    print()
    results = measure(args.rounds, args.processes, args.connections, args.messages, args.ws)
    print(
        f"WebSocket echo through a server (uvicorn --ws {args.ws}), {args.processes} client "
        f"processes × {args.connections} connections, {args.rounds} rounds"
    )
    print(table(results))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "ws_echo_inprocess": {n: v.to_json() for n, v in inproc.items()},
                    "ws_echo": {n: v.to_json() for n, v in results.items()},
                },
                out,
                indent=1,
            )


if __name__ == "__main__":
    main()
