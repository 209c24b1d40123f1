"""µs each add-on adds per request, in process, beside the plain route.

Every case is the same one-line handler behind one add-on, called straight
through the ASGI interface (no sockets, no server): a synthetic scope, a
``receive`` that returns an empty body, a ``send`` that keeps the status.
Cases are interleaved in a shuffled order inside every round; after a
warm-up, each round times a batch of requests per case. The figures are the
median µs per request over rounds, the spread is the interquartile range, and
"added" is the case's median minus the plain route's.

    python -m benchmarks.addons            # the table
    python -m benchmarks.addons --quick    # fewer rounds, a smoke run
    python -m benchmarks.addons --json     # machine-readable

Needs the ``templates``, ``session`` extras (jinja2, cryptography).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jinja2
from cryptography import fernet

from asgiweb import cors, remotes, templating, web
from asgiweb import session as sessions
from asgiweb.session.cookie_storage import EncryptedCookieStorage

SECRET = bytes(range(32))
ORIGIN = b"https://client.example"
# The template of the "Web Server Advanced" guide's example, with its context.
TEMPLATE = "<html><body><h1>{{ name }}</h1><p>{{ surname }}</p></body></html>"


@dataclass
class Case:
    """One app and the request sent to it."""

    name: str
    build: Callable[[], Any]
    method: str = "GET"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    status: int = 200
    app: Any = None


async def text(request: web.Request) -> web.Response:
    return web.Response(text="Hello, World!")


def plain() -> web.Application:
    app = web.Application()
    app.router.add_get("/", text)
    return app


def with_session() -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        session["visits"] = session.get("visits", 0) + 1
        return web.Response(text="Hello, World!")

    app = web.Application()
    sessions.setup(app, EncryptedCookieStorage(SECRET))
    app.router.add_get("/", handler)
    return app


def session_cookie() -> bytes:
    token = fernet.Fernet(base64.urlsafe_b64encode(SECRET)).encrypt(
        json.dumps({"created": int(time.time()), "session": {"visits": 1}}).encode()
    )
    return b"AIOHTTP_SESSION=" + token


def with_cors() -> web.Application:
    app = web.Application()
    config = cors.setup(
        app,
        defaults={
            ORIGIN.decode(): cors.ResourceOptions(
                allow_credentials=True, expose_headers=("X-Custom",), allow_headers="*"
            )
        },
    )
    config.add(app.router.add_get("/", text))
    return app


async def with_remotes() -> web.Application:
    app = plain()
    await remotes.setup(app, remotes.XForwardedStrict([["127.0.0.1"]]))
    return app


def with_template() -> web.Application:
    app = web.Application()
    templating.setup(app, loader=jinja2.DictLoader({"tmpl.jinja2": TEMPLATE}))

    @templating.template("tmpl.jinja2")
    async def handler(request: web.Request) -> dict[str, str]:
        return {"name": "Andrew", "surname": "Svetlov"}

    app.router.add_get("/", handler)
    return app


def cases() -> list[Case]:
    return [
        Case("plain route", plain),
        Case(
            "session (encrypted cookie, load + save)",
            with_session,
            headers=[(b"cookie", session_cookie())],
        ),
        Case("CORS simple request", with_cors, headers=[(b"origin", ORIGIN)]),
        Case(
            "CORS preflight",
            with_cors,
            method="OPTIONS",
            headers=[
                (b"origin", ORIGIN),
                (b"access-control-request-method", b"GET"),
                (b"access-control-request-headers", b"x-token"),
            ],
        ),
        Case(
            "remotes XForwardedStrict",
            with_remotes,
            headers=[(b"x-forwarded-for", b"203.0.113.9"), (b"x-forwarded-proto", b"https")],
        ),
        Case("template render (guide's example)", with_template),
    ]


def scope_for(case: Case) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": case.method,
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*"), *case.headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
    }


async def run_batch(case: Case, n: int) -> float:
    """Seconds for *n* requests of *case*; checks every status."""
    app = case.app
    scope = scope_for(case)
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    start = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), receive, send)
    elapsed = time.perf_counter() - start
    if set(statuses) != {case.status}:
        raise RuntimeError(f"{case.name}: unexpected statuses {sorted(set(statuses))}")
    return elapsed


async def measure(rounds: int, batch: int, warmup: int) -> list[dict[str, Any]]:
    all_cases = cases()
    for case in all_cases:
        app = case.build()
        case.app = await app if asyncio.iscoroutine(app) else app
    for case in all_cases:
        await run_batch(case, warmup)
    samples: dict[str, list[float]] = {c.name: [] for c in all_cases}
    order = list(all_cases)
    gc.disable()
    try:
        for _ in range(rounds):
            random.shuffle(order)
            for case in order:
                samples[case.name].append(await run_batch(case, batch) / batch * 1e6)
            gc.collect()
    finally:
        gc.enable()
    base = statistics.median(samples["plain route"])
    rows = []
    for case in all_cases:
        values = sorted(samples[case.name])
        q1, _, q3 = statistics.quantiles(values, n=4)
        median = statistics.median(values)
        rows.append(
            {
                "case": case.name,
                "median_us": round(median, 1),
                "iqr_us": round(q3 - q1, 1),
                "added_us": round(median - base, 1),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke run)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    rounds, batch, warmup = (5, 200, 100) if args.quick else (30, 1000, 1000)
    rows = asyncio.run(measure(rounds, batch, warmup))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{rounds} rounds x {batch} requests per case, median µs per request (IQR)")
    print(f"{'case':44} {'median':>8} {'IQR':>7} {'added':>8}")
    for row in rows:
        print(
            f"{row['case']:44} {row['median_us']:8.1f} {row['iqr_us']:7.1f} {row['added_us']:+8.1f}"
        )


if __name__ == "__main__":
    main()
