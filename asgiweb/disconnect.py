"""Watching for the client's disconnect: handler cancellation and writes to a gone client.

ASGI reports a dropped connection as ``http.disconnect`` from ``receive()``.
Nobody calls ``receive()`` once the request body has been read, so a watcher
task does, from then on:

- with ``handler_cancellation=True`` it cancels the handler task on disconnect
  (the handler sees ``asyncio.CancelledError`` at its current ``await``);
- while a ``StreamResponse`` is being streamed it marks the request, so the
  next ``write()`` raises ``ConnectionResetError`` as it does in aiohttp,
  instead of streaming into the void.

The watcher only starts reading once the body is complete, so it never
competes with the handler for body messages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connection import Connection
    from .request import BaseRequest

server_logger = logging.getLogger("asgiweb.server")


class DisconnectWatcher:
    """Await ``http.disconnect`` for one request; optionally cancel a task when it comes.

    Start one with :meth:`Connection.watch_disconnect
    <asgiweb.connection.Connection.watch_disconnect>`; it reports the
    disconnect to the connection.
    """

    __slots__ = ("_cancel", "_connection", "_request", "_task")

    def __init__(
        self, request: BaseRequest, connection: Connection, cancel: asyncio.Task[Any] | None
    ) -> None:
        self._request = request
        self._connection = connection
        self._cancel = cancel
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        request = self._request
        receive = self._connection.receive
        if request.body_exists:
            await request.content.wait_eof()
            message = await receive()
        else:
            # the server still delivers the (empty) body message first
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body"):
                message = await receive()
        if message["type"] != "http.disconnect":
            # Once the body is complete a server only ever sends http.disconnect;
            # anything else means this receive() cannot tell us, so stop watching.
            return
        cancel = self._cancel is not None and not self._cancel.done()
        self._connection.client_disconnected(handler_cancelled=cancel)
        if cancel:
            assert self._cancel is not None
            server_logger.debug("Client disconnected: cancelling the handler of %r", request)
            self._cancel.cancel()

    def stop(self) -> None:
        """Stop watching (the handler is done, or the response is complete)."""
        self._cancel = None
        if self._connection.watcher is self:
            self._connection.watcher = None
        if not self._task.done():
            self._task.cancel()
