"""``web.run_app`` beside plain uvicorn, serving the same asgiweb app on 127.0.0.1.

Two cases, each server in its own process, all with httptools: ``run_app``
and plain uvicorn on asyncio's event loop (``run_app``'s default, as
aiohttp's), and both again on uvloop (plain uvicorn's default when uvloop is
installed):

- **sequential**: one keep-alive connection, one request at a time, from a
  Python client; the figure is the median time per request. This is where a
  missing TCP_NODELAY shows: every response waits ~40 ms for the client's
  delayed ACK.
- **256 connections**: ``wrk -t1 -c256``; the figure is requests per second.

After a warm-up run per server, each round takes the servers in a shuffled
order; the report gives the median and the interquartile range over rounds.
Where ``taskset`` exists, servers run on CPU 0 and the load generator on CPU 1.

    python -m benchmarks.runner_vs_uvicorn --rounds 5 --duration 5
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

SERVERS = ["run_app", "uvicorn", "run_app+uvloop", "uvicorn+uvloop"]
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def serve(mode: str, port: int) -> None:
    """Serve the benchmark app with *mode* (one of :data:`SERVERS`) on *port*."""
    from asgiweb import web

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="Hello, World!")

    app = web.Application()
    app.router.add_get("/", hello)
    server, _, loop = mode.partition("+")
    if server == "run_app":
        web.run_app(
            app,
            host="127.0.0.1",
            port=port,
            access_log=None,
            print=None,
            loop=loop or None,
            http="httptools",
        )
    else:
        import uvicorn

        uvicorn.run(
            app,
            host="127.0.0.1",
            port=port,
            access_log=False,
            log_level="warning",
            loop=loop or "asyncio",
            http="httptools",
            lifespan="on",
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: list[str], cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if shutil.which("taskset") else command


def wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def sequential(port: int, duration: float, limit: int = 20000) -> float:
    """Milliseconds per request, one keep-alive connection, one request at a time."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        timings: list[float] = []
        deadline = time.perf_counter() + duration
        while time.perf_counter() < deadline and len(timings) < limit:
            start = time.perf_counter()
            sock.sendall(REQUEST)
            received = b""
            while b"\r\n\r\n" not in received:
                received += sock.recv(65536)
            head, _, body = received.partition(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
            while len(body) < length:
                body += sock.recv(65536)
            timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def concurrent(port: int, duration: float, connections: int) -> float:
    """Requests per second with ``wrk`` on *connections* connections."""
    command = pinned(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration:g}s",
            "--timeout",
            "30s",
            f"http://127.0.0.1:{port}/",
        ],
        1,
    )
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return float(match.group(1))


def spread(values: list[float], digits: int) -> str:
    if len(values) < 2:
        return f"{values[0]:,.{digits}f}"
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"{median:,.{digits}f} (IQR {q1:,.{digits}f}–{q3:,.{digits}f})"


def measure(
    rounds: int, duration: float, connections: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per server: the sequential ms/request and the requests/s of every round."""
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    root = Path(__file__).resolve().parent.parent
    try:
        for mode in SERVERS:
            port = free_port()
            module = "benchmarks.runner_vs_uvicorn"
            command = [sys.executable, "-m", module, "--serve", mode, str(port)]
            servers[mode] = (port, subprocess.Popen(pinned(command, 0), cwd=root))
        for port, process in servers.values():
            wait_until_serving(port, process)
        for port, _ in servers.values():  # warm-up
            sequential(port, 1.0)
            concurrent(port, 1.0, connections)
        latency: dict[str, list[float]] = {mode: [] for mode in SERVERS}
        throughput: dict[str, list[float]] = {mode: [] for mode in SERVERS}
        for _ in range(rounds):
            order = SERVERS[:]
            random.shuffle(order)
            for mode in order:
                port, _ = servers[mode]
                latency[mode].append(sequential(port, duration))
                throughput[mode].append(concurrent(port, duration, connections))
    finally:
        for _, process in servers.values():
            process.terminate()
        for _, process in servers.values():
            process.wait(30)
    return latency, throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--serve", nargs=2, metavar=("MODE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    latency, throughput = measure(args.rounds, args.duration, args.connections)
    print(f"median (IQR) over {args.rounds} rounds of {args.duration:g} s")
    print(table(latency, throughput, args.connections))


def table(
    latency: dict[str, list[float]], throughput: dict[str, list[float]], connections: int
) -> str:
    """One row per server: sequential latency and throughput, median (IQR)."""
    lines = [
        f"| server | sequential, ms/request | {connections} connections, requests/s |",
        "|---|---:|---:|",
    ]
    for mode in SERVERS:
        lines.append(f"| {mode} | {spread(latency[mode], 3)} | {spread(throughput[mode], 0)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
