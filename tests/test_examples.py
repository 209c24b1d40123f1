"""The examples in examples/ work as their docstrings say."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from asgiweb.testing import TestClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_hello() -> None:
    hello = load("hello")
    async with TestClient(hello.create_app()) as client:
        assert (await client.get("/")).text == "Hello, world\n"
        r = await client.get("/hello/ann")
        assert r.json() == {"greeting": "Hello, ann", "self": "http://testserver/hello/ann"}
        assert r.headers["X-Powered-By"] == "asgiweb"
        assert (await client.post("/echo", data={"a": "1"})).json() == {"a": "1"}
        assert (await client.get("/items/3")).json() == {"id": 3}
        assert (await client.delete("/items/3")).status_code == 204
        assert (await client.get("/hello//ann")).headers["Location"] == "/hello/ann"


async def test_admin_panel() -> None:
    example = load("admin_panel")
    async with TestClient(example.create_app(token="t0k")) as client:
        shop = await client.get("/")
        assert "<li>Teapot</li>" in shop.text and "href='/admin/'" in shop.text
        assert (await client.get("/admin/")).status_code == 401
        auth = {"X-Admin-Token": "t0k"}
        dash = await client.get("/admin/", headers=auth)
        assert dash.json() == {"products": 2, "edit": ["/admin/products/1", "/admin/products/2"]}
        r = await client.post("/admin/products/1", data={"name": "<Tea>"}, headers=auth)
        assert r.json() == {"id": 1, "name": "<Tea>"}
        assert "<li>&lt;Tea&gt;</li>" in (await client.get("/")).text
        assert (
            await client.post("/admin/products/9", data={"name": "x"}, headers=auth)
        ).status_code == 404
        assert (await client.post("/admin/products/1", data={}, headers=auth)).status_code == 400


async def test_background_task() -> None:
    example = load("background_task")
    app = example.create_app(interval=0.01)
    async with TestClient(app) as client:
        await asyncio.sleep(0.1)
        data = (await client.get("/")).json()
        assert data["polls"] >= 2 and data["value"] == data["polls"] ** 2
        task = app[example.POLLER]
    assert task.cancelled()


async def test_static_site() -> None:
    spec = importlib.util.spec_from_file_location(
        "example_static_site", EXAMPLES / "static_site" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    async with TestClient(module.create_app()) as client:
        page = await client.get("/")
        import re

        css_url = re.search(r'href="(/static/css/site\.css\?v=[^"]+)"', page.text)
        js_url = re.search(r'src="(/static/app\.js\?v=[^"]+)"', page.text)
        assert css_url and js_url
        css = await client.get(css_url.group(1))
        assert css.status_code == 200 and "font-family" in css.text
        assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Cache-Control" not in (await client.get("/static/app.js")).headers
        assert "css/" in (await client.get("/static/")).text


async def test_signup_jobs_survive_a_dropped_client() -> None:
    example = load("signup")
    app = example.create_app()
    async with TestClient(app) as client:
        r = await client.post("/signup", data={"email": "ann@example.org", "name": "Ann"})
        assert (r.status_code, r.json()) == (201, {"created": "ann@example.org"})
        assert (await client.post("/signup", data={"email": "nope"})).status_code == 400
        # a client that gives up early: the atomic handler still completes
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(client.post("/signup", data={"email": "bob@example.org"}), 0.01)
    # leaving the client closed the scheduler: the welcome jobs finished first
    assert set(app[example.ACCOUNTS]) == {"ann@example.org", "bob@example.org"}
    assert sorted(app[example.OUTBOX]) == ["ann@example.org", "bob@example.org"]


async def test_content_negotiation() -> None:
    example = load("content_negotiation")
    async with TestClient(example.create_app()) as client:
        r = await client.get("/weather", headers={"Accept": "application/json"})
        assert r.json()["sky"] == "sunny"
        r = await client.get("/weather", headers={"Accept": "text/html;q=0.9, */*"})
        assert r.text.startswith("<ul><li>city: Lyon</li>")
        r = await client.get("/weather", headers={"Accept": "image/png"})
        assert r.status_code == 406
        assert r.text == "available: application/json, text/html, text/plain"


async def test_notes() -> None:
    from openapi_spec_validator import validate

    spec = importlib.util.spec_from_file_location("example_notes", EXAMPLES / "notes" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    async with TestClient(module.create_app()) as client:
        page = await client.get("/")
        assert '<li data-id="2">Edit templates/index.html and watch</li>' in page.text
        assert '<link rel="stylesheet" href="/static/style.css">' in page.text
        assert (await client.get("/static/notes.js")).status_code == 200
        added = await client.post("/api/notes", json={"text": "<b>bold</b>"})
        assert added.status_code == 201 and added.json() == {"id": 3, "text": "<b>bold</b>"}
        assert "<li data-id=\"3\">&lt;b&gt;bold&lt;/b&gt;</li>" in (await client.get("/")).text
        assert (await client.get("/api/notes/3")).json()["text"] == "<b>bold</b>"
        assert len((await client.get("/api/notes")).json()) == 3
        assert (await client.post("/api/notes", content=b"{")).json() == {
            "error": "the body is not JSON"
        }
        wrong = await client.post("/api/notes", json={"text": "", "x": 1})
        assert wrong.status_code == 422
        assert (await client.delete("/api/notes/3")).status_code == 204
        missing = await client.get("/api/notes/3")
        assert missing.status_code == 404 and missing.json() == {"error": "no note 3"}
        document = (await client.get("/openapi.json")).json()
        assert set(document["paths"]) == {"/api/notes", "/api/notes/{id}"}  # / and /oops left out
        validate(document)  # a valid OpenAPI 3.1 document
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/oops")).status_code == 500


async def test_json_access_log() -> None:
    """The example's logger writes one JSON line per request under the runner."""
    import json
    import logging

    import httpx

    from asgiweb import web

    example = load("json_access_log")
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("example.json_access")
    logger.setLevel(logging.INFO)
    logger.addHandler(Keep())
    runner = web.AppRunner(
        example.create_app(), access_log=logger, access_log_class=example.JSONAccessLogger
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/hello?name=ann")).text == "Hello, ann\n"
            assert (await client.get("/nowhere")).status_code == 404
    finally:
        await runner.cleanup()
    records = [json.loads(line) for line in lines]
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in records] == [
        ("GET", "/hello", "name=ann", 200),
        ("GET", "/nowhere", "", 404),
    ]
    assert records[0]["bytes"] == len("Hello, ann\n") and records[0]["remote"] == "127.0.0.1"
    assert records[0]["user_agent"].startswith("python-httpx/") and records[0]["ms"] >= 0
