"""Differential tests: one app, built once with aiohttp.web and once with asgiweb.web.

aiohttp runs on its own server, asgiweb under uvicorn, both on 127.0.0.1; the
same requests must get the same status, headers and body. Headers that belong
to the server (Date, Server, Connection, Keep-Alive, Transfer-Encoding) are not
compared.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp.test_utils
import aiohttp.web
import httpx
import pytest

from asgiweb import web as asgi_web

from .conftest import ServerFactory

SERVER_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding"}


def build(web: ModuleType) -> Any:
    """The same application source, whichever ``web`` module it is given."""
    routes = web.RouteTableDef()

    @routes.get("/")
    async def index(request: Any) -> Any:
        return web.Response(text="Hello, world")

    @routes.get("/json")
    async def as_json(request: Any) -> Any:
        return web.json_response({"query": dict(request.query), "path": request.path})

    @routes.get("/users/{id:\\d+}", name="user")
    async def user(request: Any) -> Any:
        url = request.app.router["user"].url_for(id=request.match_info["id"])
        return web.json_response({"id": request.match_info["id"], "url": str(url)})

    @routes.post("/form")
    async def form(request: Any) -> Any:
        data = await request.post()
        return web.json_response(
            {
                k: [getattr(v, "filename", v) for v in data.getall(k)]
                for k in sorted(set(data.keys()))
            }
        )

    @routes.post("/echo")
    async def echo(request: Any) -> Any:
        return web.Response(body=await request.read(), content_type="application/octet-stream")

    @routes.get("/redirect")
    async def redirect(request: Any) -> Any:
        raise web.HTTPFound("/target?x=1")

    @routes.get("/gone")
    async def gone(request: Any) -> Any:
        raise web.HTTPGone(text="it went away", headers={"X-Why": "deleted"})

    @routes.get("/nocontent")
    async def nocontent(request: Any) -> Any:
        return web.Response(status=204)

    @routes.get("/stream")
    async def stream(request: Any) -> Any:
        resp = web.StreamResponse(headers={"X-Stream": "1"})
        resp.content_type = "text/plain"
        await resp.prepare(request)
        for i in range(5):
            await resp.write(f"{i}\n".encode())
        await resp.write_eof()
        return resp

    @routes.get("/cookies")
    async def cookies(request: Any) -> Any:
        resp = web.Response(text=request.cookies.get("in", "none"))
        resp.set_cookie("a", "1", max_age=10, httponly=True)
        resp.del_cookie("b")
        return resp

    @routes.get("/crash")
    async def crash(request: Any) -> Any:
        raise KeyError("boom")

    @routes.view("/view")
    class Items(web.View):
        async def get(self) -> Any:
            return web.Response(text="view")

        async def post(self) -> Any:
            return web.Response(text="posted", status=201)

    @routes.get("/headers")
    async def headers(request: Any) -> Any:
        resp = web.Response(text="h", content_type="text/html", charset="latin-1")
        resp.headers.add("X-Multi", "1")
        resp.headers.add("X-Multi", "2")
        resp.etag = "v1"
        resp.last_modified = 1_700_000_000
        return resp

    @web.middleware
    async def tag(request: Any, handler: Any) -> Any:
        response = await handler(request)
        response.headers["X-Tag"] = request.method
        return response

    app = web.Application(middlewares=[web.normalize_path_middleware(), tag], client_max_size=1024)
    app.router.add_get("/slash/", index)
    app.router.add_route("PUT", "/only-put", index)
    app.add_routes(routes)
    return app


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/", {}),
    ("HEAD", "/", {}),
    ("GET", "/json?a=1&b=two", {}),
    ("GET", "/users/42", {}),
    ("GET", "/users/abc", {}),
    ("GET", "/missing", {}),
    ("DELETE", "/", {}),
    ("GET", "/only-put", {}),
    ("POST", "/form", {"data": {"x": ["1", "2"], "y": "z z"}}),
    ("POST", "/form", {"files": {"f": ("a.txt", b"data")}, "data": {"t": "v"}}),
    ("POST", "/echo", {"content": b"0123456789" * 50}),
    ("POST", "/echo", {"content": b"x" * 2000}),
    ("GET", "/redirect", {}),
    ("GET", "/gone", {}),
    ("GET", "/nocontent", {}),
    ("GET", "/stream", {}),
    ("GET", "/cookies", {"headers": {"Cookie": "in=yes"}}),
    ("GET", "/crash", {}),
    ("GET", "/crash", {"headers": {"Accept": "text/html"}}),
    ("GET", "/view", {}),
    ("POST", "/view", {}),
    ("PATCH", "/view", {}),
    ("GET", "/slash", {}),
    ("GET", "/headers", {}),
    ("GET", "/", {"headers": {"Expect": "something-else"}}),
]


@pytest.fixture
async def servers(live_server: ServerFactory) -> AsyncIterator[tuple[str, str]]:
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    logging.getLogger("asgiweb.server").setLevel(logging.CRITICAL)
    theirs = aiohttp.test_utils.TestServer(build(aiohttp.web), host="127.0.0.1")
    await theirs.start_server()
    ours = await live_server(build(asgi_web))
    yield str(theirs.make_url("")).rstrip("/"), ours.url
    await theirs.close()


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted(
        (k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in SERVER_HEADERS
    )
    return response.status_code, headers, response.content


async def test_same_responses_as_aiohttp(servers: tuple[str, str]) -> None:
    aiohttp_url, asgiweb_url = servers
    async with httpx.AsyncClient(timeout=5, follow_redirects=False) as client:
        for method, path, kwargs in REQUESTS:
            theirs = await client.request(method, aiohttp_url + path, **kwargs)
            ours = await client.request(method, asgiweb_url + path, **kwargs)
            assert comparable(ours) == comparable(theirs), (method, path)
