"""Milliseconds ``setup_swagger`` takes at startup: asgiweb.swagger beside aiohttp-swagger.

The same table of documented routes (``add_get``, so each docstring serves a
GET and a HEAD route; each docstring different) is built for both, and each
round times one ``setup_swagger`` call per framework, in a shuffled order.
The figures are the median ms over rounds with the interquartile range.

    python -m benchmarks.swagger_setup              # 1,000 routes, 5 rounds
    python -m benchmarks.swagger_setup --routes 200 --rounds 3

Needs the ``swagger`` extra and aiohttp-swagger (the dev extra has both).
"""

from __future__ import annotations

import argparse
import random
import time
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import aiohttp.web
import aiohttp_swagger

from asgiweb import swagger, web

from .stats import Spread, compare

OPERATION = """Item {i}.

    ---
    summary: item {i}
    parameters:
      - {{name: id, in: path, required: true, type: integer}}
    responses:
      "200": {{description: the item}}
      "404": {{description: no such item}}
    """


def build(module: ModuleType, routes: int) -> Any:
    """An app of *routes* documented GET (and HEAD) routes on *module*'s web."""
    app = module.Application()
    for i in range(routes):

        async def handler(request: Any) -> Any:
            return None

        handler.__doc__ = OPERATION.format(i=i)
        app.router.add_get(f"/items{i}/{{id}}", handler)
    return app


def time_setup(module: ModuleType, setup: Callable[..., None], routes: int) -> float:
    """ms one ``setup(app)`` takes for a fresh app of *routes* routes."""
    app = build(module, routes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aiohttp's NotAppKeyWarning
        start = time.perf_counter()
        setup(app)
        return (time.perf_counter() - start) * 1000


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases = {
        "asgiweb.swagger": (web, swagger.setup_swagger),
        "aiohttp-swagger 1.0.16": (aiohttp.web, aiohttp_swagger.setup_swagger),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        order = list(cases)
        random.shuffle(order)
        for name in order:
            samples[name].append(time_setup(*cases[name], args.routes))
    spreads = {name: Spread.of(values) for name, values in samples.items()}
    print(f"setup_swagger, {args.routes} documented routes (GET+HEAD), {args.rounds} rounds")
    for name, spread in spreads.items():
        print(f"  {name:24} {spread.median:9.1f} ms  (IQR {spread.low:.1f}-{spread.high:.1f})")
    ours, theirs = spreads["asgiweb.swagger"], spreads["aiohttp-swagger 1.0.16"]
    verdict = compare(ours, theirs, lower_is_better=True)
    print(f"  asgiweb.swagger against aiohttp-swagger: {verdict}")


if __name__ == "__main__":
    main()
