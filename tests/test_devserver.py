"""``asgiweb dev``: real servers in subprocesses on free ports, serving a project in a temp dir.

Debug mode, the toolbar, the static folder, live reload (a WebSocket client
and a real headless Chromium), restarts on a Python change, factories, other
ASGI apps, and a clean stop on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from asgiweb.cli import main

from .redis_process import free_port
from .test_cli import REPO, command, stop, wait_for_answer
from .test_polls_example import chromium, require_chromium

PAGE = (
    "<!doctype html><html><head><title>dev</title>{head}</head>"
    "<body><h1 id='v'>{text}</h1></body></html>"
)

APP = """\
import asyncio
from asgiweb import web

PAGE = {page!r}
ARGV = web.AppKey("argv", list)

async def index(request):
    head = '<link rel="stylesheet" href="/static/site.css">'
    return web.Response(text=PAGE.format(head=head, text="version 1"), content_type="text/html")

async def state(request):
    return web.json_response({{
        "debug": request.app.debug,
        "asyncio_debug": asyncio.get_running_loop().get_debug(),
        "argv": request.app[ARGV],
    }})

async def data(request):
    return web.json_response({{"html": "</body>"}})

def create_app(argv):
    app = web.Application()
    app[ARGV] = argv
    app.router.add_get("/", index)
    app.router.add_get("/state", state)
    app.router.add_get("/data", data)
    return app

async def init(argv):
    return create_app(argv)

app = create_app([])
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A project folder: devapp.py (an app, a factory, an async factory) and static/."""
    (tmp_path / "devapp.py").write_text(APP.format(page=PAGE))
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("h1 { color: black }\n")
    yield tmp_path


@contextlib.contextmanager
def dev_server(project: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = command("dev", *args, "--port", str(port), "--app-dir", str(project), cwd=project)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def until(check: Callable[[], object], what: str, timeout: float = 30) -> object:
    """Poll ``check`` until it returns something true (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.TransportError):
            value = check()
            if value:
                return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


async def next_reload(
    ws: aiohttp.ClientWebSocketResponse, touch: Path, text: str
) -> dict[str, str]:
    """Write ``touch`` until the live-reload socket says reload (the watcher may start late)."""
    for attempt in range(20):
        touch.write_text(f"{text} /* {attempt} */\n")
        with contextlib.suppress(asyncio.TimeoutError):
            message = await ws.receive(timeout=1.5)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            data: dict[str, str] = json.loads(message.data)
            return data
    raise AssertionError("no reload message after changing a static file")


def test_dev_debug_static_live_reload_restart_and_ctrl_c(project: Path) -> None:
    # an async factory, given the arguments asgiweb dev does not know
    with dev_server(project, "devapp:init", "--static", "static", "--db", "x") as (url, proc):
        page = wait_for_answer(url + "/", proc)
        assert page.headers["content-type"].startswith("text/html")
        assert page.text.count('<script src="/_asgiweb/livereload.js"></script>') == 1
        assert page.text.count('<div id="pDebug"') == 1  # the debug toolbar, switched on
        assert page.text.index("livereload.js") < page.text.index("</body>")
        assert int(page.headers["content-length"]) == len(page.content)
        assert httpx.get(url + "/data").json() == {"html": "</body>"}  # JSON is never touched
        state = httpx.get(url + "/state").json()
        assert state == {"debug": True, "asyncio_debug": True, "argv": ["--db", "x"]}
        script = httpx.get(url + "/_asgiweb/livereload.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert "new WebSocket" in script.text
        css = httpx.get(url + "/static/site.css")
        assert css.text == "h1 { color: black }\n"
        assert css.headers["cache-control"] == "no-cache"
        assert httpx.get(url + "/static/../devapp.py").status_code in (403, 404)

        async def live_reload() -> None:
            ws_url = url.replace("http", "ws") + "/_asgiweb/livereload"
            async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
                # a static change: a reload message naming the file, no restart
                said = await next_reload(ws, project / "static" / "site.css", "h1 { color: red }")
                assert said == {"command": "reload", "path": "/static/site.css"}
                assert "color: red" in httpx.get(url + "/static/site.css").text
                # a Python change: the server restarts, which closes the socket
                source = project / "devapp.py"
                source.write_text(source.read_text().replace("version 1", "version 2"))
                message = await ws.receive(timeout=30)
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)

        asyncio.run(live_reload())
        until(lambda: "version 2" in httpx.get(url + "/", timeout=5).text, "the new code")
        code, out = stop(proc)
    assert code == 0, out
    assert "Traceback" not in out, out
    assert out.count("asgiweb dev: devapp:init on http://127.0.0.1:") == 2, out  # one restart
    assert "(debug on; debug toolbar on; live reload on; " in out, out


def test_dev_serves_any_asgi_app_with_live_reload_but_no_toolbar(tmp_path: Path) -> None:
    (tmp_path / "rawapp.py").write_text(
        "import asyncio\n"
        "async def app(scope, receive, send):\n"
        "    if scope['type'] == 'lifespan':\n"
        "        while True:\n"
        "            message = await receive()\n"
        "            await send({'type': message['type'] + '.complete'})\n"
        "            if message['type'] == 'lifespan.shutdown':\n"
        "                return\n"
        "    body = b'<html><body>raw %d</body></html>' % asyncio.get_running_loop().get_debug()\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': [\n"
        "        (b'content-type', b'text/html'), (b'content-length', b'%d' % len(body))]})\n"
        "    await send({'type': 'http.response.body', 'body': body})\n"
    )
    with dev_server(tmp_path, "rawapp:app") as (url, proc):
        page = wait_for_answer(url + "/", proc)
        assert page.text == (
            '<html><body>raw 1<script src="/_asgiweb/livereload.js"></script>\n</body></html>'
        )
        code, out = stop(proc)
    assert code == 0, out
    assert "not an asgiweb Application (function): no app.debug, no toolbar" in out


def test_dev_reports_a_missing_static_folder_and_a_port_in_use(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dev", "devapp:app", "--static", "nothere", "--app-dir", str(project)]) == 2
    assert capsys.readouterr().err == "asgiweb: --static 'nothere' is not a folder\n"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["dev", "devapp:app", "--port", str(port), "--app-dir", str(project)]
        assert main(args) == 1
    assert capsys.readouterr().err == (
        f"asgiweb: 127.0.0.1:{port} is already in use; stop the other server or choose "
        "another --port\n"
    )


async def test_page_reloads_in_chromium_on_static_and_python_changes(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    require_chromium()
    profile = tmp_path_factory.mktemp("profile")
    drafts = tmp_path_factory.mktemp("drafts")

    def save(path: Path, text: str) -> None:
        """As editors save: write elsewhere, then move over the file (one change event)."""
        draft = drafts / path.name
        draft.write_text(text)
        os.replace(draft, path)

    listening = "window.asgiwebLiveReload === 'open'"
    with dev_server(project, "devapp:app", "--static", "static") as (url, proc):
        await asyncio.to_thread(wait_for_answer, url + "/", proc)
        async with chromium(url + "/", profile) as page:
            await page.wait_for(f"document.readyState === 'complete' && {listening}")
            await page.evaluate("window.__marker = 1")
            # a template-like change (a page file in the project): the page reloads itself
            save(project / "index.html", "<p>a page file</p>\n")
            await page.wait_for(f"window.__marker === undefined && {listening}", timeout=30)
            assert await page.evaluate("document.getElementById('v').textContent") == "version 1"
            # a stylesheet change is swapped in without a reload
            await page.evaluate("window.__marker = 1")
            save(project / "static" / "site.css", "h1 { color: rgb(255, 0, 0) }\n")
            await page.wait_for(
                "getComputedStyle(document.getElementById('v')).color === 'rgb(255, 0, 0)'",
                timeout=30,
            )
            assert await page.evaluate("window.__marker") == 1
            # a Python change: the server restarts, and the page reloads once it is back
            source = project / "devapp.py"
            save(source, source.read_text().replace("version 1", "version 2"))
            await page.wait_for(
                "(e => e && e.textContent === 'version 2')(document.getElementById('v'))",
                timeout=40,
            )
        code, out = await asyncio.to_thread(stop, proc)
    assert code == 0, out


def readme_newcomer_commands() -> list[str]:
    """The two commands of README.md's "Develop an app" block."""
    text = (REPO / "README.md").read_text()
    block = text.split("Develop an app:", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip().splitlines()


def test_readme_newcomer_path_serves_the_example_with_toolbar_docs_and_live_reload() -> None:
    install, serve = readme_newcomer_commands()
    # the first command installs the devtools extra, which brings what the second needs
    assert install == "python3 -m venv .venv && .venv/bin/pip install -e '.[devtools]'"
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[<>=!~;]", r, maxsplit=1)[0].strip() for r in requirements}

    needed = names(extras["templates"] + extras["debugtoolbar"] + extras["openapi"])
    assert needed | {"uvicorn[standard]"} <= names(extras["devtools"])
    # the second command, as written, on a free port (and this interpreter's venv if the
    # checkout's .venv is not the one running the tests)
    assert serve == "cd examples/notes && ../../.venv/bin/asgiweb dev app:app"
    script = REPO / ".venv" / "bin" / "asgiweb"
    if not script.exists() or script.parent.resolve() != Path(sys.executable).parent.resolve():
        serve = serve.replace("../../.venv/bin/asgiweb", f"{sys.executable} -m asgiweb")
    port = free_port()
    proc = subprocess.Popen(
        ["bash", "-c", f"{serve} --port {port}"],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        page = wait_for_answer(url + "/", proc)
        assert page.status_code == 200
        assert "<li data-id=\"1\">Try the API at /docs</li>" in page.text
        assert "/_asgiweb/livereload.js" in page.text
        assert 'id="pDebug"' in page.text  # the debug toolbar
        toolbar = re.search(r'id="pShowToolBarButton" href="([^"]+)"', page.text)
        assert toolbar is not None
        assert httpx.get(url + toolbar.group(1)).status_code == 200
        docs = httpx.get(url + "/docs")
        assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()
        document = httpx.get(url + "/openapi.json").json()
        assert document["info"]["title"] == "Notes"
        assert {"/api/notes", "/api/notes/{id}"} <= set(document["paths"])
        oops = httpx.get(url + "/oops", headers={"Accept": "text/html"})
        assert oops.status_code == 500 and "ZeroDivisionError" in oops.text
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
        out, _ = proc.communicate(timeout=30)
        code = proc.returncode
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    assert code == 0, out
    assert "debug toolbar on" in out, out
