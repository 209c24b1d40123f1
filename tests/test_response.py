"""StreamResponse, Response and json_response as the client sees them."""

from __future__ import annotations

import datetime
import gzip
import json
from typing import Any

import pytest

from asgiweb import web
from asgiweb.protocol import ETag

from .conftest import ClientFactory


def serve(handler: Any) -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/", handler)
    return app


async def test_text_body_and_defaults(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="héllo", status=201, reason="Made", headers={"X-A": "1"})

    r = await (await client_for(serve(handler))).get("/")
    assert r.status_code == 201
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == str(len("héllo".encode()))
    assert r.headers["x-a"] == "1"
    assert r.text == "héllo"


async def test_bytes_body_defaults_to_octet_stream(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x01")

    r = await (await client_for(serve(handler))).get("/")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == b"\x00\x01"


async def test_empty_response_has_no_content_type(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    r = await (await client_for(serve(handler))).get("/")
    assert r.headers["content-length"] == "0"
    assert "content-type" not in r.headers


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="body and text are not allowed together"):
        web.Response(body=b"a", text="a")
    with pytest.raises(ValueError, match="charset must not be in content_type"):
        web.Response(text="a", content_type="text/plain; charset=utf-8")
    with pytest.raises(ValueError, match="passing both Content-Type header"):
        web.Response(text="a", headers={"Content-Type": "text/html"}, content_type="text/plain")
    with pytest.raises(TypeError, match="text argument must be str"):
        web.Response(text=b"a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unsupported body type"):
        web.Response(body=object())
    with pytest.raises(ValueError, match="Reason cannot contain"):
        web.Response(reason="a\r\nb")
    with pytest.raises(RuntimeError, match="Content length is set automatically"):
        web.Response().content_length = 5


def test_properties() -> None:
    resp = web.Response(text="x", content_type="text/html", charset="latin-1")
    assert (resp.content_type, resp.charset) == ("text/html", "latin-1")
    resp.charset = "utf-8"
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    resp.content_type = "text/csv"
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    resp.text = "changed"
    assert resp.body == b"changed"
    assert resp.content_length == 7
    resp.last_modified = 0
    assert resp.headers["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    when = datetime.datetime(2020, 5, 17, 12, 0, tzinfo=datetime.timezone.utc)
    resp.last_modified = when
    assert resp.last_modified == when
    resp.last_modified = None
    assert "Last-Modified" not in resp.headers
    resp.etag = "abc"
    assert resp.headers["ETag"] == '"abc"'
    resp.etag = ETag("xyz", is_weak=True)
    assert resp.headers["ETag"] == 'W/"xyz"'
    assert resp.etag == ETag("xyz", is_weak=True)
    resp.etag = "*"
    assert resp.etag == ETag("*")
    with pytest.raises(ValueError, match="is not a valid etag"):
        resp.etag = 'a"b'
    resp["k"] = 1
    assert dict(resp) == {"k": 1}
    octet = web.StreamResponse()
    with pytest.raises(RuntimeError, match="Setting charset for application/octet-stream"):
        octet.charset = "utf-8"


async def test_cookies(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text="ok")
        resp.set_cookie("sid", "abc", max_age=3600, httponly=True, secure=True, samesite="Lax")
        resp.set_cookie("part", "1", partitioned=True)
        resp.del_cookie("old")
        return resp

    r = await (await client_for(serve(handler))).get("/")
    cookies = r.headers.get_list("set-cookie")
    sid = next(c for c in cookies if c.startswith("sid="))
    assert "Max-Age=3600" in sid and "HttpOnly" in sid and "Secure" in sid
    assert "SameSite=Lax" in sid and "Path=/" in sid
    assert any(c.startswith("part=1") and c.endswith("; Partitioned") for c in cookies)
    old = next(c for c in cookies if c.startswith("old="))
    assert 'old=""' in old and "Max-Age=0" in old and "expires=Thu, 01 Jan 1970" in old


async def test_header_injection_is_refused(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="x", headers={"X-Evil": "a\r\nSet-Cookie: pwned=1"})

    r = await (await client_for(serve(handler))).get("/")
    assert r.status_code == 500
    assert "pwned" not in r.headers.get("set-cookie", "")
    assert "x-evil" not in r.headers


async def test_streamed_response(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"X-Stream": "yes"})
        resp.content_type = "text/plain"
        assert not resp.prepared
        await resp.prepare(request)
        assert resp.prepared
        for i in range(3):
            await resp.write(f"line {i}\n".encode())
        await resp.write_eof(b"end\n")
        with pytest.raises(RuntimeError, match="after write_eof"):
            await resp.write(b"late")
        return resp

    r = await (await client_for(serve(handler))).get("/")
    assert r.text == "line 0\nline 1\nline 2\nend\n"
    assert r.headers["x-stream"] == "yes"
    assert "content-length" not in r.headers


async def test_write_before_prepare_is_error(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        with pytest.raises(RuntimeError, match="before prepare"):
            await resp.write(b"x")
        return web.Response(text="checked")

    assert (await (await client_for(serve(handler))).get("/")).text == "checked"


async def test_set_status_after_prepare_is_refused(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        with pytest.raises(AssertionError, match="Cannot change the response status"):
            resp.set_status(404)
        return resp

    assert (await (await client_for(serve(handler))).get("/")).status_code == 200


async def test_head_sends_no_body_but_keeps_length(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="0123456789")

    app = web.Application()
    app.router.add_get("/", handler)
    r = await (await client_for(app)).head("/")
    assert r.headers["content-length"] == "10"
    assert r.content == b""


@pytest.mark.parametrize("status", [204, 304])
async def test_bodyless_statuses(client_for: ClientFactory, status: int) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text="ignored")

    r = await (await client_for(serve(handler))).get("/")
    assert r.status_code == status
    assert r.content == b""
    assert "content-length" not in r.headers


@pytest.mark.parametrize(("accept", "coding"), [("gzip", "gzip"), ("deflate, gzip", "deflate")])
async def test_compression_of_whole_body(
    client_for: ClientFactory, accept: str, coding: str
) -> None:
    body = "compress me " * 100

    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text=body)
        resp.enable_compression()
        return resp

    client = await client_for(serve(handler))
    r = await client.get("/", headers={"Accept-Encoding": accept})
    assert r.headers["content-encoding"] == coding
    assert int(r.headers["content-length"]) < len(body)
    assert r.text == body  # httpx decodes
    plain = await client.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


async def test_compression_of_stream(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_compression(web.ContentCoding.gzip)
        await resp.prepare(request)
        for _ in range(10):
            await resp.write(b"abc" * 100)
        await resp.write_eof()
        return resp

    client = await client_for(serve(handler))
    async with client.http.stream("GET", "/") as r:
        raw = b"".join([chunk async for chunk in r.aiter_raw()])
    assert r.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == b"abc" * 1000


def test_enable_compression_rejects_bad_force() -> None:
    with pytest.raises(TypeError, match="ContentCoding"):
        web.Response().enable_compression("gzip")  # type: ignore[arg-type]


async def test_chunked_encoding(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b"a")
        await resp.write(b"b")
        return resp

    r = await (await client_for(serve(handler))).get("/")
    assert r.content == b"ab"
    resp = web.StreamResponse()
    resp.content_length = 3
    with pytest.raises(RuntimeError, match="content length is set"):
        resp.enable_chunked_encoding()


async def test_json_response(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"a": [1, 2]}, status=202, dumps=lambda d: json.dumps(d, indent=1))

    r = await (await client_for(serve(handler))).get("/")
    assert r.status_code == 202
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.text == '{\n "a": [\n  1,\n  2\n ]\n}'
    with pytest.raises(ValueError, match="only one of data, text, or body"):
        web.json_response({"a": 1}, text="x")


async def test_force_close_sends_connection_close(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text="bye")
        resp.force_close()
        assert resp.keep_alive is False
        return resp

    r = await (await client_for(serve(handler))).get("/")
    assert r.headers["connection"] == "close"


async def test_plain_response_is_two_asgi_messages() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = serve(handler)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"host", b"x")],
        "http_version": "1.1",
        "scheme": "http",
    }
    await app(scope, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1] == {"type": "http.response.body", "body": b"hi", "more_body": False}


async def test_prepare_refuses_header_injection_with_value_error(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        resp = web.StreamResponse(headers={"X-Name": "ann\r\nSet-Cookie: admin=1"})
        with pytest.raises(ValueError, match="header injection"):
            await resp.prepare(request)
        assert not resp.prepared
        bad_name = web.StreamResponse(headers={"X-A\nB": "v"})
        with pytest.raises(ValueError, match="Invalid header name"):
            await bad_name.prepare(request)
        return web.Response(text="refused")

    r = await (await client_for(serve(handler))).get("/")
    assert r.text == "refused"
    assert "set-cookie" not in r.headers


# Response(text=...), Response(body=..., content_type=...) and json_response()
# start from shared, pre-encoded header templates; passing headers= takes the
# general path. Whatever is done to the response afterwards, both must send
# exactly the same status, headers and body.
BUILDS: dict[str, Any] = {
    "text": lambda **kw: web.Response(text="héllo", **kw),
    "text html": lambda **kw: web.Response(text="<b>hi</b>", content_type="text/html", **kw),
    "text unusual type": lambda **kw: web.Response(
        text="x", content_type="application/vnd.example", **kw
    ),
    "bytes": lambda **kw: web.Response(body=b"\x00\x01", **kw),
    "bytes json": lambda **kw: web.Response(body=b"{}", content_type="application/json", **kw),
    "empty": lambda **kw: web.Response(**kw),
    "json_response": lambda **kw: web.json_response({"a": 1}, **kw),
    "status 201": lambda **kw: web.Response(text="made", status=201, **kw),
    "status 204": lambda **kw: web.Response(status=204, **kw),
    "status 304": lambda **kw: web.Response(text="x", status=304, **kw),
}


def _set_header(resp: web.Response) -> None:
    resp.headers["X-Extra"] = "1"


def _set_content_type(resp: web.Response) -> None:
    resp.content_type = "text/csv"


def _set_status(resp: web.Response) -> None:
    resp.set_status(404, "Gone Fishing")


def _set_cookie(resp: web.Response) -> None:
    resp.set_cookie("sid", "abc")


def _cookies_property(resp: web.Response) -> None:
    resp.cookies["flavour"] = "oat"


def _compress(resp: web.Response) -> None:
    resp.enable_compression(web.ContentCoding.gzip)


def _force_close(resp: web.Response) -> None:
    resp.force_close()


def _drop_content_type(resp: web.Response) -> None:
    resp.headers.pop("Content-Type", None)


def _set_content_length(resp: web.Response) -> None:
    resp.headers["Content-Length"] = str(len(resp.body or b""))


def _set_body(resp: web.Response) -> None:
    resp.body = b"replaced"


MUTATIONS: dict[str, Any] = {
    "untouched": lambda resp: None,
    "header added": _set_header,
    "content_type set": _set_content_type,
    "status changed": _set_status,
    "cookie set": _set_cookie,
    "cookies property": _cookies_property,
    "compressed": _compress,
    "force_close": _force_close,
    "content type removed": _drop_content_type,
    "content length set": _set_content_length,
    "body replaced": _set_body,
}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("mutation", list(MUTATIONS))
@pytest.mark.parametrize("build", list(BUILDS))
async def test_template_responses_send_what_the_general_path_sends(
    client_for: ClientFactory, build: str, mutation: str, method: str
) -> None:
    async def handler(request: web.Request) -> web.Response:
        extra = {"headers": {}} if request.query.get("general") else {}
        resp: web.Response = BUILDS[build](**extra)
        MUTATIONS[mutation](resp)
        return resp

    client = await client_for(serve(handler))
    fast = await client.request(method, "/")
    general = await client.request(method, "/?general=1")
    assert fast.status_code == general.status_code
    assert fast.headers.multi_items() == general.headers.multi_items()
    assert fast.content == general.content


async def test_template_response_with_prepare_hook(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    async def stamp(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Stamp"] = "yes"
        response.content_type = "text/markdown"

    app = serve(handler)
    app.on_response_prepare.append(stamp)
    r = await (await client_for(app)).get("/")
    assert r.headers["x-stamp"] == "yes"
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    assert r.text == "hi"


@pytest.mark.parametrize(
    "content_type", ["text/html\r\nSet-Cookie: pwned=1", "text/html\nX-Evil: 1"]
)
async def test_content_type_argument_cannot_inject_headers(
    client_for: ClientFactory, content_type: str
) -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.query.get("body"):
            return web.Response(body=b"x", content_type=content_type)
        return web.Response(text="x", content_type=content_type)

    client = await client_for(serve(handler))
    for url in ("/", "/?body=1"):
        r = await client.get(url)
        assert r.status_code == 500
        assert "set-cookie" not in r.headers and "x-evil" not in r.headers


async def test_headers_after_sending_include_content_length(client_for: ClientFactory) -> None:
    sent: list[web.Response] = []

    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text="four")
        sent.append(resp)
        return resp

    await (await client_for(serve(handler))).get("/")
    assert sent[0].prepared
    assert sent[0].headers["Content-Length"] == "4"
    assert sent[0].body_length == 4


def test_json_bytes_response_as_aiohttp() -> None:
    import aiohttp.web as aiohttp_web

    def dumps(data: Any) -> bytes:
        return json.dumps(data).encode()

    for module in (web, aiohttp_web):
        response = module.json_bytes_response({"a": 1}, dumps=dumps, status=201)
        assert (response.body, response.status, response.content_type) == (
            b'{"a": 1}',
            201,
            "application/json",
        )
        with pytest.raises(ValueError, match="only one of data or body"):
            module.json_bytes_response({"a": 1}, dumps=dumps, body=b"{}")


async def test_drain_is_deprecated(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        with pytest.warns(DeprecationWarning, match="drain method is deprecated"):
            await response.drain()
        await response.write(b"ok")
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    assert (await (await client_for(app)).get("/")).content == b"ok"
