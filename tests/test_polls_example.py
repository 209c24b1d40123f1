"""The polls example end to end: uvicorn behind a (simulated) proxy, and a real browser.

The HTTP test plays the proxy: it connects from 127.0.0.1, the trusted hop,
and sends ``X-Forwarded-*``. The browser test drives headless Chromium over
the DevTools protocol through the login flow and keeps a screenshot of each
step in the test's temporary directory. Without Chromium it is skipped on a
developer's machine and fails in CI (``CI=true``; .ci/run installs Chromium).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from .conftest import ServerFactory

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "polls"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PUBLIC = {
    "X-Forwarded-For": "203.0.113.5",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "polls.example",
}
ALLOWED_ORIGIN = "https://dashboard.example"


async def polls_app(**options: Any) -> Any:
    # loaded under its own name: other examples are also called app.py
    spec = importlib.util.spec_from_file_location("polls_example_app", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return await module.create_app(**options)


def session_cookie(response: httpx.Response) -> str:
    header = response.headers["set-cookie"]
    assert header.startswith("POLLS_SESSION=")
    return header.split(";")[0].partition("=")[2]


async def test_polls_behind_a_proxy(live_server: ServerFactory) -> None:
    app = await polls_app(trusted_proxies=[["127.0.0.1"]], api_origins=[ALLOWED_ORIGIN])
    server = await live_server(app, proxy_headers=False)
    async with httpx.AsyncClient(base_url=server.url, headers=PUBLIC, timeout=10) as client:
        index = await client.get("/")
        assert index.status_code == 200
        assert '<link rel="canonical" href="https://polls.example/">' in index.text
        assert "Sign in" in index.text and "Tabs or spaces?" in index.text
        # the same request straight from a client, not through the proxy: refused
        async with httpx.AsyncClient(base_url=server.url) as direct:
            assert (await direct.get("/")).status_code == 400

        anonymous_vote = await client.post("/poll/1/vote", data={"choice": "2"})
        assert anonymous_vote.status_code == 302
        assert anonymous_vote.headers["Location"] == "/login?next=/poll/1"

        bad = await client.post("/login", data={"login": "grace", "password": "nope"})
        assert bad.status_code == 401 and "Invalid username or password" in bad.text
        assert "set-cookie" not in bad.headers

        # a session that existed before login (e.g. planted) is not the one after it
        client.cookies.clear()
        before = await client.get("/poll/1")  # anonymous pages do not write the session
        assert "set-cookie" not in before.headers
        login = await client.post(
            "/login", data={"login": "grace", "password": "hopper", "next": "/poll/1"}
        )
        assert login.status_code == 302 and login.headers["Location"] == "/poll/1"
        cookie = login.headers["set-cookie"]
        for attribute in ("HttpOnly", "Max-Age=3600", "Path=/", "SameSite=Lax"):
            assert attribute in cookie
        client.cookies.clear()
        client.cookies.set("POLLS_SESSION", session_cookie(login))

        page = await client.get("/")
        assert 'Signed in as <strong id="username">grace</strong>' in page.text

        empty = await client.post("/poll/1/vote", data={})
        assert empty.status_code == 400 and "You didn&#39;t select a choice." in empty.text
        voted = await client.post("/poll/1/vote", data={"choice": "2"})
        assert voted.status_code == 302 and voted.headers["Location"] == "/poll/1/results"
        await client.post("/poll/1/vote", data={"choice": "2"})  # one vote per user
        results = await client.get("/poll/1/results")
        assert 'The sky: <span class="votes">1</span>' in results.text

        assert (await client.get("/admin")).status_code == 403
        logout = await client.post("/logout")
        assert logout.status_code == 302
        assert "POLLS_SESSION=" in logout.headers["set-cookie"]
        assert "Max-Age=0" in logout.headers["set-cookie"]
        client.cookies.clear()
        assert (await client.get("/admin")).status_code == 401

        # the login form never redirects off the site
        sneaky = await client.post(
            "/login", data={"login": "ada", "password": "lovelace", "next": "//evil.example/"}
        )
        assert sneaky.headers["Location"] == "/"
        client.cookies.clear()
        client.cookies.set("POLLS_SESSION", session_cookie(sneaky))
        assert (await client.get("/admin")).json() == {"voters": ["grace"]}

        # the JSON API, read by a script on another site
        client.cookies.clear()
        api = await client.get("/api/polls", headers={"Origin": ALLOWED_ORIGIN})
        assert api.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
        assert api.headers["Access-Control-Expose-Headers"] == "X-Total-Count"
        assert api.headers["Vary"] == "Origin"
        assert "Access-Control-Allow-Credentials" not in api.headers
        assert api.json()[0]["choices"][1] == {"id": 2, "text": "The sky", "votes": 1}
        preflight = await client.options(
            "/api/polls/1",
            headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Max-Age"] == "600"
        evil = await client.options(
            "/api/polls/1",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert evil.status_code == 403
        assert "origin 'https://evil.example' is not allowed" in evil.text
        assert (await client.get("/api/polls/9")).status_code == 404


class Browser:
    """Just enough of the Chrome DevTools protocol to drive one page."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next_id = 0

    async def command(self, method: str, **params: Any) -> Any:
        self._next_id += 1
        await self._ws.send_json({"id": self._next_id, "method": method, "params": params})
        while True:
            reply = await self._ws.receive_json(timeout=15)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.command("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 15) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with contextlib.suppress(RuntimeError):  # the page is navigating
                value = await self.evaluate(expression)
                if value:
                    return value
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path) -> None:
        shot = await self.command("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


def require_chromium() -> None:
    """Skip the calling test without Chromium, except in CI, where it must run (.ci/run)."""
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium is not installed: CI must run the browser test (.ci/run)")
        pytest.skip("Chromium is not installed")


@contextlib.asynccontextmanager
async def chromium(url: str, profile: Path) -> AsyncIterator[Browser]:
    assert CHROMIUM is not None
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=900,700",
        f"--user-data-dir={profile}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(400):
            if port_file.exists() and port_file.read_text().strip():
                break
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as session:
            pages: list[dict[str, Any]] = []
            for _ in range(200):
                async with session.get(f"http://127.0.0.1:{port}/json/list") as r:
                    pages = [t for t in await r.json() if t.get("type") == "page"]
                if pages:
                    break
                await asyncio.sleep(0.05)
            async with session.ws_connect(pages[0]["webSocketDebuggerUrl"]) as ws:
                yield Browser(ws)
    finally:
        proc.kill()
        await proc.wait()


async def test_login_flow_in_chromium(live_server: ServerFactory, tmp_path: Path) -> None:
    require_chromium()
    server = await live_server(await polls_app(), proxy_headers=False)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with chromium(f"{server.url}/poll/2", tmp_path / "profile") as page:
        await page.wait_for(
            "document.readyState === 'complete' && !!document.getElementById('vote-form')"
        )
        # voting while signed out leads to the login form, which comes back here after
        await page.evaluate(
            "document.getElementById('choice1').checked = true;"
            "document.getElementById('vote-form').requestSubmit()"
        )
        await page.wait_for("location.pathname === '/login' && !!document.getElementById('login')")
        await page.screenshot(shots / "1-login-form.png")
        await page.evaluate(
            "document.getElementById('login').value = 'ada';"
            "document.getElementById('password').value = 'wrong';"
            "document.getElementById('login-form').requestSubmit()"
        )
        error = await page.wait_for("(e => e && e.textContent)(document.getElementById('error'))")
        assert error == "Invalid username or password"
        await page.screenshot(shots / "2-wrong-password.png")
        await page.evaluate(
            "document.getElementById('login').value = 'ada';"
            "document.getElementById('password').value = 'lovelace';"
            "document.getElementById('login-form').requestSubmit()"
        )
        await page.wait_for(
            "location.pathname === '/poll/2' && !!document.getElementById('username')"
        )
        assert await page.evaluate("document.getElementById('username').textContent") == "ada"
        # the session cookie is HttpOnly: scripts cannot read it
        assert "POLLS_SESSION" not in await page.evaluate("document.cookie")
        await page.screenshot(shots / "3-signed-in.png")
        await page.evaluate(
            "document.getElementById('choice2').checked = true;"
            "document.getElementById('vote-form').requestSubmit()"
        )
        await page.wait_for("location.pathname === '/poll/2/results'")
        votes = await page.wait_for(
            "Array.from(document.querySelectorAll('.votes')).map(e => e.textContent).join(',')"
        )
        assert votes == "0,1"
        await page.screenshot(shots / "4-results.png")
        await page.evaluate("document.getElementById('logout').click()")
        await page.wait_for("location.pathname === '/' && !!document.getElementById('login-link')")
        await page.screenshot(shots / "5-signed-out.png")
    assert len(list(shots.iterdir())) == 5
    for shot in shots.iterdir():
        assert shot.read_bytes().startswith(b"\x89PNG"), shot
