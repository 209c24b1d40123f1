"""A background task living as long as the application, typed.

This is the background-task pattern of the "Web Server Advanced" guide.

    .venv/bin/python examples/background_task.py     # http://127.0.0.1:8080/

A task started at startup polls a (simulated) feed every second and keeps the
latest value in application state; handlers read it; cleanup cancels the
task. If the task crashes, asgiweb logs it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator

from asgiweb import web

LATEST = web.AppKey("latest", dict[str, int])
POLLER = web.AppKey("poller", asyncio.Task[None])
INTERVAL = web.AppKey("interval", float)


async def poll_feed(app: web.Application) -> None:
    for n in itertools.count(1):
        app[LATEST]["value"] = n * n  # stands for a message from Redis, AMQP, …
        app[LATEST]["polls"] = n
        await asyncio.sleep(app[INTERVAL])


async def poller(app: web.Application) -> AsyncIterator[None]:
    app[POLLER] = asyncio.create_task(poll_feed(app))
    yield
    app[POLLER].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app[POLLER]


async def latest(request: web.Request) -> web.Response:
    return web.json_response(request.app[LATEST])


def create_app(interval: float = 1.0) -> web.Application:
    app = web.Application()
    app[LATEST] = {}
    app[INTERVAL] = interval
    app.cleanup_ctx.append(poller)
    app.router.add_get("/", latest)
    return app


app = create_app()

if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
