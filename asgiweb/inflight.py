"""The requests a runner is serving, and how they are cut when ``shutdown_timeout`` expires.

At shutdown the runner waits up to ``shutdown_timeout`` for in-flight
requests. What is still running then is cancelled. Left to the server, each
cancelled request would be answered 500 and logged with a ``CancelledError``
traceback. :class:`InFlight` wraps the served ASGI app and turns the cut into
what a client can act on: ``503 Service Unavailable`` (with ``Retry-After``
and ``Connection: close``) when the response had not started, a plain close
of the connection when it had, and ``1001 Going Away`` for a WebSocket. The
runner then logs one summary line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .typedefs import ASGIApp, Receive, Scope, Send

__all__ = ("InFlight", "ResponseCut", "drop_cut_tracebacks")

_CUT_BODY = b"503: Service Unavailable (the server is shutting down)"
_CUT_START = {
    "type": "http.response.start",
    "status": 503,
    "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(_CUT_BODY)).encode("ascii")),
        (b"retry-after", b"1"),
        (b"connection", b"close"),
    ],
}


class ResponseCut(Exception):
    """Raised out of the app to make the server close a connection whose response had started."""


class _DropCutTracebacks(logging.Filter):
    """Drop the server's "Exception in ASGI application" record for a :class:`ResponseCut`."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        return not (exc_info and isinstance(exc_info[1], ResponseCut))


def drop_cut_tracebacks(logger: logging.Logger) -> None:
    """Install (once) the filter that keeps :class:`ResponseCut` out of *logger*'s records."""
    if not any(isinstance(each, _DropCutTracebacks) for each in logger.filters):
        logger.addFilter(_DropCutTracebacks())


class InFlight:
    """Wrap an ASGI app so that requests the runner cancels after :meth:`start_cut` end cleanly.

    >>> served = InFlight(app)
    >>> served.start_cut()     # then cancel the server's request tasks
    >>> served.answered_503, served.closed, served.websockets_closed
    """

    __slots__ = ("answered_503", "app", "closed", "cutting", "websockets_closed")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cutting = False
        self.answered_503 = 0
        self.closed = 0
        self.websockets_closed = 0

    def start_cut(self) -> None:
        """From now on a ``CancelledError`` out of the app is the runner's cut."""
        self.cutting = True

    @property
    def cut_count(self) -> int:
        """How many requests and WebSockets were cut."""
        return self.answered_503 + self.closed + self.websockets_closed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the app; when the runner cuts it, answer 503, close, or close the WebSocket."""
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            if not self.cutting:
                raise
            if scope["type"] == "websocket":
                self.websockets_closed += 1
                with contextlib.suppress(Exception):
                    await send({"type": "websocket.close", "code": 1001, "reason": ""})
                return
            try:
                await send(_CUT_START)
            except RuntimeError:  # the response had started: only a close is honest now
                self.closed += 1
                raise ResponseCut() from None
            self.answered_503 += 1
            await send({"type": "http.response.body", "body": _CUT_BODY})
