"""``TestClient``: drive an application in process over ASGI.

HTTP goes through ``httpx.AsyncClient`` with ``httpx.ASGITransport``; entering
the client runs the ASGI lifespan startup, leaving it runs shutdown.

>>> async with TestClient(app) as client:
...     response = await client.get("/")
...     assert response.status_code == 200
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import httpx

from .typedefs import ASGIApp, Message

__all__ = ("TestClient", "LifespanError")


class LifespanError(RuntimeError):
    """The application reported ``lifespan.startup.failed`` or ``lifespan.shutdown.failed``."""


class _Lifespan:
    """Speak the ASGI lifespan protocol to an app, as a server would."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.state: dict[str, Any] = {}

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
        assert self._task is not None
        message = await self._from_app.get()
        if message["type"] == f"lifespan.{kind}.failed":
            raise LifespanError(f"{kind} failed: {message.get('message', '')}")
        if message["type"] == "lifespan.app-returned":
            if self._task.done() and self._task.exception() is not None:
                raise LifespanError(f"{kind} failed") from self._task.exception()
            raise LifespanError(f"the application returned during lifespan {kind}")

    async def startup(self) -> None:
        self._task = asyncio.create_task(self._run())
        await self._exchange("startup")

    async def shutdown(self) -> None:
        await self._exchange("shutdown")
        if self._task is not None:
            await self._task


class TestClient:
    """An in-process client for an ASGI app: HTTP via httpx, lifespan on enter/exit.

    Every ``get``/``post``/… returns an ``httpx.Response``; ``client.http`` is the
    underlying ``httpx.AsyncClient``.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str = "http://testserver",
        lifespan: bool = True,
        client: tuple[str, int] = ("127.0.0.1", 123),
        **client_kwargs: Any,
    ) -> None:
        self.app = app
        self._lifespan = _Lifespan(app) if lifespan else None
        transport = httpx.ASGITransport(app=app, client=client)
        self.http = httpx.AsyncClient(transport=transport, base_url=base_url, **client_kwargs)

    async def __aenter__(self) -> TestClient:
        if self._lifespan is not None:
            await self._lifespan.startup()
        await self.http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.http.__aexit__(exc_type, exc, tb)
        if self._lifespan is not None:
            await self._lifespan.shutdown()

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(url, **kwargs)

    async def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.head(url, **kwargs)

    async def options(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.options(url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.post(url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.put(url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.patch(url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.delete(url, **kwargs)
