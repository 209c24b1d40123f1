"""``python -m asgiweb.web`` against ``python -m aiohttp.web``; ``asgi_factory`` under uvicorn."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp.web
import httpx
import pytest

from asgiweb import web
from asgiweb.entrypoints import main

FACTORY_MODULE = """
import asyncio
from {package} import web

async def handler(request):
    return web.Response(text=repr(request.app["argv"]) + " " + request.app["started"])

async def on_startup(app):
    app["started"] = "started"

def build(argv):
    app = web.Application()
    app["argv"] = argv
    app.on_startup.append(on_startup)
    app.router.add_get("/", handler)
    return app

async def init_async(argv):
    await asyncio.sleep(0)
    return build(argv)

def init_sync(argv):
    return build(argv)
"""


@pytest.fixture
def factory_dir(tmp_path: Path) -> Path:
    for package in ("aiohttp", "asgiweb"):
        module = FACTORY_MODULE.format(package=package)
        (tmp_path / f"factory_{package}.py").write_text(textwrap.dedent(module))
    return tmp_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_main(main: Callable[[list[str]], None], args: list[str], capsys: Any) -> tuple[object, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out + captured.err


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["no_colon"],
        [".relative:init"],
        ["no_such_module_for_the_test:init"],
        ["json:no_such_function"],
        ["-P", "not-a-port", "json:dumps"],
        ["--help"],
    ],
)
def test_cli_errors_match_aiohttp(args: list[str], capsys: Any) -> None:
    theirs = run_main(aiohttp.web.main, args, capsys)
    ours = run_main(main, args, capsys)
    assert (ours[0], ours[1].replace("asgiweb", "aiohttp")) == theirs


async def serve_cli(package: str, entry: str, factory_dir: Path, *extra: str) -> tuple[str, str]:
    """Start ``python -m PACKAGE.web``, GET /, stop it with SIGINT: (body, stderr tail)."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"{package}.web",
        "-H",
        "127.0.0.1",
        "-P",
        str(port),
        entry,
        *extra,
        cwd=factory_dir,
        env={**os.environ, "PYTHONPATH": str(factory_dir), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        banner = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert banner.decode().startswith("======== Running on http://127.0.0.1:")
        async with httpx.AsyncClient(timeout=10) as client:
            body = (await client.get(f"http://127.0.0.1:{port}/")).text
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return body, stderr.decode().strip().splitlines()[-1]


async def test_cli_serves_an_async_factory_as_aiohttp(factory_dir: Path) -> None:
    theirs = await serve_cli("aiohttp", "factory_aiohttp:init_async", factory_dir, "--x", "1")
    ours = await serve_cli("asgiweb", "factory_asgiweb:init_async", factory_dir, "--x", "1")
    assert ours == theirs == ("['--x', '1'] started", "Stopped")


async def test_cli_serves_a_sync_factory_on_tcp_and_unix(factory_dir: Path) -> None:
    path = factory_dir / "app.sock"
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "asgiweb.web", "-H", "127.0.0.1", "-P", str(port),
        "-U", str(path), "factory_asgiweb:init_sync", "extra",
        cwd=factory_dir,
        env={**os.environ, "PYTHONPATH": str(factory_dir), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        banner = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert banner.startswith(
            f"======== Running on http://127.0.0.1:{port}, http://unix:{path}:"
        )
        transport = httpx.AsyncHTTPTransport(uds=str(path))
        async with httpx.AsyncClient(transport=transport, timeout=10) as client:
            assert (await client.get("http://localhost/")).text == "['extra'] started"
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(f"http://127.0.0.1:{port}/")).text == "['extra'] started"
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


UVICORN_FACTORY_MODULE = """
import asyncio
from asgiweb import web

async def hello(request):
    return web.Response(text=request.app["db"])

@web.asgi_factory
async def init_app():
    await asyncio.sleep(0)  # e.g. open a connection pool
    app = web.Application()
    app["db"] = "connected in " + str(id(asyncio.get_running_loop()) != 0)
    app.router.add_get("/", hello)
    return app

@web.asgi_factory
async def broken():
    raise RuntimeError("the database is down")
"""


async def start_uvicorn(tmp_path: Path, entry: str) -> tuple[asyncio.subprocess.Process, int]:
    (tmp_path / "uvicorn_factory.py").write_text(UVICORN_FACTORY_MODULE)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "--factory", f"uvicorn_factory:{entry}",
        "--host", "127.0.0.1", "--port", str(port), "--lifespan", "on",
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return proc, port


async def test_uvicorn_factory_serves_an_async_factory(tmp_path: Path) -> None:
    proc, port = await start_uvicorn(tmp_path, "init_app")
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(300):
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("uvicorn did not start")
        assert (response.status_code, response.text) == (200, "connected in True")
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


async def test_uvicorn_factory_failure_stops_startup(tmp_path: Path) -> None:
    proc, _ = await start_uvicorn(tmp_path, "broken")
    assert proc.stdout is not None
    output = (await asyncio.wait_for(proc.stdout.read(), 60)).decode()
    assert await asyncio.wait_for(proc.wait(), 30) != 0
    assert "the database is down" in output
    assert "Application startup failed" in output


async def test_asgi_factory_is_awaitable_and_callable() -> None:
    built: list[int] = []

    @web.asgi_factory
    async def init_app(greeting: str) -> web.Application:
        built.append(1)
        app = web.Application()

        async def hello(request: web.Request) -> web.Response:
            return web.Response(text=greeting)

        app.router.add_get("/", hello)
        return app

    assert isinstance(await init_app("hi"), web.Application)  # tests and run_app await it
    deferred = init_app("hello")
    transport = httpx.ASGITransport(app=deferred)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        responses = await asyncio.gather(*(client.get("/") for _ in range(5)))
    assert [r.text for r in responses] == ["hello"] * 5
    assert built == [1, 1]  # once per deferred app, however many requests raced


async def test_asgi_factory_rejects_what_is_not_an_app() -> None:
    @web.asgi_factory
    async def init_app() -> object:
        return 42

    with pytest.raises(TypeError, match=r"init_app\(\) must return an ASGI app .* not 42"):
        await init_app()
