"""A chat room: ``uvicorn --app-dir examples/chat app:app --port 8080``, then open the page.

Every message a browser sends over the WebSocket is published to the room's
channel, and every connection forwards what the channel carries to its
browser. A background task announces how many people are connected; on
shutdown every client is told goodbye with close code 1001 (GOING_AWAY).

One process needs nothing else. To run several workers, or several hosts,
point them all at one Redis and the room is shared::

    CHAT_BROADCAST_URL=redis://127.0.0.1:6379/0 \\
        uvicorn --app-dir examples/chat app:app --workers 2 --port 8080
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from asgiweb import broadcast, web

HERE = Path(__file__).parent
ROOM = "chat.room"
PRESENCE = "chat.presence"
CLIENTS = web.AppKey("clients", set[web.WebSocketResponse])
HEADCOUNTS = web.AppKey("headcounts", dict[str, tuple[int, float]])
SERVER_ID = web.AppKey("server_id", str)
TICK_SECONDS = web.AppKey("tick_seconds", float)


async def index(request: web.Request) -> web.Response:
    return web.Response(text=(HERE / "index.html").read_text(), content_type="text/html")


async def publish(app: web.Application, payload: dict[str, str | int]) -> None:
    """Send ``payload`` to everyone in the room, on every server sharing the broadcast."""
    with contextlib.suppress(broadcast.BroadcastUnavailableError):
        await app[broadcast.BROADCAST].publish(channel=ROOM, message=json.dumps(payload))


async def forward(subscriber: broadcast.Subscriber, ws: web.WebSocketResponse) -> None:
    """Pass what the room's channel carries on to one browser."""
    with contextlib.suppress(ConnectionResetError):
        async for event in subscriber:
            await ws.send_str(event.message)


async def chat(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=64 * 1024)
    await ws.prepare(request)
    app = request.app
    name = request.query.get("name", "anonymous")[:40]
    async with app[broadcast.BROADCAST].subscribe(channel=ROOM) as subscriber:
        forwarder = asyncio.create_task(forward(subscriber, ws))
        app[CLIENTS].add(ws)
        await publish(app, {"kind": "joined", "name": name})
        try:
            async for msg in ws:
                if msg.type == web.WSMsgType.TEXT:
                    await publish(app, {"kind": "message", "name": name, "text": msg.data[:2000]})
        finally:
            app[CLIENTS].discard(ws)
            await publish(app, {"kind": "left", "name": name})
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forwarder
    return ws


async def count_heads(app: web.Application) -> None:
    """Collect every server's head count from the presence channel."""
    async with app[broadcast.BROADCAST].subscribe(channel=PRESENCE) as subscriber:
        async for event in subscriber:
            server, count = json.loads(event.message)
            app[HEADCOUNTS][server] = (count, time.monotonic())


async def announce_presence(app: web.Application) -> None:
    """The background task: tell this server's clients how many people are in the room."""
    tick = app[TICK_SECONDS]
    hub = app[broadcast.BROADCAST]
    while True:
        await asyncio.sleep(tick)
        mine = len(app[CLIENTS])
        app[HEADCOUNTS][app[SERVER_ID]] = (mine, time.monotonic())
        with contextlib.suppress(broadcast.BroadcastUnavailableError):
            await hub.publish(channel=PRESENCE, message=json.dumps([app[SERVER_ID], mine]))
        fresh = time.monotonic() - 3 * tick
        total = sum(count for count, seen in app[HEADCOUNTS].values() if seen >= fresh)
        data = json.dumps({"kind": "presence", "count": total})
        for ws in list(app[CLIENTS]):
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(data)


async def background_tasks(app: web.Application) -> AsyncIterator[None]:
    tasks = [
        asyncio.create_task(count_heads(app)),
        asyncio.create_task(announce_presence(app)),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def say_goodbye(app: web.Application) -> None:
    for ws in list(app[CLIENTS]):
        await ws.close(code=web.WSCloseCode.GOING_AWAY, message=b"Server shutdown")


def create_app(tick_seconds: float = 10.0, broadcast_url: str | None = None) -> web.Application:
    """The chat app; ``broadcast_url`` (or ``$CHAT_BROADCAST_URL``) shares the room."""
    app = web.Application()
    app[CLIENTS] = set()
    app[HEADCOUNTS] = {}
    app[SERVER_ID] = uuid.uuid4().hex
    app[TICK_SECONDS] = tick_seconds
    broadcast.setup(app, broadcast_url or os.environ.get("CHAT_BROADCAST_URL", "memory://"))
    app.router.add_get("/", index)
    app.router.add_get("/ws", chat)
    app.cleanup_ctx.append(background_tasks)
    app.on_shutdown.append(say_goodbye)
    return app


app = create_app()

if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
