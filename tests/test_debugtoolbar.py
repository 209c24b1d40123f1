"""asgiweb.debugtoolbar: setup(), the error page, the injected toolbar, its pages and panels.

Every test talks to the app over ASGI with the in-process client, whose
client address is 127.0.0.1 unless a test picks another one.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import logging
import re
from pathlib import Path
from typing import Any

import aiohttp_debugtoolbar
import httpx
import pytest

from asgiweb import __version__, debugtoolbar, remotes, web
from asgiweb.debugtoolbar.history import RequestHistory, ToolbarRecord
from asgiweb.debugtoolbar.timing import ActiveTimer, ContextSwitcher
from asgiweb.testing import TestClient

from .conftest import ClientFactory

HOSTILE = '<script>alert("owned")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;"
# no "/" in it: it goes into a path segment
SEGMENT = "<img src=x onerror=alert(1)>"
PUBLIC = ("203.0.113.9", 40000)
HANDLE = 'id="pDebugToolbarHandle"'
PAGE = "<html><head><title>t</title></head><body><h1>Hello</h1></body></html>"


def toolbar_link(page: str) -> str:
    match = re.search(r'id="pShowToolBarButton" href="([^"]+)"', page)
    assert match is not None, page
    return match.group(1)


async def html(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


async def failing(request: web.Request) -> web.Response:
    await request.post()
    local_secret = HOSTILE  # noqa: F841  (shown in the locals of the error page)
    broken = Unprintable()  # noqa: F841
    raise ValueError(f"bad value {HOSTILE}")


def make_app(**settings: Any) -> web.Application:
    app = web.Application()
    app.router.add_get("/", html)
    app.router.add_route("*", "/fail/{item}", failing, name="fail")
    debugtoolbar.setup(app, **settings)
    return app


# -- the API -------------------------------------------------------------------


def test_setup_has_aiohttp_debugtoolbar_signature() -> None:
    ours = inspect.signature(debugtoolbar.setup).parameters
    theirs = inspect.signature(aiohttp_debugtoolbar.setup).parameters
    assert list(ours) == list(theirs)
    for name, parameter in theirs.items():
        assert ours[name].kind == parameter.kind, name
        if name in ("panels", "global_panels"):
            continue  # their panel classes vs ours
        assert ours[name].default == parameter.default, name
    assert theirs["intercept_exc"].default == "debug"
    assert tuple(ours["hosts"].default) == ("127.0.0.1", "::1")
    for name in aiohttp_debugtoolbar.__all__:
        assert hasattr(debugtoolbar, name), name


def test_setup_rejects_bad_settings_and_runs_once() -> None:
    with pytest.raises(ValueError, match="'localhost' is not an IP address or network"):
        debugtoolbar.setup(web.Application(), hosts=["localhost"])
    with pytest.raises(TypeError, match="not the string"):
        debugtoolbar.setup(web.Application(), hosts="127.0.0.1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="intercept_exc must be"):
        debugtoolbar.setup(web.Application(), intercept_exc="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_request_history must be at least 1"):
        debugtoolbar.setup(web.Application(), max_request_history=0)
    app = web.Application()
    debugtoolbar.setup(app, max_request_history=5)
    routes = len(app.router.routes())
    debugtoolbar.setup(app)  # a second call (asgiweb dev on such an app) changes nothing
    assert len(app.router.routes()) == routes
    assert app[debugtoolbar.APP_KEY].history.max_size == 5
    assert list(app.middlewares) == [debugtoolbar.middleware]


async def test_middleware_alone_says_to_call_setup(client_for: ClientFactory) -> None:
    app = web.Application(middlewares=[debugtoolbar.middleware])
    app.router.add_get("/", html)
    client = await client_for(app)
    response = await client.get("/")
    assert response.status_code == 500


async def test_nothing_happens_without_setup(client_for: ClientFactory) -> None:
    app = web.Application()
    app.router.add_get("/", html)
    app.router.add_get("/fail/{item}", failing)
    client = await client_for(app)
    page = await client.get("/")
    assert page.text == PAGE
    assert (await client.get("/_debugtoolbar")).status_code == 404
    error = await client.get("/fail/1", headers={"Accept": "text/html"})
    assert error.status_code == 500
    assert "Traceback" not in error.text and HOSTILE not in error.text


# -- injection -----------------------------------------------------------------


async def test_toolbar_goes_into_html_pages_only(client_for: ClientFactory, tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(PAGE)

    async def json_page(request: web.Request) -> web.Response:
        return web.json_response({"html": "</body>"})

    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="text </body>")

    async def no_body_tag(request: web.Request) -> web.Response:
        return web.Response(text="<p>fragment</p>", content_type="text/html")

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(PAGE.encode())
        return response

    async def file(request: web.Request) -> web.FileResponse:
        return web.FileResponse(tmp_path / "page.html")

    async def precompressed(request: web.Request) -> web.Response:
        body = gzip.compress(PAGE.encode())
        return web.Response(
            body=body, content_type="text/html", headers={"Content-Encoding": "gzip"}
        )

    async def compressed_later(request: web.Request) -> web.Response:
        response = web.Response(text=PAGE, content_type="text/html")
        response.enable_compression()
        return response

    async def xhtml(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="application/xhtml+xml")

    async def upper_case(request: web.Request) -> web.Response:
        return web.Response(text=PAGE.upper(), content_type="text/html", charset="latin-1")

    async def explicit_length(request: web.Request) -> web.Response:
        return web.Response(
            body=PAGE.encode(), content_type="text/html", headers={"Content-Length": "72"}
        )

    app = make_app()
    for name, handler in [
        ("json", json_page),
        ("plain", plain),
        ("fragment", no_body_tag),
        ("stream", stream),
        ("file", file),
        ("precompressed", precompressed),
        ("compressed", compressed_later),
        ("xhtml", xhtml),
        ("upper", upper_case),
        ("length", explicit_length),
    ]:
        app.router.add_get(f"/{name}", handler)
    client = await client_for(app)

    page = await client.get("/")
    assert HANDLE in page.text
    assert page.text.index(HANDLE) < page.text.index("</body>")
    assert page.text.endswith("</body></html>")
    assert int(page.headers["Content-Length"]) == len(page.content)
    for name in ("json", "plain", "fragment", "stream", "file", "precompressed"):
        response = await client.get(f"/{name}")
        assert response.status_code == 200, name
        assert HANDLE not in response.text, name
        assert "pDebug" not in response.text, name
    assert (await client.get("/precompressed")).text == PAGE  # httpx decodes it, intact
    compressed = await client.get("/compressed", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert HANDLE in compressed.text
    for name in ("xhtml", "upper", "length"):
        response = await client.get(f"/{name}")
        assert HANDLE in response.text, name
        assert int(response.headers["Content-Length"]) == len(response.content), name


async def test_button_style_and_exclude_prefixes(client_for: ClientFactory) -> None:
    app = make_app(button_style='top: 200px" onclick="x', exclude_prefixes=["/static"])
    app.router.add_get("/static/page", html)
    client = await client_for(app)
    page = (await client.get("/")).text
    assert 'style="top: 200px&#34; onclick=&#34;x"' in page or (
        'style="top: 200px&quot; onclick=&quot;x"' in page
    )
    assert (await client.get("/static/page")).text == PAGE


async def test_disabled_toolbar_does_nothing(client_for: ClientFactory) -> None:
    client = await client_for(make_app(enabled=False))
    assert (await client.get("/")).text == PAGE
    assert (await client.get("/fail/1")).status_code == 500
    assert "Traceback" not in (await client.get("/fail/1")).text


# -- who gets what -------------------------------------------------------------


async def test_other_clients_get_the_plain_app(client_for: ClientFactory) -> None:
    plain = await client_for(make_app(), client=PUBLIC)
    page = await plain.get("/")
    assert page.text == PAGE
    error = await plain.get(
        "/fail/1", headers={"Accept": "text/html", "X-Forwarded-For": "127.0.0.1"}
    )
    assert error.status_code == 500
    assert error.text == (
        "<html><head><title>500 Internal Server Error</title></head><body>\n"
        "<h1>500 Internal Server Error</h1>\n"
        "Server got itself in trouble\n</body></html>\n"
    )
    for path in ("/_debugtoolbar", "/_debugtoolbar/static/toolbar.css", "/_debugtoolbar/x"):
        denied = await plain.get(path)
        assert denied.status_code == 403, path
        assert "hosts setting" in denied.text


async def test_hosts_networks_and_ipv6(client_for: ClientFactory) -> None:
    app = make_app(hosts=["10.0.0.0/8", "::1"])
    inside = await client_for(app, client=("10.1.2.3", 1000))
    assert HANDLE in (await inside.get("/")).text
    mapped = await client_for(app, client=("::ffff:10.9.9.9", 1000))
    assert HANDLE in (await mapped.get("/")).text
    six = await client_for(app, client=("::1", 1000))
    assert HANDLE in (await six.get("/")).text
    loopback = await client_for(app, client=("127.0.0.1", 1000))
    assert (await loopback.get("/")).text == PAGE
    unknown = await client_for(app, client=("testclient", 1000))
    assert (await unknown.get("/")).text == PAGE
    anyone = await client_for(make_app(check_host=False), client=PUBLIC)
    assert HANDLE in (await anyone.get("/")).text


async def test_remote_fixed_by_a_proxy_middleware_counts(client_for: ClientFactory) -> None:
    app = web.Application()
    app.router.add_get("/", html)
    await remotes.setup(app, remotes.XForwardedRelaxed())
    debugtoolbar.setup(app)
    proxy = await client_for(app, client=("127.0.0.1", 1000))
    behind = await proxy.get("/", headers={"X-Forwarded-For": "203.0.113.50"})
    assert behind.text == PAGE  # the real client is public
    local = await proxy.get("/", headers={"X-Forwarded-For": "127.0.0.1"})
    assert HANDLE in local.text


# -- the error page ------------------------------------------------------------


async def test_error_page_shows_everything_escaped(client_for: ClientFactory) -> None:
    client = await client_for(make_app())
    response = await client.post(
        f"/fail/{SEGMENT}?q={HOSTILE}",
        data={"field": HOSTILE},
        headers={"X-Evil": HOSTILE, "Cookie": "evil=" + HOSTILE.replace('"', "")},
    )
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.text
    assert "alert(" in page
    assert "<script>alert" not in page and "<img" not in page  # every value escaped
    assert "ValueError" in page
    assert f"bad value {ESCAPED}" in page
    # the source around the failing line, and the locals
    assert "raise ValueError(f&#34;bad value {HOSTILE}&#34;)" in page
    assert "local_secret" in page and f"&#39;{ESCAPED}&#39;" in page
    assert "repr of Unprintable object failed" in page
    # the request: header, query, form, cookie, match_info
    assert "X-Evil" in page or "x-evil" in page
    assert page.count(ESCAPED) >= 4  # message, local, header, query, form
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # match_info
    assert "&lt;script&gt;alert(owned)&lt;/script&gt;" in page  # the cookie
    assert "item" in page and "field" in page and "evil" in page
    # the app: routes and middlewares
    assert "/fail/{item}" in page and "debugtoolbar.main" in page
    assert "(the debug toolbar)" in page
    # and the toolbar, which links back to the error page
    assert HANDLE in page


async def test_error_page_lives_under_the_toolbar(client_for: ClientFactory) -> None:
    client = await client_for(make_app(max_request_history=2))
    page = (await client.get("/fail/1")).text
    match = re.search(r'href="(/_debugtoolbar/exception\?[^"]+)"', page)
    assert match is not None
    url = match.group(1).replace("&amp;", "&")
    again = await client.get(url)
    assert again.status_code == 200
    assert "bad value" in again.text and HANDLE not in again.text
    no_token = await client.get(re.sub(r"token=[^&]+&?", "", url))
    assert no_token.status_code == 400 and "no token" in no_token.text
    bad_token = await client.get(re.sub(r"token=[^&]+", "token=nope", url))
    assert bad_token.status_code == 400 and "bad token" in bad_token.text
    await client.get("/")
    await client.get("/")
    gone = await client.get(url)
    assert gone.status_code == 404 and "max_request_history" in gone.text
    outsider = await client_for(client.app, client=PUBLIC)
    assert (await outsider.get(url)).status_code == 403


async def test_display_mode_hides_locals_and_false_keeps_the_plain_500(
    client_for: ClientFactory,
) -> None:
    display = await client_for(make_app(intercept_exc="display"))
    page = (await display.get("/fail/1")).text
    assert "raise ValueError" in page
    assert "Local variables" not in page and "repr of Unprintable" not in page
    off = await client_for(make_app(intercept_exc=False))
    plain = await off.get("/fail/1")
    assert plain.status_code == 500
    assert plain.headers["Content-Type"].startswith("text/plain")


async def test_http_exceptions_are_answers_not_errors(client_for: ClientFactory) -> None:
    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound(text="no such thing")

    app = make_app()
    app.router.add_get("/missing", missing)
    client = await client_for(app)
    response = await client.get("/missing")
    assert response.status_code == 404
    assert response.text == "no such thing"
    assert (await client.get("/nowhere")).status_code == 404


async def test_redirects_are_intercepted_with_their_cookies(client_for: ClientFactory) -> None:
    async def raised(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/next?x={HOSTILE}")

    async def returned(request: web.Request) -> web.Response:
        redirect = web.HTTPSeeOther("/next")
        redirect.set_cookie("session", "abc")
        raise redirect

    async def plain_redirect(request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": "/next"})

    def app_with(**settings: Any) -> web.Application:
        app = make_app(**settings)
        app.router.add_get("/raised", raised)
        app.router.add_get("/returned", returned)
        app.router.add_get("/plain", plain_redirect)
        return app

    client = await client_for(app_with())
    page = await client.get("/raised")
    assert page.status_code == 200
    assert 'id="pDebugRedirectLink"' in page.text and "302 Found" in page.text
    assert "<script>alert" not in page.text
    returned_page = await client.get("/returned")
    assert returned_page.status_code == 200
    assert 'href="/next"' in returned_page.text
    assert returned_page.headers["Set-Cookie"].startswith("session=abc")
    # as aiohttp_debugtoolbar: only HTTPMove redirects, not any response with a Location
    assert (await client.get("/plain")).status_code == 307
    off = await client_for(app_with(intercept_redirects=False))
    assert (await off.get("/raised")).status_code == 302
    assert (await off.get("/returned")).status_code == 303


# -- the toolbar pages and panels ----------------------------------------------


async def test_toolbar_page_has_the_panels(client_for: ClientFactory) -> None:
    @web.middleware
    async def outer(request: web.Request, handler: Any) -> web.StreamResponse:
        return await handler(request)

    async def logging_handler(request: web.Request) -> web.Response:
        logging.getLogger("tests.debugtoolbar").warning("handled %s", HOSTILE)
        await asyncio.sleep(0)
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application(middlewares=[outer])
    app.router.add_get("/items/{item}", logging_handler, name="item")
    debugtoolbar.setup(app)
    client = await client_for(app)
    page = await client.get(f"/items/{SEGMENT}?q=1", headers={"X-Evil": HOSTILE})
    toolbar = await client.get(toolbar_link(page.text))
    assert toolbar.status_code == 200
    text = toolbar.text
    assert "<script>alert" not in text and "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    for dom_id in (
        "pDebugHeaderPanel",
        "pDebugRequestVarsPanel",
        "pDebugRoutePanel",
        "pDebugMiddlewaresPanel",
        "pDebugPerformancePanel",
        "pDebugloggingPanel",
        "pDebugRoutesPanel",
        "pDebugSettingsPanel",
        "pDebugVersionPanel",
    ):
        assert f'id="{dom_id}"' in text, dom_id
    assert 'id="pDebugTracebackPanel"' not in text  # nothing failed
    assert "handled " + ESCAPED in text  # the log record
    assert "tests.debugtoolbar" in text
    assert "test_toolbar_page_has_the_panels.&lt;locals&gt;.logging_handler" in text
    assert "/items/{item}" in text
    assert "outer" in text and "(the debug toolbar)" in text
    assert f"<code>{__version__}</code>" in text and "multidict" in text
    assert "ms" in text
    assert 'href="/_debugtoolbar/static/toolbar.css"' in text
    newest = await client.get("/_debugtoolbar")
    assert "pDebugRoutePanel" in newest.text
    assert (await client.get("/_debugtoolbar/0123456789abcdef")).status_code == 404
    css = await client.get("/_debugtoolbar/static/toolbar.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    js = await client.get("/_debugtoolbar/static/toolbar_button.js")
    assert js.status_code == 200 and "pDebugToolbarFrame" in js.text


async def test_log_records_stay_with_their_request(client_for: ClientFactory) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        logging.getLogger("tests.debugtoolbar").warning("slow started")
        await release.wait()
        logging.getLogger("tests.debugtoolbar").warning("slow finished")
        return web.Response(text=PAGE, content_type="text/html")

    async def fast(request: web.Request) -> web.Response:
        logging.getLogger("tests.debugtoolbar").warning("fast ran")
        release.set()
        return web.Response(text=PAGE, content_type="text/html")

    app = make_app()
    app.router.add_get("/slow", slow)
    app.router.add_get("/fast", fast)
    client = await client_for(app)
    slow_task = asyncio.create_task(client.get("/slow"))
    await asyncio.sleep(0.05)
    fast_page = await client.get("/fast")
    slow_page = await slow_task
    fast_panel = (await client.get(toolbar_link(fast_page.text))).text
    slow_panel = (await client.get(toolbar_link(slow_page.text))).text
    assert "fast ran" in fast_panel and "slow" not in fast_panel.split("pDebugloggingPanel")[1]
    assert "slow started" in slow_panel and "slow finished" in slow_panel
    assert "fast ran" not in slow_panel
    assert not any(
        type(h).__module__.startswith("asgiweb.debugtoolbar") for h in logging.getLogger().handlers
    )


async def test_failed_request_has_a_traceback_panel(client_for: ClientFactory) -> None:
    client = await client_for(make_app())
    page = (await client.get("/fail/1")).text
    toolbar = (await client.get(toolbar_link(page))).text
    assert 'id="pDebugTracebackPanel"' in toolbar
    assert "Open the error page" in toolbar
    assert "/_debugtoolbar/exception?token=" in toolbar


async def test_subapp_requests_are_seen(client_for: ClientFactory) -> None:
    admin = web.Application()
    admin.router.add_get("/page", html, name="admin-page")
    admin.router.add_get("/fail/{item}", failing)
    app = make_app()
    app.add_subapp("/admin", admin)
    client = await client_for(app)
    page = await client.get("/admin/page")
    assert HANDLE in page.text
    toolbar = (await client.get(toolbar_link(page.text))).text
    assert "/admin/page" in toolbar and "admin-page" in toolbar
    assert "(root) → /admin" in toolbar
    error = await client.get("/admin/fail/9")
    assert error.status_code == 500 and "bad value" in error.text


async def test_toolbar_set_up_on_a_subapp(client_for: ClientFactory) -> None:
    admin = web.Application()
    admin.router.add_get("/page", html)
    debugtoolbar.setup(admin)
    app = web.Application()
    app.router.add_get("/", html)
    app.add_subapp("/admin", admin)
    client = await client_for(app)
    assert (await client.get("/")).text == PAGE
    page = await client.get("/admin/page")
    link = toolbar_link(page.text)
    assert link.startswith("/admin/_debugtoolbar/")
    toolbar = await client.get(link)
    assert toolbar.status_code == 200
    assert HANDLE not in toolbar.text  # the toolbar's own pages are not recorded
    assert toolbar.text.count('id="pDebugHistory"') == 1
    history = toolbar.text.split('id="pDebugHistory"')[1].split("</ol>")[0]
    assert history.count("<li") == 1
    outsider = await client_for(app, client=PUBLIC)
    assert (await outsider.get(link)).status_code == 403


async def test_history_is_bounded(client_for: ClientFactory) -> None:
    client = await client_for(make_app(max_request_history=3, max_visible_requests=2))
    links = [toolbar_link((await client.get(f"/?n={n}")).text) for n in range(5)]
    assert [(await client.get(link)).status_code for link in links] == [404, 404, 200, 200, 200]
    newest = (await client.get(links[-1])).text
    history = newest.split('id="pDebugHistory"')[1].split("</ol>")[0]
    assert history.count("<li") == 2
    assert "n=4" in history and "n=3" in history


async def test_old_style_factory(client_for: ClientFactory) -> None:
    with pytest.warns(DeprecationWarning, match="old-style middleware"):
        app = web.Application(middlewares=[debugtoolbar.toolbar_middleware_factory])
        app.router.add_get("/", html)
        debugtoolbar.setup(app)
        assert list(app.middlewares) == [debugtoolbar.toolbar_middleware_factory]
        client = await client_for(app)
        assert HANDLE in (await client.get("/")).text


async def test_websocket_handshakes_pass_through(client_for: ClientFactory) -> None:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            await ws.send_str(message.data)
        return ws

    app = make_app()
    app.router.add_get("/ws", echo)
    async with TestClient(app) as client:
        ws = await client.ws_connect("/ws")
        await ws.send_str("hi")
        assert await ws.receive_str() == "hi"
        await ws.close()


# -- the parts -----------------------------------------------------------------


def test_history_keeps_the_newest() -> None:
    history = RequestHistory(2)
    records = [ToolbarRecord("GET", f"/{n}", [], []) for n in range(3)]
    for record in records:
        history.put(record)
    assert len(history) == 2
    assert history.get(records[0].id) is None
    assert [r.path for r in history.last(5)] == ["/2", "/1"]


async def test_context_switcher_times_and_propagates() -> None:
    timer = ActiveTimer()

    async def work() -> int:
        await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        return 7

    assert await timer.measure(work()) == 7
    assert timer.switches == 3
    assert 0 <= timer.active_seconds < 0.01 + 1  # waiting is not running

    async def fail() -> None:
        await asyncio.sleep(0)
        raise KeyError("x")

    with pytest.raises(KeyError):
        await ContextSwitcher()(fail())

    async def waits() -> None:
        await ContextSwitcher()(asyncio.sleep(10))

    task = asyncio.create_task(waits())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ValueError, match="should be callable"):
        ContextSwitcher().add_context_in("nope")  # type: ignore[arg-type]


def test_warnings_still_reach_stderr_while_captured(capsys: pytest.CaptureFixture[str]) -> None:
    from asgiweb.debugtoolbar.logcapture import LogCapture

    capture = LogCapture()
    logger = logging.getLogger("tests.debugtoolbar.lastresort")
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []
    try:
        with capture.capture() as records:
            logger.warning("visible %d", 1)
    finally:
        root.handlers = saved
    assert [r.message for r in records] == ["visible 1"]
    assert "visible 1" in capsys.readouterr().err


async def test_httpx_sees_a_well_formed_response(client_for: ClientFactory) -> None:
    # Content-Length and body agree once the toolbar is in: a strict client reads it whole
    client = await client_for(make_app())
    transport = httpx.ASGITransport(app=client.app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as strict:
        response = await strict.get("/")
    assert len(response.content) == int(response.headers["Content-Length"])


async def test_example_app(client_for: ClientFactory) -> None:
    import importlib.util
    import sys

    path = Path(__file__).resolve().parent.parent / "examples" / "debug_toolbar.py"
    spec = importlib.util.spec_from_file_location("example_debug_toolbar", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    app = module.create_app()
    debugtoolbar.setup(app)  # what `asgiweb dev` does: nothing more here
    client = await client_for(app)
    index = await client.get("/", params={"name": HOSTILE})
    assert HANDLE in index.text and "<script>alert" not in index.text
    order = await client.get("/orders/7")
    assert "order 7 looked at" in (await client.get(toolbar_link(order.text))).text
    invoice = await client.get("/orders/7/invoice")
    assert invoice.status_code == 500 and "TypeError" in invoice.text
    assert "unit_price" in invoice.text  # a local variable
    status = await client.get("/api/status")
    assert status.json() == {"orders": 1}
    outsider = await client_for(app, client=PUBLIC)
    assert (await outsider.get("/orders/7/invoice")).text.startswith("500 Internal Server Error")


async def test_links_carry_the_mount_root_path() -> None:
    app = make_app()
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1), root_path="/mnt")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page = await client.get("/mnt/")
        link = toolbar_link(page.text)
        assert link.startswith("/mnt/_debugtoolbar/")
        toolbar = await client.get(link)
        assert toolbar.status_code == 200 and HANDLE not in toolbar.text
        assert 'href="/mnt/_debugtoolbar/static/toolbar.css"' in toolbar.text
        error = await client.get("/mnt/fail/1")
        assert "/mnt/_debugtoolbar/exception?token=" in error.text


async def test_history_keeps_no_requests_or_frames(
    client_for: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    import gc
    import weakref

    class Payload:
        pass

    seen: list[weakref.ref[Any]] = []

    async def remember(request: web.Request) -> web.Response:
        payload = Payload()
        seen.append(weakref.ref(request))
        seen.append(weakref.ref(payload))
        if "fail" in request.query:
            raise RuntimeError("failed with a payload in the frame")
        return web.Response(text=PAGE, content_type="text/html")

    caplog.set_level("CRITICAL", logger="asgiweb.server")  # pytest would keep the tracebacks
    app = make_app(max_request_history=10)
    app.router.add_get("/remember", remember)
    client = await client_for(app)
    for n in range(30):
        response = await client.get("/remember", params={"fail": "1"} if n % 2 else {})
        assert HANDLE in response.text
    gc.collect()
    assert len(app[debugtoolbar.APP_KEY].history) == 10
    assert [ref for ref in seen if ref() is not None] == []


def test_assets_are_package_data_and_local() -> None:
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parent.parent
    package = root / "asgiweb" / "debugtoolbar"
    meta = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = meta["tool"]["setuptools"]["package-data"]["asgiweb.debugtoolbar"]
    files = [
        p.relative_to(package).as_posix()
        for folder in ("templates", "static")
        for p in (package / folder).rglob("*")
        if p.is_file()
    ]
    assert len(files) > 10
    for name in files:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
        text = (package / name).read_text()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), name  # no CDN


async def test_errors_of_middlewares_inside_the_toolbar(client_for: ClientFactory) -> None:
    @web.middleware
    async def broken(request: web.Request, handler: Any) -> web.StreamResponse:
        raise LookupError("middleware failed")

    before = web.Application(middlewares=[broken])
    before.router.add_get("/", html)
    debugtoolbar.setup(before)
    outside = await client_for(before)
    assert (await outside.get("/")).text.startswith("500 Internal Server Error")

    after = web.Application()
    after.router.add_get("/", html)
    debugtoolbar.setup(after)
    after.middlewares.append(broken)
    inside = await client_for(after)
    page = await inside.get("/")
    assert page.status_code == 500 and "middleware failed" in page.text
    assert "LookupError" in page.text


def test_missing_jinja2_says_which_extra() -> None:
    import subprocess
    import sys

    code = "import sys; sys.modules['jinja2'] = None; import asgiweb.debugtoolbar"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "pip install 'asgiweb[debugtoolbar]'" in result.stderr
