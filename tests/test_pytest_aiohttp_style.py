"""A test file written the way pytest-aiohttp projects write them, run unchanged on asgiweb.

It uses the fixture surface of aio-libs/aiohttp-demos' chat and polls tests:
a ``client`` fixture built on ``aiohttp_client``, two WebSockets left open at
the end of a test, ``msg.json()``, ``aiohttp.WSServerHandshakeError`` with
``.status``, an ``Origin`` built from ``client.host``/``client.port``,
``async with await client.ws_connect(...)``, ``async with cli.get(...)``,
``cli.server.app[key]`` and a form POST. The only asgiweb-specific line is
``from asgiweb import web``. tests/test_pytest_plugin.py runs this same file in
a fresh project with ``asyncio_mode = auto`` and ``filterwarnings = error``.
"""

from urllib.parse import urlsplit

import aiohttp
import pytest

from asgiweb import web

members_key = web.AppKey("members", dict)
votes_key = web.AppKey("votes", dict)


async def room(request):
    ws = web.WebSocketResponse()
    if not ws.can_prepare(request).ok:
        return web.Response(
            text="<html><body>createTextNode</body></html>", content_type="text/html"
        )
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(reason="Cross-origin WebSocket connection rejected")
    await ws.prepare(request)
    name = f"user{len(request.app[members_key]) + 1}"
    await ws.send_json({"action": "connect", "name": name})
    for other in request.app[members_key].values():
        await other.send_json({"action": "join", "name": name})
    request.app[members_key][name] = ws
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            for other in request.app[members_key].values():
                if other is not ws:
                    await other.send_json({"action": "sent", "name": name, "text": msg.data})
    del request.app[members_key][name]
    for other in request.app[members_key].values():
        await other.send_json({"action": "disconnect", "name": name})
    return ws


async def vote(request):
    choice = int((await request.post())["choice"])
    if choice not in request.app[votes_key]:
        raise web.HTTPNotFound(text="No such choice")
    request.app[votes_key][choice] += 1
    return web.Response(text=f"{request.app[votes_key][choice]} votes")


async def close_members(app):
    for ws in list(app[members_key].values()):
        await ws.close()


async def init_app():
    app = web.Application()
    app[members_key] = {}
    app[votes_key] = {1: 0, 2: 0}
    app.on_shutdown.append(close_members)
    app.router.add_get("/", room)
    app.router.add_post("/poll/vote", vote)
    return app


@pytest.fixture
async def client(aiohttp_client):
    app = await init_app()
    return await aiohttp_client(app)


async def test_msg_sending(client):
    ws1 = await client.ws_connect("/")
    ws2 = await client.ws_connect("/")

    ack1 = await ws1.receive()
    assert ack1.json()["action"] == "connect"
    ack2 = await ws2.receive()
    assert ack2.json()["action"] == "connect"
    assert (await ws1.receive()).json() == {"action": "join", "name": "user2"}

    await ws1.send_str("hi all")
    received = (await ws2.receive()).json()
    assert set(received) == {"action", "name", "text"}
    assert received["text"] == "hi all"
    # both WebSockets stay open: the fixture's teardown closes them


async def test_page(client):
    resp = await client.get("/")
    assert resp.status == 200
    assert "createTextNode" in await resp.text()


async def test_ws_rejects_cross_origin(client):
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc_info:
        await client.ws_connect("/", headers={"Origin": "http://evil.example"})
    assert exc_info.value.status == 403


async def test_ws_accepts_same_origin(client):
    origin = f"http://{client.host}:{client.port}"
    async with await client.ws_connect("/", headers={"Origin": origin}) as ws:
        msg = await ws.receive()
        assert msg.json()["action"] == "connect"


async def test_vote(client):
    votes_before = client.server.app[votes_key][2]
    async with client.post("/poll/vote", data={"choice": 2}) as response:
        assert response.status == 200
        assert await response.text() == f"{votes_before + 1} votes"
    assert client.server.app[votes_key][2] == votes_before + 1


async def test_404_status(client):
    async with client.get("/no-such-route") as response:
        assert response.status == 404
    async with client.post("/poll/vote", data={"choice": 9}) as response:
        assert response.status == 404
        assert await response.text() == "No such choice"
