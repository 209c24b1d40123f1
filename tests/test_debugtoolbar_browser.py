"""The debug toolbar in a real browser: headless Chromium over the DevTools protocol.

Opens an HTML page, clicks the toolbar open, opens a panel, then opens the
error page of a failing handler, checking the elements at each step. The
screenshots are kept as test artefacts: in ``$ASGIWEB_TEST_ARTIFACTS/debugtoolbar``
when that variable is set (.ci/run sets it and prints where), else in the
test's temporary directory. Without Chromium the test is skipped on a
developer's machine and fails in CI (``CI=true``).
"""

from __future__ import annotations

import os
from pathlib import Path

from asgiweb import debugtoolbar, web

from .conftest import ServerFactory
from .test_polls_example import chromium, require_chromium

PAGE = """<!DOCTYPE html>
<html><head><title>Shop</title></head>
<body><h1 id="title">Welcome to the shop</h1><p>Nothing to buy yet.</p></body></html>"""


async def index(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


async def checkout(request: web.Request) -> web.Response:
    basket = {"apples": 3, "note": "<b>fragile</b>"}
    total = sum(v for v in basket.values())  # TypeError: int + str
    return web.Response(text=str(total))


def artefact_dir(tmp_path: Path) -> Path:
    root = os.environ.get("ASGIWEB_TEST_ARTIFACTS")
    shots = Path(root) / "debugtoolbar" if root else tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    return shots


FRAME = "document.getElementById('pDebugToolbarFrame')"
FRAME_DOC = f"({FRAME} && {FRAME}.contentDocument)"


async def test_toolbar_and_error_page_in_chromium(
    live_server: ServerFactory, tmp_path: Path
) -> None:
    require_chromium()
    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/checkout", checkout)
    debugtoolbar.setup(app)
    server = await live_server(app)
    shots = artefact_dir(tmp_path)
    async with chromium(f"{server.url}/", tmp_path / "profile") as page:
        await page.wait_for(
            "document.readyState === 'complete' && !!document.getElementById('pShowToolBarButton')"
        )
        assert await page.evaluate("document.getElementById('title').textContent") == (
            "Welcome to the shop"
        )
        await page.screenshot(shots / "1-page-with-button.png")

        # the button opens the toolbar over the page
        await page.evaluate("document.getElementById('pShowToolBarButton').click()")
        await page.wait_for(
            f"{FRAME_DOC} && {FRAME_DOC}.readyState === 'complete'"
            f" && !!{FRAME_DOC}.getElementById('pDebugPanelList')"
        )
        panels = await page.evaluate(
            f"Array.from({FRAME_DOC}.querySelectorAll('#pDebugPanelList a'))"
            ".map(a => a.getAttribute('data-panel'))"
        )
        assert {"pDebugHeaderPanel", "pDebugRoutePanel", "pDebugVersionPanel"} <= set(panels)
        await page.screenshot(shots / "2-toolbar-open.png")

        # a panel: the route and handler of the request
        await page.evaluate(
            f"{FRAME_DOC}.querySelector('a[data-panel=\"pDebugRoutePanel\"]').click()"
        )
        shown = await page.wait_for(
            f"(s => s && !s.hidden && s.offsetHeight > 0 && s.textContent)"
            f"({FRAME_DOC}.getElementById('pDebugRoutePanel'))"
        )
        assert "index" in shown and "Route and handler" in shown
        hidden = await page.evaluate(f"{FRAME_DOC}.getElementById('pDebugHeaderPanel').hidden")
        assert hidden is True
        await page.screenshot(shots / "3-route-panel.png")

        # the close button inside the toolbar removes it from the page
        await page.evaluate(f"{FRAME_DOC}.getElementById('pHideToolBarButton').click()")
        await page.wait_for(f"!{FRAME}")

        # the error page of a failing handler
        await page.command("Page.navigate", url=f"{server.url}/checkout")
        error_type = await page.wait_for(
            "location.pathname === '/checkout'"
            " && (e => e && e.textContent)(document.getElementById('pDebugExceptionType'))"
        )
        assert error_type == "TypeError"
        frames = await page.evaluate("document.querySelectorAll('#pDebugTraceback li').length")
        assert frames >= 1
        current = await page.evaluate(
            "Array.from(document.querySelectorAll('#pDebugTraceback .line.current'))"
            ".map(e => e.textContent).join('\\n')"
        )
        assert "sum(v for v in basket.values())" in current
        locals_text = await page.evaluate(
            "document.querySelector('#pDebugTraceback li.last details.locals').textContent"
        )
        assert "basket" in locals_text and "<b>fragile</b>" in locals_text  # text, not markup
        assert await page.evaluate("document.querySelectorAll('#pDebugTraceback b').length") == 0
        assert await page.evaluate("!!document.getElementById('pDebugRequestInfo')")
        assert await page.evaluate("!!document.getElementById('pShowToolBarButton')")
        await page.screenshot(shots / "4-error-page.png")
    names = sorted(p.name for p in shots.glob("*.png"))
    assert names == [
        "1-page-with-button.png",
        "2-toolbar-open.png",
        "3-route-panel.png",
        "4-error-page.png",
    ]
    for shot in shots.glob("*.png"):
        assert shot.read_bytes().startswith(b"\x89PNG"), shot
