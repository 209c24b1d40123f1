"""LiveReload, the ASGI layer of ``asgiweb dev``: which responses get the script, and how."""

from __future__ import annotations

import asyncio
import gzip
import os
from pathlib import Path
from typing import Any

from asgiweb import web
from asgiweb.devserver import static_folders
from asgiweb.livereload import SNIPPET, LiveReload
from asgiweb.testing import TestClient
from asgiweb.typedefs import Message


def page_app() -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><BODY>hi</BODY></html>", content_type="text/html")

    async def fragment(request: web.Request) -> web.Response:
        return web.Response(text="<p>no body tag</p>", content_type="text/html")

    async def compressed(request: web.Request) -> web.Response:
        body = gzip.compress(b"<html><body>zipped</body></html>")
        return web.Response(
            body=body, content_type="text/html", headers={"Content-Encoding": "gzip"}
        )

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_type = "text/html"
        await response.prepare(request)
        await response.write(b"<html><body>")
        await response.write(b"streamed</body></html>")
        return response

    async def not_modified(request: web.Request) -> web.Response:
        return web.Response(status=304, content_type="text/html")

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="</body>")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/fragment", fragment)
    app.router.add_get("/compressed", compressed)
    app.router.add_get("/streamed", streamed)
    app.router.add_get("/304", not_modified)
    app.router.add_get("/text", text)
    app.router.add_get("/_debugtoolbar/page", page)
    return app


async def test_the_script_goes_before_the_last_body_end_tag_of_html_with_a_length() -> None:
    async with TestClient(LiveReload(page_app())) as client:
        r = await client.get("/")
        assert r.text == "<html><BODY>hi" + SNIPPET.decode() + "</BODY></html>"
        assert r.headers["Content-Length"] == str(len(r.content))
        head = await client.head("/")
        assert head.content == b""
        assert head.headers["Content-Length"] == str(len(r.content))
        fragment = await client.get("/fragment")
        assert fragment.text == "<p>no body tag</p>" + SNIPPET.decode()
        # left alone: compressed, streamed (no length), no body, not HTML, the toolbar's pages
        zipped = await client.get("/compressed")
        assert zipped.text == "<html><body>zipped</body></html>"  # httpx decoded it untouched
        assert (await client.get("/streamed")).text == "<html><body>streamed</body></html>"
        assert (await client.get("/304")).status_code == 304
        assert (await client.get("/text")).text == "</body>"
        assert (await client.get("/_debugtoolbar/page")).text == "<html><BODY>hi</BODY></html>"


async def test_without_livereload_nothing_is_added() -> None:
    async with TestClient(LiveReload(page_app(), livereload=False)) as client:
        assert (await client.get("/")).text == "<html><BODY>hi</BODY></html>"
        assert (await client.get("/_asgiweb/livereload.js")).status_code == 404


async def test_the_static_folder_is_served_safely_and_uncached(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.css").write_text("a {}")
    (tmp_path / "secret.txt").write_text("secret")
    layer = LiveReload(page_app(), static_dir=tmp_path / "static", static_url="/assets/")
    async with TestClient(layer) as client:
        r = await client.get("/assets/a.css")
        assert r.text == "a {}" and r.headers["Cache-Control"] == "no-cache"
        assert (await client.get("/assets/%2e%2e/secret.txt")).status_code in (403, 404)
        assert (await client.get("/assets/missing.css")).status_code == 404
        assert (await client.get("/")).status_code == 200  # the app still answers the rest
    assert layer.static_url_of(tmp_path / "static" / "a.css") == "/assets/a.css"
    assert layer.static_url_of(tmp_path / "secret.txt") is None


def test_static_urls_of_the_apps_own_static_folders(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "img").mkdir()
    app = web.Application()
    app.router.add_static("/css", tmp_path / "css")
    admin = web.Application()
    admin.router.add_static("/img", tmp_path / "img")
    app.add_subapp("/admin", admin)
    roots = static_folders(app)
    real = Path(os.path.realpath(tmp_path))
    assert roots == [(str(real / "css"), "/css"), (str(real / "img"), "/admin/img")]
    layer = LiveReload(app, static_roots=roots)
    assert layer.static_url_of(tmp_path / "css" / "a b.css") == "/css/a b.css"
    assert layer.static_url_of(tmp_path / "img" / "x.png") == "/admin/img/x.png"
    assert layer.static_url_of(tmp_path / "other.css") is None


async def test_pathsend_is_not_offered_to_the_app_under_live_reload() -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope.get("extensions"))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http", "method": "GET", "path": "/", "headers": [],
        "extensions": {"http.response.pathsend": {}, "other": {}},
    }
    await LiveReload(app)(scope, receive, send)
    assert seen == [{"other": {}}]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


async def test_reload_reaches_every_listening_page() -> None:
    layer = LiveReload(page_app())
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "websocket", "path": "/_asgiweb/livereload", "headers": []}
    task = asyncio.create_task(layer(scope, to_app.get, from_app.put))
    await to_app.put({"type": "websocket.connect"})
    assert (await from_app.get())["type"] == "websocket.accept"
    assert layer.clients == 1
    assert layer.reload("/static/a.css") == 1
    sent = await asyncio.wait_for(from_app.get(), 5)
    assert sent == {
        "type": "websocket.send", "text": '{"command": "reload", "path": "/static/a.css"}'
    }
    await to_app.put({"type": "websocket.receive", "text": "ignored"})
    await to_app.put({"type": "websocket.disconnect", "code": 1001})
    await asyncio.wait_for(task, 5)
    assert layer.clients == 0
    assert layer.reload() == 0


async def test_the_script_is_served() -> None:
    async with TestClient(LiveReload(page_app())) as client:
        r = await client.get("/_asgiweb/livereload.js")
    assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "location.reload()" in r.text and "/_asgiweb/livereload" in r.text
