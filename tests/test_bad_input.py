"""Bad input answers the right 4xx with a message that names the problem, never a 500.

Charsets a body cannot be decoded with, JSON nested too deep, compressed
bodies that do not decode or decode to too much, non-latin-1 response header
values, If-Range that does not match, long static path segments.
"""

from __future__ import annotations

import gzip
import logging
import os
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest

from asgiweb import web
from asgiweb.fileresponse import FileResponse

from .conftest import ClientFactory, asgi_request


def body_app(**kwargs: Any) -> web.Application:
    """Routes that read the body every way a handler can."""

    async def text(request: web.Request) -> web.Response:
        return web.Response(text=await request.text())

    async def as_json(request: web.Request) -> web.Response:
        return web.json_response(await request.json())

    async def form(request: web.Request) -> web.Response:
        data = await request.post()
        return web.json_response({k: str(v) for k, v in data.items()})

    async def parts(request: web.Request) -> web.Response:
        reader = await request.multipart()
        out = {}
        async for part in reader:
            out[part.name or ""] = await part.text()
        return web.json_response(out)

    async def read(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application(**kwargs)
    app.router.add_post("/text", text)
    app.router.add_post("/json", as_json)
    app.router.add_post("/form", form)
    app.router.add_post("/parts", parts)
    app.router.add_post("/read", read)
    return app


@pytest.mark.parametrize("charset", ["undefined", "punycode", "idna", "nope", "hex", "base64"])
async def test_unusable_charset_is_400_naming_it(client_for: ClientFactory, charset: str) -> None:
    client = await client_for(body_app())
    for path, ctype, body in [
        ("/text", "text/plain", b"abc"),
        ("/json", "application/json", b'{"a": 1}'),
        ("/form", "application/x-www-form-urlencoded", b"a=1&b=2"),
    ]:
        headers = {"Content-Type": f"{ctype}; charset={charset}"}
        r = await client.post(path, content=body, headers=headers)
        assert r.status_code == 400, (path, charset, r.text)
        assert f"Unknown charset '{charset}'" in r.text, (path, r.text)


@pytest.mark.parametrize("charset", ["undefined", "punycode", "idna"])
async def test_multipart_text_part_with_unusable_charset_is_400(
    client_for: ClientFactory, charset: str
) -> None:
    body = (
        b"--b0\r\nContent-Disposition: form-data; name=\"t\"\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n\r\nabc\r\n--b0--\r\n"
    )
    client = await client_for(body_app())
    for path in ("/form", "/parts"):
        r = await client.post(
            path, content=body, headers={"Content-Type": "multipart/form-data; boundary=b0"}
        )
        assert r.status_code == 400, (path, r.text)
        assert f"Unknown charset '{charset}'" in r.text


async def test_bytes_invalid_in_the_charset_are_400_naming_it(client_for: ClientFactory) -> None:
    client = await client_for(body_app())
    r = await client.post(
        "/form",
        content=b"a=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert r.status_code == 400
    assert "Form body is not valid utf-8" in r.text


async def test_urlencoded_field_limit_is_still_413(client_for: ClientFactory) -> None:
    client = await client_for(body_app(client_max_fields=3))
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await client.post("/form", content=b"a=1&b=2&c=3", headers=ctype)).status_code == 200
    r = await client.post("/form", content=b"a=1&b=2&c=3&d=4", headers=ctype)
    assert r.status_code == 413 and "Maximum number of form fields 3 exceeded" in r.text


async def test_deeply_nested_json_is_400(client_for: ClientFactory) -> None:
    client = await client_for(body_app(client_max_size=2**20))
    r = await client.post("/json", content=b"[" * 100_000)
    assert r.status_code == 400
    assert "nested too deeply" in r.text
    r = await client.post("/json", content=b"[" * 100 + b"]" * 100)
    assert r.status_code == 200


async def test_compressed_body_over_client_max_size_is_413_in_bounded_memory(
    client_for: ClientFactory,
) -> None:
    bomb = gzip.compress(b"\0" * (64 * 2**20), compresslevel=9)  # 64 MiB in ~64 KiB
    assert len(bomb) < 2**20
    client = await client_for(body_app())
    tracemalloc.start()
    try:
        r = await client.post("/read", content=bomb, headers={"Content-Encoding": "gzip"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 413
    assert peak < 16 * 2**20  # the 1 MiB limit plus buffers, never the 64 MiB


async def test_compressed_body_is_decoded_for_every_reader(client_for: ClientFactory) -> None:
    client = await client_for(body_app())
    headers = {"Content-Encoding": "deflate", "Content-Type": "application/x-www-form-urlencoded"}
    r = await client.post("/form", content=zlib.compress(b"a=1&b=%E2%82%AC"), headers=headers)
    assert r.json() == {"a": "1", "b": "€"}
    # a raw deflate stream (no zlib header), which some clients send
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = raw.compress(b"plain text") + raw.flush()
    r = await client.post("/text", content=body, headers={"Content-Encoding": "deflate"})
    assert r.text == "plain text"
    # several gzip members one after the other
    body = gzip.compress(b"one ") + gzip.compress(b"two")
    r = await client.post("/text", content=body, headers={"Content-Encoding": "gzip"})
    assert r.text == "one two"
    # a multipart body, gzip-compressed as a whole
    form = b'--b0\r\nContent-Disposition: form-data; name="x"\r\n\r\nvalue\r\n--b0--\r\n'
    r = await client.post(
        "/parts",
        content=gzip.compress(form),
        headers={"Content-Encoding": "gzip", "Content-Type": "multipart/form-data; boundary=b0"},
    )
    assert r.json() == {"x": "value"}


async def test_unsupported_content_encoding(client_for: ClientFactory) -> None:
    client = await client_for(body_app())
    r = await client.post("/read", content=b"x", headers={"Content-Encoding": "zstd"})
    assert r.status_code == 400 and "zstd" in r.text
    # unknown codings and lists are passed through untouched, as aiohttp does
    for coding in ("identity", "bogus", "gzip, identity"):
        r = await client.post("/read", content=b"raw", headers={"Content-Encoding": coding})
        assert (r.status_code, r.content) == (200, b"raw")


async def test_header_values_outside_latin1_go_out_as_utf8(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        resp = web.StreamResponse() if kind == "stream" else web.Response(text="x")
        resp.headers["X-Name"] = "€"
        resp.set_cookie("c", "€")
        if kind == "stream":
            await resp.prepare(request)
            await resp.write(b"x")
        return resp

    app = web.Application()
    app.router.add_get("/{kind}", handler)
    client = await client_for(app)
    for kind in ("plain", "stream"):
        r = await client.get(f"/{kind}")
        assert r.status_code == 200
        client.http.cookies.clear()  # httpx could not send this cookie back
        raw = {k.lower(): v for k, v in r.headers.raw}
        assert raw[b"x-name"] == "€".encode()
        assert raw[b"set-cookie"].startswith('c="€"'.encode())


async def test_header_values_with_newlines_are_still_refused(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text="x")
        resp.headers["X-Bad"] = "€\r\nSet-Cookie: evil=1"
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    client = await client_for(app)
    logging.getLogger("asgiweb.server").disabled = True
    try:
        r = await client.get("/")
    finally:
        logging.getLogger("asgiweb.server").disabled = False
    assert r.status_code == 500
    assert "evil" not in r.headers.get("set-cookie", "")


def file_app(root: Path) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        return FileResponse(root / "data.bin")

    app = web.Application()
    app.router.add_get("/data.bin", handler)
    return app


async def test_if_range_with_a_different_etag_sends_the_whole_file(
    client_for: ClientFactory, tmp_path: Path
) -> None:
    (tmp_path / "data.bin").write_bytes(b"0123456789" * 100)
    client = await client_for(file_app(tmp_path))
    etag = (await client.get("/data.bin")).headers["etag"]
    r = await client.get("/data.bin", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert (r.status_code, r.content) == (206, b"0123456789")
    for stale in ('"not-the-etag"', f"W/{etag}", "not a date nor an etag"):
        r = await client.get("/data.bin", headers={"Range": "bytes=0-9", "If-Range": stale})
        assert (r.status_code, len(r.content)) == (200, 1000), stale
        assert "content-range" not in r.headers


async def test_static_path_segment_too_long_is_404_without_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.txt").write_text("a")
    app = web.Application()
    app.router.add_static("/static", tmp_path, show_index=True)
    caplog.set_level(logging.DEBUG)
    for name in ("a" * 256, "a" * 5000, "d/" + "b" * 300, "a" * 255):
        messages = await asgi_request(app, "/static/" + name)
        assert messages[0]["status"] == 404, name
    if os.name == "posix":
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_first_message_over_the_limit_is_refused_without_reading_more() -> None:
    """A server may deliver several network reads as one message: check it at once."""
    received = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * 3000, "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/read",
        "raw_path": b"/read",
        "query_string": b"",
        "headers": [(b"host", b"x"), (b"transfer-encoding", b"chunked")],
    }
    await body_app(client_max_size=1000)(scope, receive, send)
    assert sent[0]["status"] == 413
    assert received == 1
