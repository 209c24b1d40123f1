"""Handler cancellation on client disconnect, shielding and atomic jobs, through real uvicorn."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from asgiweb import jobs, web

from .conftest import ServerFactory

EVENTS = web.AppKey("events", list[str])
SEEN = web.AppKey("seen", asyncio.Event)


async def drop_after(port: int, request: bytes, delay: float) -> float:
    """Send *request* on a raw socket, wait *delay*, drop the connection; the drop time."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    await asyncio.sleep(delay)
    dropped = time.monotonic()
    writer.close()
    await writer.wait_closed()
    return dropped


GET = b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n"
POST = b"POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"


def make_app(*, cancellation: bool) -> web.Application:
    async def slow(request: web.Request) -> web.Response:
        body = await request.read()
        request.app[EVENTS].append(f"start {body.decode()}".strip())
        request.app[SEEN].set()
        try:
            await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            request.app[EVENTS].append(f"cancelled at {time.monotonic()}")
            raise
        request.app[EVENTS].append("completed")
        return web.Response(text="done")

    async def shielded(request: web.Request) -> web.Response:
        async def write_to_db() -> None:
            await asyncio.sleep(0.3)
            request.app[EVENTS].append("saved")

        request.app[SEEN].set()
        await asyncio.shield(write_to_db())
        return web.Response(text="ok")

    @jobs.atomic
    async def atomic_handler(request: web.Request) -> web.Response:
        request.app[SEEN].set()
        await asyncio.sleep(0.3)
        request.app[EVENTS].append("atomic saved")
        return web.Response(text="ok")

    app = web.Application(handler_cancellation=cancellation)
    jobs.setup(app)
    app[EVENTS] = []
    app[SEEN] = asyncio.Event()
    app.router.add_route("*", "/slow", slow)
    app.router.add_get("/shielded", shielded)
    app.router.add_get("/atomic", atomic_handler)
    return app


async def wait_for_event(events: list[str], prefix: str, timeout: float = 3.0) -> str:
    for _ in range(int(timeout / 0.01)):
        for event in events:
            if event.startswith(prefix):
                return event
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {prefix!r} event in {events}")


@pytest.mark.parametrize("http", ["h11", "httptools"])
@pytest.mark.parametrize("request_bytes", [GET, POST], ids=["GET", "POST-with-body"])
async def test_drop_cancels_handler_when_enabled(
    live_server: ServerFactory, http: str, request_bytes: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(cancellation=True)
    server = await live_server(app, http=http)
    with caplog.at_level(logging.WARNING):
        dropped = await drop_after(server.port, request_bytes, 0.1)
        event = await wait_for_event(app[EVENTS], "cancelled")
    delay = float(event.split()[-1]) - dropped
    assert delay < 1.0  # the real figure is a few ms: benchmarks/cancellation_delay.py
    assert "completed" not in app[EVENTS]
    assert app[EVENTS][0] == ("start hello" if request_bytes is POST else "start")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_drop_does_not_cancel_when_disabled(
    live_server: ServerFactory, http: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(cancellation=False)
    server = await live_server(app, http=http)
    with caplog.at_level(logging.WARNING):
        await drop_after(server.port, GET, 0.1)
        await wait_for_event(app[EVENTS], "completed")
    assert app[EVENTS] == ["start", "completed"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_runner_option_turns_cancellation_on() -> None:
    app = make_app(cancellation=False)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await drop_after(runner.addresses[0][1], GET, 0.1)
        await wait_for_event(app[EVENTS], "cancelled")
    finally:
        await runner.cleanup()


async def test_shielded_work_completes_after_drop(live_server: ServerFactory) -> None:
    app = make_app(cancellation=True)
    server = await live_server(app)
    await drop_after(server.port, b"GET /shielded HTTP/1.1\r\nHost: x\r\n\r\n", 0.1)
    await wait_for_event(app[EVENTS], "saved")


async def test_atomic_handler_completes_after_drop(live_server: ServerFactory) -> None:
    app = make_app(cancellation=True)
    server = await live_server(app)
    await drop_after(server.port, b"GET /atomic HTTP/1.1\r\nHost: x\r\n\r\n", 0.1)
    await wait_for_event(app[EVENTS], "atomic saved")


async def test_streaming_to_a_gone_client_stops_quietly(
    live_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Cancellation off: the next write() raises ConnectionResetError, as in aiohttp."""
    outcome: list[str] = []

    async def forever(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            while True:
                await resp.write(b"tick\n")
                await asyncio.sleep(0.02)
        except ConnectionResetError as exc:
            outcome.append(str(exc))
            raise

    app = web.Application()
    app.router.add_get("/", forever)
    server = await live_server(app)
    with caplog.at_level(logging.WARNING):
        await drop_after(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0.15)
        for _ in range(300):
            if outcome:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
    assert outcome == ["Cannot write to closing transport"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_completed_requests_are_not_cancelled_afterwards(live_server: ServerFactory) -> None:
    """Keep-alive: after a response the server reports disconnect; nothing is cancelled."""
    app = make_app(cancellation=True)
    server = await live_server(app)
    async with server.client() as client:
        for _ in range(3):
            r = await client.get("/shielded")
            assert r.text == "ok"
    assert app[EVENTS] == ["saved", "saved", "saved"]


def test_watcher_is_not_used_by_default() -> None:
    assert web.Application()._handler_cancellation is False


async def test_thousand_jobs_and_runner_shutdown_through_uvicorn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1,000 jobs spawned over HTTP, then a graceful shutdown: all completed or cancelled."""
    import gc
    import warnings

    finished: list[str] = []

    async def job(i: int) -> None:
        try:
            await asyncio.sleep(0.01 if i % 2 else 60)
            finished.append("completed")
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise

    async def handler(request: web.Request) -> web.Response:
        for i in range(1000):
            await jobs.spawn(request, job(i))
        return web.Response(text="spawned")

    app = web.Application()
    jobs.setup(app, limit=None, wait_timeout=0.3, close_timeout=0.3)
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    # What earlier tests left for the garbage collector (a pending task, an unclosed
    # socket) is collected now, so that only this test's own leftovers are recorded.
    gc.collect()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG, "asyncio"):
        warnings.simplefilter("always")
        reader, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        assert b"spawned" in await asyncio.wait_for(reader.read(1024), 30)
        writer.close()
        await runner.cleanup()
        gc.collect()
    assert finished.count("completed") == 500 and finished.count("cancelled") == 500
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def test_a_body_cut_by_a_disconnect_never_reads_as_complete() -> None:
    """Reading again after ``ClientDisconnectedError`` raises again; it never returns a part."""
    from asgiweb.streams import ClientDisconnectedError

    outcome: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        for attempt in ("read", "read again", "text", "content.read", "content.readany"):
            try:
                if attempt.startswith("read"):
                    data = await request.read()
                elif attempt == "text":
                    data = (await request.text()).encode()
                elif attempt == "content.read":
                    data = await request.content.read()
                else:
                    data = await request.content.readany()
                outcome.append(f"{attempt}: {data!r}")
            except ClientDisconnectedError:
                outcome.append(f"{attempt}: disconnected")
        assert not request.content.at_eof()
        return web.Response()

    app = web.Application()
    app.router.add_post("/", handler)
    messages = [
        {"type": "http.request", "body": b"part", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, object]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        pass

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"host", b"x"), (b"content-length", b"100")],
    }
    await app(scope, receive, send)
    assert outcome == [
        "read: disconnected",
        "read again: disconnected",
        "text: disconnected",
        "content.read: disconnected",
        "content.readany: disconnected",
    ]
