"""The ``asgiweb`` command: run (plain, factory arguments, reload, workers), routes, errors."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from asgiweb.cli import main

from .redis_process import free_port

REPO = Path(__file__).resolve().parent.parent


def command(*args: str, cwd: Path = REPO, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "asgiweb", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_answer(url: str, proc: subprocess.Popen[str], timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"the command exited early: {output}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> tuple[int, str]:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out


@pytest.fixture
def app_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "cliapp.py").write_text(
        "from asgiweb import web\n"
        "ARGV = web.AppKey('argv', list)\n"
        "async def hello(request):\n"
        "    return web.Response(text='version 1')\n"
        "def create_app(argv):\n"
        "    app = web.Application()\n"
        "    app.router.add_get('/', hello)\n"
        "    app[ARGV] = argv\n"
        "    async def show(request):\n"
        "        return web.json_response(request.app[ARGV])\n"
        "    app.router.add_get('/argv', show)\n"
        "    return app\n"
        "async def init():\n"
        "    return create_app([])\n"
        "app = create_app([])\n"
    )
    yield tmp_path


def test_run_serves_an_app_and_stops_cleanly_on_ctrl_c(app_dir: Path) -> None:
    port = free_port()
    proc = command("run", "cliapp:app", "--port", str(port), "--app-dir", str(app_dir))
    assert wait_for_answer(f"http://127.0.0.1:{port}/", proc).text == "version 1"
    code, out = stop(proc)
    assert code == 0, out
    assert "Traceback" not in out


def test_run_passes_the_remaining_arguments_to_a_factory(app_dir: Path) -> None:
    port = free_port()
    proc = command(
        "run", "--port", str(port), "--app-dir", str(app_dir), "cliapp:create_app",
        "--db", "sqlite://", "-v",
    )
    response = wait_for_answer(f"http://127.0.0.1:{port}/argv", proc)
    assert response.json() == ["--db", "sqlite://", "-v"]
    stop(proc)


def test_run_awaits_an_async_factory(app_dir: Path) -> None:
    port = free_port()
    proc = command("run", "cliapp:init", "--port", str(port), "--app-dir", str(app_dir))
    assert wait_for_answer(f"http://127.0.0.1:{port}/", proc).text == "version 1"
    stop(proc, signal.SIGTERM)


def test_run_serves_any_asgi_app(tmp_path: Path) -> None:
    (tmp_path / "rawapp.py").write_text(
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'raw'})\n"
    )
    port = free_port()
    proc = command("run", "rawapp:app", "--port", str(port), "--app-dir", str(tmp_path))
    assert wait_for_answer(f"http://127.0.0.1:{port}/", proc).text == "raw"
    stop(proc)


def test_reload_picks_up_a_changed_file(app_dir: Path) -> None:
    port = free_port()
    proc = command(
        "run", "cliapp:app", "--port", str(port), "--app-dir", str(app_dir),
        "--reload", "--reload-dir", str(app_dir),
    )
    try:
        assert wait_for_answer(f"http://127.0.0.1:{port}/", proc).text == "version 1"
        source = app_dir / "cliapp.py"
        source.write_text(source.read_text().replace("version 1", "version 2"))
        deadline = time.monotonic() + 30
        text = ""
        while time.monotonic() < deadline and text != "version 2":
            time.sleep(0.2)
            with contextlib.suppress(httpx.TransportError):
                text = httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text
        assert text == "version 2"
    finally:
        code, out = stop(proc)
    assert code == 0, out


def test_run_with_workers(tmp_path: Path) -> None:
    port = free_port()
    state = tmp_path / "state"
    state.mkdir()
    proc = command(
        "run", "tests.worker_app:create_app", "--port", str(port), "--workers", "2",
        WORKER_STATE_DIR=str(state),
    )
    assert wait_for_answer(f"http://127.0.0.1:{port}/pid", proc).status_code == 200
    assert proc.stdout is not None
    for line in proc.stdout:  # printed once every worker has started
        if "with 2 workers" in line:
            break
    code, out = stop(proc, signal.SIGTERM)
    assert code == 0, out
    assert len(list(state.glob("shutdown-*"))) == 2


def test_a_port_in_use_is_one_line(app_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = command("run", "cliapp:app", "--port", str(port), "--app-dir", str(app_dir))
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert out.strip().splitlines()[-1] == (
        f"asgiweb: 127.0.0.1:{port} is already in use; stop the other server or choose "
        "another --port"
    )
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nomodulehere:app", "cannot import module 'nomodulehere': no module named"),
        (
            "cliapp:ap",
            "'cliapp' has no attribute 'ap'; it has: ARGV, app, create_app, hello, init, web",
        ),
        ("cliapp", "TARGET must look like 'module:attribute'"),
    ],
)
def test_bad_targets_say_what_is_wrong(
    app_dir: Path, target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routes", target, "--app-dir", str(app_dir)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_routes_lists_methods_paths_names_handlers_and_sub_apps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["routes", "admin_panel:app", "--app-dir", str(REPO / "examples")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["METHOD", "PATH", "NAME", "HANDLER", "SUB-APP"]
    assert lines[1:] and any(
        line.split() == ["GET", "/admin/", "dashboard", "admin_panel.dashboard", "/admin"]
        for line in lines
    ), lines
    assert any(line.split() == ["GET", "/", "admin_panel.shop_index"] for line in lines)


def test_help_for_every_subcommand() -> None:
    for args in (["--help"], ["run", "--help"], ["dev", "--help"], ["routes", "--help"]):
        proc = command(*args)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert "usage: asgiweb" in out
