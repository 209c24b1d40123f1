"""End-to-end benchmark: requests per second through a real server on 127.0.0.1.

Each framework's app runs in its own process with the same settings (uvicorn
with httptools and uvloop, one worker, no access log; aiohttp on its own
server with uvloop), pinned to one CPU while ``wrk`` runs pinned to another
(``taskset``, when there are two CPUs). The cases are those of
``benchmarks/inprocess.py``; the "new id every request" case has ``wrk`` send
a different id each time (a Lua script), so no per-path cache helps.

For each app configuration the servers are started together, every
(server, case) pair gets a warm-up run, and then each of R rounds (5 by
default) takes the frameworks in a shuffled order. A figure is the median of
its R samples with the interquartile range. Needs ``wrk`` (Debian:
``apt-get install wrk``).

    python -m benchmarks.e2e --rounds 5 --duration 2
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .apps import ASGI_FRAMEWORKS
from .inprocess import CASES, Case
from .stats import Spread, cpu_pair, verdict_table

FRAMEWORKS = [*ASGI_FRAMEWORKS, "aiohttp"]
ROOT = Path(__file__).resolve().parent.parent

POST_SCRIPT = """
wrk.method = "POST"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
"""

VARY_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "{prefix}/id" .. counter)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def run_wrk(
    url: str, duration: float, connections: int, script: str | None, pin: list[str]
) -> float:
    seconds = max(1, round(duration))  # wrk takes whole seconds
    command = [*pin, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    if script:
        command[len(pin) + 1 : len(pin) + 1] = ["-s", script]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    if "Non-2xx" in out:
        raise RuntimeError(f"{url} answered with errors:\n{out}")
    return float(match.group(1))


def scripts(directory: str, cases: list[Case]) -> dict[str, str | None]:
    """The wrk Lua script of each case (None for a plain GET)."""
    result: dict[str, str | None] = {}
    for case in cases:
        text = None
        if case.method == "POST":
            text = POST_SCRIPT
        elif case.vary:
            text = VARY_SCRIPT.replace("{prefix}", case.path.rpartition("/")[0])
        if text is None:
            result[case.name] = None
            continue
        path = Path(directory) / f"case{len(result)}.lua"
        path.write_text(text)
        result[case.name] = str(path)
    return result


def start_servers(
    frameworks: list[str], config: tuple[int, int, str], pin: list[str]
) -> dict[str, tuple[int, subprocess.Popen[bytes]]]:
    middlewares, routes, shape = config
    servers = {}
    for name in frameworks:
        port = free_port()
        command = [
            *pin,
            sys.executable,
            "-m",
            "benchmarks.serve",
            name,
            str(port),
            str(middlewares),
            str(routes),
            shape,
        ]
        servers[name] = (port, subprocess.Popen(command, cwd=ROOT))
    for port, process in servers.values():
        wait_until_serving(port, process)
    return servers


def stop_servers(servers: dict[str, tuple[int, subprocess.Popen[bytes]]]) -> None:
    for _, process in servers.values():
        process.terminate()
    for _, process in servers.values():
        process.wait(30)


def measure(
    frameworks: list[str],
    cases: list[Case],
    rounds: int,
    duration: float,
    connections: int,
    warmup: float = 1.0,
) -> dict[str, dict[str, Spread]]:
    """Per case and framework: the spread of requests/s over rounds."""
    server_pin, client_pin = cpu_pair()
    samples: dict[str, dict[str, list[float]]] = {
        case.name: {name: [] for name in frameworks} for case in cases
    }
    with tempfile.TemporaryDirectory() as directory:
        lua = scripts(directory, cases)
        for config in sorted({case.config for case in cases}):
            group = [case for case in cases if case.config == config]
            servers = start_servers(frameworks, config, server_pin)
            try:
                for case in group:
                    for name in frameworks:
                        url = f"http://127.0.0.1:{servers[name][0]}{case.path}"
                        run_wrk(url, warmup, connections, lua[case.name], client_pin)
                for _ in range(rounds):
                    for case in group:
                        order = frameworks[:]
                        random.shuffle(order)
                        for name in order:
                            url = f"http://127.0.0.1:{servers[name][0]}{case.path}"
                            samples[case.name][name].append(
                                run_wrk(url, duration, connections, lua[case.name], client_pin)
                            )
            finally:
                stop_servers(servers)
    return {
        case.name: {name: Spread.of(samples[case.name][name]) for name in frameworks}
        for case in cases
    }


def table(results: dict[str, dict[str, Spread]], frameworks: list[str]) -> str:
    """Median requests/s (IQR) and the ratio of medians to raw ASGI."""
    lines = ["| case | " + " | ".join(frameworks) + " |", "|---|" + "---:|" * len(frameworks)]
    for case, per_fw in results.items():
        base = per_fw["raw ASGI"]
        cells = [
            f"{v.median:,.0f} ({v.low:,.0f}–{v.high:,.0f}) {v.ratio(base):.2f}×"
            for v in (per_fw[n] for n in frameworks)
        ]
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(results: dict[str, dict[str, Spread]], rivals: list[str]) -> str:
    """asgiweb against each rival, per case, from round-by-round ratios (higher is better)."""
    return verdict_table(results, rivals, lower_is_better=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--frameworks", help="comma-separated subset (default: all)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    frameworks = args.frameworks.split(",") if args.frameworks else FRAMEWORKS
    results = measure(frameworks, CASES, args.rounds, args.duration, args.connections)
    print(f"Through a server, requests/s, median (IQR) and ratio to raw ASGI, {args.rounds} rounds")
    print(table(results, frameworks))
    print()
    print(verdicts(results, [n for n in frameworks if n not in ("raw ASGI", "asgiweb")]))
    if args.json:
        with open(args.json, "w") as out:
            data = {c: {n: v.to_json() for n, v in per.items()} for c, per in results.items()}
            json.dump({"e2e": data}, out, indent=1)


if __name__ == "__main__":
    main()
