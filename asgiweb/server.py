"""``Server``: aiohttp's low-level server (one handler, no router) as an ASGI app.

>>> async def handler(request: web.BaseRequest) -> web.Response:
...     return web.Response(text=f"{request.method} {request.path}")
>>> server = web.Server(handler)   # an ASGI 3 callable: uvicorn module:server

Every HTTP request and WebSocket handshake, whatever its method and path,
goes to *handler*. Errors are answered as an application answers them: an
``HTTPException`` raised or returned becomes its response, any other
exception a 500 page (with the traceback when ``debug=True``). The server
answers the ASGI lifespan protocol with nothing to run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .app import Application
from .request import BaseRequest
from .response import StreamResponse
from .typedefs import Receive, Scope, Send

__all__ = ("Server",)

server_logger = logging.getLogger("asgiweb.server")

RawHandler = Callable[[BaseRequest], Awaitable[StreamResponse]]


class Server:
    """Serve every request with one ``handler(request) -> response`` coroutine.

    The constructor is aiohttp's: ``web.Server(handler, *, request_factory=None,
    handler_cancellation=False, loop=None, **kwargs)``. Of the keyword
    arguments aiohttp passes to its protocol, ``debug`` and
    ``client_max_size`` mean the same here; the others are accepted and
    kept in ``server.kwargs`` for the runner.
    """

    def __init__(
        self,
        handler: RawHandler,
        *,
        request_factory: Callable[..., BaseRequest] | None = None,
        handler_cancellation: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        if request_factory is not None:
            raise TypeError(
                "web.Server(request_factory=...) is not supported: asgiweb builds each "
                "request from the ASGI scope; subclass nothing and read what you need "
                "from request.scope"
            )
        self._handler = handler
        self.handler_cancellation = handler_cancellation
        self.kwargs = kwargs
        self.requests_count = 0
        self._in_flight: set[asyncio.Task[Any]] = set()
        app = Application(
            debug=bool(kwargs.get("debug", False)),
            client_max_size=int(kwargs.get("client_max_size", 1024**2)),
            handler_cancellation=handler_cancellation,
            logger=kwargs.get("logger", server_logger),
        )
        # One catch-all route, so requests get the application's error pages,
        # WebSocket denial responses and disconnect handling.
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._app = app

    @property
    def application(self) -> Application:
        """The one-route application that serves *handler* (the runner logs access through it)."""
        return self._app

    @property
    def handler(self) -> RawHandler:
        """The request handler this server calls."""
        return self._handler

    @property
    def connections(self) -> list[Any]:
        """Requests being handled now (aiohttp lists protocol objects; ASGI has none)."""
        return list(self._in_flight)

    async def _handle(self, request: BaseRequest) -> StreamResponse:
        self.requests_count += 1
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            return await self._handler(request)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry: every request goes to the handler."""
        await self._app(scope, receive, send)

    async def shutdown(self, timeout: float | None = None) -> None:
        """Wait up to *timeout* seconds for requests in progress, then cancel them."""
        pending = [task for task in self._in_flight if task is not asyncio.current_task()]
        if not pending:
            return
        _, still_running = await asyncio.wait(pending, timeout=timeout)
        for task in still_running:
            task.cancel()

    def __repr__(self) -> str:
        return f"<Server handler={self._handler!r} requests={self.requests_count}>"
