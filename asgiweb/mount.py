"""Mount any ASGI application under a path prefix: ``app.mount("/legacy", starlette_app)``.

The mounted app receives the connection with ``root_path`` extended by the
prefix and ``path`` unchanged (the full path, as the ASGI spec and Starlette
expect), and gets the ASGI lifespan events of the app it is mounted in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from yarl import URL

from .lifespan import LifespanDriver
from .response import StreamResponse
from .routing import (
    AbstractRoute,
    PrefixResource,
    ResolveResult,
    ResourceRoute,
    UrlMappingMatchInfo,
    current_root_path,
)
from .typedefs import ASGIApp, Message

if TYPE_CHECKING:
    from .app import Application
    from .request import Request


class ForwardedResponse(StreamResponse):
    """Stands for a response the mounted application already sent itself."""

    def __init__(self, status: int) -> None:
        super().__init__(status=status)
        self.mark_sent()


class MountedASGIResource(PrefixResource):
    """Every path under the prefix, for every method, goes to a foreign ASGI app."""

    def __init__(self, prefix: str, app: ASGIApp, *, name: str | None = None) -> None:
        super().__init__(prefix, name=name)
        self._asgi_app = app
        self._route = ResourceRoute("*", self._forward, self)
        self._route.reads_asgi_receive = True
        self._lifespan_state: dict[str, Any] = {}

    @property
    def app(self) -> ASGIApp:
        """The mounted ASGI application."""
        return self._asgi_app

    async def resolve(self, request: Request) -> ResolveResult:
        path = request.route_path
        if self.covers(path):
            return UrlMappingMatchInfo({}, self._route), {"*"}
        return None, set()

    def url_for(self, path: str = "/") -> URL:  # type: ignore[override]
        """``mount.url_for(path="/items")`` is the prefix joined with *path*."""
        return URL.build(path=current_root_path() + self.canonical + "/" + path.lstrip("/"))

    def get_info(self) -> dict[str, Any]:
        return {"app": self._asgi_app, "prefix": self.canonical}

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter((self._route,))

    def child_scope(self, request: Request) -> dict[str, Any]:
        """The scope the mounted app sees."""
        scope = dict(request.scope)
        scope["root_path"] = scope.get("root_path", "") + self.canonical
        if self._lifespan_state:
            scope["state"] = {**scope.get("state", {}), **self._lifespan_state}
        return scope

    async def _forward(self, request: Request) -> StreamResponse:
        status = 500
        connection = request.connection
        outer_send = connection.send

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                connection.response_started = True
            await outer_send(message)

        await self._asgi_app(self.child_scope(request), connection.receive, send)
        return ForwardedResponse(status)

    async def lifespan(self, app: Application) -> AsyncIterator[None]:
        """A ``cleanup_ctx`` entry: lifespan startup and shutdown for the mounted app."""
        driver = LifespanDriver(self._asgi_app, state=self._lifespan_state, optional=True)
        await driver.startup()
        try:
            yield
        finally:
            await driver.shutdown()

    def __repr__(self) -> str:
        return f"<MountedASGIResource {self.canonical} -> {self._asgi_app!r}>"
