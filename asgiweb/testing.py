"""``TestClient``: drive an application in process over ASGI.

HTTP goes through ``httpx.AsyncClient`` with ``httpx.ASGITransport``; entering
the client runs the ASGI lifespan startup, leaving it runs shutdown.

>>> async with TestClient(app) as client:
...     response = await client.get("/")
...     assert response.status_code == 200
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from .lifespan import LifespanDriver, LifespanError
from .typedefs import ASGIApp

__all__ = ("TestClient", "LifespanError")


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
        self._lifespan = LifespanDriver(app) if lifespan else None
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
