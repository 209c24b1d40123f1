"""Background jobs that are never lost: the seed's aiojobs section, built in.

A :class:`Scheduler` runs coroutines as tasks with a concurrency limit and a
pending queue, reports their exceptions, and on close waits for them (up to
``close_timeout``) before cancelling what is left. Wired to an application
with :func:`setup`, the scheduler is closed at cleanup, so jobs neither leak
nor die silently at shutdown.

>>> from asgiweb import jobs
>>> jobs.setup(app)
>>> async def handler(request):
...     await jobs.spawn(request, send_welcome_email(request))
...     return web.Response(text="queued")
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from functools import wraps
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .keys import AppKey
from .routing import AbstractView

if TYPE_CHECKING:
    from .app import Application
    from .request import Request
    from .response import StreamResponse

__all__ = (
    "Job",
    "Scheduler",
    "atomic",
    "get_scheduler",
    "get_scheduler_from_app",
    "get_scheduler_from_request",
    "setup",
    "shield",
    "spawn",
)

jobs_logger = logging.getLogger("asgiweb.jobs")

_T = TypeVar("_T")
ExceptionHandler = Callable[["Scheduler", dict[str, Any]], None]


class Job(Generic[_T]):
    """One spawned coroutine: ``active`` while it runs, ``pending`` while it waits its turn."""

    def __init__(
        self, coro: Coroutine[Any, Any, _T], scheduler: Scheduler, name: str | None
    ) -> None:
        self._coro: Coroutine[Any, Any, _T] | None = coro
        self._scheduler = scheduler
        self._name = name
        self._task: asyncio.Task[_T] | None = None
        self._started = asyncio.get_running_loop().create_future()
        self._closed = False
        self._waiters = 0

    @property
    def active(self) -> bool:
        """True while the job's task runs."""
        return self._task is not None and not self._task.done()

    @property
    def pending(self) -> bool:
        """True while the job waits for a free slot under the scheduler's limit."""
        return self._task is None and not self._closed

    @property
    def closed(self) -> bool:
        """True once the job has finished or been closed."""
        return self._closed

    def get_name(self) -> str | None:
        """The name of the job's task (or the name it will get once it starts)."""
        return self._task.get_name() if self._task is not None else self._name

    def __repr__(self) -> str:
        state = "closed" if self._closed else "pending" if self.pending else "active"
        return f"<Job {state} {self.get_name() or ''}>".replace(" >", ">")

    def _start(self) -> None:
        assert self._coro is not None and self._task is None
        self._task = asyncio.get_running_loop().create_task(self._coro, name=self._name)
        self._coro = None
        self._task.add_done_callback(self._done)
        if not self._started.done():
            self._started.set_result(None)

    def _done(self, task: asyncio.Task[_T]) -> None:
        self._closed = True
        self._scheduler._job_done(self)
        if task.cancelled():
            return
        exc = task.exception()  # retrieved here, so asyncio never warns about it
        if exc is not None and self._waiters == 0:
            self._scheduler.call_exception_handler(
                {"message": "Job processing failed", "job": self, "exception": exc}
            )

    async def wait(self, *, timeout: float | None = None) -> _T:
        """Wait for the result. Cancelling the waiter does not cancel the job.

        On *timeout* the job is closed and ``asyncio.TimeoutError`` raised.
        """
        self._waiters += 1
        try:
            return await asyncio.shield(self._result(timeout))
        except asyncio.TimeoutError:
            await self._close(self._scheduler.close_timeout)
            raise
        finally:
            self._waiters -= 1

    async def _result(self, timeout: float | None) -> _T:
        async with asyncio.timeout(timeout):
            await self._started
            assert self._task is not None
            return await asyncio.shield(self._task)

    async def close(self, *, timeout: float | None = None) -> None:
        """Cancel the job and wait for it to end (up to *timeout*, default ``close_timeout``)."""
        await self._close(self._scheduler.close_timeout if timeout is None else timeout)

    async def _close(self, timeout: float) -> None:
        self._closed = True
        if self._task is None:
            # never started: close the coroutine so Python does not warn it was never awaited
            if self._coro is not None:
                self._coro.close()
                self._coro = None
            self._scheduler._job_done(self)
            if not self._started.done():
                self._started.cancel()
            return
        if self._task.done():
            return
        self._task.cancel()
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._task)
        except asyncio.CancelledError:
            if not self._task.done():
                raise
        except asyncio.TimeoutError as exc:
            self._scheduler.call_exception_handler(
                {"message": "Job closing timed out", "job": self, "exception": exc}
            )
        except Exception:
            pass  # reported by _done()


class Scheduler:
    """Runs jobs: at most *limit* at once, up to *pending_limit* more waiting their turn.

    ``spawn()`` waits while the pending queue is full. Exceptions of jobs that
    nobody waits for go to *exception_handler* (by default: logged once, with
    the traceback, on ``asgiweb.jobs``).
    """

    def __init__(
        self,
        *,
        close_timeout: float = 0.1,
        limit: int | None = 100,
        pending_limit: int = 10000,
        exception_handler: ExceptionHandler | None = None,
    ) -> None:
        if limit is not None and limit <= 0:
            raise ValueError(f"limit must be a positive number or None, got {limit!r}")
        self._close_timeout = close_timeout
        self._limit = limit
        self._pending_limit = pending_limit
        self._exception_handler = exception_handler
        self._jobs: set[Job[Any]] = set()
        self._pending: asyncio.Queue[Job[Any]] = asyncio.Queue(maxsize=pending_limit)
        self._closing = False  # close() is giving running jobs their grace period
        self._closed = False

    def __repr__(self) -> str:
        state = "closed " if self._closed else ""
        return f"<Scheduler {state}jobs={len(self)}>"

    @property
    def limit(self) -> int | None:
        """How many jobs may run at once (``None``: no limit)."""
        return self._limit

    @property
    def pending_limit(self) -> int:
        """How many jobs may wait for a slot (0: no limit)."""
        return self._pending_limit

    @property
    def close_timeout(self) -> float:
        """Seconds ``close()`` waits for jobs before cancelling them."""
        return self._close_timeout

    @property
    def active_count(self) -> int:
        """How many jobs are running."""
        return len(self._jobs) - self._pending.qsize()

    @property
    def pending_count(self) -> int:
        """How many jobs wait for a slot."""
        return self._pending.qsize()

    @property
    def closed(self) -> bool:
        """True once ``close()`` has been called."""
        return self._closed

    def __iter__(self) -> Iterator[Job[Any]]:
        return iter(list(self._jobs))

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, job: object) -> bool:
        return job in self._jobs

    async def spawn(self, coro: Coroutine[Any, Any, _T], name: str | None = None) -> Job[_T]:
        """Schedule *coro*; it starts now, or when a running job ends if *limit* is reached."""
        if self._closed:
            coro.close()
            raise RuntimeError("Scheduling a new job after closing")
        job = Job(coro, self, name)
        if self._limit is None or self.active_count < self._limit:
            job._start()
        else:
            try:
                await self._pending.put(job)
            except BaseException:
                coro.close()
                raise
        self._jobs.add(job)
        return job

    async def shield(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run *coro* as a job and wait for it; if the caller is cancelled, the job goes on."""
        job = await self.spawn(coro)
        return await job.wait()

    def _job_done(self, job: Job[Any]) -> None:
        self._jobs.discard(job)
        if self._limit is None:
            return
        while self.active_count < self._limit and not self._pending.empty():
            following = self._pending.get_nowait()
            if not following.closed:
                following._start()

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """Report a job's exception (``context`` has ``message``, ``job``, ``exception``)."""
        if self._exception_handler is not None:
            self._exception_handler(self, context)
            return
        jobs_logger.error(
            "%s: %r", context["message"], context.get("job"), exc_info=context.get("exception")
        )

    async def close(self) -> None:
        """Let running jobs finish for up to ``close_timeout``, then cancel the rest.

        Jobs still pending never start (their coroutines are closed). During the
        grace period a running job may still spawn follow-up jobs (they share the
        same deadline); after it, ``spawn()`` raises.
        """
        if self._closed or self._closing:
            return
        self._closing = True
        while not self._pending.empty():
            await self._pending.get_nowait()._close(0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._close_timeout
        while (remaining := deadline - loop.time()) > 0:
            running = [
                job._task for job in self._jobs if job._task is not None and not job._task.done()
            ]
            if not running:
                break
            await asyncio.wait(running, timeout=remaining)
        self._closed = True
        await asyncio.gather(*(job._close(self._close_timeout) for job in list(self._jobs)))
        self._jobs.clear()

    async def wait_and_close(self, timeout: float = 60.0) -> None:
        """Wait up to *timeout* for every job (pending ones included), then :meth:`close`."""

        async def drain() -> None:
            while self._jobs:
                tasks = [j._task for j in self._jobs if j._task is not None]
                waiting = [j._started for j in self._jobs if j._task is None]
                await asyncio.wait([*tasks, *waiting], return_when=asyncio.ALL_COMPLETED)

        try:
            async with asyncio.timeout(timeout):
                await drain()
        except asyncio.TimeoutError:
            pass
        await self.close()


SCHEDULER_KEY: AppKey[Scheduler] = AppKey("asgiweb.jobs.scheduler", Scheduler)


def setup(app: Application, **scheduler_options: Any) -> None:
    """Give *app* a :class:`Scheduler` (options as in its constructor), closed at cleanup."""
    app[SCHEDULER_KEY] = Scheduler(**scheduler_options)

    async def close_scheduler(app: Application) -> AsyncIterator[None]:
        yield
        await app[SCHEDULER_KEY].close()

    app.cleanup_ctx.append(close_scheduler)


def get_scheduler_from_app(app: Application) -> Scheduler:
    """The scheduler ``setup(app)`` installed; ``RuntimeError`` without one."""
    scheduler = app.get(SCHEDULER_KEY)
    if scheduler is None:
        raise RuntimeError("Call asgiweb.jobs.setup(app) on application initialization")
    return scheduler


def get_scheduler_from_request(request: Request) -> Scheduler:
    """The scheduler of the request's app, or of an app it is nested in."""
    scheduler = request.config_dict.get(SCHEDULER_KEY)
    if scheduler is None:
        raise RuntimeError("Call asgiweb.jobs.setup(app) on application initialization")
    return scheduler  # type: ignore[no-any-return]


get_scheduler = get_scheduler_from_request


async def spawn(
    request: Request, coro: Coroutine[Any, Any, _T], name: str | None = None
) -> Job[_T]:
    """Run *coro* as a job of the request's scheduler; it outlives the request."""
    return await get_scheduler_from_request(request).spawn(coro, name)


async def shield(request: Request, coro: Coroutine[Any, Any, _T]) -> _T:
    """Run *coro* as a job and wait for it; a client that leaves does not cancel it."""
    return await get_scheduler_from_request(request).shield(coro)


HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable["StreamResponse"]])


def atomic(handler: HandlerT) -> HandlerT:
    """Run the whole handler as a job, so a dropped client cannot cancel it midway.

    >>> @jobs.atomic
    ... async def handler(request):
    ...     await write_to_db(await request.json())
    ...     return web.Response(text="saved")
    """

    @wraps(handler)
    async def wrapper(request: Any) -> StreamResponse:
        real_request = request.request if isinstance(request, AbstractView) else request
        coro: Any = handler(request)
        job: Job[StreamResponse] = await spawn(real_request, coro)
        return await job.wait()

    return wrapper  # type: ignore[return-value]
