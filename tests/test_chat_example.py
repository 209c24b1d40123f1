"""The chat example, driven by a real browser (headless Chromium over the DevTools protocol).

A Python WebSocket client and the browser share the room: the browser types a
message that the Python client receives, and shows the message the Python
client sends. Skipped only when Chromium is not installed (.ci/run installs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from .conftest import ServerFactory

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "chat"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chat_app(tick_seconds: float) -> Any:
    sys.path.insert(0, str(EXAMPLE))
    try:
        import app as chat_module
    finally:
        sys.path.remove(str(EXAMPLE))
    return chat_module.create_app(tick_seconds=tick_seconds)


class DevTools:
    """Just enough of the Chrome DevTools protocol to evaluate JavaScript in a page."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next_id = 0

    async def evaluate(self, expression: str) -> Any:
        self._next_id += 1
        await self._ws.send_json(
            {
                "id": self._next_id,
                "method": "Runtime.evaluate",
                "params": {"expression": expression, "returnByValue": True},
            }
        )
        while True:
            reply = await self._ws.receive_json(timeout=10)
            if reply.get("id") == self._next_id:
                return reply["result"]["result"].get("value")


@contextlib.asynccontextmanager
async def browser_page(url: str, tmp_path: Path) -> AsyncIterator[DevTools]:
    assert CHROMIUM is not None
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        port_file = tmp_path / "profile" / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as session:
            targets: list[dict[str, Any]] = []
            for _ in range(100):
                async with session.get(f"http://127.0.0.1:{port}/json/list") as r:
                    targets = [t for t in await r.json() if t.get("type") == "page"]
                if targets:
                    break
                await asyncio.sleep(0.05)
            async with session.ws_connect(targets[0]["webSocketDebuggerUrl"]) as ws:
                yield DevTools(ws)
    finally:
        proc.kill()
        await proc.wait()


async def wait_for(check: Any, timeout: float = 10) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.05)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
async def test_browser_and_python_client_chat(live_server: ServerFactory, tmp_path: Path) -> None:
    server = await live_server(chat_app(tick_seconds=0.2))
    async with aiohttp.ClientSession() as session:
        watcher = await session.ws_connect(f"ws://127.0.0.1:{server.port}/ws?name=watcher")
        seen: list[dict[str, Any]] = []

        async def collect() -> None:
            async for msg in watcher:
                seen.append(json.loads(msg.data))

        collector = asyncio.create_task(collect())
        async with browser_page(f"{server.url}/?name=browser", tmp_path) as page:
            status = await wait_for(
                lambda: page.evaluate("document.getElementById('status').textContent")
            )
            assert await wait_for(
                lambda: page.evaluate(
                    "document.getElementById('status').textContent === 'connected as browser'"
                )
            ), status
            # the person types and presses Send
            await page.evaluate(
                "document.getElementById('text').value = 'hello from <b>Chromium</b>';"
                "document.getElementById('form').requestSubmit()"
            )
            typed = "hello from <b>Chromium</b>"
            assert await wait_for(
                lambda: asyncio.sleep(0, any(m.get("text") == typed for m in seen))
            )
            await watcher.send_str("hello from Python")
            log = await wait_for(
                lambda: page.evaluate(
                    "(t => t.includes('watcher: hello from Python') && t)"
                    "(document.getElementById('log').innerText)"
                )
            )
            assert "browser: hello from <b>Chromium</b>" in log  # shown as text, not HTML
            assert await page.evaluate("document.querySelectorAll('#log b').length") == 0
            # the background task's announcements reach the page too
            assert await wait_for(
                lambda: page.evaluate(
                    "document.getElementById('log').innerText.includes('2 in the room')"
                )
            )
        await watcher.close()
        collector.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await collector
    assert {"kind": "joined", "name": "browser"} in seen
