"""The debug toolbar against aiohttp_debugtoolbar 0.6.1 on aiohttp: the same app on both.

Where the two are meant to agree: which responses get the toolbar, which
clients get the error page, which redirects are intercepted, what passes
through untouched. The pages themselves differ (their templates vs ours).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp.web
import aiohttp_debugtoolbar
import httpx
import pytest

import asgiweb.web
from asgiweb import debugtoolbar

from .differential import ServeBoth

# aiohttp_debugtoolbar 0.6.1 stores plain string keys on aiohttp 3.14's requests
pytestmark = pytest.mark.filterwarnings("ignore:It is recommended to use web.RequestKey")

HANDLE = 'id="pDebugToolbarHandle"'
PAGE = "<html><head><title>t</title></head><body><h1>Hello</h1></body></html>"


def build(web: ModuleType, toolbar: ModuleType, tmp_path: Path, **settings: Any) -> Any:
    """The same application source, on aiohttp (``web``) or on asgiweb."""
    tmp_path.mkdir()
    (tmp_path / "page.html").write_text(PAGE)

    async def html(request: Any) -> Any:
        return web.Response(text=PAGE, content_type="text/html")

    async def json_page(request: Any) -> Any:
        return web.json_response({"html": "</body>"})

    async def plain(request: Any) -> Any:
        return web.Response(text="plain </body>")

    async def fragment(request: Any) -> Any:
        return web.Response(text="<p>no body tag</p>", content_type="text/html")

    async def stream(request: Any) -> Any:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(PAGE.encode())
        return response

    async def file(request: Any) -> Any:
        return web.FileResponse(tmp_path / "page.html")

    async def precompressed(request: Any) -> Any:
        return web.Response(
            body=gzip.compress(PAGE.encode()),
            content_type="text/html",
            headers={"Content-Encoding": "gzip"},
        )

    async def compressed(request: Any) -> Any:
        response = web.Response(text=PAGE, content_type="text/html")
        response.enable_compression()
        return response

    async def xhtml(request: Any) -> Any:
        return web.Response(text=PAGE, content_type="application/xhtml+xml")

    async def fail(request: Any) -> Any:
        raise ValueError("the handler failed")

    async def raised_redirect(request: Any) -> Any:
        raise web.HTTPFound("/")

    async def returned_redirect(request: Any) -> Any:
        return web.Response(status=307, headers={"Location": "/"})

    async def missing(request: Any) -> Any:
        raise web.HTTPNotFound()

    app = web.Application()
    for path, handler in [
        ("/", html),
        ("/json", json_page),
        ("/plain", plain),
        ("/fragment", fragment),
        ("/stream", stream),
        ("/file", file),
        ("/precompressed", precompressed),
        ("/compressed", compressed),
        ("/xhtml", xhtml),
        ("/fail", fail),
        ("/raised-redirect", raised_redirect),
        ("/returned-redirect", returned_redirect),
        ("/missing", missing),
        ("/excluded/page", html),
    ]:
        app.router.add_get(path, handler)
    toolbar.setup(app, **settings)
    return app


def summary(response: httpx.Response) -> tuple[int, str, bool]:
    return (
        response.status_code,
        response.headers.get("Content-Type", "").split(";")[0],
        HANDLE in response.text,
    )


PATHS = [
    "/",
    "/json",
    "/plain",
    "/fragment",
    "/stream",
    "/file",
    "/precompressed",
    "/compressed",
    "/xhtml",
    "/missing",
    "/nowhere",
    "/excluded/page",
]


@pytest.fixture
def quiet_toolbar_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("CRITICAL", logger="asgiweb.server")


async def test_same_responses_get_the_toolbar(
    serve_both: ServeBoth, tmp_path: Path, quiet_toolbar_logs: None
) -> None:
    settings = {"exclude_prefixes": ["/excluded"]}
    pair = await serve_both(
        build(aiohttp.web, aiohttp_debugtoolbar, tmp_path / "theirs", **settings),
        build(asgiweb.web, debugtoolbar, tmp_path / "ours", **settings),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        for path in PATHS:
            theirs, ours = await pair.both(client, "GET", path, headers={"Accept-Encoding": "gzip"})
            assert summary(ours) == summary(theirs), path
            if HANDLE in ours.text:
                assert ours.text.rstrip().lower().endswith("</body></html>")
        toolbar = await pair.both(client, "GET", "/_debugtoolbar")
        assert [summary(r)[:2] for r in toolbar] == [(200, "text/html")] * 2


@pytest.mark.parametrize("hosts", [["127.0.0.1"], ["10.0.0.0/8"]])
async def test_same_clients_get_the_error_page(
    serve_both: ServeBoth, tmp_path: Path, hosts: list[str], quiet_toolbar_logs: None
) -> None:
    pair = await serve_both(
        build(aiohttp.web, aiohttp_debugtoolbar, tmp_path / "theirs", hosts=hosts),
        build(asgiweb.web, debugtoolbar, tmp_path / "ours", hosts=hosts),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        for accept in ("text/html", "*/*"):
            theirs, ours = await pair.both(client, "GET", "/fail", headers={"Accept": accept})
            assert summary(ours) == summary(theirs), accept
            assert ours.status_code == 500
            error_page = "the handler failed" in ours.text
            assert error_page == ("the handler failed" in theirs.text)
            assert error_page == (hosts == ["127.0.0.1"])
            if not error_page:  # the plain 500, byte for byte
                assert ours.text == theirs.text
        theirs, ours = await pair.both(client, "GET", "/")
        assert (HANDLE in ours.text) == (HANDLE in theirs.text) == (hosts == ["127.0.0.1"])


@pytest.mark.parametrize("intercept", [True, False])
async def test_same_redirects_are_intercepted(
    serve_both: ServeBoth, tmp_path: Path, intercept: bool
) -> None:
    pair = await serve_both(
        build(aiohttp.web, aiohttp_debugtoolbar, tmp_path / "t", intercept_redirects=intercept),
        build(asgiweb.web, debugtoolbar, tmp_path / "o", intercept_redirects=intercept),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        for path in ("/raised-redirect", "/returned-redirect"):
            theirs, ours = await pair.both(client, "GET", path)
            assert summary(ours) == summary(theirs), path
            # only HTTPMove redirects are intercepted, not any response with a Location
            intercepted = intercept and path == "/raised-redirect"
            assert ours.status_code == (200 if intercepted else theirs.status_code)
            if intercepted:
                assert 'href="/"' in ours.text and 'href="/"' in theirs.text
            else:
                assert ours.headers["Location"] == theirs.headers["Location"] == "/"


async def test_same_error_handling_when_intercept_exc_is_off(
    serve_both: ServeBoth, tmp_path: Path, quiet_toolbar_logs: None
) -> None:
    pair = await serve_both(
        build(aiohttp.web, aiohttp_debugtoolbar, tmp_path / "t", intercept_exc=False),
        build(asgiweb.web, debugtoolbar, tmp_path / "o", intercept_exc=False),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        theirs, ours = await pair.both(client, "GET", "/fail")
        assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
