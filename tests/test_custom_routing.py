"""Custom routing criteria (the seed's AcceptChooser) and custom resources."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from yarl import URL

from asgiweb import web
from asgiweb.web import HTTPNotAcceptable

from .conftest import ClientFactory


class AcceptChooser:
    # The seed's example, verbatim apart from the handlers' bodies.

    def __init__(self):  # type: ignore[no-untyped-def]
        self._accepts = {}

    async def do_route(self, request):  # type: ignore[no-untyped-def]
        for accept in request.headers.getall("ACCEPT", []):
            acceptor = self._accepts.get(accept)
            if acceptor is not None:
                return await acceptor(request)
        raise HTTPNotAcceptable()

    def reg_acceptor(self, accept, handler):  # type: ignore[no-untyped-def]
        self._accepts[accept] = handler


async def test_seed_accept_chooser(client_for: ClientFactory) -> None:
    async def handle_json(request: web.Request) -> web.Response:
        return web.json_response({"format": "json"})

    async def handle_xml(request: web.Request) -> web.Response:
        return web.Response(text="<format>xml</format>", content_type="application/xml")

    app = web.Application()
    chooser = AcceptChooser()
    app.router.add_get("/", chooser.do_route)
    chooser.reg_acceptor("application/json", handle_json)
    chooser.reg_acceptor("application/xml", handle_xml)
    client = await client_for(app)
    assert (await client.get("/", headers={"Accept": "application/json"})).json() == {
        "format": "json"
    }
    assert (await client.get("/", headers={"Accept": "application/xml"})).text == (
        "<format>xml</format>"
    )
    r = await client.get("/", headers={"Accept": "text/csv"})
    assert (r.status_code, r.text) == (406, "406: Not Acceptable")


class VersionedResource(web.AbstractResource):
    """Matches /api/v<N>/<rest> and hands the version to the handler."""

    def __init__(self, prefix: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._prefix = prefix
        self._routes: dict[str, web.ResourceRoute] = {}
        self._pattern = re.compile(re.escape(prefix) + r"/v(?P<version>\d+)/(?P<rest>.*)")

    def add_route(self, method: str, handler: Any) -> web.ResourceRoute:
        route = web.ResourceRoute(method, handler, self)
        self._routes[method] = route
        return route

    @property
    def canonical(self) -> str:
        return self._prefix

    def url_for(self, **kwargs: str) -> URL:  # type: ignore[override]
        return URL.build(path=f"{self._prefix}/v{kwargs['version']}/{kwargs['rest']}")

    async def resolve(
        self, request: web.Request
    ) -> tuple[web.UrlMappingMatchInfo | None, set[str]]:
        match = self._pattern.fullmatch(request.path)
        if match is None:
            return None, set()
        route = self._routes.get(request.method)
        if route is None:
            return None, set(self._routes)
        return web.UrlMappingMatchInfo(match.groupdict(), route), set(self._routes)

    def add_prefix(self, prefix: str) -> None:
        self._prefix = prefix + self._prefix
        self._pattern = re.compile(re.escape(self._prefix) + r"/v(?P<version>\d+)/(?P<rest>.*)")

    def get_info(self) -> dict[str, Any]:
        return {"prefix": self._prefix}

    def raw_match(self, path: str) -> bool:
        return path == self._prefix

    def __iter__(self) -> Iterator[web.AbstractRoute]:
        return iter(self._routes.values())

    def __len__(self) -> int:
        return len(self._routes)


async def test_custom_abstract_resource(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(
            {"match": dict(request.match_info), "info": request.match_info.get_info()["prefix"]}
        )

    @web.middleware
    async def tag(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers["X-Seen"] = "yes"
        return response

    resource = VersionedResource("/api", name="api")
    resource.add_route("GET", handler)
    app = web.Application(middlewares=[tag])
    app.router.register_resource(resource)
    app.router.add_get("/plain", handler)
    client = await client_for(app)
    r = await client.get("/api/v2/users/7")
    assert r.json() == {"match": {"version": "2", "rest": "users/7"}, "info": "/api"}
    assert r.headers["X-Seen"] == "yes"  # built once at freeze, like built-in routes
    r = await client.post("/api/v2/users/7")
    assert (r.status_code, r.headers["Allow"]) == (405, "GET")
    assert (await client.get("/api/x")).status_code == 404
    assert app.router["api"].url_for(version="3", rest="a") == URL("/api/v3/a")
    assert resource in app.router.resources()
    assert len(app.router.routes()) == 3


async def test_custom_resource_in_a_subapp(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.match_info["version"])

    resource = VersionedResource("/api", name="api")
    resource.add_route("GET", handler)
    sub = web.Application()
    sub.router.register_resource(resource)
    app = web.Application()
    app.add_subapp("/tenant", sub)
    client = await client_for(app)
    assert (await client.get("/tenant/api/v9/x")).text == "9"
    assert str(sub.router["api"].url_for(version="1", rest="y")) == "/tenant/api/v1/y"


def test_register_resource_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="AbstractResource"):
        web.Application().router.register_resource(object())  # type: ignore[arg-type]


async def test_resolution_goes_on_after_an_awaited_resource(client_for: ClientFactory) -> None:
    # Under one index key ("/api"): a dynamic route, the custom resource (awaited), then
    # another dynamic route; the walk must ask the last one after the custom one declines.
    async def named(request: web.Request) -> web.Response:
        return web.Response(text=request.match_info.route.resource.canonical)  # type: ignore[union-attr]

    app = web.Application()
    app.router.add_put("/api/v1/{rest:.*}", named)
    app.router.add_post("/api/{x}", named)
    versioned = VersionedResource("/api")
    versioned.add_route("GET", named)
    app.router.register_resource(versioned)
    app.router.add_delete("/api/{a}/{b}", named)
    client = await client_for(app)
    assert (await client.get("/api/v1/x")).text == "/api"  # the custom resource
    assert (await client.delete("/api/v1/x")).text == "/api/{a}/{b}"  # after it
    assert (await client.put("/api/v1/x")).text == "/api/v1/{rest}"  # longer key first
    r = await client.patch("/api/v1/x")
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(",")) == {"DELETE", "GET", "PUT"}
    with pytest.raises(RuntimeError, match="must be awaited"):
        app.router.resolve_path("/api/v1/x", "DELETE")
