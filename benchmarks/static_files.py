"""Static files through a server: asgiweb, Starlette's StaticFiles and aiohttp, side by side.

Files of 1 KiB, 1 MiB and 100 MiB are served from one directory by each
framework in its own process, pinned to one CPU (ASGI apps under uvicorn with
httptools and uvloop, one worker; aiohttp on its own server with uvloop).
Chunk sizes: asgiweb and Starlette both read and send 64 KiB chunks
(Starlette's ``FileResponse.chunk_size``; asgiweb's ``add_static`` is given
``chunk_size=64 * 1024``); aiohttp hands the file to the kernel with
``sendfile``, which has no chunk size of ours. ``wrk``, pinned to the other
CPU, fetches each file; after a warm-up, frameworks are interleaved within
every round and a figure is the median over rounds with the IQR. Needs ``wrk``.

    python -m benchmarks.static_files --rounds 5 --duration 2
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .e2e import free_port, wait_until_serving
from .stats import Spread, cpu_pair

SIZES = {"1 KiB": 1024, "1 MiB": 1024**2, "100 MiB": 100 * 1024**2}
FRAMEWORKS = ["asgiweb", "Starlette", "aiohttp"]

SERVER = """
import sys
name, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if name == "aiohttp":
    import asyncio, uvloop
    from aiohttp import web
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    app = web.Application()
    app.router.add_static("/static", root)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
else:
    import uvicorn
    if name == "asgiweb":
        from asgiweb import web
        app = web.Application()
        app.router.add_static("/static", root, chunk_size=64 * 1024)
    else:
        from starlette.applications import Starlette
        from starlette.routing import Mount
        from starlette.staticfiles import StaticFiles
        app = Starlette(routes=[Mount("/static", app=StaticFiles(directory=root))])
    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                log_level="warning", access_log=False)
"""


def run_wrk(url: str, duration: float, connections: int) -> tuple[float, float]:
    """(requests/s, MB/s) for *url*."""
    _, client_pin = cpu_pair()
    out = subprocess.run(
        [*client_pin, "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{url} answered with errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    assert transfer is not None
    scale = {"B": 1e-6, "KB": 1e-3, "MB": 1.0, "GB": 1e3}[transfer.group(2)]
    return rps, float(transfer.group(1)) * scale


def measure(rounds: int, duration: float) -> dict[str, dict[str, tuple[Spread, Spread]]]:
    """(requests/s, MB/s) per file size and framework, each a median with its IQR."""
    server_pin, _ = cpu_pair()
    with tempfile.TemporaryDirectory() as root:
        for size in SIZES.values():
            (Path(root) / f"{size}.bin").write_bytes(random.randbytes(size))
        servers = {}
        try:
            for name in FRAMEWORKS:
                port = free_port()
                process = subprocess.Popen(
                    [*server_pin, sys.executable, "-c", SERVER, name, str(port), root],
                    cwd=Path(__file__).resolve().parent.parent,
                )
                servers[name] = (port, process)
            for port, process in servers.values():
                wait_until_serving(port, process)
            samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for size in SIZES.values():  # warm-up
                for name in FRAMEWORKS:
                    url = f"http://127.0.0.1:{servers[name][0]}/static/{size}.bin"
                    run_wrk(url, 1, 4)
            for _ in range(rounds):
                for label, size in SIZES.items():
                    order = FRAMEWORKS[:]
                    random.shuffle(order)
                    for name in order:
                        port, _ = servers[name]
                        url = f"http://127.0.0.1:{port}/static/{size}.bin"
                        connections = 4 if size > 10 * 1024**2 else 32
                        samples.setdefault((label, name), []).append(
                            run_wrk(url, duration, connections)
                        )
        finally:
            for _, process in servers.values():
                process.terminate()
            for _, process in servers.values():
                process.wait(10)
    return {
        label: {
            name: (
                Spread.of([v[0] for v in samples[label, name]]),
                Spread.of([v[1] for v in samples[label, name]]),
            )
            for name in FRAMEWORKS
        }
        for label in SIZES
    }


def table(results: dict[str, dict[str, tuple[Spread, Spread]]]) -> str:
    lines = ["| file | " + " | ".join(FRAMEWORKS) + " |", "|---|" + "---:|" * len(FRAMEWORKS)]
    for label, per_fw in results.items():
        cells = [
            f"{rps.median:,.0f} req/s ({rps.low:,.0f}–{rps.high:,.0f}), {mbs.median:,.0f} MB/s"
            for rps, mbs in per_fw.values()
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=2.0)
    args = parser.parse_args()
    results = measure(args.rounds, args.duration)
    print(f"Static files through a server, median (IQR) of {args.rounds} rounds")
    print(table(results))


if __name__ == "__main__":
    main()
