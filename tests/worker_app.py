"""The app that tests/test_workers.py serves from several worker processes.

``$WORKER_STATE_DIR`` receives one file per lifecycle step and process;
``$WORKER_BROADCAST_URL`` (default ``memory://``) relays WebSocket messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from asgiweb import broadcast, web

SOCKETS = web.AppKey("sockets", set[web.WebSocketResponse])


def mark(step: str) -> None:
    Path(os.environ["WORKER_STATE_DIR"], f"{step}-{os.getpid()}").touch()


async def pid(request: web.Request) -> web.Response:
    return web.Response(text=str(os.getpid()), headers={"Connection": "close"})


async def relay(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    hub = request.app[broadcast.BROADCAST]
    async with hub.subscribe(channel="relay") as subscriber:

        async def forward() -> None:
            async for event in subscriber:
                await ws.send_str(event.message)

        forwarder = asyncio.create_task(forward())
        request.app[SOCKETS].add(ws)
        await ws.send_str(f"pid {os.getpid()}")
        try:
            async for msg in ws:
                if msg.type == web.WSMsgType.TEXT:
                    await hub.publish(channel="relay", message=msg.data)
        finally:
            request.app[SOCKETS].discard(ws)
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forwarder
    return ws


async def on_startup(app: web.Application) -> None:
    mark("startup")


async def on_shutdown(app: web.Application) -> None:
    mark("shutdown")
    for ws in list(app[SOCKETS]):
        await ws.close(code=web.WSCloseCode.GOING_AWAY, message=b"worker stopping")


def create_app() -> web.Application:
    """A factory: each worker calls it."""
    app = web.Application()
    app[SOCKETS] = set()
    broadcast.setup(app, os.environ.get("WORKER_BROADCAST_URL", "memory://"))
    app.router.add_get("/pid", pid)
    app.router.add_get("/ws", relay)
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app


def broken_app() -> web.Application:
    """A factory whose app cannot start."""
    app = web.Application()

    async def fail(app: web.Application) -> None:
        raise RuntimeError("the database is not there")

    app.on_startup.append(fail)
    return app
