"""``Connection``: one ASGI connection's ``receive``/``send`` and what has happened on it.

A request and the response that answers it share one ``Connection``. It is
the single owner of the per-connection state that several modules need:

- ``receive`` and ``send``: the server's callables (for a WebSocket scope
  ``send`` turns an HTTP response into a denial, ``websocket_send`` is the
  server's own);
- ``response_started``: ``http.response.start`` (or ``websocket.accept``) has
  been sent, so an error can no longer become an error page;
- ``client_gone`` and ``handler_cancelled``: the client disconnected, and
  whether its handler was cancelled for that (``handler_cancellation``);
- the :class:`~asgiweb.disconnect.DisconnectWatcher` that notices a
  disconnect while nobody reads the request;
- ``prepare_hook``: the app's ``on_response_prepare`` signals, set only
  when some app of the tree has one.

Every module reads and writes this state through the connection's
attributes and methods, never through another object's private names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .disconnect import DisconnectWatcher
from .typedefs import Receive, Send

if TYPE_CHECKING:
    from .request import BaseRequest
    from .response import StreamResponse

PrepareHook = Callable[["BaseRequest", "StreamResponse"], Awaitable[None]]


class Connection:
    """The ASGI ``receive``/``send`` of one request and the state of the exchange.

    >>> connection = Connection(receive, send)
    >>> await connection.start_response(200, [(b"content-type", b"text/plain")])
    >>> await connection.send_body(b"Hello", more_body=False)
    """

    # Defaults on the class: a request stores only what differs (fewer stores
    # per request than __slots__, which would have to set every field).
    #: the server's own ``send`` of a WebSocket scope, when ``send`` wraps it
    websocket_send: Send | None = None
    response_started = False
    client_gone = False
    handler_cancelled = False
    watcher: DisconnectWatcher | None = None
    prepare_hook: PrepareHook | None = None

    def __init__(self, receive: Receive, send: Send) -> None:
        self.receive = receive
        #: what responses send HTTP messages through
        self.send = send

    async def start_response(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        """Send ``http.response.start``; from now on the response cannot become another one."""
        self.response_started = True
        await self.send({"type": "http.response.start", "status": status, "headers": headers})

    async def send_body(self, body: bytes | bytearray | memoryview, *, more_body: bool) -> None:
        """Send one ``http.response.body`` message."""
        await self.send({"type": "http.response.body", "body": body, "more_body": more_body})

    async def accept_websocket(self, message: dict[str, Any]) -> None:
        """Send ``websocket.accept`` (*message*) through the server's own ``send``."""
        self.response_started = True
        await (self.websocket_send or self.send)(message)

    def watch_disconnect(
        self, request: BaseRequest, cancel: asyncio.Task[Any] | None = None
    ) -> DisconnectWatcher:
        """Start watching for ``http.disconnect``; on it, cancel *cancel* if given."""
        watcher = self.watcher = DisconnectWatcher(request, self, cancel)
        return watcher

    def client_disconnected(self, *, handler_cancelled: bool) -> None:
        """Record that the client left (and whether its handler is being cancelled)."""
        self.client_gone = True
        if handler_cancelled:
            self.handler_cancelled = True

    def stop_watching(self) -> None:
        """Stop the disconnect watcher, if one runs."""
        if self.watcher is not None:
            self.watcher.stop()


__all__ = ("Connection", "PrepareHook")
