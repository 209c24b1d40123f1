"""Background jobs for handlers: aiojobs' aiohttp integration, on aiojobs' own scheduler.

A port writes ``from asgiweb import jobs as aiojobs_aiohttp`` (or changes
``from aiojobs.aiohttp import setup, spawn, atomic`` to ``from asgiweb.jobs
import ...``) and keeps aiojobs 1.4's semantics: :func:`setup` with
``limit``, ``pending_limit``, ``close_timeout``, ``wait_timeout`` and
``exception_handler``; :func:`spawn`, :func:`atomic`, :func:`shield`,
:func:`get_scheduler`, :func:`get_scheduler_from_app`,
:func:`get_scheduler_from_request`.

Why aiojobs is a dependency rather than code of ours: its ``Scheduler`` is
framework-free (``aiojobs._scheduler`` and ``aiojobs._job`` import nothing
from aiohttp; only ``aiojobs.aiohttp`` does, and this module replaces that
one), it has no dependencies of its own on Python 3.11+, it is small and
maintained by aio-libs, and using it makes "the same semantics as aiojobs"
true by construction instead of by imitation. :class:`Scheduler` here is
aiojobs' class with one addition (a log line at close, below), so
``isinstance(scheduler, aiojobs.Scheduler)`` holds.

What this module adds for ASGI, where aiohttp's buffering does not exist:

- **The body is read before a job waits.** aiohttp keeps a received body in
  its protocol buffer whatever the client does; under ASGI, a body nobody has
  read when the client disconnects is gone (uvicorn answers ``receive()`` with
  ``http.disconnect``). So :func:`atomic` and :func:`spawn` read what is left
  of the body into the request's stream (up to ``client_max_size``; a larger
  body stays with the server, to be streamed or refused with 413 as usual)
  before the job is queued. A job then reads the full body however long it
  waited for a slot.
- **Nothing is lost silently.** A job that cannot have its body (the client
  left mid-body) is logged at WARNING with its route; an ``@atomic`` handler
  that fails after its client left, when nobody waits for it any more, goes to
  the scheduler's exception handler; and closing the scheduler logs once how
  many jobs it cancels.

>>> from asgiweb import jobs
>>> jobs.setup(app)
>>> async def handler(request):
...     await jobs.spawn(request, send_welcome_email(request.app, "a@example.com"))
...     return web.Response(text="queued")
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import aiojobs
from aiojobs import Job

from .exceptions import HTTPException
from .hdrs import METH_ALL
from .keys import AppKey
from .routing import AbstractView
from .streams import ClientDisconnectedError

if TYPE_CHECKING:
    from .app import Application
    from .request import Request
    from .response import StreamResponse

__all__ = (
    "AIOJOBS_SCHEDULER",
    "Job",
    "Scheduler",
    "atomic",
    "get_scheduler",
    "get_scheduler_from_app",
    "get_scheduler_from_request",
    "read_body_before",
    "reads_body_first",
    "setup",
    "shield",
    "spawn",
)

jobs_logger = logging.getLogger("asgiweb.jobs")

_T = TypeVar("_T")
_FutureLike = asyncio.Future[_T] | Awaitable[_T]
#: ``handler(scheduler, context)``: what a scheduler calls with a failure nobody awaits.
ExceptionHandler = Callable[[aiojobs.Scheduler, dict[str, Any]], None]


class Scheduler(aiojobs.Scheduler):
    """aiojobs' ``Scheduler``; closing it logs once how many jobs it cancels.

    At most *limit* jobs run at once (``None``: no limit) and up to
    *pending_limit* more wait for a slot; ``wait_and_close()`` (what the app's
    cleanup calls) waits up to *wait_timeout* seconds for every job, then
    ``close()`` cancels what is left, giving each job *close_timeout* seconds
    to end. Failures nobody awaits go to *exception_handler* (by default the
    event loop's, which logs them with their traceback).

    >>> scheduler = jobs.Scheduler(limit=10)
    >>> job = await scheduler.spawn(send_report())
    >>> await scheduler.wait_and_close()
    """

    def __init__(
        self,
        *,
        close_timeout: float | None = 0.1,
        wait_timeout: float | None = 60,
        limit: int | None = 100,
        pending_limit: int = 10000,
        exception_handler: ExceptionHandler | None = None,
    ) -> None:
        super().__init__(
            close_timeout=close_timeout,
            wait_timeout=wait_timeout,
            limit=limit,
            pending_limit=pending_limit,
            exception_handler=exception_handler,
        )
        self._shielded: set[asyncio.Future[Any]] = set()

    async def spawn(self, coro: Coroutine[object, object, _T], name: str | None = None) -> Job[_T]:
        """Start *coro* as a job now, or queue it while *limit* jobs run.

        Waits while *pending_limit* jobs are already queued. After ``close()``
        it raises ``RuntimeError`` (and closes *coro*, so Python does not warn
        that it was never awaited).
        """
        if self.closed:
            coro.close()
        return await super().spawn(coro, name)

    def shield(self, arg: _FutureLike[_T]) -> asyncio.Future[_T]:
        """Protect *arg* from the caller's cancellation; the scheduler still closes it."""
        inner = asyncio.ensure_future(arg)
        if not inner.done():
            self._shielded.add(inner)
            inner.add_done_callback(self._shielded.discard)
        return super().shield(inner)

    async def close(self) -> None:
        """Cancel every job still running or pending (logged once, with the count)."""
        if not self.closed:
            running, pending, shielded = self.active_count, self.pending_count, len(self._shielded)
            if running or pending or shielded:
                jobs_logger.warning(
                    "Closing the job scheduler cancels %d unfinished jobs "
                    "(%d running, %d never started, %d shielded calls)",
                    running + pending + shielded,
                    running,
                    pending,
                    shielded,
                )
        await super().close()


AIOJOBS_SCHEDULER: AppKey[Scheduler] = AppKey("AIOJOBS_SCHEDULER", Scheduler)

_SCHEDULER_OPTIONS = inspect.signature(Scheduler)


def setup(app: Application, **kwargs: Any) -> None:
    """Give *app* a :class:`Scheduler` while it runs (options as the scheduler's).

    As in aiojobs, the scheduler is created at startup and, at cleanup, waits
    up to ``wait_timeout`` seconds (60 by default, the runner's default
    ``shutdown_timeout``) for running and pending jobs, then cancels the rest.

    >>> jobs.setup(app, limit=100, wait_timeout=30)
    """
    try:
        _SCHEDULER_OPTIONS.bind(**kwargs)
    except TypeError as exc:
        raise TypeError(f"jobs.setup(): {exc}; the options are {_SCHEDULER_OPTIONS}") from None

    async def cleanup_context(app: Application) -> AsyncIterator[None]:
        app[AIOJOBS_SCHEDULER] = scheduler = Scheduler(**kwargs)
        yield
        await scheduler.wait_and_close()

    app.cleanup_ctx.append(cleanup_context)


def get_scheduler_from_app(app: Application) -> Scheduler | None:
    """The scheduler of *app*, or ``None`` before startup or without :func:`setup`."""
    return app.get(AIOJOBS_SCHEDULER)


def get_scheduler_from_request(request: Request) -> Scheduler | None:
    """The scheduler of the request's app or of an app it is nested in, or ``None``."""
    scheduler: Scheduler | None = request.config_dict.get(AIOJOBS_SCHEDULER)
    return scheduler


def get_scheduler(request: Request) -> Scheduler:
    """The request's scheduler; ``RuntimeError`` if :func:`setup` was not called."""
    scheduler = get_scheduler_from_request(request)
    if scheduler is None:
        raise RuntimeError(
            "Call asgiweb.jobs.setup() on application initialization "
            "(and serve the app with its lifespan, which starts the scheduler)"
        )
    return scheduler


def _describe(request: Request) -> str:
    """``POST /items/{id}``: the route a request went to, for log lines."""
    resource = request.match_info.route.resource
    if resource is None:
        return f"{request.method} {request.path}"
    return f"{request.method} {resource.canonical}"


async def _read_body_first(request: Request) -> bool:
    """Read what is left of the body into the request's stream, up to ``client_max_size``.

    After this a job can read the whole body even once the client has gone.
    False when the client left before its body was complete (what arrived is
    kept, and reading past it raises :class:`ClientDisconnectedError`).
    """
    if not request.body_exists:
        return True
    content = request.content
    if content.is_eof():
        return not content.disconnected
    max_size = request.client_max_size
    length = request.content_length
    if max_size and length is not None and length > max_size:
        return True  # read() refuses it with 413 without reading it
    chunks: list[bytes] = []
    size = 0
    try:
        while not max_size or size <= max_size:
            chunk = await content.readany()
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except ClientDisconnectedError:
        return False
    finally:
        if chunks:
            content.unread_data(b"".join(chunks))
    return True


async def spawn(request: Request, coro: Coroutine[object, object, _T]) -> Job[_T]:
    """Run *coro* as a job of the request's scheduler; it outlives the request.

    The request body is read first (see the module docstring), so the job can
    still read it after the response has been sent.

    >>> job = await jobs.spawn(request, save(request))
    """
    scheduler = get_scheduler(request)
    if not await _read_body_first(request):
        jobs_logger.warning(
            "%s: the client disconnected before sending its whole request body "
            "(%d bytes arrived); a job spawned for it cannot read the rest",
            _describe(request),
            request.content.total_bytes,
        )
    return await scheduler.spawn(coro)


def shield(request: Request, arg: _FutureLike[_T]) -> asyncio.Future[_T]:
    """``asyncio.shield`` whose work the scheduler waits for and closes at cleanup.

    >>> await jobs.shield(request, write_to_db(data))
    """
    return get_scheduler(request).shield(arg)


async def _run_atomic(
    handler: Coroutine[object, object, _T],
    request: Request,
    outcome: asyncio.Future[_T],
    name: str,
) -> None:
    """Run an ``@atomic`` handler; hand its outcome to the waiting request, if it still waits.

    The outcome goes through *outcome* rather than ``job.wait()``, so a failure
    after the waiter was cancelled is reported here (``job.wait()`` would leave
    it unreported and its inner task's exception unretrieved).
    """
    try:
        result = await handler
    except asyncio.CancelledError:
        outcome.cancel()
        raise
    except Exception as exc:
        if isinstance(exc, ClientDisconnectedError):
            jobs_logger.warning(
                "%s: atomic handler %s could not read the request body: the client "
                "disconnected after sending %d bytes of it",
                _describe(request),
                name,
                request.content.total_bytes,
            )
        if not outcome.cancelled():
            outcome.set_exception(exc)
        elif isinstance(exc, HTTPException | ClientDisconnectedError):
            jobs_logger.debug("%s: nobody waits for the answer %r", _describe(request), exc)
        else:
            scheduler = get_scheduler_from_request(request)
            if scheduler is not None:
                scheduler.call_exception_handler(
                    {
                        "message": f"Atomic handler {name} failed after its client "
                        f"disconnected ({_describe(request)})",
                        "exception": exc,
                    }
                )
    else:
        if not outcome.cancelled():
            outcome.set_result(result)


_READS_BODY_FIRST = "__asgiweb_reads_body_first__"


def reads_body_first(handler: object) -> bool:
    """Whether *handler* (a function, or a class-based view with such a method) is ``@atomic``.

    The application reads the body of such a route before its middlewares run
    (:func:`read_body_before`), so a middleware that awaits something slow
    cannot leave the body unread until the client has gone.
    """
    if isinstance(handler, type) and issubclass(handler, AbstractView):
        return any(
            getattr(getattr(handler, method.lower(), None), _READS_BODY_FIRST, False)
            for method in METH_ALL
        )
    return bool(getattr(handler, _READS_BODY_FIRST, False))


def read_body_before(
    chain: Callable[[Request], Awaitable[StreamResponse]],
) -> Callable[[Request], Awaitable[StreamResponse]]:
    """*chain* (a route's middlewares and handler) preceded by reading the request body.

    The body is read up to ``client_max_size``, as ``@atomic`` does itself.
    """

    async def read_body_then(request: Request) -> StreamResponse:
        await _read_body_first(request)
        return await chain(request)

    return read_body_then


_Handler = TypeVar("_Handler", bound=Callable[..., Coroutine[Any, Any, Any]])


def atomic(coro: _Handler) -> _Handler:
    """Run the whole handler as a job, so a client that leaves cannot cancel it midway.

    The request body is read before the job waits for a slot (and, for a
    route's handler, before the route's middlewares run), so the handler gets
    all of it however long it queued. Works on functions and on class-based
    view methods.

    >>> @jobs.atomic
    ... async def handler(request):
    ...     await write_to_db(await request.json())
    ...     return web.Response(text="saved")
    """
    name = getattr(coro, "__qualname__", repr(coro))

    @wraps(coro)
    async def wrapper(request_or_view: Any) -> Any:
        if isinstance(request_or_view, AbstractView):
            request = request_or_view.request
        else:
            request = request_or_view
        scheduler = get_scheduler(request)
        await _read_body_first(request)  # a cut body is reported when the handler reads it
        outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        handler = coro(request_or_view)
        try:
            # Shielded: a client that leaves while spawn() waits for room in the
            # pending queue must not lose the job.
            await asyncio.shield(scheduler.spawn(_run_atomic(handler, request, outcome, name)))
            return await outcome
        except asyncio.CancelledError:
            outcome.cancel()  # tells the job that nobody waits for its outcome
            raise
        except RuntimeError:
            if not outcome.done():  # not spawned (the scheduler is closed)
                handler.close()
            raise

    setattr(wrapper, _READS_BODY_FIRST, True)
    return wrapper  # type: ignore[return-value]
