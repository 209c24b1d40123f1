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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .request import BaseRequest

server_logger = logging.getLogger("asgiweb.server")


class DisconnectWatcher:
    """Await ``http.disconnect`` for one request; optionally cancel a task when it comes."""

    __slots__ = ("_cancel", "_request", "_task")

    def __init__(self, request: BaseRequest, cancel: asyncio.Task[object] | None) -> None:
        self._request = request
        self._cancel = cancel
        self._task = asyncio.create_task(self._watch())
        request._disconnect_watcher = self

    async def _watch(self) -> None:
        request = self._request
        if request.body_exists:
            await request.content.wait_eof()
            message = await request._receive()
        else:
            # the server still delivers the (empty) body message first
            message = await request._receive()
            if message["type"] == "http.request" and not message.get("more_body"):
                message = await request._receive()
        if message["type"] != "http.disconnect":
            # Once the body is complete a server only ever sends http.disconnect;
            # anything else means this receive() cannot tell us, so stop watching.
            return
        request._client_gone = True
        if self._cancel is not None and not self._cancel.done():
            request._cancelled_by_client = True
            server_logger.debug("Client disconnected: cancelling the handler of %r", request)
            self._cancel.cancel()

    def stop(self) -> None:
        """Stop watching (the handler is done, or the response is complete)."""
        self._cancel = None
        if self._request._disconnect_watcher is self:
            self._request._disconnect_watcher = None
        if not self._task.done():
            self._task.cancel()
