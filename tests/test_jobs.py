"""asgiweb.jobs: the scheduler, spawn/atomic/shield, closing at cleanup, no lost exceptions."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from typing import Any

import pytest

from asgiweb import jobs, web
from asgiweb.jobs import Scheduler
from asgiweb.testing import TestClient


@pytest.fixture
def asyncio_complaints(caplog: pytest.LogCaptureFixture) -> Any:
    """Collect what asyncio and Python would complain about (never retrieved, destroyed...)."""
    caplog.set_level(logging.DEBUG, logger="asyncio")

    def complaints() -> list[str]:
        gc.collect()
        return [r.getMessage() for r in caplog.records if r.name == "asyncio"]

    return complaints


async def test_spawn_wait_and_result() -> None:
    scheduler = Scheduler()

    async def double(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    job = await scheduler.spawn(double(21), name="double")
    assert job.active and not job.pending and job in scheduler
    assert await job.wait() == 42
    assert job.closed and len(scheduler) == 0
    assert job.get_name() == "double"
    await scheduler.close()
    assert scheduler.closed
    with pytest.raises(RuntimeError, match="Scheduling a new job after closing"):
        await scheduler.spawn(double(1))


async def test_limit_and_pending_queue() -> None:
    scheduler = Scheduler(limit=2)
    gate = asyncio.Event()
    running = 0
    peak = 0

    async def work() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1

    spawned = [await scheduler.spawn(work()) for _ in range(5)]
    assert (scheduler.active_count, scheduler.pending_count, len(scheduler)) == (2, 3, 5)
    assert [j.pending for j in spawned] == [False, False, True, True, True]
    await asyncio.sleep(0.01)
    assert running == 2  # the limit holds the other three back
    gate.set()
    await asyncio.gather(*(j.wait() for j in spawned))
    assert peak == 2
    assert len(scheduler) == 0
    await scheduler.close()


async def test_pending_limit_makes_spawn_wait() -> None:
    scheduler = Scheduler(limit=1, pending_limit=1)
    gate = asyncio.Event()

    async def work() -> None:
        await gate.wait()

    await scheduler.spawn(work())
    await scheduler.spawn(work())
    third = asyncio.create_task(scheduler.spawn(work()))
    await asyncio.sleep(0.01)
    assert not third.done()  # queue full: spawn waits
    gate.set()
    await asyncio.wait_for(third, 1)
    await scheduler.close()


async def test_exception_goes_to_handler_once(asyncio_complaints: Any) -> None:
    reported: list[tuple[str, str]] = []

    def handler(scheduler: Scheduler, context: dict[str, Any]) -> None:
        reported.append((context["message"], str(context["exception"])))

    scheduler = Scheduler(exception_handler=handler)

    async def boom() -> None:
        raise ValueError("lost?")

    await scheduler.spawn(boom())
    await asyncio.sleep(0.01)
    assert reported == [("Job processing failed", "lost?")]
    await scheduler.close()
    assert asyncio_complaints() == []


async def test_default_handler_logs_with_traceback(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = Scheduler()

    async def boom() -> None:
        raise KeyError("missing")

    with caplog.at_level(logging.ERROR, logger="asgiweb.jobs"):
        await scheduler.spawn(boom())
        await asyncio.sleep(0.01)
    [record] = [r for r in caplog.records if r.name == "asgiweb.jobs"]
    assert record.getMessage().startswith("Job processing failed")
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    await scheduler.close()


async def test_waited_exception_is_raised_not_reported() -> None:
    reported: list[Any] = []
    scheduler = Scheduler(exception_handler=lambda s, c: reported.append(c))

    async def boom() -> None:
        raise ValueError("to the waiter")

    job = await scheduler.spawn(boom())
    with pytest.raises(ValueError, match="to the waiter"):
        await job.wait()
    assert reported == []
    await scheduler.close()


async def test_wait_timeout_closes_the_job() -> None:
    scheduler = Scheduler()
    job = await scheduler.spawn(asyncio.sleep(10))
    with pytest.raises(asyncio.TimeoutError):
        await job.wait(timeout=0.01)
    assert job.closed and not job.active
    await scheduler.close()


async def test_close_waits_then_cancels(asyncio_complaints: Any) -> None:
    scheduler = Scheduler(close_timeout=0.1)
    finished: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.02)
        finished.append("quick")

    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise

    await scheduler.spawn(quick())
    await scheduler.spawn(stubborn())
    await scheduler.close()
    assert sorted(finished) == ["cancelled", "quick"]
    assert len(scheduler) == 0
    assert asyncio_complaints() == []


async def test_thousand_jobs_and_shutdown_leave_nothing_behind(asyncio_complaints: Any) -> None:
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
    jobs.setup(app, limit=None, close_timeout=0.2)
    app.router.add_get("/", handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with TestClient(app) as client:
            assert (await client.get("/")).text == "1000"
            scheduler = jobs.get_scheduler_from_app(app)
        del client
        gc.collect()
    assert len(done) + len(cancelled) == 1000
    assert len(done) == 500 and len(cancelled) == 500
    assert scheduler.closed and len(scheduler) == 0
    assert [str(w.message) for w in caught] == []
    assert asyncio_complaints() == []


async def test_pending_jobs_never_start_after_close(asyncio_complaints: Any) -> None:
    scheduler = Scheduler(limit=1)
    started: list[int] = []

    async def work(i: int) -> None:
        started.append(i)
        await asyncio.sleep(10)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(3):
            await scheduler.spawn(work(i))
        await scheduler.close()
        gc.collect()
    assert started == [0]
    assert [str(w.message) for w in caught] == []  # no "coroutine was never awaited"
    assert asyncio_complaints() == []


async def test_shield_and_get_scheduler_errors() -> None:
    async def handler(request: web.Request) -> web.Response:
        value = await jobs.shield(request, asyncio.sleep(0, "shielded"))
        return web.Response(text=value)

    app = web.Application()
    jobs.setup(app)
    app.router.add_get("/", handler)
    async with TestClient(app) as client:
        assert (await client.get("/")).text == "shielded"

    bare = web.Application()
    with pytest.raises(RuntimeError, match=r"asgiweb\.jobs\.setup"):
        jobs.get_scheduler_from_app(bare)


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


async def test_seed_spawn_example() -> None:
    """The seed's aiojobs example with the import changed to asgiweb.jobs."""
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


async def test_running_job_may_spawn_during_the_grace_period() -> None:
    scheduler = Scheduler(close_timeout=1.0)
    done: list[str] = []

    async def follow_up() -> None:
        await asyncio.sleep(0.01)
        done.append("follow-up")

    async def first() -> None:
        await asyncio.sleep(0.02)
        await scheduler.spawn(follow_up())
        done.append("first")

    await scheduler.spawn(first())
    await scheduler.close()
    assert done == ["first", "follow-up"]
    with pytest.raises(RuntimeError, match="after closing"):
        await scheduler.spawn(follow_up())
