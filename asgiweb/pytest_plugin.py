"""pytest fixtures for asgiweb apps: pytest-aiohttp's, plus ``asgiweb_client``.

Installed with asgiweb and registered through the ``pytest11`` entry point,
so no ``pytest_plugins`` line is needed (one does no harm). Async tests and
fixtures run on pytest-asyncio, as with pytest-aiohttp 1.x: set
``asyncio_mode = auto`` or mark tests with ``@pytest.mark.asyncio``.

* ``aiohttp_client(app_or_server, *, server_kwargs=None, **client_kwargs)``:
  a started ``asgiweb.test_utils.TestClient``. An ``Application`` is served
  in process unless the ini option ``asgiweb_in_process = false`` or
  ``server_kwargs={"in_process": False}`` asks for real uvicorn.
* ``aiohttp_server(app, *, host="127.0.0.1", port=None, **kwargs)``: a
  ``TestServer`` listening on a real socket (uvicorn).
* ``aiohttp_raw_server(handler, *, port=None, **kwargs)``: a
  ``RawTestServer`` (``web.Server(handler)``) on a real socket.
* ``aiohttp_client_cls``: the client class ``aiohttp_client`` makes.
* ``aiohttp_unused_port()``: a free TCP port on 127.0.0.1.
* ``asgiweb_client(app, **options)``: the httpx-based ``asgiweb.testing.TestClient``.

Given an ``aiohttp.web.Application`` (aiohttp itself), ``aiohttp_client``
and ``aiohttp_server`` use aiohttp's own test utilities, so differential
tests can run both frameworks side by side.

>>> async def test_hello(aiohttp_client):
...     client = await aiohttp_client(app)
...     resp = await client.get("/")
...     assert resp.status == 200
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
import pytest_asyncio

from .app import Application
from .client_reqrep import aiohttp_module
from .server import RawHandler
from .test_utils import BaseTestServer, RawTestServer, TestClient, TestServer, unused_port
from .testing import TestClient as HTTPXTestClient
from .typedefs import ASGIApp

ClientFactory = Callable[..., Awaitable[HTTPXTestClient]]
AiohttpClient = Callable[..., Awaitable[Any]]
AiohttpServer = Callable[..., Awaitable[Any]]
AiohttpRawServer = Callable[..., Awaitable[RawTestServer]]

IN_PROCESS_OPTION = "asgiweb_in_process"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini option choosing how ``aiohttp_client(app)`` serves an app."""
    parser.addini(
        IN_PROCESS_OPTION,
        type="bool",
        default=True,
        help="aiohttp_client(app) calls the app in process (true, the default) "
        "or serves it with uvicorn on 127.0.0.1 (false)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """As pytest-aiohttp: the removed ``legacy`` asyncio mode is taken as ``auto``."""
    try:
        mode = config.getoption("asyncio_mode")
    except ValueError:  # pytest-asyncio is not loaded
        return
    if mode is None:
        mode = config.getini("asyncio_mode")
    if mode == "legacy":
        config.option.asyncio_mode = "auto"
        config.issue_config_time_warning(
            DeprecationWarning(
                "asyncio_mode 'legacy' is no longer supported; running as 'auto'. "
                "Set asyncio_mode = auto (or strict) in the pytest configuration."
            ),
            stacklevel=2,
        )


def _foreign_aiohttp_app(value: object) -> Any:
    """aiohttp's module when *value* is an ``aiohttp.web.Application``, else ``None``."""
    if isinstance(value, (Application, BaseTestServer)):
        return None
    aiohttp = aiohttp_module()
    if aiohttp is None:
        return None
    import aiohttp.test_utils
    import aiohttp.web

    if isinstance(value, (aiohttp.web.Application, aiohttp.test_utils.BaseTestServer)):
        return aiohttp
    return None


@pytest_asyncio.fixture
async def aiohttp_server() -> AsyncIterator[AiohttpServer]:
    """``server = await aiohttp_server(app)``: a ``TestServer`` on 127.0.0.1 (uvicorn)."""
    servers: list[Any] = []

    async def make(
        app: Application, *, host: str = "127.0.0.1", port: int | None = None, **kwargs: Any
    ) -> Any:
        server: Any
        aiohttp = _foreign_aiohttp_app(app)
        if aiohttp is not None:
            server = aiohttp.test_utils.TestServer(app, host=host, port=port)
        else:
            server = TestServer(app, host=host, port=port)
        await server.start_server(**kwargs)
        servers.append(server)
        return server

    yield make
    while servers:
        await servers.pop().close()


@pytest_asyncio.fixture
async def aiohttp_raw_server() -> AsyncIterator[AiohttpRawServer]:
    """``server = await aiohttp_raw_server(handler)``: ``web.Server(handler)`` on 127.0.0.1."""
    servers: list[RawTestServer] = []

    async def make(handler: RawHandler, *, port: int | None = None, **kwargs: Any) -> RawTestServer:
        server = RawTestServer(handler, port=port)
        await server.start_server(**kwargs)
        servers.append(server)
        return server

    yield make
    while servers:
        await servers.pop().close()


@pytest.fixture
def aiohttp_client_cls() -> type[TestClient]:
    """The class ``aiohttp_client`` instantiates; override it to use a subclass."""
    return TestClient


@pytest_asyncio.fixture
async def aiohttp_client(
    aiohttp_client_cls: type[TestClient], request: pytest.FixtureRequest
) -> AsyncIterator[AiohttpClient]:
    """``client = await aiohttp_client(app_or_server, server_kwargs=None, **client_kwargs)``."""
    clients: list[Any] = []
    in_process_default = bool(request.config.getini(IN_PROCESS_OPTION))

    async def make(
        param: Any, /, *, server_kwargs: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        client: Any
        aiohttp = _foreign_aiohttp_app(param)
        if aiohttp is not None:
            if isinstance(param, aiohttp.test_utils.BaseTestServer):
                client = aiohttp.test_utils.TestClient(param, **kwargs)
            else:
                server = aiohttp.test_utils.TestServer(param, **(server_kwargs or {}))
                client = aiohttp.test_utils.TestClient(server, **kwargs)
        elif isinstance(param, Application):
            options = {"in_process": in_process_default, **(server_kwargs or {})}
            client = aiohttp_client_cls(TestServer(param, **options), **kwargs)
        elif isinstance(param, BaseTestServer):
            client = aiohttp_client_cls(param, **kwargs)
        else:
            raise ValueError(f"Unknown argument type: {type(param)!r}")
        await client.start_server()
        clients.append(client)
        return client

    yield make
    while clients:
        await clients.pop().close()


@pytest.fixture
def aiohttp_unused_port() -> Callable[[], int]:
    """``port = aiohttp_unused_port()``: a TCP port free on 127.0.0.1."""
    return unused_port


@pytest_asyncio.fixture
async def asgiweb_client() -> AsyncIterator[ClientFactory]:
    """``client = await asgiweb_client(app, **options)``: a started httpx-based TestClient."""
    clients: list[HTTPXTestClient] = []

    async def make(app: ASGIApp, **kwargs: Any) -> HTTPXTestClient:
        client = HTTPXTestClient(app, **kwargs)
        await client.__aenter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        await client.__aexit__(None, None, None)


__all__ = (
    "aiohttp_client",
    "aiohttp_client_cls",
    "aiohttp_raw_server",
    "aiohttp_server",
    "aiohttp_unused_port",
    "asgiweb_client",
    "pytest_addoption",
    "pytest_configure",
)
