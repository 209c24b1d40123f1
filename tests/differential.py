"""Run one app source on aiohttp (with a real add-on) and on asgiweb (with ours), side by side.

``pair = await serve_both(build_theirs(), build_ours())`` starts aiohttp's
test server and a uvicorn server on 127.0.0.1; :func:`comparable` strips what
belongs to the server, so responses compare with ``==``.
"""

from __future__ import annotations

import calendar
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
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


def cookie_shape(header: str, decode: Callable[[str], Any]) -> tuple[Any, ...]:
    """A Set-Cookie header with its value decoded and its expiry rounded."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    ((name, morsel),) = jar.items()
    attrs = {k: v for k, v in morsel.items() if v}
    lower = header.lower()
    flags = tuple(f for f in ("httponly", "secure") if f"; {f}" in lower)
    expires = attrs.pop("expires", None)
    if expires and not expires.startswith("Thu, 01 Jan 1970"):
        parsed = calendar.timegm(
            time.strptime(expires.replace("-", " "), "%a, %d %b %Y %H:%M:%S GMT")
        )
        expires = round((parsed - time.time()) / 10) * 10  # seconds from now
    attrs.pop("httponly", None)
    attrs.pop("secure", None)
    value = decode(morsel.value) if morsel.value else ""
    return name, value, expires, sorted(attrs.items()), flags


def shape(response: httpx.Response, decode: Callable[[str], Any]) -> tuple[Any, ...]:
    """:func:`comparable` with each Set-Cookie turned into :func:`cookie_shape`."""
    status, headers, body = comparable(response, frozenset({"set-cookie", "content-length"}))
    cookies = sorted(cookie_shape(h, decode) for h in response.headers.get_list("set-cookie"))
    return status, headers, body, cookies


ServeBoth = Callable[[Any, Any], Awaitable[Pair]]


@pytest.fixture
async def serve_both(live_server: ServerFactory) -> AsyncIterator[ServeBoth]:
    """``await serve_both(aiohttp_app, asgiweb_app)`` → :class:`Pair` of base URLs."""
    quieted = [logging.getLogger(name) for name in ("aiohttp.server", "asgiweb.server")]
    levels = [logger.level for logger in quieted]
    for logger in quieted:  # the error cases log tracebacks by design
        logger.setLevel(logging.CRITICAL)
    started: list[aiohttp.test_utils.TestServer] = []

    async def start(theirs_app: Any, ours_app: Any) -> Pair:
        theirs = aiohttp.test_utils.TestServer(theirs_app, host="127.0.0.1")
        await theirs.start_server()
        started.append(theirs)
        ours = await live_server(ours_app)
        return Pair(str(theirs.make_url("")).rstrip("/"), ours.url)

    try:
        yield start
    finally:
        for server in started:
            await server.close()
        for logger, level in zip(quieted, levels, strict=True):
            logger.setLevel(level)  # later tests see these loggers as they were
