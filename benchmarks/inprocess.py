"""In-process benchmark: µs per request through each framework's ASGI callable.

No sockets and no server: a synthetic scope, a ``receive`` that returns the
body and a ``send`` that drops the messages. This isolates the framework's
own cost per request, timed as the CPU time of the benchmark's thread
(``time.thread_time``), so that time spent descheduled on a shared machine
does not count. Each framework's app is warmed up first; then, for each
of R rounds (15 by default), every case is timed for every framework in a
shuffled order. A figure is the median of its R samples with the
interquartile range; ratios are of medians.

    python -m benchmarks.inprocess            # print the tables
    python -m benchmarks.inprocess --quick    # fewer rounds, for a smoke run

Pin it to one core (``taskset -c 1 python -m benchmarks.inprocess``) on a busy
machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import time
from dataclasses import dataclass
from typing import Any

from .apps import ASGI_FRAMEWORKS, JSON_BODY, PLAINTEXT, ROUTES, SHAPES, build, last_route_path
from .stats import Spread, verdict_table


@dataclass(frozen=True)
class Case:
    """One request kind; ``vary`` sends a new id on every request (per-path caches miss)."""

    name: str
    method: str
    path: str
    body: bytes = b""
    middlewares: int = 0
    expect: bytes = PLAINTEXT
    routes: int = ROUTES
    shape: str = "literal"
    vary: bool = False

    @property
    def config(self) -> tuple[int, int, str]:
        """What the app must be built with: (middlewares, routes, shape)."""
        return self.middlewares, self.routes, self.shape


_RUNNING: list[asyncio.Task[None]] = []  # lifespan tasks kept alive for the run

CASES = [
    Case("plaintext", "GET", "/plaintext"),
    Case("json", "GET", "/json", expect=JSON_BODY),
    Case("100th dynamic route", "GET", "/route99/abc", expect=b"abc"),
    Case("POST echo 1 KiB", "POST", "/echo", body=b"x" * 1024, expect=b"x" * 1024),
    Case("5 middlewares", "GET", "/plaintext", middlewares=5),
    Case(
        "1,000 routes, leading variable",
        "GET",
        last_route_path(1000, "leading"),
        expect=b"abc",
        routes=1000,
        shape="leading",
    ),
    Case("new id every request", "GET", "/route99/abc", expect=b"abc", vary=True),
]

VARYING_IDS = 4096  # distinct ids cycled through by the ``vary`` cases


def make_scope(case: Case, path: str | None = None) -> dict[str, Any]:
    path = case.path if path is None else path
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"bench/1.0"),
        (b"accept", b"*/*"),
    ]
    if case.body:
        headers += [
            (b"content-type", b"application/octet-stream"),
            (b"content-length", str(len(case.body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": case.method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "state": {},
    }


def varying_paths(case: Case) -> list[str]:
    """The paths a case sends: one, or ``VARYING_IDS`` with a different id each."""
    if not case.vary:
        return [case.path]
    prefix = case.path.rpartition("/")[0]
    return [f"{prefix}/id{n}" for n in range(VARYING_IDS)]


async def lifespan_startup(app: Any) -> None:
    """Run ASGI lifespan startup (BlackSheep and Litestar need it) and leave it running."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    message = await asyncio.wait_for(outbox.get(), 10)
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"startup failed: {message}")
    _RUNNING.append(task)


async def answer(app: Any, case: Case, path: str | None = None) -> tuple[int, bytes]:
    """(status, body) of one request of *case*."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": case.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(make_scope(case, path), receive, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


async def check(app: Any, case: Case) -> None:
    """One request (two for ``vary`` cases), to be sure every app answers correctly."""
    paths = varying_paths(case)
    for path in {paths[0], paths[-1]}:
        status, body = await answer(app, case, path)
        expect = path.rpartition("/")[2].encode() if case.vary else case.expect
        if status != 200 or body != expect:
            raise RuntimeError(f"{case.name}: unexpected answer {status} {body[:60]!r}")


SAMPLE_SECONDS = 0.25  # a sample stops early after this much CPU time (slow frameworks)


async def time_requests(app: Any, case: Case, count: int) -> float:
    """Mean µs per request over *count* sequential requests (fewer past SAMPLE_SECONDS)."""
    templates = [make_scope(case, path) for path in varying_paths(case)]
    body_message = {"type": "http.request", "body": case.body, "more_body": False}

    async def receive() -> dict[str, Any]:
        return body_message

    async def send(message: dict[str, Any]) -> None:
        return None

    kinds = len(templates)
    gc.collect()
    clock = time.thread_time  # CPU time: a busy machine's other work does not count
    start = clock()
    deadline = start + SAMPLE_SECONDS
    done = 0
    while done < count:
        for n in range(done, min(done + 16, count)):
            template = templates[n % kinds]
            scope = template.copy()
            scope["headers"] = list(template["headers"])
            await app(scope, receive, send)
        done = min(done + 16, count)
        if clock() > deadline:
            break
    return (clock() - start) / done * 1e6


async def build_apps(
    frameworks: list[str], configs: set[tuple[int, int, str]]
) -> dict[tuple[str, tuple[int, int, str]], Any]:
    apps: dict[tuple[str, tuple[int, int, str]], Any] = {}
    for name in frameworks:
        for config in sorted(configs):
            app = build(name, *config)
            await lifespan_startup(app)
            apps[name, config] = app
    return apps


async def measure(
    frameworks: list[str], cases: list[Case], rounds: int, count: int
) -> dict[str, dict[str, Spread]]:
    """Per case and framework: the spread of µs/request over rounds (interleaved)."""
    apps = await build_apps(frameworks, {case.config for case in cases})
    for case in cases:
        for name in frameworks:
            app = apps[name, case.config]
            await check(app, case)
            await time_requests(app, case, count)  # warm-up
    samples: dict[str, dict[str, list[float]]] = {
        c.name: {n: [] for n in frameworks} for c in cases
    }
    for _ in range(rounds):
        for case in cases:
            order = frameworks[:]
            random.shuffle(order)
            for name in order:
                value = await time_requests(apps[name, case.config], case, count)
                samples[case.name][name].append(value)
    return {
        case: {name: Spread.of(values) for name, values in per_fw.items()}
        for case, per_fw in samples.items()
    }


SCALE_FRAMEWORKS = ("asgiweb", "Starlette", "BlackSheep")
SCALE_SIZES = (10, 100, 1000)


async def routing_scale(rounds: int, count: int) -> dict[str, dict[str, dict[int, Spread]]]:
    """µs/request to reach the last of N dynamic routes, per table shape, N = 10, 100, 1000."""
    cases = [
        Case(f"{shape} {size}", "GET", last_route_path(size, shape), b"", 0, b"abc", size, shape)
        for shape in SHAPES
        for size in SCALE_SIZES
    ]
    results = await measure(list(SCALE_FRAMEWORKS), cases, rounds, count)
    return {
        shape: {
            name: {size: results[f"{shape} {size}"][name] for size in SCALE_SIZES}
            for name in SCALE_FRAMEWORKS
        }
        for shape in SHAPES
    }


def cell(value: Spread, base: Spread | None = None, unit: str = "µs") -> str:
    text = f"{value.median:.1f} {unit} ({value.low:.1f}–{value.high:.1f})"
    if base is not None:
        text += f" {value.ratio(base):.1f}×"
    return text


def table(results: dict[str, dict[str, Spread]], frameworks: list[str]) -> str:
    """Median µs/request (IQR) and the ratio to raw ASGI, per case and framework."""
    header = "| case | " + " | ".join(frameworks) + " |"
    rule = "|---|" + "---:|" * len(frameworks)
    lines = [header, rule]
    for case, per_fw in results.items():
        base = per_fw["raw ASGI"]
        cells = [cell(per_fw[n], base) for n in frameworks]
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(results: dict[str, dict[str, Spread]], rivals: list[str]) -> str:
    """asgiweb against each rival, per case, from round-by-round ratios (lower is better)."""
    return verdict_table(results, rivals, lower_is_better=True)


def scale_table(scale: dict[str, dict[str, dict[int, Spread]]]) -> str:
    lines = [
        "| table shape | framework | "
        + " | ".join(f"{s:,} routes" for s in SCALE_SIZES)
        + " | 1,000 ÷ 10 |",
        "|---|---|" + "---:|" * (len(SCALE_SIZES) + 1),
    ]
    for shape, per_fw in scale.items():
        for name, per_size in per_fw.items():
            cells = [cell(per_size[s]) for s in SCALE_SIZES]
            growth = per_size[SCALE_SIZES[-1]].ratio(per_size[SCALE_SIZES[0]])
            lines.append(f"| {shape} | {name} | " + " | ".join(cells) + f" | {growth:.2f}× |")
    return "\n".join(lines)


def run(coroutine: Any) -> Any:
    """Run *coroutine* on uvloop when it is installed (as the servers do)."""
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--count", type=int, default=1000, help="requests per sample")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 200 requests")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.count = 3, 200
    frameworks = list(ASGI_FRAMEWORKS)
    results = run(measure(frameworks, CASES, args.rounds, args.count))
    scale = run(routing_scale(args.rounds, args.count))
    print("In process, µs per request, median (IQR) and ratio to raw ASGI,", args.rounds, "rounds")
    print(table(results, frameworks))
    print()
    print(verdicts(results, [n for n in frameworks if n not in ("raw ASGI", "asgiweb")]))
    print()
    print("Routing: the last of N dynamic routes")
    print(scale_table(scale))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "inprocess": {
                        c: {n: v.to_json() for n, v in per.items()} for c, per in results.items()
                    },
                    "routing": {
                        shape: {
                            n: {str(s): v.to_json() for s, v in per.items()}
                            for n, per in per_fw.items()
                        }
                        for shape, per_fw in scale.items()
                    },
                },
                out,
                indent=1,
            )


if __name__ == "__main__":
    main()
