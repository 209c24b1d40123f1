"""run_app(..., workers=N): several processes, each with its own lifespan and shutdown order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from asgiweb import web

from .redis_process import RedisProcess, free_port

REPO = Path(__file__).resolve().parent.parent


class WorkerServer:
    """``run_app(target, workers=2)`` in a child process, on a free loopback port."""

    def __init__(self, target: str, state: Path, **env: str) -> None:
        self.port = free_port()
        self.state = state
        code = (
            "from asgiweb import web; "
            f"web.run_app({target!r}, workers=2, host='127.0.0.1', port={self.port}, "
            "shutdown_timeout=5)"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "WORKER_STATE_DIR": str(state), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_running(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert "with 2 workers" in line, (line, self.proc.stderr.read() if self.proc.stderr else "")
        return line

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path


@pytest.fixture
def server(state: Path) -> Iterator[WorkerServer]:
    server = WorkerServer("tests.worker_app:create_app", state)
    server.wait_running()
    yield server
    server.stop()


def steps(state: Path, step: str) -> set[str]:
    return {p.name.split("-", 1)[1] for p in state.glob(f"{step}-*")}


async def test_two_workers_each_serve_with_their_own_lifespan(
    server: WorkerServer, state: Path
) -> None:
    pids: set[str] = set()
    async with aiohttp.ClientSession() as session:
        for _ in range(400):
            async with session.get(f"{server.url}/pid") as response:
                pids.add(await response.text())
            if len(pids) == 2:
                break
    assert len(pids) == 2
    assert steps(state, "startup") == pids


async def open_on_both_workers(
    session: aiohttp.ClientSession, url: str
) -> dict[str, list[aiohttp.ClientWebSocketResponse]]:
    by_pid: dict[str, list[aiohttp.ClientWebSocketResponse]] = {}
    for _ in range(200):
        ws = await session.ws_connect(f"{url}/ws")
        greeting = await ws.receive_str(timeout=10)
        by_pid.setdefault(greeting.split()[1], []).append(ws)
        if len(by_pid) == 2 and sum(map(len, by_pid.values())) >= 6:
            break
    assert len(by_pid) == 2, "the kernel never gave a connection to the second worker"
    return by_pid


async def test_sigterm_closes_every_websocket_with_1001_from_on_shutdown(
    server: WorkerServer, state: Path
) -> None:
    async with aiohttp.ClientSession() as session:
        by_pid = await open_on_both_workers(session, server.url)
        server.proc.send_signal(signal.SIGTERM)
        for sockets in by_pid.values():
            for ws in sockets:
                msg = await ws.receive(timeout=15)
                assert msg.type == aiohttp.WSMsgType.CLOSE
                assert msg.data == 1001
                assert msg.extra == "worker stopping"
        assert await asyncio.to_thread(server.proc.wait, 30) == 0
    assert steps(state, "shutdown") == set(by_pid)


async def test_messages_cross_workers_over_redis(tmp_path: Path, state: Path) -> None:
    redis = RedisProcess(tmp_path)
    redis.start()
    server = WorkerServer(
        "tests.worker_app:create_app", state, WORKER_BROADCAST_URL=redis.url
    )
    try:
        server.wait_running()
        async with aiohttp.ClientSession() as session:
            by_pid = await open_on_both_workers(session, server.url)
            first = next(iter(by_pid.values()))[0]
            await first.send_str("from one worker to the other")
            for sockets in by_pid.values():
                for ws in sockets:
                    assert await ws.receive_str(timeout=10) == "from one worker to the other"
            for sockets in by_pid.values():
                for ws in sockets:
                    await ws.close()
    finally:
        server.stop()
        redis.stop()


def test_an_app_that_cannot_start_stops_the_server(state: Path) -> None:
    server = WorkerServer("tests.worker_app:broken_app", state)
    assert server.proc.wait(60) != 0
    assert server.proc.stderr is not None
    errors = server.proc.stderr.read()
    assert "the database is not there" in errors
    assert "before it could serve; stopping" in errors


def factory_defined_here() -> web.Application:
    return web.Application()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (web.Application(), "cannot send .* to other processes: pass an import string"),
        (lambda: web.Application(), "needs a factory defined at module level"),
        ("no_colon_here", "needs 'package.module:attribute'"),
        (42, "cannot send 42 to other processes"),
    ],
)
def test_targets_that_cannot_cross_processes_are_refused(target: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        web.run_app(target, workers=2, port=0, print=None)  # type: ignore[arg-type]


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers must be at least 1, got 0"):
        web.run_app(factory_defined_here, workers=0, port=0, print=None)
