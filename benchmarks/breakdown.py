"""Where asgiweb's time per request goes, in process and inside a server.

In process, on the plaintext case, a ladder of apps is timed side by side
(interleaved rounds, CPU time, as in ``benchmarks.inprocess``):

- ``raw ASGI``: the hand-written floor of ``benchmarks/apps.py``;
- ``minimal``: the least an aiohttp-shaped framework does, written here in a
  few lines: a request object, a route looked up in a dict, the handler's
  coroutine, a response object and its two messages;
- ``+ Request``: the same, with asgiweb's ``Request`` (and its connection);
- ``+ Response``: then with asgiweb's ``Response``, sent by ``deliver()``;
- ``+ match info``: then with the route's ``UrlMappingMatchInfo`` set;
- ``asgiweb``: the real application (the Host/Expect checks, the routing
  table, the error handling, the middleware chain lookup, the clean-up).

Each step's increment is what that part of asgiweb costs over the minimal
version of it.

Inside a server, each of ``raw ASGI``, ``minimal`` and ``asgiweb`` runs under
uvicorn (httptools, uvloop, pinned to one CPU) behind a wrapper that times
every call of the app; ``wrk`` loads it from the other CPU. The report gives
requests per second and the median time spent inside the app per request.
The server's own work per request is the same for every app, so the ratio to
raw ASGI through the server follows from the time inside the app.

    python -m benchmarks.breakdown             # both tables
    python -m benchmarks.breakdown --quick     # a smoke run
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from types import CodeType, FrameType
from typing import Any

from .apps import answer_lifespan, build
from .e2e import ROOT, free_port, run_wrk, wait_until_serving
from .inprocess import CASES, check, lifespan_startup, make_scope, run
from .serve import run_uvicorn
from .stats import Spread, cpu_pair, paired_ratio

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
LADDER = ("raw ASGI", "minimal", "+ Request", "+ Response", "+ match info", "asgiweb")
SERVED = ("raw ASGI", "minimal", "asgiweb")
# The ladder takes a few seconds, so it gets more rounds than the other benchmarks.
LADDER_ROUNDS = 21
LADDER_COUNT = 3000
SERVER_ROUNDS = 9
TIMING_PATH = "/__breakdown_timing"
PLAINTEXT_SCOPE = make_scope(CASES[0])


class MinimalRequest:
    """The request object of the minimal framework: the scope and the channels."""

    def __init__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        self.method = scope["method"]
        self.receive = receive
        self.send = send


class MinimalResponse:
    """The response object of the minimal framework: a body sent in two messages."""

    def __init__(self, text: str) -> None:
        self.body = text.encode()
        self.status = 200

    async def deliver(self, send: Any) -> None:
        """Send the status line and headers, then the body."""
        body = self.body
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def minimal_app() -> ASGIApp:
    """The minimal aiohttp-shaped framework serving ``/plaintext``."""

    async def plaintext(request: MinimalRequest) -> MinimalResponse:
        return MinimalResponse("Hello, World!")

    routes = {"/plaintext": {"GET": plaintext}}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        request = MinimalRequest(scope, receive, send)
        response = await routes[scope["path"]][request.method](request)
        await response.deliver(send)

    return app


def ladder_apps() -> dict[str, ASGIApp]:
    """Every step of the ladder, each serving ``GET /plaintext``."""
    from asgiweb import web
    from asgiweb.routing import UrlMappingMatchInfo

    application = build("asgiweb")
    minimal = minimal_app()

    async def plaintext(request: Any) -> Any:
        return web.Response(text="Hello, World!")

    async def plaintext_minimal(request: Any) -> MinimalResponse:
        return MinimalResponse("Hello, World!")

    with_request = {"/plaintext": {"GET": plaintext_minimal}}
    with_response = {"/plaintext": {"GET": plaintext}}
    route = next(r for r in application.router.routes() if r.resource.canonical == "/plaintext")
    apps = (application,)

    async def plus_request(scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = web.Request(scope, receive, send, 1024**2, 1000, scope["path"])
        response = await with_request[scope["path"]][request.method](request)
        await response.deliver(send)

    async def plus_response(scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = web.Request(scope, receive, send, 1024**2, 1000, scope["path"])
        response = await with_response[scope["path"]][request.method](request)
        await response.deliver(request)

    async def plus_match_info(scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = web.Request(scope, receive, send, 1024**2, 1000, scope["path"])
        handler = with_response[scope["path"]][request.method]
        request.match_info = UrlMappingMatchInfo.resolved(route, apps, application)
        response = await handler(request)
        await response.deliver(request)

    return {
        "raw ASGI": build("raw ASGI"),
        "minimal": minimal,
        "+ Request": plus_request,
        "+ Response": plus_response,
        "+ match info": plus_match_info,
        "asgiweb": application,
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _drop(message: dict[str, Any]) -> None:
    return None


async def _requests(app: ASGIApp, count: int) -> None:
    """*count* plaintext requests to *app*, each with a fresh copy of the scope."""
    template = PLAINTEXT_SCOPE
    for _ in range(count):
        scope = template.copy()
        scope["headers"] = list(template["headers"])
        await app(scope, _receive, _drop)


# the benchmark's own loop, receive and send, left out of instruction counts
HARNESS = frozenset(f.__code__ for f in (_requests, _receive, _drop))


async def measure_ladder(rounds: int, count: int) -> dict[str, Spread]:
    """µs per plaintext request for every step of the ladder (interleaved rounds)."""
    apps = ladder_apps()
    for name in ("raw ASGI", "minimal", "asgiweb"):
        await lifespan_startup(apps[name])
    for app in apps.values():
        await check(app, CASES[0])  # every step answers the same

    async def sample(app: ASGIApp) -> float:
        gc.collect()
        start = time.thread_time()
        await _requests(app, count)
        return (time.thread_time() - start) / count * 1e6

    for app in apps.values():
        await sample(app)  # warm-up
    samples: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(rounds):
        order = list(apps)
        random.shuffle(order)
        for name in order:
            samples[name].append(await sample(apps[name]))
    return {name: Spread.of(values) for name, values in samples.items()}


async def profile_calls(count: int = 1000) -> tuple[float, list[str]]:
    """Function calls per plaintext request through asgiweb, and its Python functions.

    Measured with ``cProfile`` over *count* requests after a warm-up; the
    functions are those of the ``asgiweb`` package that every request runs.
    """
    import cProfile
    import pstats

    app = build("asgiweb")
    await lifespan_startup(app)
    await _requests(app, 100)
    profiler = cProfile.Profile()
    profiler.enable()
    await _requests(app, count)
    profiler.disable()
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    calls = sum(entry[1] for entry in stats.values())
    functions = sorted(
        f"{filename.rpartition('/asgiweb/')[2]}:{name}"
        for (filename, _, name), entry in stats.items()
        if "/asgiweb/" in filename and entry[1] >= count
    )
    return calls / count, functions


async def count_instructions() -> dict[str, dict[str, int]]:
    """Bytecode instructions one plaintext request runs, per app and source file.

    Traced with ``sys.settrace`` (opcode events) for ``raw ASGI``, ``minimal``
    and ``asgiweb``, after a warm-up; the benchmark's own frames are left out.
    Unlike a timing, the count is the same on every run.
    """
    apps = {"raw ASGI": build("raw ASGI"), "minimal": minimal_app(), "asgiweb": build("asgiweb")}
    counts: dict[str, dict[str, int]] = {}
    for name, app in apps.items():
        await lifespan_startup(app)
        await _requests(app, 50)
        seen: Counter[str] = Counter()
        tracer = _opcode_counter(seen, HARNESS)
        previous = sys.gettrace()  # a coverage tool's, say
        sys.settrace(tracer)
        try:
            await _requests(app, 1)
        finally:
            sys.settrace(previous)
        counts[name] = dict(seen.most_common())
    return counts


def _opcode_counter(seen: Counter[str], skip: frozenset[CodeType]) -> Any:
    """A trace function adding each opcode run to *seen*, by file (not in *skip*'s code)."""

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode" and frame.f_code not in skip:
            seen[frame.f_code.co_filename.rpartition("/")[2]] += 1
        return tracer

    return tracer


def instructions_sentence(counts: dict[str, dict[str, int]]) -> str:
    """The instruction counts as one sentence, asgiweb's split by module."""
    totals = {name: sum(per_file.values()) for name, per_file in counts.items()}
    files = ", ".join(f"`{file}` {n}" for file, n in counts["asgiweb"].items() if file != "apps.py")
    return (
        f"Bytecode instructions one plaintext request runs (traced, the same on every run): "
        f"raw ASGI {totals['raw ASGI']}, minimal {totals['minimal']}, asgiweb "
        f"{totals['asgiweb']} ({files}, and the handler's)."
    )


def timed(app: ASGIApp) -> ASGIApp:
    """*app* behind a wrapper that times its HTTP calls; ``TIMING_PATH`` reports them.

    A GET of ``TIMING_PATH`` answers the median µs of the calls since the
    previous report (and forgets them).
    """
    times: list[float] = []
    clock = time.perf_counter

    async def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if scope["path"] == TIMING_PATH:
            body = f"{statistics.median(times) * 1e6 if times else 0.0:.3f}".encode()
            times.clear()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        start = clock()
        await app(scope, receive, send)
        times.append(clock() - start)

    return wrapper


def serve(name: str, port: int) -> None:
    """Serve *name*'s plaintext app, timed, under uvicorn (httptools, uvloop)."""
    run_uvicorn(timed(minimal_app() if name == "minimal" else build(name)), port)


def read_timing(port: int) -> float:
    """The median µs inside the app since the last read (and reset it)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{TIMING_PATH}", timeout=10) as reply:
        return float(reply.read())


def measure_in_server(
    rounds: int, duration: float, connections: int
) -> dict[str, tuple[Spread, Spread]]:
    """Per app: (requests/s, median µs inside the app per request) over rounds."""
    server_pin, client_pin = cpu_pair()
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    for name in SERVED:
        port = free_port()
        command = [*server_pin, sys.executable, "-m", "benchmarks.breakdown", "--serve", name]
        servers[name] = (port, subprocess.Popen([*command, str(port)], cwd=ROOT))
    rates: dict[str, list[float]] = {name: [] for name in SERVED}
    inside: dict[str, list[float]] = {name: [] for name in SERVED}
    try:
        for port, process in servers.values():
            wait_until_serving(port, process)
        for port, _ in servers.values():
            run_wrk(f"http://127.0.0.1:{port}/plaintext", 1.0, connections, None, client_pin)
            read_timing(port)
        for _ in range(rounds):
            order = list(SERVED)
            random.shuffle(order)
            for name in order:
                port = servers[name][0]
                url = f"http://127.0.0.1:{port}/plaintext"
                rates[name].append(run_wrk(url, duration, connections, None, client_pin))
                inside[name].append(read_timing(port))
    finally:
        for _, process in servers.values():
            process.terminate()
        for _, process in servers.values():
            process.wait(30)
    return {name: (Spread.of(rates[name]), Spread.of(inside[name])) for name in SERVED}


def ladder_table(ladder: dict[str, Spread]) -> str:
    """µs per request, each step's increment and the ratio to raw ASGI, round by round.

    The increment and the ratio are medians (IQR) of per-round differences
    and ratios: every step was measured in every round, moments apart.
    """
    base = ladder["raw ASGI"]
    lines = [
        "| step | µs per request, median (IQR) | over the previous step, median (IQR) "
        "| ratio to raw ASGI, median (IQR) |",
        "|---|---:|---:|---:|",
    ]
    previous: Spread | None = None
    for name in LADDER:
        value = ladder[name]
        step = ""
        if previous is not None:
            diff = Spread.of([a - b for a, b in zip(value.samples, previous.samples, strict=True)])
            step = f"{diff.median:+.2f} µs ({diff.low:+.2f} to {diff.high:+.2f})"
        ratio = paired_ratio(value, base)
        lines.append(
            f"| {name} | {value.median:.2f} ({value.low:.2f}–{value.high:.2f}) | {step} "
            f"| {ratio.median:.2f}× ({ratio.low:.2f}–{ratio.high:.2f}) |"
        )
        previous = value
    return "\n".join(lines)


def server_table(results: dict[str, tuple[Spread, Spread]]) -> str:
    """Requests/s, time per request, and the part of it spent inside the app."""
    base_rate = results["raw ASGI"][0]
    lines = [
        "| app | requests/s, median (IQR) | ratio to raw ASGI | µs per request "
        "| µs inside the app, median (IQR) | µs in the server |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in SERVED:
        rate, inside = results[name]
        per_request = 1e6 / rate.median
        lines.append(
            f"| {name} | {rate.median:,.0f} ({rate.low:,.0f}–{rate.high:,.0f}) "
            f"| {rate.ratio(base_rate):.2f}× | {per_request:.1f} "
            f"| {inside.median:.1f} ({inside.low:.1f}–{inside.high:.1f}) "
            f"| {per_request - inside.median:.1f} |"
        )
    return "\n".join(lines)


def budget(results: dict[str, tuple[Spread, Spread]], goal: float = 0.9) -> str:
    """What the time inside asgiweb would have to be to keep *goal* of raw ASGI's requests/s."""
    raw_rate, raw_inside = results["raw ASGI"]
    _, mine = results["asgiweb"]
    raw_request = 1e6 / raw_rate.median
    allowed = raw_inside.median + raw_request * (1 / goal - 1)
    return (
        f"With {raw_request:.1f} µs per request for raw ASGI, {goal:.1f}× its requests/s "
        f"leaves asgiweb {allowed:.1f} µs inside the app per request; it spends "
        f"{mine.median:.1f} µs."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=LADDER_ROUNDS, help="in-process rounds")
    parser.add_argument("--count", type=int, default=LADDER_COUNT, help="requests per sample")
    parser.add_argument("--server-rounds", type=int, default=SERVER_ROUNDS)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="3 rounds, short runs")
    parser.add_argument("--serve", nargs=2, metavar=("NAME", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if args.quick:
        args.rounds, args.count, args.server_rounds, args.duration = 3, 300, 2, 1.0
    print("In process, plaintext:")
    print(ladder_table(run(measure_ladder(args.rounds, args.count))))
    calls, functions = run(profile_calls())
    print(f"{calls:.0f} function calls per request; asgiweb's: {', '.join(functions)}")
    print(instructions_sentence(run(count_instructions())))
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    results = measure_in_server(args.server_rounds, args.duration, args.connections)
    print("\nInside uvicorn, plaintext:")
    print(server_table(results))
    print(budget(results))


if __name__ == "__main__":
    main()
