"""pytest plugin that runs aiohttp's own server tests against asgiweb.

Loaded in place of ``aiohttp.pytest_plugin`` inside the unpacked aiohttp sdist
(``run.py`` does the swap). It:

* makes ``from aiohttp import web`` (and the public names of aiohttp's
  ``web_*`` modules) resolve to asgiweb's, so the tests build asgiweb apps
  without a single edited line;
* serves those apps with asgiweb's ``AppRunner`` and ``SockSite``, i.e. real
  uvicorn on a loopback socket, behind aiohttp's own ``TestClient`` (the client,
  its responses and the tests' assertions are aiohttp's, unchanged);
* deselects the tests ``rules.NOT_APPLICABLE`` names, marks the ones
  ``rules.IMPOSSIBLE`` names as strict xfail, and writes every outcome to the
  JSON file named by ``ASGIWEB_SUITE_REPORT``.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import ipaddress
import json
import os
import socket
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.pytest_plugin import *  # noqa: F403  (aiohttp's loop fixtures and hooks)
from aiohttp.test_utils import BaseTestServer, TestClient
from yarl import URL

from . import rules

REFERENCE = os.environ.get("ASGIWEB_SUITE_REFERENCE") == "1"
"""Run the same selection against aiohttp itself (checks that the tests pass there)."""

# aiohttp modules whose public names (``__all__``) are asgiweb names too: the web_*
# modules, and the multipart module for the readers request.multipart() returns
# (the server side's objects; aiohttp's client does not use them).
WEB_MODULES = (
    "aiohttp.multipart",
    "aiohttp.web_app",
    "aiohttp.web_exceptions",
    "aiohttp.web_fileresponse",
    "aiohttp.web_middlewares",
    "aiohttp.web_request",
    "aiohttp.web_response",
    "aiohttp.web_routedef",
    "aiohttp.web_urldispatcher",
    "aiohttp.web_ws",
)

if not REFERENCE:
    import asgiweb.web as asgiweb_web

    sys.modules["aiohttp.web"] = asgiweb_web
    aiohttp.web = asgiweb_web  # type: ignore[attr-defined]
    for _name in WEB_MODULES:
        _module = importlib.import_module(_name)
        for _public in getattr(_module, "__all__", ()):
            if hasattr(asgiweb_web, _public):
                setattr(_module, _public, getattr(asgiweb_web, _public))


class UvicornTestServer(BaseTestServer):
    """aiohttp's ``TestServer`` for an asgiweb app: ``AppRunner`` + ``SockSite`` on uvicorn."""

    def __init__(
        self,
        app: Any,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.app = app
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    async def _make_runner(self, **kwargs: Any) -> Any:
        from asgiweb import web

        return web.AppRunner(self.app, **kwargs)

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        if self.runner:
            return
        from asgiweb import web

        ssl_context = kwargs.pop("ssl", None)
        kwargs.setdefault("handler_cancellation", True)  # as aiohttp's TestServer
        kwargs.setdefault("access_log", False)
        kwargs.setdefault("shutdown_timeout", 5.0)
        runner = await self._make_runner(**kwargs)
        await runner.setup()
        self.runner = runner  # type: ignore[assignment]
        try:
            version = ipaddress.ip_address(self.host).version
        except ValueError:
            version = 4
        family = socket.AF_INET6 if version == 6 else socket.AF_INET
        sock = self.socket_factory(self.host, self.port or 0, family)
        self.host, self.port = sock.getsockname()[:2]
        site = web.SockSite(runner, sock, ssl_context=ssl_context)
        await site.start()
        if not self.scheme:
            self.scheme = "https" if ssl_context else "http"
        host = f"[{self.host}]" if version == 6 else self.host
        self._root = URL(f"{self.scheme}://{host}:{self.port}")


def _is_asgiweb_app(obj: Any) -> bool:
    from asgiweb.web import Application

    return isinstance(obj, Application)


def _server_factory(loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    """``aiohttp_server(app, **kwargs)``: the app served by uvicorn."""
    servers: list[UvicornTestServer] = []

    async def go(
        app: Any, *, host: str = "127.0.0.1", port: int | None = None, **kwargs: Any
    ) -> UvicornTestServer:
        server = UvicornTestServer(app, host=host, port=port)
        await server.start_server(loop=loop, **kwargs)
        servers.append(server)
        return server

    yield go

    async def finalize() -> None:
        while servers:
            await servers.pop().close()

    loop.run_until_complete(finalize())


def _client_factory(loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    """``aiohttp_client(app_or_server, server_kwargs=..., **client_kwargs)``."""
    clients: list[TestClient[Any, Any]] = []

    async def go(
        param: Any, *args: Any, server_kwargs: dict[str, Any] | None = None, **kwargs: Any
    ) -> TestClient[Any, Any]:
        if callable(param) and not isinstance(param, BaseTestServer) and not _is_asgiweb_app(
            param
        ):
            param = param(loop, *args, **kwargs)
            kwargs = {}
        else:
            assert not args, "args should be empty"
        if _is_asgiweb_app(param):
            server = UvicornTestServer(param, loop=loop, **(server_kwargs or {}))
            client: TestClient[Any, Any] = TestClient(server, loop=loop, **kwargs)
        elif isinstance(param, BaseTestServer):
            client = TestClient(param, loop=loop, **kwargs)
        else:
            raise ValueError(f"Unknown argument type: {type(param)!r}")
        await client.start_server()
        clients.append(client)
        return client

    yield go

    async def finalize() -> None:
        while clients:
            await clients.pop().close()

    loop.run_until_complete(finalize())


if not REFERENCE:
    aiohttp_server = pytest.fixture(_server_factory, name="aiohttp_server")
    aiohttp_client = pytest.fixture(_client_factory, name="aiohttp_client")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests that cannot apply; expect the impossible ones to fail."""
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    not_applicable: dict[str, str] = {}
    for item in items:
        reason = rules.not_applicable(item.nodeid, _source(item))
        if reason is not None:
            deselected.append(item)
            not_applicable[item.nodeid] = reason
            continue
        impossible = rules.impossible(item.nodeid) or rules.better(item.nodeid)
        known = rules.known_failure(item.nodeid)
        if impossible is not None and not REFERENCE:
            item.add_marker(pytest.mark.xfail(reason=impossible, strict=True))
        elif known is not None and not REFERENCE:
            # not strict: some parametrizations of a listed test pass already
            item.add_marker(pytest.mark.xfail(reason=known, strict=False))
        expected = impossible or known
        if expected is not None and not REFERENCE and rules.hangs(item.nodeid):
            item.add_marker(pytest.mark.timeout(3))
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    config.stash[_NOT_APPLICABLE] = not_applicable


def _source(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    if function is None:
        return ""
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


_NOT_APPLICABLE = pytest.StashKey[dict[str, str]]()
_OUTCOMES: dict[str, str] = {}
_MESSAGES: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record each test's outcome: passed, failed, skipped, xfailed or xpassed."""
    outcomes = _OUTCOMES
    nodeid = report.nodeid
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
        if report.when == "call" or nodeid not in outcomes:
            outcomes[nodeid] = outcome
        return
    if report.when == "call" or report.outcome != "passed":
        if outcomes.get(nodeid) in ("failed", "error"):
            return
        outcome = report.outcome
        if report.when != "call" and report.outcome == "failed":
            outcome = "error"
        outcomes[nodeid] = outcome
        crash = getattr(report.longrepr, "reprcrash", None)
        if outcome in ("failed", "error") and crash is not None:
            _MESSAGES[nodeid] = f"{crash.path}:{crash.lineno}: {crash.message}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the outcomes and the not-applicable tests to ``ASGIWEB_SUITE_REPORT``."""
    path = os.environ.get("ASGIWEB_SUITE_REPORT")
    if not path:
        return
    report = {
        "outcomes": _OUTCOMES,
        "messages": _MESSAGES,
        "not_applicable": session.config.stash.get(_NOT_APPLICABLE, {}),
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(report, file, indent=1, sort_keys=True)
