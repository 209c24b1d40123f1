"""Every way a response is sent says the same thing on the wire.

A ``Response`` the handler returns goes out through ``deliver()``, which
takes a shortcut when it can (headers encoded once from a shared template,
or without the general checks). A response the handler prepares itself
goes the general way: ``prepare()`` (``_prepare_headers``, the
``on_response_prepare`` signals, ``http.response.start``) and then
``write_eof()``. These tests run each kind of response both ways, at the
level of the ASGI messages, and require the same messages.

Files have their own variants: small files go out whole with the end of the
response, larger ones are streamed in chunks, and ``http.response.pathsend``
hands the server a path; the status, headers and bytes must agree.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asgiweb import fileresponse, web
from asgiweb.typedefs import Message

ACCEPT_ENCODINGS = ("", "gzip, deflate")
METHODS = ("GET", "HEAD")


def scope_for(
    method: str,
    query: str = "",
    accept_encoding: str = "",
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    headers = [(b"host", b"example.com")]
    if accept_encoding:
        headers.append((b"accept-encoding", accept_encoding.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "extensions": extensions or {},
    }


async def exchange(app: web.Application, scope: dict[str, Any]) -> list[Message]:
    """Serve one request in process; the ASGI messages the app sent."""
    sent: list[Message] = []
    received = False
    client_stays = asyncio.Event()  # never set: the client waits for the whole answer

    async def receive() -> Message:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await client_stays.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    return sent


def make_app(build: Callable[[], web.StreamResponse], *, hook: bool) -> web.Application:
    """``/`` returns the response; ``/?general=1`` prepares it in the handler first."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = build()
        if request.query.get("general"):
            await response.prepare(request)
        return response

    async def stamp(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Stamp"] = request.method

    app = web.Application()
    app.router.add_route("*", "/", handler)
    if hook:
        app.on_response_prepare.append(stamp)
    return app


# -- Response: the shortcuts of deliver() against prepare() + write_eof() ----------

KINDS: dict[str, Callable[[], web.Response]] = {
    "text": lambda: web.Response(text="héllo"),
    "text html": lambda: web.Response(text="<b>hi</b>", content_type="text/html"),
    "text, unusual type": lambda: web.Response(text="x", content_type="application/vnd.x"),
    "text with charset": lambda: web.Response(text="x", charset="latin-1"),
    "text with headers": lambda: web.Response(text="x", headers={"X-A": "1"}),
    "body bytes": lambda: web.Response(body=b"\x00\x01"),
    "body bytearray": lambda: web.Response(body=bytearray(b"ab")),
    "body bytes, json type": lambda: web.Response(body=b"{}", content_type="application/json"),
    "body with Content-Length header": lambda: web.Response(
        body=b"abc", headers={"Content-Length": "3"}
    ),
    "empty": lambda: web.Response(),
    "json_response": lambda: web.json_response({"a": [1, 2]}),
    "json_response 201": lambda: web.json_response({"a": 1}, status=201),
    "status 201": lambda: web.Response(text="made", status=201),
    "status 204": lambda: web.Response(status=204),
    "status 204 with body": lambda: web.Response(body=b"x", status=204),
    "status 304": lambda: web.Response(text="x", status=304),
    "status 404 with reason": lambda: web.Response(text="no", status=404, reason="Gone Fishing"),
    "HTTPNotFound": lambda: web.HTTPNotFound(),
    "HTTPFound": lambda: web.HTTPFound("/elsewhere"),
    "HTTPNoContent": lambda: web.HTTPNoContent(),
}


def _cookie(response: web.Response) -> None:
    response.set_cookie("sid", "abc", httponly=True)


def _compress(response: web.Response) -> None:
    response.enable_compression()


def _compress_forced(response: web.Response) -> None:
    response.enable_compression(web.ContentCoding.deflate)


def _chunked(response: web.Response) -> None:
    if "Content-Length" not in response.headers:
        response.enable_chunked_encoding()


def _chunked_compressed(response: web.Response) -> None:
    _chunked(response)
    response.enable_compression(web.ContentCoding.gzip)


def _header(response: web.Response) -> None:
    response.headers["X-Extra"] = "1"


def _close(response: web.Response) -> None:
    response.force_close()


def _status(response: web.Response) -> None:
    response.set_status(202)


def _body(response: web.Response) -> None:
    response.body = b"replaced"


def _no_content_type(response: web.Response) -> None:
    response.headers.pop("Content-Type", None)


CHANGES: dict[str, Callable[[web.Response], None]] = {
    "as built": lambda response: None,
    "cookie": _cookie,
    "compression": _compress,
    "compression forced": _compress_forced,
    "chunked": _chunked,
    "chunked and compressed": _chunked_compressed,
    "header added": _header,
    "force_close": _close,
    "status changed": _status,
    "body replaced": _body,
    "Content-Type removed": _no_content_type,
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_response_shortcuts_send_what_the_general_path_sends(kind: str) -> None:
    mismatches = []
    cases = itertools.product(CHANGES.items(), METHODS, ACCEPT_ENCODINGS, (False, True))
    for (change_name, change), method, accept_encoding, hook in cases:

        def build(change: Callable[[web.Response], None] = change) -> web.Response:
            response = KINDS[kind]()
            change(response)
            return response

        app = make_app(build, hook=hook)
        shortcut = await exchange(app, scope_for(method, "", accept_encoding))
        general = await exchange(app, scope_for(method, "general=1", accept_encoding))
        if shortcut != general:
            mismatches.append((change_name, method, accept_encoding, hook, shortcut, general))
        assert [m["type"] for m in shortcut] == ["http.response.start", "http.response.body"]
    assert not mismatches, mismatches[:3]


async def test_the_shortcut_is_taken_and_the_general_path_is_not() -> None:
    """The two sides of the tests above really are different code: a subclass that
    overrides ``write_eof`` sees it called only on the general path."""
    calls: list[str] = []

    class Watched(web.Response):
        async def write_eof(self, data: bytes = b"") -> None:
            calls.append("write_eof")
            await super().write_eof(data)

    # a subclass overriding write_eof always takes the general path
    app = make_app(lambda: Watched(text="x"), hook=False)
    await exchange(app, scope_for("GET"))
    assert calls == ["write_eof"]


# -- StreamResponse: prepared by the app or by the handler ---------------------------


def streamed(*pieces: bytes, change: Callable[[web.Response], None] | None = None) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        if change is not None:
            change(response)  # type: ignore[arg-type]
        if request.query.get("general") or pieces:
            await response.prepare(request)
        for piece in pieces:
            await response.write(piece)
        return response

    return handler


@pytest.mark.parametrize("change", [None, _cookie, _compress, _header, _close, _chunked])
@pytest.mark.parametrize("method", METHODS)
async def test_stream_response_prepared_by_the_app_or_the_handler(
    change: Callable[[web.Response], None] | None, method: str
) -> None:
    app = web.Application()
    app.router.add_route("*", "/", streamed(change=change))
    by_app = await exchange(app, scope_for(method, "", "gzip"))
    by_handler = await exchange(app, scope_for(method, "general=1", "gzip"))
    assert by_app == by_handler


async def test_stream_response_pieces_make_the_whole_body() -> None:
    app = web.Application()
    app.router.add_route("*", "/", streamed(b"ab", b"", b"cd"))
    messages = await exchange(app, scope_for("GET"))
    assert messages[0]["status"] == 200
    assert b"".join(m["body"] for m in messages[1:]) == b"abcd"
    assert [m["more_body"] for m in messages[1:]] == [True, True, False]


# -- FileResponse: whole, streamed in chunks, or handed over as a path -------------


def file_app(path: Path, **kwargs: Any) -> web.Application:
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, **kwargs)

    app = web.Application()
    app.router.add_route("*", "/", handler)
    return app


def file_scope(method: str, *headers: tuple[bytes, bytes], pathsend: bool = False) -> Any:
    scope = scope_for(method, extensions={"http.response.pathsend": {}} if pathsend else None)
    scope["headers"] += list(headers)
    return scope


def outcome(messages: list[Message]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body bytes, however many messages carried them."""
    body = b""
    for message in messages[1:]:
        if message["type"] == "http.response.pathsend":
            body += Path(message["path"]).read_bytes()
        else:
            body += message["body"]
    return messages[0]["status"], messages[0]["headers"], body


FILE_REQUESTS: dict[str, tuple[str, list[tuple[bytes, bytes]]]] = {
    "GET": ("GET", []),
    "HEAD": ("HEAD", []),
    "range": ("GET", [(b"range", b"bytes=10-99")]),
    "suffix range": ("GET", [(b"range", b"bytes=-5")]),
    "unsatisfiable range": ("GET", [(b"range", b"bytes=999999-")]),
    "if-none-match *": ("GET", [(b"if-none-match", b"*")]),
}


@pytest.mark.parametrize("request_kind", list(FILE_REQUESTS))
async def test_small_file_whole_streamed_or_pathsend_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request_kind: str
) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(256)) * 3)
    method, headers = FILE_REQUESTS[request_kind]
    app = file_app(path, chunk_size=100)
    whole = await exchange(app, file_scope(method, *headers))
    monkeypatch.setattr(fileresponse, "SMALL_FILE", 0)  # every file is streamed
    chunked = await exchange(app, file_scope(method, *headers))
    with_pathsend = await exchange(app, file_scope(method, *headers, pathsend=True))
    assert outcome(whole) == outcome(chunked) == outcome(with_pathsend)
    if request_kind == "GET":
        assert len(whole) == 2 and len(chunked) > 3
        assert with_pathsend[1]["type"] == "http.response.pathsend"
