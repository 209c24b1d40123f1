"""The ASGI lifespan protocol, mapped to the application's signals.

``lifespan.startup``: freeze the app tree, then ``on_startup`` (which enters
``cleanup_ctx``). ``lifespan.shutdown``: ``on_shutdown``, then
``on_cleanup`` (which exits ``cleanup_ctx`` in reverse).
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from .typedefs import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from .app import Application

lifespan_logger = logging.getLogger("asgiweb.lifespan")


async def startup(app: Application) -> None:
    """Freeze *app* and run ``on_startup`` for it and each sub-app, once.

    Tasks that startup handlers keep in application state (the background-task
    pattern of the "Web Server Advanced" guide) are watched: if one dies with an exception, the
    exception is logged at once rather than when, or if, someone awaits it.
    """
    if not app.claim_lifespan_step("startup"):
        return
    # As in aiohttp, the app freezes after on_startup, so startup handlers may
    # still store state (and start background tasks) without a warning.
    app.on_startup.freeze()
    await app.on_startup.send(app)
    app.freeze()
    for each in app.iter_apps():
        for key, value in each.items():
            if isinstance(value, asyncio.Future) and not value.done():
                value.add_done_callback(partial(_log_failure, key))


def _log_failure(key: object, future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        lifespan_logger.error(
            "Background task %r stored under %r failed", future, key, exc_info=future.exception()
        )


async def shutdown(app: Application) -> None:
    """Run ``on_shutdown`` once."""
    if not app.claim_lifespan_step("shutdown"):
        return
    app.on_shutdown.freeze()
    await app.on_shutdown.send(app)


async def cleanup(app: Application) -> None:
    """Run ``on_cleanup`` (exiting ``cleanup_ctx``) once."""
    if not app.claim_lifespan_step("cleanup"):
        return
    app.on_cleanup.freeze()
    await app.on_cleanup.send(app)


async def run_lifespan(app: Application, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one ASGI lifespan connection for *app*."""
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "lifespan.startup":
            try:
                await startup(app)
            except BaseException as exc:
                lifespan_logger.exception("Application startup failed")
                try:
                    await cleanup(app)
                except Exception:
                    lifespan_logger.exception("Cleanup after the failed startup failed too")
                await send({"type": "lifespan.startup.failed", "message": _describe(exc)})
                if not isinstance(exc, Exception):
                    raise
                return
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            try:
                await shutdown(app)
                await cleanup(app)
            except BaseException as exc:
                lifespan_logger.exception("Application shutdown failed")
                await send({"type": "lifespan.shutdown.failed", "message": _describe(exc)})
                if not isinstance(exc, Exception):
                    raise
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class LifespanError(RuntimeError):
    """An application reported ``lifespan.startup.failed`` or ``lifespan.shutdown.failed``."""


class LifespanDriver:
    """Speak the ASGI lifespan protocol to an application, as a server would.

    Used by ``TestClient`` and to forward lifespan events to mounted ASGI apps.
    With ``optional=True`` an app that does not support lifespan (it raises or
    returns before answering ``lifespan.startup``) is accepted, as the ASGI
    spec asks servers to do.
    """

    def __init__(
        self, app: ASGIApp, *, state: dict[str, Any] | None = None, optional: bool = False
    ) -> None:
        self._app = app
        self._optional = optional
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.state: dict[str, Any] = {} if state is None else state
        self.supported = True

    async def _run(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        try:
            await self._app(scope, self._to_app.get, self._from_app.put)
        finally:
            await self._from_app.put({"type": "lifespan.app-returned"})

    async def _exchange(self, kind: str) -> None:
        await self._to_app.put({"type": f"lifespan.{kind}"})
        message = await self._from_app.get()
        if message["type"] == f"lifespan.{kind}.complete":
            return
        if message["type"] == f"lifespan.{kind}.failed":
            raise LifespanError(f"{kind} failed: {message.get('message', '')}")
        # the application returned (or raised) without answering
        assert self._task is not None
        error = self._task.exception() if self._task.done() else None
        if self._optional and kind == "startup":
            self.supported = False
            lifespan_logger.debug(
                "%r does not support the lifespan protocol (%s)", self._app, error
            )
            return
        raise LifespanError(f"the application returned during lifespan {kind}") from error

    async def startup(self) -> None:
        """Send ``lifespan.startup`` and wait for the answer."""
        self._task = asyncio.create_task(self._run())
        await self._exchange("startup")

    async def shutdown(self) -> None:
        """Send ``lifespan.shutdown``, wait for the answer and for the app to return."""
        if not self.supported or self._task is None:
            return
        try:
            await self._exchange("shutdown")
        finally:
            try:
                await self._task
            except Exception:
                lifespan_logger.debug(
                    "lifespan task of %r ended with an error", self._app, exc_info=True
                )
