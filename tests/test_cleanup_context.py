"""``app.cleanup_ctx``: each callback is called once, whatever shape it has."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from asgiweb import web
from asgiweb.testing import TestClient


async def test_each_callback_is_called_exactly_once() -> None:
    calls: list[str] = []
    events: list[str] = []

    async def generator(app: web.Application) -> AsyncIterator[None]:
        events.append("generator enter")
        yield
        events.append("generator exit")

    def plain(app: web.Application) -> Any:
        # a plain function that returns an async generator: calling it twice
        # would show here
        calls.append("plain")
        return generator(app)

    @contextlib.asynccontextmanager
    async def manager(app: web.Application) -> AsyncIterator[None]:
        calls.append("manager")
        events.append("manager enter")
        yield
        events.append("manager exit")

    class Callable:
        def __call__(self, app: web.Application) -> Any:
            calls.append("callable")
            return generator(app)

    app = web.Application()
    app.cleanup_ctx.append(plain)
    app.cleanup_ctx.append(manager)
    app.cleanup_ctx.append(Callable())
    async with TestClient(app):
        assert calls == ["plain", "manager", "callable"]
        assert events == ["generator enter", "manager enter", "generator enter"]
    assert calls == ["plain", "manager", "callable"]
    assert events[3:] == ["generator exit", "manager exit", "generator exit"]
