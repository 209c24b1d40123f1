"""Run every benchmark and write docs/benchmarks.md and docs/benchmarks.png.

python -m benchmarks.report                 # full run (15 to 30 minutes)
python -m benchmarks.report --quick         # a smoke run (its figures mean little)
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
from pathlib import Path
from typing import Any

from . import breakdown, e2e, inprocess, runner_vs_uvicorn, static_files, ws_echo
from .apps import ASGI_FRAMEWORKS
from .stats import Spread, compare_paired, paired_ratio

DOCS = Path(__file__).resolve().parent.parent / "docs"

Results = dict[str, dict[str, Spread]]


# Static text: why there is no compiled build (measured by hand, see the text).
MYPYC_SECTION = [
    "## Compiled build (mypyc)",
    "",
    "Every figure above is of the pure-Python package; asgiweb ships no compiled",
    "build. One was tried with mypyc 2.4 (mypy 2.4.1): the modules whose classes",
    "nobody subclasses, `connection.py`, `segment_trie.py` and `middlewares.py`,",
    "compile as they are. In process, compiled against pure (ratio of paired",
    "rounds, median and IQR, 15 interleaved rounds × 1,000 requests, loaded",
    "machine): plaintext 0.98× (0.61–1.03), json 1.02× (0.94–1.13), 100th dynamic",
    "route 1.05× (0.95–1.15), POST echo 1.03× (0.98–1.16), 5 middlewares 1.04×",
    "(0.99–1.08), 1,000 leading-variable routes 0.92× (0.89–0.97), new id every",
    "request 0.94× (0.87–1.06). Only the segment trie gains beyond the spread; the",
    "time goes elsewhere. The modules where it goes do not compile as they are:",
    "",
    "- `request.py` and `response.py`: `Request`, `Response` and their kin must",
    "  stay subclassable by interpreted code and keep an instance `__dict__` for",
    "  their lazily computed attributes (`reify`), so they would have to be",
    "  non-native classes, and mypyc refuses property setters on those",
    "  (`Response.body`, `.text`, `.content_type`, `Request.match_info`, …).",
    "- `app.py`: `Application` is a `MutableMapping[Any, Any]`. Built as a",
    "  non-native class from the subscripted base it fails at import with a",
    "  metaclass conflict, and from the bare base it loses the mixin methods",
    "  (`'Application' object has no attribute 'items'`); `lifespan_context` is an",
    "  async generator, which mypyc does not implement.",
    "- `routing.py`: `UrlMappingMatchInfo` is a `dict` subclass with a property",
    "  setter (`current_app`, aiohttp's API), which mypyc supports neither as a",
    "  native nor as a non-native class.",
    "",
    "A compiled build would therefore need those classes split from the code",
    "that runs per request, and gains only the trie's few percent today, so none",
    "is built.",
    "",
]


def chart(inproc: Results, through: Results | None) -> None:
    """Bars of speed relative to raw ASGI (median) with the IQR as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: list[tuple[str, Results, bool]] = [
        ("In process: speed relative to raw ASGI, median and IQR (higher is better)", inproc, True)
    ]
    if through:
        panels.append(("Through a server: requests/s relative to raw ASGI", through, False))
    fig, axes = plt.subplots(len(panels), 1, figsize=(13, 4.8 * len(panels)), squeeze=False)
    for ax, (title, results, is_time) in zip(axes[:, 0], panels, strict=True):
        cases = list(results)
        names = [n for n in next(iter(results.values())) if n != "raw ASGI"]
        width = 0.8 / len(names)
        top = 0.0
        for i, name in enumerate(names):
            values, lows, highs = [], [], []
            for case in cases:
                base = results[case]["raw ASGI"].median
                spread = results[case][name]
                if is_time:  # time per request: speed is base / time
                    value, low, high = base / spread.median, base / spread.high, base / spread.low
                else:
                    value, low, high = (
                        spread.median / base,
                        spread.low / base,
                        spread.high / base,
                    )
                values.append(value)
                lows.append(max(value - low, 0))
                highs.append(max(high - value, 0))
                top = max(top, high)
            positions = [j + i * width for j in range(len(cases))]
            bars = ax.bar(positions, values, width, label=name, yerr=[lows, highs], capsize=2)
            if name == "asgiweb":
                for bar in bars:
                    bar.set_edgecolor("black")
                    bar.set_linewidth(1.5)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(cases))], cases, fontsize=8)
        ax.set_ylim(0, min(max(top * 1.1, 0.1), 1.6))
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.set_title(title)
        ax.legend(ncol=4, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "benchmarks.png", dpi=90)


def goals(
    inproc: Results,
    scale: dict[str, dict[str, dict[int, Spread]]],
    through: Results | None,
) -> list[str]:
    """The speed goals, each marked met or not met from these figures."""
    lines = ["| goal | result |", "|---|---|"]

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    ratios = {c: per["asgiweb"].ratio(per["raw ASGI"]) for c, per in inproc.items()}
    over = [f"{c} {r:.1f}×" for c, r in ratios.items() if r > 2.0]
    lines.append(
        "| in process, asgiweb ≤ 2.0× raw ASGI on every case | "
        f"{mark(not over)}: {', '.join(over) or 'all within'} |"
    )
    versus = {
        c: compare_paired(per["asgiweb"], per["BlackSheep"], lower_is_better=True)[0]
        for c, per in inproc.items()
    }
    behind = [c for c, v in versus.items() if v != "better"]
    lines.append(
        "| in process, ahead of BlackSheep on every case (paired ratios below 1) | "
        f"{mark(not behind)}: {'not ahead on ' + ', '.join(behind) if behind else 'ahead'} |"
    )
    for shape, per_fw in scale.items():
        growth = per_fw["asgiweb"][1000].ratio(per_fw["asgiweb"][10])
        lines.append(
            f"| routing, {shape} table: 1,000 routes within 1.3× of 10 | "
            f"{mark(growth <= 1.3)}: {growth:.2f}× (medians) |"
        )
    if through:
        shares = {c: per["asgiweb"].ratio(per["raw ASGI"]) for c, per in through.items()}
        under = [f"{c} {r:.2f}×" for c, r in shares.items() if r < 0.9]
        lines.append(
            "| through uvicorn, asgiweb ≥ 0.9× raw ASGI on every case | "
            f"{mark(not under)}: {', '.join(under) or 'all at or above'} |"
        )
        echo = through.get("POST echo 1 KiB")
        if echo is not None:
            verdict, ratio = compare_paired(
                echo["asgiweb"], echo["BlackSheep"], lower_is_better=False
            )
            lines.append(
                "| through uvicorn, POST echo ahead of BlackSheep (paired ratios above 1) | "
                f"{mark(verdict == 'better')}: {verdict}, "
                f"{ratio.median:.2f}× ({ratio.low:.2f}–{ratio.high:.2f}) |"
            )
    return lines


def write_markdown(
    inproc: Results,
    scale: dict[str, dict[str, dict[int, Spread]]],
    through: Results | None,
    websocket: dict[str, Spread],
    websocket_server: dict[str, Spread] | None,
    static: dict[str, dict[str, tuple[Spread, Spread]]] | None,
    runner: tuple[dict[str, list[float]], dict[str, list[float]]] | None,
    ladder: dict[str, Spread],
    profile: tuple[float, list[str]],
    instructions: dict[str, dict[str, int]],
    inside: dict[str, tuple[Spread, Spread]] | None,
    settings: dict[str, Any],
) -> None:
    frameworks = list(ASGI_FRAMEWORKS)
    rivals = [n for n in frameworks if n not in ("raw ASGI", "asgiweb")]
    calls, functions = profile
    minimal_ratio = paired_ratio(ladder["minimal"], ladder["raw ASGI"]).median
    parts = [
        "# Benchmarks",
        "",
        "Produced by `python -m benchmarks.report` (see `benchmarks/`); do not edit by hand.",
        f"Run on {settings['date']}, Python {platform.python_version()}, "
        f"{settings['machine']}. Settings: {settings['args']}.",
        "",
        "**Read the spreads.** These figures come from a machine shared with other",
        "work: its load changed during the run, so every figure is the median of",
        "several rounds with the interquartile range (IQR, the middle half of the",
        "rounds) in parentheses. In every round each framework is measured once, in",
        "a shuffled order, moments after the others, so the verdict tables compare",
        "asgiweb with each framework round by round: the ratio of the two figures",
        "of a round cancels most of what the load did to both. A verdict table",
        "gives the median of those per-round ratios with their IQR, and calls",
        "asgiweb faster or slower only where that IQR lies entirely on one side",
        "of 1; it says *alike* otherwise, and the order among frameworks that are",
        "alike means nothing.",
        "",
        "Every framework serves the same app (`benchmarks/apps.py`): plaintext, compact",
        "JSON (the same body bytes everywhere), the last of 100 dynamic routes, a 1 KiB",
        "POST echoed back, plaintext behind five pass-through middlewares written the way",
        "each framework recommends, the last of 1,000 routes whose first segment is a",
        "variable (`/{id}/route{i}`), and a dynamic route with a new id on every request",
        "(so no per-path cache helps). Frameworks are interleaved in a shuffled order",
        "within every round, after a warm-up. Ratios are of medians, to a hand-written",
        "raw ASGI app, the floor for any ASGI framework.",
        "",
        "![benchmark chart](benchmarks.png)",
        "",
        "## Goals",
        "",
        *goals(inproc, scale, through),
        "",
        "What stands between these figures and the goals that are not met is",
        "measured in [where the time goes](#where-the-time-goes).",
        "",
        "## In process",
        "",
        "A synthetic scope, `receive` and `send` (no sockets): the framework's own cost,",
        "timed as the CPU time of the benchmark's thread, so that time spent waiting for a",
        "CPU on the shared machine does not count. Microseconds per request, median (IQR),",
        "lower is better; then the ratio of medians to raw ASGI.",
        "The raw ASGI app does not route: it tells its dynamic routes apart by",
        "splitting the path, so on the routing cases the ratio includes the whole cost",
        "of a router (about a fifth of asgiweb's time on the 1,000-route case, where",
        "the rest is what every request costs).",
        "",
        inprocess.table(inproc, frameworks),
        "",
        "asgiweb against each framework (round-by-round ratio of µs per request, median and IQR):",
        "",
        inprocess.verdicts(inproc, rivals),
        "",
        "## Routing as routes grow",
        "",
        "Microseconds per request, median (IQR), for the last of N dynamic routes in three",
        "table shapes: `literal` (`/route{i}/{id}`), `leading` (`/{id}/route{i}`) and",
        "`mixed` (the two alternating). How asgiweb resolves is in [routing](routing.md).",
        "",
        inprocess.scale_table(scale),
        "",
        "## WebSocket echo",
        "",
        "In process: a synthetic `receive` feeds 20,000 text messages to each echo",
        "endpoint; microseconds per message, lower is better.",
        "",
        ws_echo.inprocess_table(websocket),
        "",
    ]
    if websocket_server:
        parts += [
            f"Through a server: {settings['ws']}. Round trips per second, higher is",
            "better; raw ASGI's figure is the ceiling the client and server allow.",
            "",
            ws_echo.table(websocket_server),
            "",
        ]
    if static:
        parts += [
            "## Static files, through a server",
            "",
            "`python -m benchmarks.static_files`: 1 KiB, 1 MiB and 100 MiB files. asgiweb",
            "(`add_static(..., chunk_size=64 * 1024)`) and Starlette's `StaticFiles` (64 KiB",
            "chunks) under uvicorn; aiohttp on its own server, which uses `sendfile`.",
            "Requests per second, median (IQR), and the MB/s of the median.",
            "",
            static_files.table(static),
            "",
        ]
    if through:
        parts += [
            "## Through a server",
            "",
            "Every ASGI app under uvicorn with httptools and uvloop, one worker, no access",
            "log; aiohttp on its own server with uvloop. The server is pinned to one CPU",
            f"and `wrk -t1 -c{settings['connections']}` to the other (`taskset`).",
            "Requests per second, median (IQR), higher is better; then the ratio to raw ASGI.",
            "",
            e2e.table(through, e2e.FRAMEWORKS),
            "",
            "asgiweb against each framework (round-by-round ratio of requests/s, median and IQR):",
            "",
            e2e.verdicts(through, [n for n in e2e.FRAMEWORKS if n not in ("raw ASGI", "asgiweb")]),
            "",
        ]
    if runner:
        parts += [
            "## `run_app` beside plain uvicorn",
            "",
            "`python -m benchmarks.runner_vs_uvicorn`: the same asgiweb app served by",
            "`web.run_app` and by `uvicorn.run`, on asyncio's loop and on uvloop, all with",
            "httptools; one request at a time on one connection, and `wrk` with many.",
            "",
            runner_vs_uvicorn.table(*runner, settings["runner_connections"]),
            "",
        ]
    parts += [
        "## Where the time goes",
        "",
        "`python -m benchmarks.breakdown`, plaintext. In process, a ladder of apps",
        "timed side by side: raw ASGI; *minimal*, the least an aiohttp-shaped framework",
        "does (a request object, a route looked up in a dict, the handler's coroutine, a",
        "response object and its two messages, a few lines in `benchmarks/breakdown.py`);",
        "then the same with asgiweb's `Request` (and its connection), then with asgiweb's",
        "`Response` sent by `deliver()`, then with the route's match info; last the real",
        "application, whose step is the rest of a request: the Host and Expect checks,",
        "the routing table, the error handling, the middleware chain, the clean-up.",
        f"Microseconds per request, median (IQR), CPU time, {settings['ladder']};",
        "each step's increment and its ratio to raw ASGI are taken round by round.",
        "",
        breakdown.ladder_table(ladder),
        "",
        f"The minimal framework alone is {minimal_ratio:.2f}× raw ASGI; every part asgiweb",
        "adds to it is one of aiohttp's semantics (a `Request` with its lazily parsed",
        "attributes and its connection state, a `Response` whose headers are a",
        "case-insensitive multidict that handlers and middlewares may change until it is",
        "sent, match info that is a dict carrying its route and apps, and a request loop",
        "that turns every exception into the right answer). A profile of the",
        f"application (`cProfile`, 1,000 plaintext requests) counts {calls:.0f} function",
        f"calls per request; the Python functions of asgiweb among them are {len(functions)}:",
        ", ".join(f"`{name}`" for name in functions) + ".",
        breakdown.instructions_sentence(instructions),
        "The per-request cost is the bytecode of those few frames and the objects they",
        "build, not a call that could be cached away.",
        "",
    ]
    if inside:
        parts += [
            "Inside a server: each app under uvicorn (httptools, uvloop, pinned to one",
            "CPU) behind a wrapper that times every call of the app; `wrk -t1 -c64` on the",
            "other CPU. The time per request is one over the requests per second; the rest",
            "of it, outside the app, is the server's own work (parsing, the event loop, the",
            "two socket writes that uvicorn makes for the two messages), which the app",
            "changes only through what it leaves behind (garbage, caches).",
            "",
            breakdown.server_table(inside),
            "",
            breakdown.budget(inside),
            "",
        ]
    parts += MYPYC_SECTION
    (DOCS / "benchmarks.md").write_text("\n".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-e2e", action="store_true", help="skip the server benchmarks")
    parser.add_argument("--rounds", type=int, default=9, help="in-process rounds")
    parser.add_argument("--count", type=int, default=1000, help="requests per in-process sample")
    parser.add_argument("--e2e-rounds", type=int, default=5, help="rounds through a server")
    parser.add_argument("--duration", type=float, default=1.0, help="seconds per server run")
    args = parser.parse_args()
    rounds, count = (3, 200) if args.quick else (args.rounds, args.count)
    e2e_rounds, duration = (1, 1.0) if args.quick else (args.e2e_rounds, args.duration)
    ws_processes, ws_connections, ws_messages = (2, 2, 200) if args.quick else (4, 4, 500)
    connections = 64
    runner_connections = 64
    frameworks = list(ASGI_FRAMEWORKS)
    inproc = inprocess.run(inprocess.measure(frameworks, inprocess.CASES, rounds, count))
    scale = inprocess.run(inprocess.routing_scale(rounds, count))
    websocket = ws_echo.measure_inprocess(max(rounds // 3, 5), 20_000)
    ladder_rounds, ladder_count = (
        (3, 300) if args.quick else (breakdown.LADDER_ROUNDS, breakdown.LADDER_COUNT)
    )
    ladder = inprocess.run(breakdown.measure_ladder(ladder_rounds, ladder_count))
    profile = inprocess.run(breakdown.profile_calls())
    instructions = inprocess.run(breakdown.count_instructions())
    through = static = websocket_server = runner = inside = None
    if not args.no_e2e and shutil.which("wrk"):
        through = e2e.measure(e2e.FRAMEWORKS, inprocess.CASES, e2e_rounds, duration, connections)
        websocket_server = ws_echo.measure(
            e2e_rounds, ws_processes, ws_connections, ws_messages, "websockets-sansio"
        )
        static = static_files.measure(e2e_rounds, duration)
        runner = runner_vs_uvicorn.measure(e2e_rounds, duration, runner_connections)
        inside = breakdown.measure_in_server(
            2 if args.quick else breakdown.SERVER_ROUNDS, 2.0, connections
        )
    settings = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "args": f"in process {rounds} rounds × up to {count} requests (CPU time); "
        f"through a server {e2e_rounds} rounds × {duration:g} s after a 1 s warm-up",
        "connections": connections,
        "runner_connections": runner_connections,
        "ladder": f"{ladder_rounds} rounds × {ladder_count:,} requests",
        "ws": f"uvicorn with `--ws websockets-sansio` (aiohttp on its own server), "
        f"{ws_processes} client processes × {ws_connections} connections × "
        f"{ws_messages} messages, each process a bare asyncio client on the other CPU",
    }
    write_markdown(
        inproc,
        scale,
        through,
        websocket,
        websocket_server,
        static,
        runner,
        ladder,
        profile,
        instructions,
        inside,
        settings,
    )
    chart(inproc, through)
    print((DOCS / "benchmarks.md").read_text())


if __name__ == "__main__":
    main()
