"""Request: lazy attributes from the scope, the body, forms, multipart, limits, clone."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest

from asgiweb import HttpVersion11, web
from asgiweb.protocol import ETag

from .conftest import ClientFactory


def app_with(
    handler: Any, method: str = "*", path: str = "/{tail:.*}", **kwargs: Any
) -> web.Application:
    app = web.Application(**kwargs)
    app.router.add_route(method, path, handler)
    return app


async def test_url_parts(client_for: ClientFactory) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        seen.update(
            method=request.method,
            version=request.version,
            url=str(request.url),
            rel_url=str(request.rel_url),
            path=request.path,
            raw_path=request.raw_path,
            path_qs=request.path_qs,
            query=request.query,
            query_string=request.query_string,
            host=request.host,
            scheme=request.scheme,
            secure=request.secure,
            remote=request.remote,
            keep_alive=request.keep_alive,
            transport=request.transport,
            match_info=dict(request.match_info),
            app=request.app,
            repr=repr(request),
        )
        return web.Response()

    app = app_with(handler)
    client = await client_for(app)
    await client.get("/a%20b/c?x=1&x=2&y=&z=%20")
    assert seen["method"] == "GET"
    assert seen["version"] == HttpVersion11
    assert seen["url"] == "http://testserver/a%20b/c?x=1&x=2&y=&z=%20"
    assert seen["rel_url"] == "/a%20b/c?x=1&x=2&y=&z=%20"
    assert seen["path"] == "/a b/c"
    assert seen["raw_path"] == "/a%20b/c?x=1&x=2&y=&z=%20"
    assert seen["path_qs"] == "/a%20b/c?x=1&x=2&y=&z=%20"
    assert seen["query"].getall("x") == ["1", "2"]
    assert seen["query"]["y"] == ""
    assert seen["query"]["z"] == " "
    assert seen["query_string"] == "x=1&x=2&y=&z= "
    assert seen["host"] == "testserver"
    assert (seen["scheme"], seen["secure"]) == ("http", False)
    assert seen["remote"] == "127.0.0.1"
    assert seen["keep_alive"] is True
    assert seen["transport"].get_extra_info("sslcontext") is None
    assert seen["match_info"] == {"tail": "a b/c"}
    assert seen["app"] is app
    assert seen["repr"] == "<Request GET /a b/c >"


async def test_quoted_cookie_values_are_unescaped_as_aiohttp(client_for: ClientFactory) -> None:
    """A value set through SimpleCookie comes back quoted, with \\" and octal escapes."""
    seen: dict[str, str] = {}

    async def handler(request: web.Request) -> web.Response:
        seen.update(request.cookies)
        return web.Response()

    client = await client_for(app_with(handler))
    header = r'j="{\"a\": 1\054 \"b\": [2]}"; plain=x; odd="\q"'
    await client.get("/", headers={"Cookie": header})
    assert seen == {"j": '{"a": 1, "b": [2]}', "plain": "x", "odd": "q"}


async def test_headers_cookies_and_conditionals(client_for: ClientFactory) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        seen.update(
            accept=request.headers.getall("X-Multi"),
            cookies=dict(request.cookies),
            ims=request.if_modified_since,
            ius=request.if_unmodified_since,
            if_range=request.if_range,
            if_match=request.if_match,
            if_none_match=request.if_none_match,
            range=request.http_range,
            raw=request.raw_headers,
        )
        return web.Response()

    client = await client_for(app_with(handler))
    await client.get(
        "/",
        headers=[
            ("X-Multi", "a"),
            ("X-Multi", "b"),
            ("Cookie", 'sid=abc; theme="dark"; bad'),
            ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("If-Unmodified-Since", "garbage"),
            ("If-Range", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("If-Match", '"a", W/"b"'),
            ("If-None-Match", "*"),
            ("Range", "bytes=10-19"),
        ],
    )
    assert seen["accept"] == ["a", "b"]
    # a name without '=' is a cookie with an empty value, as aiohttp 3.14 reads it
    assert seen["cookies"] == {"sid": "abc", "theme": "dark", "bad": ""}
    when = datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.timezone.utc)
    assert seen["ims"] == when
    assert seen["ius"] is None
    assert seen["if_range"] == when
    assert seen["if_match"] == (ETag("a"), ETag("b", is_weak=True))
    assert seen["if_none_match"] == (ETag("*"),)
    assert seen["range"] == slice(10, 20, 1)
    assert (b"x-multi", b"a") in seen["raw"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=5-", slice(5, None, 1)),
        ("bytes=-5", slice(-5, None, 1)),
        (None, slice(None, None, 1)),
    ],
)
async def test_http_range_forms(
    client_for: ClientFactory, header: str | None, expected: slice
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=repr(request.http_range))

    client = await client_for(app_with(handler))
    headers = {"Range": header} if header else {}
    assert (await client.get("/", headers=headers)).text == repr(expected)


async def test_http_range_malformed_is_value_error(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        with pytest.raises(ValueError, match="range not in acceptable format"):
            request.http_range  # noqa: B018
        return web.Response(text="checked")

    client = await client_for(app_with(handler))
    assert (await client.get("/", headers={"Range": "items=1-2"})).text == "checked"


async def test_read_text_json(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        assert await request.read() is body  # cached
        text = await request.text()
        data = await request.json()
        return web.json_response(
            {
                "len": len(body),
                "text": text,
                "data": data,
                "exists": request.body_exists,
                "can_read": request.can_read_body,
                "ct": request.content_type,
                "charset": request.charset,
                "cl": request.content_length,
            }
        )

    client = await client_for(app_with(handler))
    r = await client.post("/", json={"k": "vä"})
    out = r.json()
    assert out["data"] == {"k": "vä"}
    assert out["exists"] is True
    assert out["can_read"] is False
    assert out["ct"] == "application/json"
    assert out["cl"] == out["len"]


async def test_text_uses_declared_charset(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=await request.text())

    client = await client_for(app_with(handler))
    r = await client.post(
        "/", content="é".encode("latin-1"), headers={"Content-Type": "text/plain; charset=latin-1"}
    )
    assert r.text == "é"


async def test_malformed_json_is_400_and_still_a_json_error(client_for: ClientFactory) -> None:
    caught: list[BaseException] = []

    async def handler(request: web.Request) -> web.Response:
        try:
            await request.json()
        except json.JSONDecodeError as exc:
            caught.append(exc)
            raise
        return web.Response()

    client = await client_for(app_with(handler))
    r = await client.post("/", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.text.startswith("400: Malformed JSON body")
    assert isinstance(caught[0], ValueError)


async def test_undecodable_text_is_400(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=await request.text())

    client = await client_for(app_with(handler))
    r = await client.post("/", content=b"\xff\xfe\xfa", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400
    r = await client.post("/", content=b"x", headers={"Content-Type": "text/plain; charset=nope"})
    assert r.status_code == 400
    assert "Unknown charset 'nope'" in r.text


async def test_json_ignores_content_type_like_aiohttp(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(await request.json())

    client = await client_for(app_with(handler))
    r = await client.post("/", content=b"{}", headers={"Content-Type": "text/plain"})
    assert r.json() == {}
    r = await client.post("/", content=b"[1]", headers={"Content-Type": "application/problem+json"})
    assert r.json() == [1]


async def test_body_over_limit_by_content_length_is_413_without_reading(
    client_for: ClientFactory,
) -> None:
    received: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        try:
            await request.read()
        finally:
            received.append(request.content.total_bytes)
        return web.Response()

    client = await client_for(app_with(handler, client_max_size=1024))
    r = await client.post("/", content=b"x" * 1025)
    assert r.status_code == 413
    assert r.text == "Maximum request body size 1024 exceeded."
    assert received == [0]
    assert (await client.post("/", content=b"x" * 1024)).status_code == 200


async def test_streamed_body_over_limit_stops_reading_early() -> None:
    """A chunked upload with no Content-Length is cut at the limit, not buffered whole."""
    sent = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        sent += 1
        return {"type": "http.request", "body": b"x" * 1000, "more_body": sent < 1_000_000}

    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response()

    app = app_with(handler, client_max_size=10_000)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"x"), (b"transfer-encoding", b"chunked")],
        "client": None,
        "server": None,
    }
    await app(scope, receive, send)
    assert messages[0]["status"] == 413
    assert sent == 11  # 11 kB read, then refused


async def test_streaming_content_api(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        content = request.content
        first_line = await content.readline()
        four = await content.read(4)
        exactly = await content.readexactly(3)
        rest = b"".join([chunk async for chunk in content.iter_chunked(5)])
        return web.json_response(
            {
                "line": first_line.decode(),
                "four": four.decode(),
                "exactly": exactly.decode(),
                "rest": rest.decode(),
                "eof": content.at_eof(),
                "total": content.total_bytes,
            }
        )

    client = await client_for(app_with(handler))
    r = await client.post("/", content=b"hello\nworld and more")
    assert r.json() == {
        "line": "hello\n",
        "four": "worl",
        "exactly": "d a",
        "rest": "nd more",
        "eof": True,
        "total": 20,
    }


async def test_iter_any_and_readany(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        chunks = [chunk async for chunk in request.content.iter_any()]
        assert await request.content.readany() == b""
        return web.Response(body=b"".join(chunks))

    async def body() -> Any:
        for piece in (b"ab", b"cd", b"ef"):
            yield piece

    client = await client_for(app_with(handler))
    assert (await client.post("/", content=body())).content == b"abcdef"


async def test_body_exists_false_for_plain_get(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "exists": request.body_exists,
                "can_read": request.can_read_body,
                "body": (await request.read()).decode(),
            }
        )

    client = await client_for(app_with(handler))
    assert (await client.get("/")).json() == {"exists": False, "can_read": False, "body": ""}


async def test_post_urlencoded(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        assert await request.post() is form
        return web.json_response({k: form.getall(k) for k in set(form.keys())})

    client = await client_for(app_with(handler))
    r = await client.post("/", data={"a": ["1", "2"], "b": "x y", "c": ""})
    assert r.json() == {"a": ["1", "2"], "b": ["x y"], "c": [""]}


async def test_post_too_many_fields_is_413(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.post()
        return web.Response()

    client = await client_for(app_with(handler, client_max_fields=3))
    r = await client.post(
        "/",
        content=b"a=1&b=2&c=3&d=4",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert r.text == "Maximum number of form fields 3 exceeded."


async def test_post_on_get_is_empty(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(dict(await request.post()))

    client = await client_for(app_with(handler))
    assert (await client.get("/")).json() == {}


async def test_post_multipart_fields_and_files(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["upload"]
        assert isinstance(upload, web.FileField)
        return web.json_response(
            {
                "title": form["title"],
                "filename": upload.filename,
                "content_type": upload.content_type,
                "data": upload.file.read().decode(),
                "name": upload.name,
                "disposition": upload.headers["Content-Disposition"],
            }
        )

    client = await client_for(app_with(handler))
    r = await client.post(
        "/",
        data={"title": "Ünïcode"},
        files={"upload": ("notes.txt", io.BytesIO(b"file body"), "text/plain")},
    )
    out = r.json()
    assert out["title"] == "Ünïcode"
    assert out["filename"] == "notes.txt"
    assert out["content_type"] == "text/plain"
    assert out["data"] == "file body"
    assert out["name"] == "upload"
    assert 'filename="notes.txt"' in out["disposition"]


async def test_multipart_upload_over_limit_is_413(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.post()
        return web.Response()

    client = await client_for(app_with(handler, client_max_size=1000))
    r = await client.post("/", files={"f": ("big.bin", io.BytesIO(b"x" * 5000))})
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=abc", b"garbage without boundary"),
        (
            "multipart/form-data; boundary=abc",
            b"--abc\r\nContent-Disposition: form-data\r\n\r\nv\r\n--abc--\r\n",
        ),
    ],
)
async def test_malformed_multipart_is_400(
    client_for: ClientFactory, content_type: str, body: bytes
) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.post()
        return web.Response()

    client = await client_for(app_with(handler))
    r = await client.post("/", content=body, headers={"Content-Type": content_type})
    assert r.status_code == 400, r.text


async def test_multipart_streaming_reader(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        parts = []
        async for part in reader:
            if part.filename:
                size = 0
                while chunk := await part.read_chunk(7):
                    size += len(chunk)
                parts.append(("file", part.name, part.filename, size))
            else:
                parts.append(("field", part.name, await part.text(), 0))
        return web.json_response(parts)

    client = await client_for(app_with(handler))
    r = await client.post(
        "/", data={"a": "1", "b": "two"}, files={"f": ("x.bin", io.BytesIO(b"z" * 100))}
    )
    assert r.json() == [
        ["field", "a", "1", 0],
        ["field", "b", "two", 0],
        ["file", "f", "x.bin", 100],
    ]


async def test_multipart_skipping_unread_parts(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        names = []
        while (part := await reader.next()) is not None:
            names.append(part.name)  # never read: next() skips the data
        return web.json_response(names)

    client = await client_for(app_with(handler))
    r = await client.post("/", files={"a": ("a", b"1" * 10000), "b": ("b", b"2")})
    assert r.json() == ["a", "b"]


async def test_clone_and_mapping(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        request["user"] = "ann"
        clone = request.clone(
            method="post",
            rel_url="/other?q=1",
            headers={"X-A": "b"},
            scheme="https",
            host="example.com",
            remote="10.0.0.1",
        )
        return web.json_response(
            {
                "method": clone.method,
                "path": clone.path,
                "query": dict(clone.query),
                "header": clone.headers.get("X-A"),
                "url": str(clone.url),
                "remote": clone.remote,
                "user": clone["user"],
                "orig": [request.method, request.path, len(request), list(request)],
            }
        )

    client = await client_for(app_with(handler))
    assert (await client.get("/orig")).json() == {
        "method": "POST",
        "path": "/other",
        "query": {"q": "1"},
        "header": "b",
        "url": "https://example.com/other?q=1",
        "remote": "10.0.0.1",
        "user": "ann",
        "orig": ["GET", "/orig", 1, ["user"]],
    }


async def test_config_dict_and_forwarded(client_for: ClientFactory) -> None:
    key = web.AppKey("name", str)

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(
            {"name": request.config_dict[key], "forwarded": [dict(f) for f in request.forwarded]}
        )

    app = app_with(handler)
    app[key] = "main"
    client = await client_for(app)
    r = await client.get("/", headers={"Forwarded": 'for=1.2.3.4;proto=https, for="[::1]";by=x'})
    assert r.json() == {
        "name": "main",
        "forwarded": [{"for": "1.2.3.4", "proto": "https"}, {"for": "[::1]", "by": "x"}],
    }


async def test_stream_is_empty_after_read(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        rest = await request.content.read()
        return web.json_response(
            {"body": body.decode(), "rest": rest.decode(), "can_read": request.can_read_body}
        )

    client = await client_for(app_with(handler))
    r = await client.post("/", content=b"payload")
    assert r.json() == {"body": "payload", "rest": "", "can_read": False}


async def test_client_gone_while_reading_is_not_an_error() -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        raise AssertionError("unreachable: the client left while the body was read")

    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"x"), (b"content-length", b"10")],
    }
    await app_with(handler)(scope, receive, send)
    assert messages == []  # nobody to answer
