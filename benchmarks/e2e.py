"""End-to-end benchmark: requests per second through a real server on 127.0.0.1.

Each framework's app runs in its own process (uvicorn + httptools + uvloop, one
worker; aiohttp on its own server); ``wrk`` drives it over loopback. Within
every round the frameworks are taken in a shuffled order, and the figure is
the median over rounds. Needs ``wrk`` (Debian: ``apt-get install wrk``).

    python -m benchmarks.e2e --rounds 3 --duration 3
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .apps import ASGI_FRAMEWORKS
from .inprocess import CASES, Case

FRAMEWORKS = [*ASGI_FRAMEWORKS, "aiohttp"]

POST_SCRIPT = """
wrk.method = "POST"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def run_wrk(url: str, duration: float, connections: int, script: str | None) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", url]
    if script:
        command[1:1] = ["-s", script]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    if "Non-2xx" in out:
        raise RuntimeError(f"{url} answered with errors:\n{out}")
    return float(match.group(1))


def measure(
    frameworks: list[str], cases: list[Case], rounds: int, duration: float, connections: int
) -> dict[str, dict[str, float]]:
    servers: dict[tuple[str, int], tuple[int, subprocess.Popen[bytes]]] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script_file:
        script_file.write(POST_SCRIPT)
    try:
        for name in frameworks:
            for middlewares in sorted({case.middlewares for case in cases}):
                port = free_port()
                process = subprocess.Popen(
                    [sys.executable, "-m", "benchmarks.serve", name, str(port), str(middlewares)],
                    cwd=Path(__file__).resolve().parent.parent,
                )
                servers[name, middlewares] = (port, process)
        for port, process in servers.values():
            wait_until_serving(port, process)
        samples: dict[str, dict[str, list[float]]] = {
            case.name: {name: [] for name in frameworks} for case in cases
        }
        for _ in range(rounds):
            for case in cases:
                order = frameworks[:]
                random.shuffle(order)
                for name in order:
                    port, _ = servers[name, case.middlewares]
                    url = f"http://127.0.0.1:{port}{case.path}"
                    script = script_file.name if case.method == "POST" else None
                    samples[case.name][name].append(run_wrk(url, duration, connections, script))
        return {
            case: {name: statistics.median(values) for name, values in per_fw.items()}
            for case, per_fw in samples.items()
        }
    finally:
        for _, process in servers.values():
            process.terminate()
        for _, process in servers.values():
            process.wait(10)
        Path(script_file.name).unlink(missing_ok=True)


def table(results: dict[str, dict[str, float]], frameworks: list[str]) -> str:
    lines = ["| case | " + " | ".join(frameworks) + " |", "|---|" + "---:|" * len(frameworks)]
    for case, per_fw in results.items():
        base = per_fw["raw ASGI"]
        cells = [f"{per_fw[n]:,.0f} ({per_fw[n] / base:.2f}×)" for n in frameworks]
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    results = measure(FRAMEWORKS, CASES, args.rounds, args.duration, args.connections)
    print(f"Through a server, requests/s (ratio to raw ASGI), median of {args.rounds} rounds")
    print(table(results, FRAMEWORKS))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"e2e": results}, out, indent=1)


if __name__ == "__main__":
    main()
