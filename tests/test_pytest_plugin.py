"""The pytest plugin: registered by entry point, pytest-aiohttp's fixtures and async handling.

Each case runs pytest on a small project of its own (pytester), as a user
who installed asgiweb would.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent

AUTO_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

STRICT_INI = """
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

APP = """
import aiohttp
import pytest
from asgiweb import web

name_key = web.AppKey("name", str)

async def hello(request):
    return web.Response(text="Hello " + request.app[name_key])

def make_app():
    app = web.Application()
    app[name_key] = "world"
    app.router.add_get("/", hello)
    return app
"""


def run(pytester: pytest.Pytester, ini: str, **files: str) -> pytest.RunResult:
    pytester.makeini(ini)
    pytester.makepyfile(**files)
    return pytester.runpytest("-p", "no:cacheprovider", "-q")


def test_registered_as_a_pytest11_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("asgiweb.pytest_plugin") == "asgiweb.pytest_plugin"


def test_ported_file_runs_unchanged_in_auto_mode(pytester: pytest.Pytester) -> None:
    """The pytest-aiohttp style file in a project with warnings as errors.

    The project's conftest also lists the plugin in ``pytest_plugins``, as this
    repository's does: it is loaded once, not twice.
    """
    source = (HERE / "test_pytest_aiohttp_style.py").read_text()
    conftest = 'pytest_plugins = ["asgiweb.pytest_plugin"]\n'
    both = (
        APP
        + """
async def test_both_clients(aiohttp_client, asgiweb_client):
    assert (await (await aiohttp_client(make_app())).get("/")).status == 200
    assert (await (await asgiweb_client(make_app())).get("/")).status_code == 200
"""
    )
    result = run(pytester, AUTO_INI, conftest=conftest, test_ported=source, test_both=both)
    result.assert_outcomes(passed=7)


def test_strict_mode_marks_client_class_and_uvicorn_option(pytester: pytest.Pytester) -> None:
    """``asyncio_mode = strict`` with marks, ``aiohttp_client_cls``, ``asgiweb_in_process``."""
    test = (
        APP
        + """
import pytest_asyncio
from asgiweb.test_utils import TestClient, RawTestServer

class MyClient(TestClient):
    async def greeting(self):
        resp = await self.get("/")
        return await resp.text()

@pytest.fixture
def aiohttp_client_cls():
    return MyClient

@pytest_asyncio.fixture
async def client(aiohttp_client):
    return await aiohttp_client(make_app())

@pytest.mark.asyncio
async def test_custom_class_over_uvicorn(client):
    assert isinstance(client, MyClient)
    assert not client.server.in_process  # asgiweb_in_process = false
    assert await client.greeting() == "Hello world"

@pytest.mark.asyncio
async def test_server_and_port(aiohttp_server, aiohttp_unused_port):
    port = aiohttp_unused_port()
    server = await aiohttp_server(make_app(), port=port)
    assert server.port == port
    async with aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/")) as resp:
            assert await resp.text() == "Hello world"

@pytest.mark.asyncio
async def test_raw_server(aiohttp_raw_server, aiohttp_client):
    async def handler(request):
        return web.Response(text=request.path)
    server = await aiohttp_raw_server(handler)
    assert isinstance(server, RawTestServer)
    client = await aiohttp_client(server)
    assert await (await client.get("/raw")).text() == "/raw"

@pytest.mark.asyncio
async def test_unknown_argument(aiohttp_client):
    with pytest.raises(ValueError, match="Unknown argument type"):
        await aiohttp_client(object())

async def test_unmarked_is_not_run_in_strict_mode(aiohttp_client):
    pass
"""
    )
    ini = STRICT_INI + "asgiweb_in_process = false\n"
    result = run(pytester, ini, test_strict=test)
    # In strict mode an unmarked coroutine test is not run by pytest-asyncio, and
    # pytest fails it: the same outcome as with pytest-aiohttp.
    result.assert_outcomes(passed=4, failed=1)
