"""A chat room: ``uvicorn --app-dir examples/chat app:app --port 8080``, then open the page.

Every message a browser sends over the WebSocket is broadcast to everyone in
the room; a background task announces how many people are connected; on
shutdown every client is told goodbye with close code 1001 (GOING_AWAY).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

from asgiweb import web

HERE = Path(__file__).parent
CLIENTS = web.AppKey("clients", set[web.WebSocketResponse])
TICKER = web.AppKey("ticker", asyncio.Task[None])
TICK_SECONDS = web.AppKey("tick_seconds", float)


async def index(request: web.Request) -> web.Response:
    return web.Response(text=(HERE / "index.html").read_text(), content_type="text/html")


async def broadcast(app: web.Application, payload: dict[str, str | int]) -> None:
    data = json.dumps(payload)
    for ws in list(app[CLIENTS]):
        with contextlib.suppress(ConnectionResetError):
            await ws.send_str(data)


async def chat(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=64 * 1024)
    await ws.prepare(request)
    app = request.app
    name = request.query.get("name", "anonymous")[:40]
    app[CLIENTS].add(ws)
    await broadcast(app, {"kind": "joined", "name": name})
    try:
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await broadcast(app, {"kind": "message", "name": name, "text": msg.data[:2000]})
    finally:
        app[CLIENTS].discard(ws)
        await broadcast(app, {"kind": "left", "name": name})
    return ws


async def announce_presence(app: web.Application) -> None:
    """The background task: tell everyone how many people are in the room."""
    while True:
        await asyncio.sleep(app[TICK_SECONDS])
        await broadcast(app, {"kind": "presence", "count": len(app[CLIENTS])})


async def background_tasks(app: web.Application) -> AsyncIterator[None]:
    app[TICKER] = asyncio.create_task(announce_presence(app))
    yield
    app[TICKER].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app[TICKER]


async def say_goodbye(app: web.Application) -> None:
    for ws in list(app[CLIENTS]):
        await ws.close(code=web.WSCloseCode.GOING_AWAY, message=b"Server shutdown")


def create_app(tick_seconds: float = 10.0) -> web.Application:
    app = web.Application()
    app[CLIENTS] = set()
    app[TICK_SECONDS] = tick_seconds
    app.router.add_get("/", index)
    app.router.add_get("/ws", chat)
    app.cleanup_ctx.append(background_tasks)
    app.on_shutdown.append(say_goodbye)
    return app


app = create_app()

if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
