"""run_app, AppRunner and sites on uvicorn: several sites, graceful shutdown, signals."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp.web
import httpx
import pytest

from asgiweb import web


def make_app(web_module: object, events: list[str]) -> object:
    """An app built the same way with aiohttp.web or asgiweb.web, recording its lifecycle."""
    w: object = web_module

    async def slow(request: object) -> object:
        events.append("request start")
        await asyncio.sleep(float(request.query.get("t", "0.3")))  # type: ignore[attr-defined]
        events.append("request end")
        return w.Response(text="done")  # type: ignore[attr-defined]

    def signal_recorder(name: str) -> object:
        async def handler(app: object) -> None:
            events.append(f"{name} {app['name']}")  # type: ignore[index]

        return handler

    def ctx(label: str) -> object:
        async def context(app: object) -> AsyncIterator[None]:
            events.append(f"ctx enter {label}")
            yield
            events.append(f"ctx exit {label}")

        return context

    name_key = "name"
    apps = {}
    for label in ("root", "sub"):
        app = w.Application()  # type: ignore[attr-defined]
        with pytest.warns(Warning):
            app[name_key] = label
        app.on_startup.append(signal_recorder("startup"))
        app.on_shutdown.append(signal_recorder("shutdown"))
        app.on_cleanup.append(signal_recorder("cleanup"))
        app.cleanup_ctx.append(ctx(label))
        apps[label] = app
    apps["sub"].router.add_get("/slow", slow)
    apps["root"].router.add_get("/slow", slow)
    apps["root"].add_subapp("/sub", apps["sub"])
    return apps["root"]


async def run_lifecycle(web_module: object, runner_cls: object, site_cls: object) -> list[str]:
    events: list[str] = []
    runner = runner_cls(make_app(web_module, events), shutdown_timeout=5)  # type: ignore[operator]
    await runner.setup()
    site = site_cls(runner, "127.0.0.1", 0)  # type: ignore[operator]
    await site.start()
    port = runner.addresses[0][1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        pending = asyncio.create_task(client.get("/sub/slow"))
        deadline = asyncio.get_running_loop().time() + 30
        while "request start" not in events:
            if pending.done():  # the request failed before reaching the handler: say why
                await pending
                raise AssertionError(f"the handler never ran: {events}")
            assert asyncio.get_running_loop().time() < deadline, f"no request start: {events}"
            await asyncio.sleep(0.01)
        events.append("cleanup called")
        cleanup = asyncio.create_task(runner.cleanup())
        response = await pending
        await cleanup
    events.append(f"response {response.status_code} {response.text}")
    return events


async def test_lifecycle_order_matches_aiohttp() -> None:
    theirs = await run_lifecycle(aiohttp.web, aiohttp.web.AppRunner, aiohttp.web.TCPSite)
    ours = await run_lifecycle(web, web.AppRunner, web.TCPSite)
    assert ours == theirs
    assert ours[-1] == "response 200 done"
    # on_shutdown runs while the in-flight request is still being handled
    assert ours.index("shutdown root") < ours.index("request end") < ours.index("cleanup root")


async def test_two_sites_one_app_one_lifespan(tmp_path: Path) -> None:
    started: list[str] = []

    async def on_startup(app: web.Application) -> None:
        started.append("once")

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello via {request.host}")

    app = web.Application()
    app.on_startup.append(on_startup)
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp1 = web.TCPSite(runner, "127.0.0.1", 0)
    tcp2 = web.TCPSite(runner, "127.0.0.1", 0)
    unix_path = tmp_path / "app.sock"
    unix = web.UnixSite(runner, unix_path)
    raw = socket.socket()
    raw.bind(("127.0.0.1", 0))
    sock = web.SockSite(runner, raw)
    for site in (tcp1, tcp2, unix, sock):
        await site.start()
    try:
        assert len(runner.sites) == 4
        ports = [a[1] for a in runner.addresses if isinstance(a, tuple)]
        assert len(set(ports)) == 3
        assert str(unix_path) in runner.addresses
        for port in ports:
            async with httpx.AsyncClient() as client:
                r = await client.get(f"http://127.0.0.1:{port}/")
                assert r.text == f"hello via 127.0.0.1:{port}"
        transport = httpx.AsyncHTTPTransport(uds=str(unix_path))
        async with httpx.AsyncClient(transport=transport) as client:
            assert (await client.get("http://localhost/")).text == "hello via localhost"
        assert tcp1.name.startswith("http://127.0.0.1:")
        assert unix.name == f"http://unix:{unix_path}:"
    finally:
        await runner.cleanup()
    assert started == ["once"]
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{ports[0]}/")


async def test_shutdown_timeout_cancels_what_is_left(caplog: pytest.LogCaptureFixture) -> None:
    events: list[str] = []

    in_flight = 0

    async def stuck(request: web.Request) -> web.Response:
        nonlocal in_flight
        in_flight += 1
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        return web.Response()

    async def on_cleanup(app: web.Application) -> None:
        events.append("cleanup")

    app = web.Application()
    app.router.add_get("/", stuck)
    app.on_cleanup.append(on_cleanup)
    runner = web.AppRunner(app, shutdown_timeout=0.3)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(timeout=5) as client:
        pending = [
            asyncio.create_task(client.get(f"http://127.0.0.1:{port}/")) for _ in range(3)
        ]
        while in_flight < 3:
            await asyncio.sleep(0.02)
        await asyncio.wait_for(runner.cleanup(), 10)
        responses = await asyncio.gather(*pending)
    # A cut request is told to come back later, not that the server failed.
    assert [r.status_code for r in responses] == [503, 503, 503]
    assert responses[0].headers["connection"] == "close"
    assert "shutting down" in responses[0].text
    assert events == ["cancelled"] * 3 + ["cleanup"]
    # One summary line, no traceback per request.
    assert [r for r in caplog.records if r.exc_info] == []
    summary = [r.getMessage() for r in caplog.records if r.name == "asgiweb.runner"]
    assert len(summary) == 1
    assert "3 answered 503" in summary[0]


async def test_shutdown_timeout_closes_a_started_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = asyncio.Event()

    async def streaming(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"first part")
        started.set()
        await asyncio.sleep(30)
        await response.write(b"never sent")
        return response

    app = web.Application()
    app.router.add_get("/", streaming)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    caplog.set_level(logging.INFO)
    received = b""
    client = httpx.AsyncClient(timeout=5)
    async with client, client.stream("GET", f"http://127.0.0.1:{port}/") as response:
        assert response.status_code == 200
        await started.wait()
        cleanup = asyncio.create_task(runner.cleanup())
        # The connection closes without the chunked terminator: the client
        # can tell the body is incomplete (never a clean, truncated 200).
        with pytest.raises(httpx.RemoteProtocolError):
            async for chunk in response.aiter_raw():
                received += chunk
        await asyncio.wait_for(cleanup, 10)
    assert b"first part" in received and b"never sent" not in received
    assert [r for r in caplog.records if r.exc_info] == []
    summary = [r.getMessage() for r in caplog.records if r.name == "asgiweb.runner"]
    assert len(summary) == 1
    assert "1 closed after their response had started" in summary[0]


def test_site_before_setup_is_refused() -> None:
    runner = web.AppRunner(web.Application())
    with pytest.raises(RuntimeError, match="setup"):
        web.TCPSite(runner, "127.0.0.1", 0)
    with pytest.raises(TypeError, match=r"web\.Application instance"):
        web.AppRunner(object())  # type: ignore[arg-type]


SERVER_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from asgiweb import web

    async def slow(request):
        await asyncio.sleep(0.5)
        return web.Response(text="finished")

    async def on_shutdown(app):
        print("on_shutdown", flush=True)

    async def on_cleanup(app):
        print("on_cleanup", flush=True)

    async def make_app():
        app = web.Application()
        app.router.add_get("/slow", slow)
        app.on_shutdown.append(on_shutdown)
        app.on_cleanup.append(on_cleanup)
        return app

    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]), shutdown_timeout=5)
    print("run_app returned", flush=True)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_run_app_stops_gracefully_on_signal(signum: int) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVER_SCRIPT,
        str(port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    assert proc.stdout is not None
    try:
        banner = await asyncio.wait_for(proc.stdout.readline(), 10)
        assert banner.decode().startswith(f"======== Running on http://127.0.0.1:{port} ========")
        async with httpx.AsyncClient(timeout=5) as client:
            pending = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/slow"))
            await asyncio.sleep(0.2)
            proc.send_signal(signum)
            response = await pending
        assert (response.status_code, response.text) == (200, "finished")
        out = (await asyncio.wait_for(proc.stdout.read(), 10)).decode()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines = [line for line in out.splitlines() if line and not line.startswith("(")]
    assert lines == ["on_shutdown", "on_cleanup", "run_app returned"]


async def test_tls_site() -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.scheme} {request.secure}")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    try:
        port = runner.addresses[0][1]
        assert site.name == f"https://127.0.0.1:{port}"
        async with httpx.AsyncClient(verify=client_context) as client:
            r = await client.get(f"https://localhost:{port}/")
        assert r.text == "https True"
    finally:
        await runner.cleanup()


async def test_server_runner_serves_any_asgi_app() -> None:
    async def raw_app(scope: dict[str, object], receive: object, send: object) -> None:
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"low level"})  # type: ignore[operator]

    runner = web.ServerRunner(raw_app)
    assert runner.server is None
    await runner.setup()
    assert runner.server is raw_app
    site = web.TCPSite(runner, "127.0.0.1", 0)
    assert site.port == 0  # the port asked for, until the site starts
    await site.start()
    try:
        assert site.port == runner.addresses[0][1] != 0
        assert site.name == f"http://127.0.0.1:{site.port}"
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{site.port}/")).text == "low level"
    finally:
        await runner.cleanup()
    with pytest.raises(TypeError, match="must be an ASGI app"):
        web.ServerRunner(42)  # type: ignore[arg-type]


async def test_site_stop_drains_and_unregisters() -> None:
    async def one_site(request: web.Request) -> web.Response:
        return web.Response(text="one site")

    app = web.Application()
    app.router.add_get("/", one_site)
    runner = web.AppRunner(app)
    await runner.setup()
    first, second = web.TCPSite(runner, "127.0.0.1", 0), web.TCPSite(runner, "127.0.0.1", 0)
    await first.start()
    await second.start()
    with pytest.raises(RuntimeError, match="already registered"):
        await first.start()
    await first.stop()
    assert runner.sites == {second}
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{second.port}/")).text == "one site"
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{first.port}/")
    await runner.cleanup()


def test_base_runner_is_abstract_and_names_exist() -> None:
    with pytest.raises(TypeError):
        web.BaseRunner()  # type: ignore[abstract]
    assert issubclass(web.AppRunner, web.BaseRunner)
    assert issubclass(web.ServerRunner, web.BaseRunner)
    with pytest.raises(RuntimeError, match="uvicorn, which cannot listen on a named pipe"):
        web.NamedPipeSite(web.AppRunner(web.Application()), r"\\.\pipe\app")
    with pytest.raises(RuntimeError, match=r"Pass its options \(.*\) to AppRunner or run_app"):
        web.RequestHandler()
    runner_names = {
        "AppRunner", "BaseRunner", "BaseSite", "GracefulExit", "NamedPipeSite",
        "RequestHandler", "ServerRunner", "SockSite", "TCPSite", "UnixSite", "run_app",
    }
    assert runner_names <= set(aiohttp.web.__all__)
    assert runner_names <= set(web.__all__)


def test_run_app_accepts_aiohttp_arguments() -> None:
    import inspect

    theirs = inspect.signature(aiohttp.web.run_app).parameters
    ours = inspect.signature(web.run_app).parameters
    assert [name for name in ours if name != "workers"] == list(theirs)
    for name, parameter in theirs.items():
        if name in ("access_log", "access_log_class"):  # asgiweb's own logger and class
            assert type(ours[name].default).__name__ == type(parameter.default).__name__
        else:
            assert ours[name].default == parameter.default, name
        assert ours[name].kind == parameter.kind, name


def test_site_shutdown_timeout_is_deprecated_as_in_aiohttp() -> None:
    async def main() -> float:
        runner = web.AppRunner(web.Application())
        await runner.setup()
        with pytest.warns(DeprecationWarning, match="shutdown_timeout should be set on BaseRunner"):
            web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=3)
        await runner.cleanup()
        return runner.shutdown_timeout

    assert asyncio.run(main()) == 3


def test_importing_web_does_not_import_uvicorn() -> None:
    code = "import sys; from asgiweb import web; print(sorted(m for m in sys.modules if m.split('.')[0] in ('uvicorn', 'h11', 'httptools')))"  # noqa: E501
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_shutdown_handlers_see_the_runner_shutdown_timeout() -> None:
    from asgiweb.runner import current_shutdown_timeout

    seen: list[float | None] = []

    async def record(app: web.Application) -> None:
        seen.append(current_shutdown_timeout())

    app = web.Application()
    app.on_shutdown.append(record)
    app.on_cleanup.append(record)
    runner = web.AppRunner(app, shutdown_timeout=7.5)
    await runner.setup()
    await runner.cleanup()
    assert seen == [7.5, 7.5]
    assert current_shutdown_timeout() is None


async def test_server_runner_serves_the_low_level_server() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response(text=f"{request.method} {request.path}")

    # aiohttp's Server(handler, **kwargs) gives its connections these options.
    runner = web.ServerRunner(web.Server(handler, max_field_size=100))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{site.port}") as client:
            assert (await client.post("/any/path")).text == "POST /any/path"
            refused = await client.get("/", headers={"X-Long": "a" * 200})
            assert refused.status_code == 431
    finally:
        await runner.cleanup()
