"""In-process benchmark: µs per request through each framework's ASGI callable.

No sockets and no server: a synthetic scope, a ``receive`` that returns the
body and a ``send`` that drops the messages. This isolates the framework's
own cost per request. Frameworks are interleaved inside every round, in a
shuffled order, and the figure is the median over rounds.

    python -m benchmarks.inprocess            # print the tables
    python -m benchmarks.inprocess --quick    # fewer rounds, for a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from .apps import ASGI_FRAMEWORKS, PLAINTEXT, build


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: bytes = b""
    middlewares: int = 0
    expect: bytes = PLAINTEXT


_RUNNING: list[asyncio.Task[None]] = []  # lifespan tasks kept alive for the run

CASES = [
    Case("plaintext", "GET", "/plaintext"),
    Case("json", "GET", "/json", expect=b'{"message":'),
    Case("100th dynamic route", "GET", "/route99/abc", expect=b"abc"),
    Case("POST echo 1 KiB", "POST", "/echo", body=b"x" * 1024, expect=b"x" * 1024),
    Case("5 middlewares", "GET", "/plaintext", middlewares=5),
]


def make_scope(case: Case) -> dict[str, Any]:
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
        "path": case.path,
        "raw_path": case.path.encode(),
        "query_string": b"",
        "headers": headers,
        "state": {},
    }


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


async def check(app: Any, case: Case) -> None:
    """One request, to be sure every app answers the case correctly."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": case.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(make_scope(case), receive, send)
    status = messages[0]["status"]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    if status != 200 or not body.replace(b" ", b"").startswith(case.expect.replace(b" ", b"")):
        raise RuntimeError(f"{case.name}: unexpected answer {status} {body[:60]!r}")


async def time_requests(app: Any, case: Case, count: int) -> float:
    """Mean µs per request over *count* sequential requests."""
    template = make_scope(case)
    body_message = {"type": "http.request", "body": case.body, "more_body": False}

    async def receive() -> dict[str, Any]:
        return body_message

    async def send(message: dict[str, Any]) -> None:
        return None

    gc.collect()
    start = time.perf_counter()
    for _ in range(count):
        scope = template.copy()
        scope["headers"] = list(template["headers"])
        await app(scope, receive, send)
    return (time.perf_counter() - start) / count * 1e6


async def measure(
    frameworks: list[str], cases: list[Case], rounds: int, count: int
) -> dict[str, dict[str, float]]:
    """Median µs/request per case and framework, frameworks interleaved in each round."""
    apps: dict[tuple[str, int], Any] = {}
    for name in frameworks:
        for middlewares in sorted({c.middlewares for c in cases}):
            app = build(name, middlewares)
            await lifespan_startup(app)
            apps[name, middlewares] = app
    for case in cases:
        for name in frameworks:
            await check(apps[name, case.middlewares], case)
    samples: dict[str, dict[str, list[float]]] = {
        c.name: {n: [] for n in frameworks} for c in cases
    }
    for _ in range(rounds):
        for case in cases:
            order = frameworks[:]
            random.shuffle(order)
            for name in order:
                value = await time_requests(apps[name, case.middlewares], case, count)
                samples[case.name][name].append(value)
    return {
        case: {name: statistics.median(values) for name, values in per_fw.items()}
        for case, per_fw in samples.items()
    }


async def routing_scale(rounds: int, count: int) -> dict[str, dict[int, float]]:
    """µs/request to reach the last of N dynamic routes, N = 10, 100, 1000."""
    sizes = (10, 100, 1000)
    result: dict[str, dict[int, float]] = {}
    for name in ("asgiweb", "Starlette", "BlackSheep"):
        result[name] = {}
        for size in sizes:
            app = build(name, 0, routes=size)
            await lifespan_startup(app)
            case = Case(f"route {size}", "GET", f"/route{size - 1}/abc", expect=b"abc")
            await check(app, case)
            result[name][size] = statistics.median(
                [await time_requests(app, case, count) for _ in range(rounds)]
            )
    return result


def table(results: dict[str, dict[str, float]], frameworks: list[str]) -> str:
    header = "| case | " + " | ".join(frameworks) + " |"
    rule = "|---|" + "---:|" * len(frameworks)
    lines = [header, rule]
    for case, per_fw in results.items():
        base = per_fw["raw ASGI"]
        cells = [f"{per_fw[n]:.1f} µs ({per_fw[n] / base:.1f}×)" for n in frameworks]
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scale_table(scale: dict[str, dict[int, float]]) -> str:
    sizes = sorted(next(iter(scale.values())))
    lines = ["| framework | " + " | ".join(f"{s} routes" for s in sizes) + " |"]
    lines.append("|---|" + "---:|" * len(sizes))
    for name, per_size in scale.items():
        lines.append(f"| {name} | " + " | ".join(f"{per_size[s]:.1f} µs" for s in sizes) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--count", type=int, default=2000, help="requests per sample")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 300 requests")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.count = 3, 300
    frameworks = list(ASGI_FRAMEWORKS)
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    results = runner(measure(frameworks, CASES, args.rounds, args.count))
    scale = runner(routing_scale(args.rounds, args.count))
    print("In process, µs per request (ratio to raw ASGI), median of", args.rounds, "rounds")
    print(table(results, frameworks))
    print()
    print("Routing: the last of N dynamic routes")
    print(scale_table(scale))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"inprocess": results, "routing": scale}, out, indent=1)


if __name__ == "__main__":
    main()
