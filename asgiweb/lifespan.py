"""The ASGI lifespan protocol, mapped to the application's signals.

``lifespan.startup``: freeze the app tree, then ``on_startup`` (which enters
``cleanup_ctx``). ``lifespan.shutdown``: ``on_shutdown``, then
``on_cleanup`` (which exits ``cleanup_ctx`` in reverse).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .typedefs import Receive, Scope, Send

if TYPE_CHECKING:
    from .app import Application

lifespan_logger = logging.getLogger("asgiweb.lifespan")


async def startup(app: Application) -> None:
    """Freeze *app* and run ``on_startup`` for it and each sub-app, once."""
    app.freeze()
    if app._startup_done:
        return
    app._startup_done = True
    await app.on_startup.send(app)


async def shutdown(app: Application) -> None:
    """Run ``on_shutdown`` once."""
    if app._shutdown_done:
        return
    app._shutdown_done = True
    await app.on_shutdown.send(app)


async def cleanup(app: Application) -> None:
    """Run ``on_cleanup`` (exiting ``cleanup_ctx``) once."""
    if app._cleanup_done:
        return
    app._cleanup_done = True
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
