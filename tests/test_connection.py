"""``Connection``: one owner of the ASGI exchange's state; disconnect watching only to stream."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asgiweb import web
from asgiweb.connection import Connection
from asgiweb.typedefs import Message


def http_scope(path: str = "/", method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"example.com")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


class Exchange:
    """A client for one request: the body, then (when *leave*) ``http.disconnect``."""

    def __init__(self, *, leave: bool = False) -> None:
        self.leave = leave
        self.sent: list[Message] = []
        self.received = 0
        self._never = asyncio.Event()

    async def receive(self) -> Message:
        self.received += 1
        if self.received == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        if self.leave:
            return {"type": "http.disconnect"}
        await self._never.wait()
        raise AssertionError("unreachable")

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])


async def serve(app: web.Application, exchange: Exchange, path: str = "/") -> None:
    await app(http_scope(path), exchange.receive, exchange.send)


# -- the connection object itself ---------------------------------------------------


async def test_start_response_marks_the_exchange_started() -> None:
    exchange = Exchange()
    connection = Connection(exchange.receive, exchange.send)
    assert not connection.response_started
    await connection.start_response(201, [(b"content-length", b"2")])
    await connection.send_body(b"ok", more_body=False)
    assert connection.response_started
    assert exchange.sent == [
        {"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"2")]},
        {"type": "http.response.body", "body": b"ok", "more_body": False},
    ]


async def test_accept_websocket_uses_the_servers_own_send() -> None:
    plain: list[Message] = []
    server: list[Message] = []

    async def wrapped_send(message: Message) -> None:
        plain.append(message)

    async def server_send(message: Message) -> None:
        server.append(message)

    connection = Connection(Exchange().receive, wrapped_send)
    connection.websocket_send = server_send
    await connection.accept_websocket({"type": "websocket.accept"})
    assert connection.response_started
    assert server == [{"type": "websocket.accept"}] and plain == []


async def test_a_request_and_its_clone_share_one_connection() -> None:
    seen: list[bool] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.clone(rel_url="/other").connection is request.connection)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", handler)
    exchange = Exchange()
    await serve(app, exchange)
    assert exchange.status == 200 and seen == [True]


async def test_watcher_reports_the_disconnect_to_the_connection() -> None:
    exchange = Exchange(leave=True)
    connection = Connection(exchange.receive, exchange.send)
    request = web.BaseRequest(http_scope(), exchange.receive, exchange.send)
    request.connection = connection
    watcher = connection.watch_disconnect(request)
    assert connection.watcher is watcher
    for _ in range(100):
        if connection.client_gone:
            break
        await asyncio.sleep(0)
    assert connection.client_gone and not connection.handler_cancelled
    connection.stop_watching()
    assert connection.watcher is None


# -- a disconnect watcher only for responses that stream ----------------------------


def tasks_started_by(prepare_counts: list[int]) -> int:
    """How many tasks were alive after prepare() returned, beyond those before it."""
    before, after = prepare_counts
    return after - before


class CountingResponse(web.Response):
    """A Response subclass overriding prepare (so it takes the general path)."""

    counts: list[int]

    async def prepare(self, request: web.BaseRequest) -> None:
        self.counts = [len(asyncio.all_tasks())]
        await super().prepare(request)
        self.counts.append(len(asyncio.all_tasks()))


class CountingStreamResponse(web.StreamResponse):
    counts: list[int]

    async def prepare(self, request: web.BaseRequest) -> None:
        self.counts = [len(asyncio.all_tasks())]
        await super().prepare(request)
        self.counts.append(len(asyncio.all_tasks()))


async def test_response_subclass_overriding_prepare_starts_no_watcher_task() -> None:
    responses: list[CountingResponse] = []

    async def handler(request: web.Request) -> web.Response:
        response = CountingResponse(text="Hello")
        responses.append(response)
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    exchange = Exchange()
    await serve(app, exchange)
    assert (exchange.status, exchange.body) == (200, b"Hello")
    assert tasks_started_by(responses[0].counts) == 0


async def test_handler_preparing_a_response_itself_starts_no_watcher_task() -> None:
    counts: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        response = web.Response(text="Hello")
        counts.append(len(asyncio.all_tasks()))
        await response.prepare(request)
        counts.append(len(asyncio.all_tasks()))
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    exchange = Exchange()
    await serve(app, exchange)
    assert (exchange.status, exchange.body) == (200, b"Hello")
    assert tasks_started_by(counts) == 0


async def test_stream_response_starts_a_watcher_at_prepare() -> None:
    responses: list[CountingStreamResponse] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        response = CountingStreamResponse()
        responses.append(response)
        await response.prepare(request)
        await response.write(b"Hello")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    exchange = Exchange()
    await serve(app, exchange)
    assert (exchange.status, exchange.body) == (200, b"Hello")
    assert tasks_started_by(responses[0].counts) == 1


@pytest.mark.parametrize("kind", [web.StreamResponse, web.Response])
async def test_writing_after_the_client_left_raises(kind: type[web.StreamResponse]) -> None:
    """Streamed by hand, even a Response notices the client leaving (as aiohttp does)."""
    outcome: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        response = kind()
        await response.prepare(request)
        try:
            for _ in range(1000):
                await response.write(b"x")
                await asyncio.sleep(0)
        except ConnectionResetError as exc:
            outcome.append(str(exc))
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    exchange = Exchange(leave=True)
    await serve(app, exchange)
    assert outcome == ["Cannot write to closing transport"]
    assert 1 <= len(exchange.sent) - 1 < 1000
