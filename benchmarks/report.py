"""Run both benchmarks and write docs/benchmarks.md and docs/benchmarks.png.

python -m benchmarks.report                 # full run (about 10 minutes)
python -m benchmarks.report --quick         # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import platform
import shutil
from pathlib import Path
from typing import Any

from . import e2e, inprocess, static_files, ws_echo
from .apps import ASGI_FRAMEWORKS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def chart(inproc: dict[str, dict[str, float]], through: dict[str, dict[str, float]] | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: list[tuple[str, dict[str, dict[str, float]], bool]] = [
        ("In process: speed relative to raw ASGI (higher is better)", inproc, True)
    ]
    if through:
        panels.append(("Through uvicorn/wrk: requests/s relative to raw ASGI", through, False))
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 4.5 * len(panels)), squeeze=False)
    for ax, (title, results, is_time) in zip(axes[:, 0], panels, strict=True):
        cases = list(results)
        names = [n for n in next(iter(results.values())) if n != "raw ASGI"]
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            values = [
                (results[c]["raw ASGI"] / results[c][name])
                if is_time
                else (results[c][name] / results[c]["raw ASGI"])
                for c in cases
            ]
            positions = [j + i * width for j in range(len(cases))]
            bars = ax.bar(positions, values, width, label=name)
            if name == "asgiweb":
                for bar in bars:
                    bar.set_edgecolor("black")
                    bar.set_linewidth(1.5)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(cases))], cases)
        top = max(max(bar.get_height() for bar in container) for container in ax.containers)
        ax.set_ylim(0, min(1.05, top * 1.25))
        ax.set_title(title)
        ax.legend(ncol=4, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "benchmarks.png", dpi=90)


def write_markdown(
    inproc: dict[str, dict[str, float]],
    scale: dict[str, dict[int, float]],
    through: dict[str, dict[str, float]] | None,
    websocket: dict[str, float],
    static: dict[str, dict[str, tuple[float, float]]] | None,
    settings: dict[str, Any],
) -> None:
    frameworks = list(ASGI_FRAMEWORKS)
    parts = [
        "# Benchmarks",
        "",
        "Produced by `python -m benchmarks.report` (see `benchmarks/`); do not edit by hand.",
        f"Run on {settings['date']}, Python {platform.python_version()}, "
        f"{settings['machine']}. Settings: {settings['args']}.",
        "",
        "Every framework serves the same app (`benchmarks/apps.py`): plaintext, JSON, the",
        "last of 100 dynamic routes, a 1 KiB POST echoed back, and plaintext behind five",
        "pass-through middlewares written the way each framework recommends. Frameworks are",
        "interleaved within every round and each figure is the median over rounds. Ratios are",
        "to a hand-written raw ASGI app, the floor for any ASGI framework.",
        "",
        "![benchmark chart](benchmarks.png)",
        "",
        "## In process",
        "",
        "A synthetic scope, `receive` and `send` (no sockets): the framework's own cost.",
        "Microseconds per request (lower is better) and the ratio to raw ASGI.",
        "",
        inprocess.table(inproc, frameworks),
        "",
        "## Routing as routes grow",
        "",
        "Microseconds per request for the last of N dynamic routes (`/route{N-1}/{id}`).",
        "",
        inprocess.scale_table(scale),
        "",
    ]
    parts += [
        "## WebSocket echo, in process",
        "",
        "A synthetic `receive` feeds 20,000 text messages to each echo endpoint",
        "(`python -m benchmarks.ws_echo`); microseconds per message, lower is better.",
        "Through uvicorn the Python client is the bottleneck and all frameworks",
        "measure alike, so only the in-process figure tells them apart.",
        "",
        ws_echo.inprocess_table(websocket),
        "",
    ]
    if static:
        parts += [
            "## Static files, through a server",
            "",
            "`python -m benchmarks.static_files`: 1 KiB, 1 MiB and 100 MiB files; asgiweb and",
            "Starlette's `StaticFiles` under uvicorn, aiohttp on its own server (`sendfile`).",
            "",
            static_files.table(static),
            "",
        ]
    if through:
        parts += [
            "## Through a server",
            "",
            "uvicorn with httptools and uvloop, one worker, no access log (aiohttp on its own",
            "server); `wrk -t1 -c64` on 127.0.0.1, on the same two cores as the server.",
            "Requests per second (higher is better) and the ratio to raw ASGI.",
            "",
            e2e.table(through, e2e.FRAMEWORKS),
            "",
        ]
    (DOCS / "benchmarks.md").write_text("\n".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-e2e", action="store_true", help="skip the server benchmark")
    args = parser.parse_args()
    rounds, count = (3, 300) if args.quick else (15, 2000)
    e2e_rounds, duration = (1, 1.0) if args.quick else (3, 3.0)
    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:
        run = asyncio.run
    frameworks = list(ASGI_FRAMEWORKS)
    inproc = run(inprocess.measure(frameworks, inprocess.CASES, rounds, count))
    scale = run(inprocess.routing_scale(rounds, count))
    websocket = ws_echo.measure_inprocess(max(rounds // 3, 3), 20_000)
    through = None
    static = None
    if not args.no_e2e and shutil.which("wrk"):
        through = e2e.measure(e2e.FRAMEWORKS, inprocess.CASES, e2e_rounds, duration, 64)
        static = static_files.measure(e2e_rounds, duration)
    settings = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "args": f"in process {rounds} rounds × {count} requests; "
        f"server {e2e_rounds} rounds × {duration:g} s",
    }
    write_markdown(inproc, scale, through, websocket, static, settings)
    chart(inproc, through)
    print((DOCS / "benchmarks.md").read_text())


if __name__ == "__main__":
    main()
