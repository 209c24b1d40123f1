"""Acceptance test of ``asgiweb port``: aiohttp 3.14's own examples/, ported, answer the same.

The aiohttp sdist is downloaded at test time (``tests/aiohttp_suite/run.py``
caches it; nothing of it enters this repository). Its ``examples/`` are
unpacked twice: one copy stays as it is and runs on aiohttp, the other is
ported with ``asgiweb port --write`` and runs on asgiweb. Each server example
is started under both, on ports of its own, and gets the same requests
(chosen from its routes) from aiohttp's client; the transcripts must be equal.
The examples that run a server and a client themselves run to completion
under both and must print the same. Examples that bind port 8080 get a free
port instead, in both copies alike.

It takes over a minute, so it runs with ``ASGIWEB_PORT_EXAMPLES=1`` (CI runs
it as its own step).
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .aiohttp_suite.run import AIOHTTP_VERSION, fetch_sdist

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("ASGIWEB_PORT_EXAMPLES") != "1",
        reason="the ported aiohttp examples run with ASGIWEB_PORT_EXAMPLES=1 (CI's own step)",
    ),
    pytest.mark.timeout(600),  # a loaded machine; the module fixtures port 24 files
]

FRAMEWORKS = ("aiohttp", "asgiweb")

# Examples that are not run, and why.
NOT_RUN = {
    "__init__.py": "empty",
    "background_tasks.py": "needs the valkey package and a Valkey server on localhost:6379",
    "client_auth.py": "client only; needs the network (httpbin.org)",
    "client_json.py": "client only; needs the network (httpbin.org)",
    "client_ws.py": "client only; an interactive console for a chat server",
    "curl.py": "client only; fetches a URL from the network",
    "digest_auth_qop_auth.py": "client only; needs the network (httpbin.org)",
}

# Runs on aiohttp; `asgiweb port` reports the line that needs a person.
REPORTED = {
    "lowlevel_srv.py": "`loop.create_server(web.Server(...))` uses the server as an asyncio "
    "protocol factory",
}

# Start a server and a client of their own, print what they get, and exit.
SELF_RUNNING = (
    "basic_auth_middleware.py",
    "combined_middleware.py",
    "fake_server.py",
    "logging_middleware.py",
    "retry_middleware.py",
    "token_refresh_middleware.py",
)

# Serve until stopped: web.run_app(...) (made to listen on our port) or python -m <fw>.web.
SERVERS = (
    "cli_app.py",
    "server_simple.py",
    "static_files.py",
    "web_classview.py",
    "web_cookies.py",
    "web_rewrite_headers_middleware.py",
    "web_srv.py",
    "web_srv_route_deco.py",
    "web_srv_route_table.py",
    "web_ws.py",
)

# Runs an example with its framework's run_app listening on 127.0.0.1:PORT.
LAUNCHER = """\
import importlib, runpy, sys
framework, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
web = importlib.import_module(framework + ".web")
run_app = web.run_app
def on_our_port(app, **kwargs):
    kwargs.update(host="127.0.0.1", port=port)
    run_app(app, **kwargs)
web.run_app = on_our_port
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"aiohttp": original examples, "asgiweb": ported examples}``."""
    root = tmp_path_factory.mktemp("examples")
    prefix = f"aiohttp-{AIOHTTP_VERSION}/examples/"
    with tarfile.open(fetch_sdist()) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(prefix)]
        archive.extractall(root, members=members, filter="data")
    original = root / "original"  # not "aiohttp": the launcher's folder is on sys.path
    (root / prefix).rename(original)
    port = _free_port()
    for path in original.glob("*.py"):  # the self-running examples listen on 8080
        path.write_text(path.read_text().replace("8080", str(port)))
    ported = root / "ported"
    shutil.copytree(original, ported)
    (root / "launch.py").write_text(LAUNCHER)
    return {"aiohttp": original, "asgiweb": ported}


@pytest.fixture(scope="module")
def port_run(examples: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asgiweb", "port", "--write", str(examples["asgiweb"])],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_every_example_is_accounted_for(examples: dict[str, Path]) -> None:
    names = {p.name for p in examples["aiohttp"].glob("*.py")}
    listed = set(NOT_RUN) | set(REPORTED) | set(SELF_RUNNING) | set(SERVERS)
    assert names == listed


def test_port_rewrites_the_examples_and_reports_what_needs_a_person(
    examples: dict[str, Path], port_run: subprocess.CompletedProcess[str]
) -> None:
    assert port_run.returncode == 4, port_run.stderr  # written; one use left for a person
    reported = [line for line in port_run.stderr.splitlines() if ".py:" in line]
    assert len(reported) == len(REPORTED), reported
    for name, what in REPORTED.items():
        assert any(f"{name}:" in line and what in line for line in reported), reported
    for path in examples["asgiweb"].glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "aiohttp":
                assert {a.name for a in node.names}.isdisjoint({"web", "hdrs"}), path.name
            elif isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith(("aiohttp.web", "aiohttp.typedefs"))
    # the client code is untouched
    text = (examples["asgiweb"] / "fake_server.py").read_text()
    assert "aiohttp.ClientSession(connector=connector" in text
    # a second run changes nothing
    again = subprocess.run(
        [sys.executable, "-m", "asgiweb", "port", str(examples["asgiweb"])],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 4 and again.stdout == "", again.stdout


# -- the examples that run a server and a client of their own ------------------------------

_TIMES = re.compile(r"\d+\.\d+")


def _run_self(framework: str, folder: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, name], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


@pytest.mark.parametrize("name", SELF_RUNNING)
def test_self_running_example_prints_the_same(
    examples: dict[str, Path], port_run: subprocess.CompletedProcess[str], name: str
) -> None:
    outputs = {}
    for framework in FRAMEWORKS:  # one at a time: they share the example's port
        process = _run_self(framework, examples[framework], name)
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, f"{framework}: {err[-3000:]}"
        outputs[framework] = _TIMES.sub("<n>", out)
    assert outputs["asgiweb"] == outputs["aiohttp"]
    assert outputs["aiohttp"].strip()


# -- the servers ---------------------------------------------------------------------------


class Server:
    """An example served by one framework on a port of its own."""

    def __init__(self, framework: str, folder: Path, name: str) -> None:
        self.port = _free_port()
        if name == "cli_app.py":  # served by the framework's own CLI, as its docstring says
            command = [
                sys.executable, "-m", f"{framework}.web", "-H", "127.0.0.1", "-P",
                str(self.port), "cli_app:init", "Hello World", "--repeat", "3",
            ]  # fmt: skip
        else:
            launcher = str(folder.parent / "launch.py")
            command = [sys.executable, launcher, framework, str(self.port), name]
        self.process = subprocess.Popen(
            command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read() if self.process.stderr else ""
                raise AssertionError(f"exited: {error}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not start within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


Transcript = list[Any]
Probe = Callable[[Any, str, Transcript], Awaitable[None]]


async def _http(
    session: Any, base: str, out: Transcript, method: str, path: str, *,
    headers: tuple[str, ...] = ("Content-Type", "Location", "Set-Cookie"), **kwargs: Any,
) -> str:  # fmt: skip
    async with session.request(method, base + path, allow_redirects=False, **kwargs) as resp:
        body = await resp.text()
        port = base.rsplit(":", 1)[1]
        out.append(
            (method, path, resp.status, {h: resp.headers.getall(h, []) for h in headers},
             body.replace(port, "<port>"))
        )  # fmt: skip
        return body


async def _pages(session: Any, base: str, out: Transcript) -> None:
    for path in ("/", "/simple", "/change_body", "/hello/John", "/hello", "/nowhere"):
        await _http(session, base, out, "GET", path)
    await _http(session, base, out, "POST", "/simple")


async def _server_simple(session: Any, base: str, out: Transcript) -> None:
    for path in ("/", "/John", "/a/b"):
        await _http(session, base, out, "GET", path)
    async with session.ws_connect(base + "/echo") as ws:
        await ws.send_str("world")
        out.append((await ws.receive()).data)
        await ws.send_bytes(b"\x00\x01binary")
        out.append((await ws.receive()).data)


async def _static_files(session: Any, base: str, out: Transcript) -> None:
    for path in ("/", "/websocket.html", "/server.crt", "/missing.txt", "/../setup.py"):
        await _http(session, base, out, "GET", path)


async def _classview(session: Any, base: str, out: Transcript) -> None:
    await _http(session, base, out, "GET", "/")
    for method, path, data in (("GET", "/get?a=1&b=two", None), ("POST", "/post?x=1",
                                                                  {"name": "Ann", "n": "2"})):
        body = await _http(session, base, out, method, path, data=data)
        # request.headers keeps the client's case in aiohttp; ASGI servers lower-case it
        # (docs/porting.md, "The server is not ours")
        parsed = json.loads(body)
        parsed["headers"] = {k.lower(): v for k, v in parsed["headers"].items()
                             if k.lower() != "host"}
        out[-1] = (*out[-1][:4], parsed)
    await _http(session, base, out, "PUT", "/post")


async def _cookies(session: Any, base: str, out: Transcript) -> None:
    await _http(session, base, out, "GET", "/")
    await _http(session, base, out, "GET", "/login")
    await _http(session, base, out, "GET", "/", headers=("Content-Type",),
                cookies={"AUTH": "secret"})
    await _http(session, base, out, "GET", "/logout")


async def _rewrite_headers(session: Any, base: str, out: Transcript) -> None:
    await _http(session, base, out, "GET", "/", headers=("Content-Type", "Server"))
    await _http(session, base, out, "GET", "/missing")


async def _cli_app(session: Any, base: str, out: Transcript) -> None:
    await _http(session, base, out, "GET", "/")
    await _http(session, base, out, "GET", "/other")


async def _web_ws(session: Any, base: str, out: Transcript) -> None:
    await _http(session, base, out, "GET", "/")
    async with session.ws_connect(base + "/") as first:
        out.append(("first", (await first.receive()).data))
        async with session.ws_connect(base + "/") as second:
            out.append(("second", (await second.receive()).data))
            out.append(("first", (await first.receive()).data))
            await first.send_str("hello from the first")
            out.append(("second", (await second.receive()).data))
        out.append(("first", (await first.receive()).data))


PROBES: dict[str, Probe] = {
    "cli_app.py": _cli_app,
    "server_simple.py": _server_simple,
    "static_files.py": _static_files,
    "web_classview.py": _classview,
    "web_cookies.py": _cookies,
    "web_rewrite_headers_middleware.py": _rewrite_headers,
    "web_srv.py": _pages,
    "web_srv_route_deco.py": _pages,
    "web_srv_route_table.py": _pages,
    "web_ws.py": _web_ws,
}


@pytest.fixture
def servers(examples: dict[str, Path], request: pytest.FixtureRequest) -> Iterator[Any]:
    started: list[Server] = []

    def start(name: str) -> dict[str, Server]:
        pair = {fw: Server(fw, examples[fw], name) for fw in FRAMEWORKS}
        started.extend(pair.values())
        for server in pair.values():
            server.wait()
        return pair

    yield start
    for server in started:
        server.stop()


@pytest.mark.parametrize("name", SERVERS)
def test_server_example_answers_the_same(
    port_run: subprocess.CompletedProcess[str], servers: Any, name: str
) -> None:
    import aiohttp

    pair = servers(name)

    async def transcript(server: Server) -> Transcript:
        out: Transcript = []
        async with aiohttp.ClientSession() as session:
            await asyncio.wait_for(PROBES[name](session, server.base, out), 60)
        return out

    results = {fw: asyncio.run(transcript(server)) for fw, server in pair.items()}
    assert results["asgiweb"] == results["aiohttp"]
    statuses = [i[2] for i in results["aiohttp"] if isinstance(i, tuple) and len(i) == 5]
    assert 200 in statuses, results["aiohttp"]
