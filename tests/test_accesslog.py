"""The access log (asgiweb/accesslog.py) against aiohttp's, through both runners.

The same app runs under aiohttp's ``AppRunner`` + ``TCPSite`` and under
asgiweb's, on 127.0.0.1; the same requests must log the same lines once the
parts that differ by nature are masked: times, the port, and ``%b`` (aiohttp
counts its own status line and headers, asgiweb the body: docs/porting.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp.abc
import aiohttp.web
import httpx
import pytest

from asgiweb import abc as asgi_abc
from asgiweb import web as asgi_web

REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/", {}),
    ("GET", "/hello?name=x&y=%20z", {"Referer": "http://example.com/page"}),
    ("POST", "/echo", {"X-Custom": "abc"}),
    ("GET", "/missing", {}),
    ("GET", "/crash", {}),
    ("HEAD", "/", {}),
    ("GET", "/a%0Ab", {}),
]


def build(web: ModuleType) -> Any:
    """The same application source, whichever ``web`` module it is given."""

    async def index(request: Any) -> Any:
        return web.Response(text="index", headers={"X-Out": "out-value"})

    async def hello(request: Any) -> Any:
        return web.json_response({"name": request.query.get("name")})

    async def echo(request: Any) -> Any:
        return web.Response(body=await request.read())

    async def crash(request: Any) -> Any:
        raise RuntimeError("boom")

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/hello", hello)
    app.router.add_post("/echo", echo)
    app.router.add_get("/crash", crash)
    return app


class Records(logging.Handler):
    """Keep the records of a logger."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def capture(name: str) -> tuple[logging.Logger, Records]:
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = Records()
    logger.handlers[:] = [handler]
    return logger, handler


async def serve_and_log(
    web: ModuleType,
    requests: list[tuple[str, str, dict[str, str]]],
    raw: list[bytes] = (),  # type: ignore[assignment]
    **runner_options: Any,
) -> tuple[list[int], str]:
    """Serve ``build(web)`` with *runner_options*, send *requests*, return the statuses
    and the port."""
    runner = web.AppRunner(build(web), **runner_options)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    statuses = []
    try:
        async with httpx.AsyncClient(headers={"User-Agent": "tester/1.0"}) as client:
            for method, path, headers in requests:
                response = await client.request(
                    method,
                    f"http://127.0.0.1:{port}{path}",
                    headers=headers,
                    content=b"body" if method == "POST" else None,
                )
                statuses.append(response.status_code)
        for data in raw:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(data)
            await reader.read()
            writer.close()
    finally:
        await runner.cleanup()
    return statuses, str(port)


def masked(message: str, port: str) -> str:
    message = re.sub(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]", "[TIME]", message)
    message = message.replace(f":{port}", ":PORT")
    message = re.sub(r"\bT=[\d.]+ Tf=\d+\.\d{6} D=\d+", "T=t Tf=tf D=d", message)
    return re.sub(r"(\" \d{3}|\bs=\d{3}) \d+", r"\1 B", message)  # %b after the status


async def both(
    requests: list[tuple[str, str, dict[str, str]]] = REQUESTS,
    raw: list[bytes] = (),  # type: ignore[assignment]
    classes: tuple[type, type] | None = None,
    **options: Any,
) -> tuple[list[logging.LogRecord], list[logging.LogRecord], list[str], list[str]]:
    """Records and masked lines of aiohttp's and asgiweb's access loggers.

    *classes* are the ``access_log_class`` of each, aiohttp's first.
    """
    their_options, our_options = dict(options), dict(options)
    if classes is not None:
        their_options["access_log_class"], our_options["access_log_class"] = classes
    capture("aiohttp.server")
    capture("asgiweb.server")
    theirs_log, theirs = capture("test.access.aiohttp")
    ours_log, ours = capture("test.access.asgiweb")
    their_statuses, their_port = await serve_and_log(
        aiohttp.web, requests, raw, access_log=theirs_log, **their_options
    )
    our_statuses, our_port = await serve_and_log(
        asgi_web, requests, raw, access_log=ours_log, **our_options
    )
    assert our_statuses == their_statuses
    return (
        theirs.records,
        ours.records,
        [masked(r.getMessage(), their_port) for r in theirs.records],
        [masked(r.getMessage(), our_port) for r in ours.records],
    )


async def test_default_format_as_aiohttp() -> None:
    theirs, ours, their_lines, our_lines = await both()
    assert len(our_lines) == len(REQUESTS)
    assert our_lines == their_lines
    assert our_lines[0] == '127.0.0.1 [TIME] "GET / HTTP/1.1" 200 B "-" "tester/1.0"'
    assert '"GET /a%0Ab HTTP/1.1" 404' in our_lines[-1]
    # the record's extra, as aiohttp's (all but the size and the time)
    for their_record, our_record in zip(theirs, ours, strict=True):
        for key in ("remote_address", "first_request_line", "response_status", "request_header"):
            assert getattr(our_record, key) == getattr(their_record, key), key
        assert isinstance(our_record.response_size, int)
    # %b: the body's bytes ("index", then nothing for HEAD)
    sizes = [r.response_size for r in ours]
    assert (sizes[0], sizes[5]) == (5, 0)


EVERY_DIRECTIVE = (
    '%a %t %P "%r" s=%s %b T=%T Tf=%Tf D=%D %{Referer}i %{Host}i %{X-Out}o '
    "%{Content-Type}o 100%% %x %{X Y}i"
)


async def test_every_directive_as_aiohttp() -> None:
    # aiohttp fails to format a line with `%%` in it ("Error in logging"): compare
    # the format without it, then check what asgiweb writes for it
    without = EVERY_DIRECTIVE.replace(" 100%%", "")
    theirs, ours, their_lines, our_lines = await both(access_log_format=without)
    assert our_lines == their_lines
    assert f"<{os.getpid()}>" in our_lines[0]
    assert "out-value text/plain; charset=utf-8 %x %{X Y}i" in our_lines[0]
    assert ours[0].request_header["Referer"] == "-"
    assert set(ours[0].request_header) == set(theirs[0].request_header) == {"Referer", "Host"}
    assert ours[0].response_header == theirs[0].response_header
    _, _, _, percent = await both(REQUESTS[:1], access_log_format=EVERY_DIRECTIVE)
    assert "text/plain; charset=utf-8 100% %x %{X Y}i" in percent[0]


def test_bad_formats_raise_value_error_naming_them() -> None:
    logger = logging.getLogger("test.access")
    for bad in ("%{HOME}e", "%O", "%a %"):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            asgi_web.AccessLogger(logger, bad)
        with pytest.raises(ValueError):
            asgi_web.run_app(asgi_web.Application(), access_log_format=bad)
    with pytest.raises(TypeError, match="AbstractAccessLogger"):
        asgi_web.AppRunner(asgi_web.Application(), access_log_class=dict)


def custom_logger(abc: ModuleType) -> type:
    class Custom(abc.AbstractAccessLogger):  # type: ignore[misc,name-defined]
        def log(self, request: Any, response: Any, time: float) -> None:
            self.logger.info(
                "custom %s %s %s %s %s",
                request.method,
                request.path,
                response.status,
                type(time).__name__,
                self.log_format,
            )

    return Custom


async def test_custom_access_logger_class_as_aiohttp() -> None:
    classes = (custom_logger(aiohttp.abc), custom_logger(asgi_abc))
    _, _, their_lines, our_lines = await both(classes=classes, access_log_format="fmt")
    assert our_lines == their_lines
    assert our_lines[0] == "custom GET / 200 float fmt"


async def get_root_once(runner: Any) -> int:
    """Serve *runner* on a free port, GET ``/`` once, clean up: the status."""
    await runner.setup()
    site = asgi_web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(site.name + "/")).status_code
    finally:
        await runner.cleanup()


async def test_access_log_none_logs_nothing() -> None:
    _, uvicorn_access = capture("uvicorn.access")
    _, default = capture("asgiweb.access")
    assert await get_root_once(asgi_web.AppRunner(build(asgi_web), access_log=None)) == 200
    assert default.records == uvicorn_access.records == []


async def test_default_logger_and_no_uvicorn_line() -> None:
    _, uvicorn_access = capture("uvicorn.access")
    _, default = capture("asgiweb.access")
    assert await get_root_once(asgi_web.AppRunner(build(asgi_web))) == 200
    assert len(default.records) == 1
    assert uvicorn_access.records == []


async def test_a_logger_that_raises_does_not_break_the_response() -> None:
    class Raising(asgi_abc.AbstractAccessLogger):
        def log(self, request: Any, response: Any, time: float) -> None:
            raise RuntimeError("logger bug")

    class TheirRaising(aiohttp.abc.AbstractAccessLogger):
        def log(self, request: Any, response: Any, time: float) -> None:
            raise RuntimeError("logger bug")

    _, their_errors = capture("aiohttp.server")
    theirs = await serve_and_log(aiohttp.web, REQUESTS[:2], access_log_class=TheirRaising)
    _, our_errors = capture("asgiweb.server")
    ours = await serve_and_log(asgi_web, REQUESTS[:2], access_log_class=Raising)
    assert ours[0] == theirs[0] == [200, 200]

    def shape(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
        return [
            (r.getMessage(), repr(r.exc_info[1]) if r.exc_info else "")
            for r in records
            if r.levelno >= logging.ERROR
        ]

    assert shape(our_errors.records) == shape(their_errors.records)
    assert shape(our_errors.records)[0] == ("Unhandled exception", "RuntimeError('logger bug')")


async def test_control_characters_cannot_start_a_line() -> None:
    # Both servers refuse C0 controls other than tab in a header (400 before the app);
    # what gets through is C1 controls and U+2028/U+2029, which some log readers take
    # for line breaks: aiohttp writes them raw, asgiweb escapes them (docs/porting.md).
    raw = [
        b"GET /ctl HTTP/1.1\r\nHost: x\r\nReferer: a\xc2\x85b\r\nConnection: close\r\n\r\n",
        b"GET /ctl HTTP/1.1\r\nHost: x\r\nReferer: a\xe2\x80\xa8b\tc\r\nConnection: close\r\n\r\n",
    ]
    _, ours, their_lines, our_lines = await both([], raw)
    assert len(ours) == len(raw)
    for line in our_lines:
        assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]", line), line
    assert our_lines[0] == their_lines[0].replace("\x85", r"\x85")
    assert our_lines[1] == their_lines[1].replace("\u2028", r"\u2028")
    assert r'"a\u2028b' + "\tc" + '"' in our_lines[1]


async def test_websocket_logged_when_it_closes_as_aiohttp() -> None:
    async def serve(web: ModuleType, logger: logging.Logger) -> str:
        async def echo(request: Any) -> Any:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for message in ws:
                await ws.send_str(message.data)
            return ws

        app = web.Application()
        app.router.add_get("/ws", echo)
        runner = web.AppRunner(app, access_log=logger)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            session = aiohttp.ClientSession(headers={"User-Agent": "tester/1.0"})
            async with session, session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
                await ws.send_str("hi")
                assert (await ws.receive()).data == "hi"
                assert logger.handlers[0].records == []  # type: ignore[attr-defined]
        finally:
            await runner.cleanup()
        return str(port)

    their_logger, theirs = capture("test.access.aiohttp")
    our_logger, ours = capture("test.access.asgiweb")
    their_port = await serve(aiohttp.web, their_logger)
    our_port = await serve(asgi_web, our_logger)
    their_lines = [masked(r.getMessage(), their_port) for r in theirs.records]
    our_lines = [masked(r.getMessage(), our_port) for r in ours.records]
    assert our_lines == their_lines
    assert our_lines == ['127.0.0.1 [TIME] "GET /ws HTTP/1.1" 101 B "-" "tester/1.0"']


async def test_low_level_server_logs_through_its_application() -> None:
    _, uvicorn_access = capture("uvicorn.access")
    logger, records = capture("test.access.server")

    async def handler(request: Any) -> Any:
        return asgi_web.Response(text="low")

    server = asgi_web.Server(handler, access_log=logger, access_log_format="%r %s %b")
    runner = asgi_web.ServerRunner(server)
    await runner.setup()
    site = asgi_web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    async with httpx.AsyncClient() as client:
        await client.get(site.name + "/any?x=1")
    await runner.cleanup()
    assert [r.getMessage() for r in records.records] == ["GET /any?x=1 HTTP/1.1 200 3"]
    assert uvicorn_access.records == []


async def test_the_access_log_ends_with_its_runner() -> None:
    logger, records = capture("test.access.reuse")
    app = build(asgi_web)
    for access_log in (logger, None):
        assert await get_root_once(asgi_web.AppRunner(app, access_log=access_log)) == 200
    assert len(records.records) == 1


LOGGED_APP = textwrap.dedent(
    """
    import logging, sys
    from asgiweb import web

    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s", stream=sys.stdout)

    async def hello(request):
        return web.Response(text="hi")

    def create():
        app = web.Application()
        app.router.add_get("/logged-path", hello)
        return app
    """
)
RUN_APP = {
    # one process: the application object
    "run_app": "import logged_app\nweb.run_app(logged_app.create(), {options})\n",
    # two worker processes, each importing the factory
    "workers": "web.run_app('logged_app:create', workers=2, {options})\n",
}


@pytest.mark.parametrize("how", sorted(RUN_APP))
async def test_run_app_writes_one_access_line_per_request(how: str, tmp_path: Path) -> None:
    """run_app (and each of its workers) logs every request once, in the given format."""
    (tmp_path / "logged_app.py").write_text(LOGGED_APP)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    options = f"host='127.0.0.1', port={port}, access_log_format='%r %s'"
    script = "from asgiweb import web\n" + RUN_APP[how].format(options=options)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(tmp_path)},
    )
    assert proc.stdout is not None
    url = f"http://127.0.0.1:{port}/logged-path"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            deadline = asyncio.get_running_loop().time() + 30
            while True:  # until the server (its workers) listens
                try:
                    answer = await client.get(url)
                    break
                except httpx.TransportError:
                    assert asyncio.get_running_loop().time() < deadline, "nothing answered"
                    await asyncio.sleep(0.1)
            assert answer.text == "hi"
            for _ in range(5):
                assert (await client.get(url)).text == "hi"
        proc.send_signal(signal.SIGINT)
        out = (await asyncio.wait_for(proc.stdout.read(), 30)).decode()
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines = [line for line in out.splitlines() if "/logged-path" in line]
    assert lines == ["asgiweb.access GET /logged-path HTTP/1.1 200"] * 6, out
