"""Run one app source on aiohttp (with a real add-on) and on asgiweb (with ours), side by side.

``pair = await serve_both(build_theirs(), build_ours())`` starts aiohttp's
test server and a uvicorn server on 127.0.0.1; :func:`comparable` strips what
belongs to the server, so responses compare with ``==``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp.test_utils
import httpx
import pytest

if TYPE_CHECKING:
    from .conftest import ServerFactory

SERVER_HEADERS = frozenset({"date", "server", "connection", "keep-alive", "transfer-encoding"})


@dataclass
class Pair:
    """Base URLs of the same app on aiohttp (``theirs``) and on asgiweb (``ours``)."""

    theirs: str
    ours: str

    async def both(
        self, client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
    ) -> tuple[httpx.Response, httpx.Response]:
        """Send the same request to both servers (cookies only as given: the jar is cleared)."""
        client.cookies.clear()
        theirs = await client.request(method, self.theirs + path, **kwargs)
        client.cookies.clear()
        ours = await client.request(method, self.ours + path, **kwargs)
        client.cookies.clear()
        return theirs, ours


def comparable(
    response: httpx.Response, ignore: frozenset[str] = frozenset()
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, sorted headers (without the server's own) and body of *response*."""
    skip = SERVER_HEADERS | ignore
    headers = sorted(
        (k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in skip
    )
    return response.status_code, headers, response.content


ServeBoth = Callable[[Any, Any], Awaitable[Pair]]


@pytest.fixture
async def serve_both(live_server: ServerFactory) -> AsyncIterator[ServeBoth]:
    """``await serve_both(aiohttp_app, asgiweb_app)`` → :class:`Pair` of base URLs."""
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    logging.getLogger("asgiweb.server").setLevel(logging.CRITICAL)
    started: list[aiohttp.test_utils.TestServer] = []

    async def start(theirs_app: Any, ours_app: Any) -> Pair:
        theirs = aiohttp.test_utils.TestServer(theirs_app, host="127.0.0.1")
        await theirs.start_server()
        started.append(theirs)
        ours = await live_server(ours_app)
        return Pair(str(theirs.make_url("")).rstrip("/"), ours.url)

    yield start
    for server in started:
        await server.close()
