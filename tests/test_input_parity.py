"""Differential tests for request input and header encoding: aiohttp 3.14 against asgiweb.

The same app source runs on aiohttp's own server and on asgiweb under
uvicorn (h11 and httptools); the same raw requests must get the same answers.
Where asgiweb deliberately differs (aiohttp's behaviour is a bug), the test
says so and checks asgiweb's answer on its own.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import zlib
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp.helpers
import aiohttp.test_utils
import aiohttp.web
import brotli
import httpx
import pytest

from asgiweb import protocol
from asgiweb import web as asgi_web

from .conftest import ServerFactory


def build(web: ModuleType) -> Any:
    """One application source for both frameworks."""
    routes = web.RouteTableDef()

    @routes.post("/parts")
    async def parts(request: Any) -> Any:
        out = []
        reader = await request.multipart()
        async for part in reader:
            out.append([part.name, part.filename, (await part.read()).decode("latin-1")])
        return web.json_response(out)

    @routes.post("/decoded")
    async def decoded(request: Any) -> Any:
        out = []
        async for part in await request.multipart():
            if part.name == "text":
                out.append([part.name, await part.text()])
            else:
                out.append([part.name, (await part.read(decode=True)).hex()])
        return web.json_response(out)

    @routes.post("/form")
    async def form(request: Any) -> Any:
        data = await request.post()
        return web.json_response(
            [[k, getattr(v, "filename", None) or v] for k, v in data.items()]
        )

    @routes.post("/echo")
    async def echo(request: Any) -> Any:
        return web.Response(body=await request.read())

    @routes.post("/caught")
    async def caught(request: Any) -> Any:
        try:
            await request.read()
        except web.RequestPayloadError:
            return web.Response(status=422, text="payload error")
        return web.Response(text="read")

    @routes.post("/text")
    async def text(request: Any) -> Any:
        return web.Response(text=await request.text())

    @routes.post("/json")
    async def as_json(request: Any) -> Any:
        return web.json_response(await request.json())

    @routes.get("/utf8-headers")
    async def utf8_headers(request: Any) -> Any:
        resp = web.Response(text="x")
        resp.headers["X-Name"] = "€ and résumé"
        resp.set_cookie("c", "€")
        return resp

    app = web.Application(client_max_size=1000)
    app.add_routes(routes)
    return app


async def start_both(live_server: ServerFactory, http: str) -> AsyncIterator[tuple[str, str]]:
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    theirs = aiohttp.test_utils.TestServer(build(aiohttp.web), host="127.0.0.1")
    await theirs.start_server()
    ours = await live_server(build(asgi_web), http=http)
    yield str(theirs.make_url("")).rstrip("/"), ours.url
    await theirs.close()


@pytest.fixture
async def servers(live_server: ServerFactory) -> AsyncIterator[tuple[str, str]]:
    """aiohttp's server and asgiweb under uvicorn with httptools (the body is ours to read)."""
    async for urls in start_both(live_server, "httptools"):
        yield urls


@pytest.fixture(params=["h11", "httptools"])
async def both_servers(
    request: pytest.FixtureRequest, live_server: ServerFactory
) -> AsyncIterator[tuple[str, str]]:
    """As ``servers``, once per uvicorn HTTP implementation (they parse headers themselves)."""
    async for urls in start_both(live_server, request.param):
        yield urls


def multipart(*parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body from raw (Content-Disposition value, data) pairs, boundary ``b0``."""
    out = b""
    for disposition, data in parts:
        out += b"--b0\r\nContent-Disposition: " + disposition + b"\r\n\r\n" + data + b"\r\n"
    return out + b"--b0--\r\n"


MULTIPART = {"Content-Type": "multipart/form-data; boundary=b0"}

NAME_CASES = [
    # raw UTF-8 names, as browsers and httpx send them
    multipart(('form-data; name="f"; filename="报告.pdf"'.encode(), b"pdf")),
    multipart(('form-data; name="f"; filename="€.txt"'.encode(), b"euro")),
    multipart(('form-data; name="f"; filename="résumé.pdf"'.encode(), b"cv")),
    multipart(('form-data; name="名前"'.encode(), b"v")),
    # RFC 5987 / 8187 extended filename, with and without a plain fallback
    multipart((b"form-data; name=\"f\"; filename=\"x.txt\"; filename*=UTF-8''%E2%82%AC.txt", b"a")),
    multipart((b"form-data; name=\"f\"; filename*=utf-8''%E6%8A%A5%E5%91%8A.pdf", b"a")),
    multipart((b"form-data; name=\"f\"; filename*=iso-8859-1''r%E9sum%E9.pdf", b"a")),
    # a ';' inside a quoted filename
    multipart((b'form-data; name="f"; filename="a;b.txt"', b"a")),
]


async def test_multipart_names_as_aiohttp(both_servers: tuple[str, str]) -> None:
    theirs_url, ours_url = both_servers
    async with httpx.AsyncClient(timeout=10) as client:
        for body in NAME_CASES:
            for path in ("/parts", "/form"):
                theirs = await client.post(theirs_url + path, content=body, headers=MULTIPART)
                ours = await client.post(ours_url + path, content=body, headers=MULTIPART)
                assert theirs.status_code == 200, body
                assert (ours.status_code, ours.json()) == (200, theirs.json()), (path, body)


async def test_httpx_uploads_with_non_ascii_names_as_aiohttp(servers: tuple[str, str]) -> None:
    theirs_url, ours_url = servers
    async with httpx.AsyncClient(timeout=10) as client:
        for filename in ("报告.pdf", "€.txt", "résumé.pdf"):
            kwargs: dict[str, Any] = {"files": {"f": (filename, b"x")}, "data": {"名前": "v"}}
            theirs = await client.post(theirs_url + "/form", **kwargs)
            ours = await client.post(ours_url + "/form", **kwargs)
            assert (ours.status_code, ours.json()) == (200, theirs.json())
            assert [filename] == [v for k, v in ours.json() if k == "f"]


async def test_non_latin1_header_values_are_sent_as_utf8(both_servers: tuple[str, str]) -> None:
    theirs_url, ours_url = both_servers
    # a fresh client each time: httpx's cookie jar cannot send the cookie back
    async with httpx.AsyncClient(timeout=10) as client:
        theirs = await client.get(theirs_url + "/utf8-headers")
    async with httpx.AsyncClient(timeout=10) as client:
        ours = await client.get(ours_url + "/utf8-headers")
    wanted = {b"x-name", b"set-cookie"}

    def pick(r: httpx.Response) -> list[tuple[bytes, bytes]]:
        return sorted((k.lower(), v) for k, v in r.headers.raw if k.lower() in wanted)

    assert ours.status_code == 200
    assert pick(ours) == pick(theirs)
    assert (b"x-name", "€ and résumé".encode()) in pick(ours)


def test_must_be_empty_body_as_aiohttp() -> None:
    for method in ("GET", "HEAD", "POST", "CONNECT", "OPTIONS", "DELETE"):
        for status in (100, 101, 199, 200, 201, 204, 206, 299, 300, 304, 400, 404, 500):
            theirs = aiohttp.helpers.must_be_empty_body(method, status)
            assert protocol.must_be_empty_body(method, status) is theirs, (method, status)


COMPRESSED = json.dumps({"compressed": ["yes"] * 50}).encode()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(COMPRESSED)),
        ("deflate", zlib.compress(COMPRESSED)),
        ("br", brotli.compress(COMPRESSED)),
        ("identity", COMPRESSED),
    ],
)
async def test_compressed_request_bodies_as_aiohttp(
    servers: tuple[str, str], coding: str, body: bytes
) -> None:
    theirs_url, ours_url = servers
    headers = {"Content-Encoding": coding, "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=10) as client:
        for path in ("/echo", "/text", "/json"):
            theirs = await client.post(theirs_url + path, content=body, headers=headers)
            ours = await client.post(ours_url + path, content=body, headers=headers)
            assert theirs.status_code == 200
            assert (ours.status_code, ours.content) == (200, theirs.content), (coding, path)


async def test_corrupt_compressed_body_raises_request_payload_error(
    servers: tuple[str, str],
) -> None:
    theirs_url, ours_url = servers
    async with httpx.AsyncClient(timeout=10) as client:
        for coding in ("gzip", "deflate"):
            headers = {"Content-Encoding": coding}
            body = b"not compressed"
            theirs = await client.post(theirs_url + "/caught", content=body, headers=headers)
            ours = await client.post(ours_url + "/caught", content=body, headers=headers)
            assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
            assert ours.status_code == 422, coding
            # A stream cut short: aiohttp hands over what it decoded (200 here);
            # asgiweb refuses the incomplete body (docs/porting.md).
            whole = gzip.compress(COMPRESSED) if coding == "gzip" else zlib.compress(COMPRESSED)
            ours = await client.post(ours_url + "/caught", content=whole[:-9], headers=headers)
            assert ours.status_code == 422, coding
            # Uncaught, aiohttp answers 500: asgiweb's RequestPayloadError is a 400.
            ours = await client.post(ours_url + "/echo", content=b"junk", headers=headers)
            assert ours.status_code == 400
            assert coding in ours.text


async def test_multipart_part_over_client_max_size_is_413_as_aiohttp(
    servers: tuple[str, str],
) -> None:
    theirs_url, ours_url = servers
    body = multipart((b'form-data; name="f"; filename="big.bin"', b"x" * 5000))
    async with httpx.AsyncClient(timeout=10) as client:
        for path in ("/parts", "/form"):
            theirs = await client.post(theirs_url + path, content=body, headers=MULTIPART)
            ours = await client.post(ours_url + path, content=body, headers=MULTIPART)
            assert (ours.status_code, theirs.status_code) == (413, 413), path


def encoded_part(name: str, headers: bytes, data: bytes) -> bytes:
    return (
        b'--b0\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n'
        + headers + b"\r\n" + data + b"\r\n"
    )


async def test_part_decode_as_aiohttp(servers: tuple[str, str]) -> None:
    theirs_url, ours_url = servers
    payload = "naïve € text".encode()
    body = (
        encoded_part("b64", b"Content-Transfer-Encoding: base64\r\n", base64.b64encode(payload))
        + encoded_part("qp", b"Content-Transfer-Encoding: quoted-printable\r\n", b"=C3=A9 =\r\nx")
        + encoded_part("gz", b"Content-Encoding: gzip\r\n", gzip.compress(payload))
        + encoded_part(
            "both",
            b"Content-Encoding: deflate\r\nContent-Transfer-Encoding: base64\r\n",
            base64.b64encode(zlib.compress(payload)),
        )
        + encoded_part("text", b"Content-Transfer-Encoding: base64\r\n", base64.b64encode(payload))
        + b"--b0--\r\n"
    )
    async with httpx.AsyncClient(timeout=10) as client:
        theirs = await client.post(theirs_url + "/decoded", content=body, headers=MULTIPART)
        ours = await client.post(ours_url + "/decoded", content=body, headers=MULTIPART)
    assert theirs.status_code == 200
    assert (ours.status_code, ours.json()) == (200, theirs.json())
    assert ours.json()[-1] == ["text", payload.decode()]
