"""A pytest fixture for asgiweb apps (needs pytest-asyncio).

Enable it in ``conftest.py``::

    pytest_plugins = ["asgiweb.pytest_plugin"]

then::

    async def test_hello(asgiweb_client):
        client = await asgiweb_client(app)
        assert (await client.get("/")).status_code == 200

Every client is entered (lifespan startup) when made and left (shutdown)
after the test, like aiohttp's ``aiohttp_client`` fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio

from .testing import TestClient
from .typedefs import ASGIApp

ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest_asyncio.fixture
async def asgiweb_client() -> AsyncIterator[ClientFactory]:
    """``client = await asgiweb_client(app, **TestClient_options)``: a started TestClient."""
    clients: list[TestClient] = []

    async def make(app: ASGIApp, **kwargs: Any) -> TestClient:
        client = TestClient(app, **kwargs)
        await client.__aenter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        await client.__aexit__(None, None, None)
