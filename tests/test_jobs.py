"""asgiweb.jobs: aiojobs' scheduler wired to apps, bodies read before jobs wait, no silent loss.

The differential half runs the same app with ``aiojobs.aiohttp`` on real
aiohttp and with ``asgiweb.jobs`` on uvicorn (both through their
``web.AppRunner``) and compares what the jobs did.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import logging
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import aiohttp.web
import aiojobs
import aiojobs.aiohttp
import pytest

from asgiweb import jobs, web
from asgiweb.jobs import Scheduler
from asgiweb.testing import TestClient

from .conftest import ServerFactory


@pytest.fixture
def asyncio_complaints(caplog: pytest.LogCaptureFixture) -> Any:
    """Collect what asyncio and Python would complain about (never retrieved, destroyed...)."""
    caplog.set_level(logging.DEBUG, logger="asyncio")

    def complaints() -> list[str]:
        gc.collect()
        return [r.getMessage() for r in caplog.records if r.name == "asyncio"]

    return complaints


def post_bytes(path: str, body: bytes, *, length: int | None = None) -> bytes:
    """A complete HTTP/1.1 POST (or one announcing *length* but carrying less)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    )
    return head.encode() + body


async def send_and_drop(port: int, data: bytes, delay: float = 0.05) -> None:
    """Send *data* on a raw connection, wait *delay*, and close without reading."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    await asyncio.sleep(delay)
    writer.close()
    await writer.wait_closed()


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


# -- the scheduler --------------------------------------------------------------------


async def test_scheduler_is_aiojobs_with_its_defaults() -> None:
    scheduler = Scheduler()
    assert isinstance(scheduler, aiojobs.Scheduler)
    theirs = aiojobs.Scheduler()
    assert (scheduler.limit, scheduler.pending_limit, scheduler.close_timeout) == (
        theirs.limit,
        theirs.pending_limit,
        theirs.close_timeout,
    )
    assert jobs.Job is aiojobs.Job
    await scheduler.close()
    await theirs.close()


async def test_spawn_after_close_raises_and_closes_the_coroutine() -> None:
    scheduler = Scheduler()
    await scheduler.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="Scheduling a new job after closing"):
            await scheduler.spawn(asyncio.sleep(0))
        gc.collect()
    assert [str(w.message) for w in caught] == []  # no "coroutine ... was never awaited"


async def test_close_logs_what_it_cancels_once_with_the_count(
    caplog: pytest.LogCaptureFixture, asyncio_complaints: Any
) -> None:
    scheduler = Scheduler(limit=2)
    for _ in range(5):
        await scheduler.spawn(asyncio.sleep(30))
    shielded = scheduler.shield(asyncio.sleep(30))
    with caplog.at_level(logging.WARNING, logger="asgiweb.jobs"):
        await scheduler.close()
    [record] = [r for r in caplog.records if r.name == "asgiweb.jobs"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Closing the job scheduler cancels 6 unfinished jobs "
        "(2 running, 3 never started, 1 shielded calls)"
    )
    assert shielded.cancelled() and len(scheduler) == 0
    assert asyncio_complaints() == []


async def test_closing_an_idle_scheduler_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = Scheduler()
    job = await scheduler.spawn(asyncio.sleep(0))
    await job.wait()
    with caplog.at_level(logging.DEBUG, logger="asgiweb.jobs"):
        await scheduler.wait_and_close()
    assert [r for r in caplog.records if r.name == "asgiweb.jobs"] == []


def test_setup_rejects_an_unknown_option_at_once() -> None:
    with pytest.raises(TypeError, match=r"jobs\.setup.*timeout"):
        jobs.setup(web.Application(), timeout=5)


# -- the app integration --------------------------------------------------------------


async def test_thousand_jobs_and_shutdown_leave_nothing_behind(
    asyncio_complaints: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """1,000 jobs spawned, then the app shuts down: all completed or cancelled, no warnings."""
    done: list[int] = []
    cancelled: list[int] = []

    async def job(i: int) -> None:
        try:
            await asyncio.sleep(0.001 if i % 2 else 30)
            done.append(i)
        except asyncio.CancelledError:
            cancelled.append(i)
            raise

    async def handler(request: web.Request) -> web.Response:
        for i in range(1000):
            await jobs.spawn(request, job(i))
        return web.Response(text=str(len(jobs.get_scheduler(request))))

    app = web.Application()
    jobs.setup(app, limit=None, wait_timeout=0.3, close_timeout=0.2)
    app.router.add_get("/", handler)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        async with TestClient(app) as client:
            assert (await client.get("/")).text == "1000"
            scheduler = jobs.get_scheduler_from_app(app)
            # the short jobs finish before shutdown however loaded the machine is
            deadline = asyncio.get_running_loop().time() + 30
            while len(done) < 500:
                assert asyncio.get_running_loop().time() < deadline, len(done)
                await asyncio.sleep(0.01)
        del client
        gc.collect()
    assert len(done) == 500 and len(cancelled) == 500
    assert scheduler is not None and scheduler.closed and len(scheduler) == 0
    assert [str(w.message) for w in caught] == []
    assert asyncio_complaints() == []
    assert [r.getMessage() for r in caplog.records if r.name == "asgiweb.jobs"] == [
        "Closing the job scheduler cancels 500 unfinished jobs "
        "(500 running, 0 never started, 0 shielded calls)"
    ]


async def test_pending_jobs_get_the_wait_timeout_at_shutdown() -> None:
    """Regression: queued jobs used to be dropped at once and running ones given 0.1 s."""
    finished: list[int] = []

    async def job(i: int) -> None:
        await asyncio.sleep(0.1)
        finished.append(i)

    async def handler(request: web.Request) -> web.Response:
        for i in range(4):
            await jobs.spawn(request, job(i))
        return web.Response(text="queued")

    app = web.Application()
    jobs.setup(app, limit=1)  # one at a time: the last starts 0.3 s after the first
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    reader, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert b"queued" in await asyncio.wait_for(reader.read(1024), 5)
    writer.close()
    await runner.cleanup()
    assert finished == [0, 1, 2, 3]


async def test_atomic_job_of_a_gone_client_cancelled_at_shutdown_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = asyncio.Event()

    @jobs.atomic
    async def save(request: web.Request) -> web.Response:
        started.set()
        await asyncio.sleep(30)
        return web.Response(text="saved")

    app = web.Application()
    jobs.setup(app, wait_timeout=0.2)
    app.router.add_post("/save", save)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    await send_and_drop(runner.addresses[0][1], post_bytes("/save", b"{}"))
    await asyncio.wait_for(started.wait(), 5)
    with caplog.at_level(logging.DEBUG):
        await runner.cleanup()
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert messages == [
        "Closing the job scheduler cancels 1 unfinished jobs "
        "(1 running, 0 never started, 0 shielded calls)"
    ]


async def test_shield_and_get_scheduler() -> None:
    async def handler(request: web.Request) -> web.Response:
        value = await jobs.shield(request, asyncio.sleep(0, "shielded"))
        assert jobs.get_scheduler(request) is jobs.get_scheduler_from_app(request.app)
        return web.Response(text=value)

    app = web.Application()
    jobs.setup(app)
    app.router.add_get("/", handler)
    assert jobs.get_scheduler_from_app(app) is None  # made at startup, as in aiojobs
    async with TestClient(app) as client:
        assert (await client.get("/")).text == "shielded"


async def test_get_scheduler_without_setup_says_what_to_do() -> None:
    async def handler(request: web.Request) -> web.Response:
        assert jobs.get_scheduler_from_request(request) is None
        jobs.get_scheduler(request)
        return web.Response()

    app = web.Application(debug=True)
    app.router.add_get("/", handler)
    async with TestClient(app) as client:
        response = await client.get("/")
    assert response.status_code == 500
    assert "Call asgiweb.jobs.setup() on application initialization" in response.text


async def test_atomic_on_class_based_view() -> None:
    class Saver(web.View):
        @jobs.atomic
        async def post(self) -> web.Response:
            return web.Response(text=f"saved {self.request.match_info['id']}")

    app = web.Application()
    jobs.setup(app)
    app.router.add_view("/items/{id}", Saver)
    async with TestClient(app) as client:
        assert (await client.post("/items/5")).text == "saved 5"


async def test_guide_spawn_example() -> None:
    """The "Web Server Advanced" guide's aiojobs example, the import changed to asgiweb.jobs."""
    from asgiweb.jobs import setup, spawn

    finished = asyncio.Event()

    async def coro(timeout: float) -> None:
        await asyncio.sleep(timeout)  # do something in background
        finished.set()

    async def handler(request: web.Request) -> web.Response:
        await spawn(request, coro(0.01))
        return web.Response()

    app = web.Application()
    setup(app)
    app.router.add_get("/", handler)
    async with TestClient(app) as client:
        assert (await client.get("/")).status_code == 200
        await asyncio.wait_for(finished.wait(), 1)


# -- the body is read before a job waits (issue: queued atomic writes were lost) ----------


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_queued_atomic_jobs_read_the_body_their_gone_clients_sent(
    live_server: ServerFactory, http: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: a job that waited for a slot read ``http.disconnect`` instead of its body."""
    saved: list[int] = []
    gate = asyncio.Event()

    @jobs.atomic
    async def save(request: web.Request) -> web.Response:
        await gate.wait()
        saved.append((await request.json())["n"])
        return web.Response(text="saved")

    app = web.Application(handler_cancellation=True)
    jobs.setup(app, limit=1)
    app.router.add_post("/save", save)
    server = await live_server(app, http=http)
    with caplog.at_level(logging.DEBUG):
        for n in range(5):
            await send_and_drop(server.port, post_bytes("/save", json.dumps({"n": n}).encode()))
        scheduler = jobs.get_scheduler_from_app(app)
        assert scheduler is not None
        await wait_until(lambda: scheduler.pending_count == 4)
        gate.set()
        await wait_until(lambda: len(saved) == 5)
    assert sorted(saved) == [0, 1, 2, 3, 4]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_spawned_job_reads_the_body_after_the_response_was_sent(
    live_server: ServerFactory,
) -> None:
    """Regression: once the response is complete, uvicorn answers receive() with disconnect."""
    got: list[Any] = []

    async def store(request: web.Request) -> None:
        await asyncio.sleep(0.05)  # the response has gone out by now
        got.append(await request.json())

    async def handler(request: web.Request) -> web.Response:
        await jobs.spawn(request, store(request))
        return web.Response(text="accepted", status=202)

    app = web.Application()
    jobs.setup(app)
    app.router.add_post("/", handler)
    server = await live_server(app)
    async with server.client() as client:
        response = await client.post("/", json={"order": 7})
        assert response.status_code == 202
        await wait_until(lambda: bool(got))
    assert got == [{"order": 7}]


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_an_atomic_route_reads_the_body_before_a_slow_middleware(
    live_server: ServerFactory, http: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A middleware awaiting a session store must not leave the body unread until the drop."""
    saved: list[Any] = []
    client_gone = asyncio.Event()

    @web.middleware
    async def session(request: web.Request, handler: Any) -> web.StreamResponse:
        await client_gone.wait()  # a slow session store: the client leaves meanwhile
        return await handler(request)

    @jobs.atomic
    async def save(request: web.Request) -> web.Response:
        saved.append(await request.json())
        return web.Response(text="saved")

    class Items(web.View):
        @jobs.atomic
        async def put(self) -> web.Response:
            saved.append(await self.request.json())
            return web.Response(text="saved")

    app = web.Application(middlewares=[session])
    jobs.setup(app)
    app.router.add_post("/save", save)
    app.router.add_view("/items", Items)
    assert jobs.reads_body_first(save) and jobs.reads_body_first(Items)
    server = await live_server(app, http=http)
    with caplog.at_level(logging.WARNING):
        await send_and_drop(server.port, post_bytes("/save", b'{"n": 1}'))
        item = post_bytes("/items", b'{"n": 2}').replace(b"POST", b"PUT", 1)
        await send_and_drop(server.port, item)
        await asyncio.sleep(0.1)
        client_gone.set()
        await wait_until(lambda: len(saved) == 2)
    assert sorted(d["n"] for d in saved) == [1, 2]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_body_over_client_max_size_is_left_to_the_handler() -> None:
    """Only client_max_size bytes are read ahead; the handler streams the rest or gets 413."""

    @jobs.atomic
    async def stream(request: web.Request) -> web.Response:
        size = 0
        async for chunk in request.content.iter_chunked(100):
            size += len(chunk)
        return web.Response(text=str(size))

    @jobs.atomic
    async def whole(request: web.Request) -> web.Response:
        return web.Response(text=str(len(await request.read())))

    app = web.Application(client_max_size=1000)
    jobs.setup(app)
    app.router.add_post("/stream", stream)
    app.router.add_post("/whole", whole)

    async def chunks() -> Any:
        for _ in range(30):
            yield b"x" * 100  # no Content-Length: the size shows only while reading

    async with TestClient(app) as client:
        assert (await client.post("/stream", content=chunks())).text == "3000"
        assert (await client.post("/whole", content=chunks())).status_code == 413
        assert (await client.post("/whole", content=b"y" * 3000)).status_code == 413
        assert (await client.post("/whole", content=b"y" * 1000)).text == "1000"


@pytest.mark.parametrize("kind", ["atomic", "spawn"])
async def test_a_client_leaving_mid_body_is_a_warning_naming_the_route(
    live_server: ServerFactory, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    outcome: list[str] = []

    async def read_it(request: web.Request) -> None:
        try:
            await request.json()
        except ConnectionResetError as exc:
            outcome.append(type(exc).__name__)
            raise
        outcome.append("read")  # a cut body must never read as complete

    @jobs.atomic
    async def atomic_save(request: web.Request) -> web.Response:
        await read_it(request)
        return web.Response(text="saved")

    async def spawn_save(request: web.Request) -> web.Response:
        await jobs.spawn(request, read_it(request))
        return web.Response(text="queued")

    def quiet(scheduler: Any, context: dict[str, Any]) -> None:
        outcome.append(context["message"])

    app = web.Application(handler_cancellation=True)
    jobs.setup(app, exception_handler=quiet)
    app.router.add_post("/items/{id}", atomic_save if kind == "atomic" else spawn_save)
    server = await live_server(app)
    with caplog.at_level(logging.DEBUG):
        await send_and_drop(server.port, post_bytes("/items/1", b'{"n": 1', length=100))
        await wait_until(lambda: "ClientDisconnectedError" in outcome)
        await asyncio.sleep(0.05)
    warnings_logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings_logged) == 1
    assert warnings_logged[0].startswith("POST /items/{id}: ")
    assert "7 bytes" in warnings_logged[0]
    assert "read" not in outcome


async def test_atomic_failure_after_the_client_left_is_reported(
    live_server: ServerFactory, asyncio_complaints: Any
) -> None:
    """aiojobs stays silent about a job whose waiter was cancelled; asgiweb reports it."""
    reported: list[dict[str, Any]] = []
    started = asyncio.Event()

    @jobs.atomic
    async def save(request: web.Request) -> web.Response:
        started.set()
        await asyncio.sleep(0.2)  # the client leaves meanwhile
        raise RuntimeError("the database is down")

    app = web.Application(handler_cancellation=True)
    jobs.setup(app, exception_handler=lambda scheduler, context: reported.append(context))
    app.router.add_post("/save", save)
    server = await live_server(app)
    await send_and_drop(server.port, post_bytes("/save", b"{}"), delay=0.05)
    await wait_until(lambda: bool(reported))
    [context] = reported
    assert context["message"].startswith("Atomic handler")
    assert "failed after its client disconnected (POST /save)" in context["message"]
    assert str(context["exception"]) == "the database is down"
    assert asyncio_complaints() == []  # no "Task exception was never retrieved"


async def test_atomic_answers_normally_when_the_client_stays() -> None:
    @jobs.atomic
    async def save(request: web.Request) -> web.Response:
        data = await request.post()
        if "name" not in data:
            raise web.HTTPBadRequest(text="name is required")
        return web.json_response({"name": data["name"]}, status=201)

    app = web.Application()
    jobs.setup(app)
    app.router.add_post("/", save)
    async with TestClient(app) as client:
        created = await client.post("/", data={"name": "Ann"})
        assert (created.status_code, created.json()) == (201, {"name": "Ann"})
        bad = await client.post("/", data={"other": "x"})
        assert (bad.status_code, bad.text) == (400, "name is required")
        multipart = await client.post("/", files={"name": (None, b"Bo")})
        assert multipart.json() == {"name": "Bo"}


# -- differential: aiojobs.aiohttp on aiohttp, asgiweb.jobs on uvicorn --------------------

PAIRS = [
    pytest.param(aiohttp.web, aiojobs.aiohttp, id="aiohttp+aiojobs"),
    pytest.param(web, jobs, id="asgiweb"),
]


def test_the_api_of_aiojobs_aiohttp() -> None:
    names = {*aiojobs.aiohttp.__all__, "shield", "get_scheduler_from_request"}
    for name in names:
        theirs, ours = getattr(aiojobs.aiohttp, name), getattr(jobs, name)
        assert list(inspect.signature(ours).parameters) == list(
            inspect.signature(theirs).parameters
        ), name
        assert inspect.iscoroutinefunction(ours) == inspect.iscoroutinefunction(theirs), name


async def serve(web_module: ModuleType, app: Any, **runner_options: Any) -> tuple[Any, int]:
    runner = web_module.AppRunner(app, **runner_options)
    await runner.setup()
    site = web_module.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def http(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


def build(web_module: ModuleType, jobs_module: ModuleType, events: list[str]) -> Any:
    """The same application source, whichever web/jobs pair it is given."""

    async def work(name: str, seconds: float) -> str:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            events.append(f"{name} cancelled")
            raise
        events.append(f"{name} done")
        return name

    async def boom() -> None:
        raise ValueError("job failed")

    async def spawn(request: Any) -> Any:
        job = await jobs_module.spawn(request, work(request.query["name"], 0.01))
        events.append(f"spawned pending={job.pending}")
        return web_module.Response(text="spawned")

    async def background(request: Any) -> Any:
        seconds = float(request.query["seconds"])
        await jobs_module.spawn(request, work(request.query["name"], seconds))
        return web_module.Response(text="ok")

    async def fail(request: Any) -> Any:
        await jobs_module.spawn(request, boom())
        return web_module.Response(text="ok")

    async def shield(request: Any) -> Any:
        return web_module.Response(text=await jobs_module.shield(request, work("shielded", 0)))

    @jobs_module.atomic
    async def atomic(request: Any) -> Any:
        data = await request.json()
        events.append(f"atomic {data['n']}")
        return web_module.json_response({"saved": data["n"]})

    class Items(web_module.View):  # type: ignore[name-defined, misc]
        @jobs_module.atomic
        async def post(self) -> Any:
            return web_module.Response(text="view " + await self.request.text())

    async def nested(request: Any) -> Any:
        scheduler = jobs_module.get_scheduler(request)
        same = scheduler is jobs_module.get_scheduler_from_app(app)
        return web_module.Response(text=f"{type(scheduler).__name__} {same}")

    def handler(scheduler: Any, context: dict[str, Any]) -> None:
        events.append(f"{context['message']}: {context['exception']}")

    app = web_module.Application()
    jobs_module.setup(
        app,
        limit=2,
        pending_limit=100,
        close_timeout=0.1,
        wait_timeout=0.5,
        exception_handler=handler,
    )
    app.router.add_get("/spawn", spawn)
    app.router.add_get("/background", background)
    app.router.add_get("/fail", fail)
    app.router.add_get("/shield", shield)
    app.router.add_post("/atomic", atomic)
    app.router.add_view("/items", Items)
    sub = web_module.Application()
    sub.router.add_get("/", nested)
    app.add_subapp("/sub", sub)
    return app


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_same_job_behaviour_as_aiojobs_on_aiohttp() -> None:
    outcomes = []
    for web_module, jobs_module in ((aiohttp.web, aiojobs.aiohttp), (web, jobs)):
        events: list[str] = []
        app = build(web_module, jobs_module, events)
        before = jobs_module.get_scheduler_from_app(app)
        runner, port = await serve(web_module, app, shutdown_timeout=1)
        answers = [
            await http(port, "GET", "/spawn?name=a"),
            await http(port, "GET", "/shield"),
            await http(port, "POST", "/atomic", b'{"n": 1}'),
            await http(port, "POST", "/items", b"body"),
            await http(port, "GET", "/sub/"),
            await http(port, "GET", "/fail"),
            await http(port, "GET", "/missing"),
        ]
        await asyncio.sleep(0.1)
        # at shutdown: two running (limit=2), two pending; wait_timeout=0.5
        for name, seconds in (("slow1", 30), ("quick", 0.05), ("slow2", 30), ("late", 0.05)):
            await http(port, "GET", f"/background?name={name}&seconds={seconds}")
        scheduler = jobs_module.get_scheduler_from_app(app)
        state = (scheduler.active_count, scheduler.pending_count, scheduler.closed)
        await runner.cleanup()
        outcomes.append(
            (
                before,
                answers[:-1],
                answers[-1][0],
                state,
                scheduler.closed,
                len(scheduler),
                sorted(events),
            )
        )
    theirs, ours = outcomes
    assert ours == theirs
    assert theirs[0] is None
    assert theirs[3] == (2, 2, False)
    assert "Job processing failed: job failed" in theirs[-1]
    assert {"slow1 cancelled", "slow2 cancelled", "quick done"} <= set(theirs[-1])
    assert "late done" not in theirs[-1]  # still pending at close: never started


def saver(out: list[int], gate: asyncio.Event, web_module: Any) -> Any:
    """A handler that waits for *gate*, then stores the request's ``n``."""

    async def save(request: Any) -> Any:
        await gate.wait()
        out.append((await request.json())["n"])
        return web_module.Response(text="saved")

    return save


async def test_queued_atomic_writes_of_gone_clients_are_lost_by_aiohttp_kept_by_asgiweb() -> None:
    """Divergence on purpose: aiohttp fails a body read once the client has gone.

    aiohttp's payload stream raises ``ConnectionResetError`` after the
    connection is lost even when the whole body had arrived, so with
    aiojobs.aiohttp the queued atomic writes below are lost; asgiweb keeps them.
    """
    saved: dict[str, list[int]] = {"aiohttp": [], "asgiweb": []}
    for label, web_module, jobs_module in (
        ("aiohttp", aiohttp.web, aiojobs.aiohttp),
        ("asgiweb", web, jobs),
    ):
        gate = asyncio.Event()

        app = web_module.Application()
        jobs_module.setup(app, limit=1, exception_handler=lambda s, c: None)
        app.router.add_post("/save", jobs_module.atomic(saver(saved[label], gate, web_module)))
        runner, port = await serve(web_module, app, handler_cancellation=True)
        try:
            for n in range(4):
                await send_and_drop(port, post_bytes("/save", json.dumps({"n": n}).encode()))
            await asyncio.sleep(0.2)
            gate.set()
            await asyncio.sleep(0.2)
            if label == "asgiweb":
                await wait_until(lambda: len(saved["asgiweb"]) == 4)
        finally:
            await runner.cleanup()
    assert len(saved["aiohttp"]) < 4
    assert sorted(saved["asgiweb"]) == [0, 1, 2, 3]


@pytest.mark.parametrize(("web_module", "jobs_module"), PAIRS)
async def test_unknown_setup_option_is_a_type_error(
    web_module: ModuleType, jobs_module: ModuleType
) -> None:
    """aiojobs raises at startup; asgiweb already at setup(), with the options listed."""

    async def start() -> None:
        app = web_module.Application()
        jobs_module.setup(app, timeout=1)
        runner = web_module.AppRunner(app)
        try:
            await runner.setup()
        finally:
            await runner.cleanup()

    with pytest.raises(TypeError, match="timeout"):
        await start()
