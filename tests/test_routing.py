"""UrlDispatcher: resources, routes, resolution, url_for, RouteTableDef, View."""

from __future__ import annotations

import re

import pytest
from yarl import URL

from asgiweb import web
from asgiweb.routing import UrlDispatcher

from .conftest import ClientFactory


async def ok(request: web.Request) -> web.Response:
    return web.json_response(
        {"route": request.match_info.route.resource.canonical, "match": dict(request.match_info)}
    )


def make_app(*paths: str) -> web.Application:
    app = web.Application()
    for path in paths:
        app.router.add_get(path, ok)
    return app


async def test_plain_and_dynamic_resolution(client_for: ClientFactory) -> None:
    app = make_app("/", "/users", "/users/{id}", "/users/{id}/posts/{post:\\d+}", "/a/b")
    client = await client_for(app)
    assert (await client.get("/")).json()["route"] == "/"
    assert (await client.get("/users")).json()["route"] == "/users"
    assert (await client.get("/users/42")).json()["match"] == {"id": "42"}
    r = await client.get("/users/7/posts/99")
    assert r.json()["match"] == {"id": "7", "post": "99"}
    assert (await client.get("/users/7/posts/abc")).status_code == 404
    assert (await client.get("/a/b")).json()["route"] == "/a/b"


async def test_longest_literal_prefix_wins_like_aiohttp(client_for: ClientFactory) -> None:
    # aiohttp walks the path from the longest prefix down; '/a/{y}' is indexed
    # under '/a', '/{x}/b' under '/', so '/a/b' is served by '/a/{y}'.
    app = make_app("/{x}/b", "/a/{y}")
    client = await client_for(app)
    assert (await client.get("/a/b")).json()["route"] == "/a/{y}"
    assert (await client.get("/c/b")).json()["route"] == "/{x}/b"


async def test_registration_order_within_one_prefix(client_for: ClientFactory) -> None:
    app = make_app("/items/{name:[a-z]+}", "/items/{rest:.*}")
    client = await client_for(app)
    assert (await client.get("/items/abc")).json()["route"] == "/items/{name}"
    assert (await client.get("/items/ABC")).json()["route"] == "/items/{rest}"


async def test_percent_encoded_slash_stays_in_one_segment(client_for: ClientFactory) -> None:
    app = make_app("/files/{name}")
    client = await client_for(app)
    r = await client.get("/files/a%2Fb")
    assert r.status_code == 200
    assert r.json()["match"] == {"name": "a/b"}
    r = await client.get("/files/caf%C3%A9")
    assert r.json()["match"] == {"name": "café"}


async def test_404_and_405_with_allow(client_for: ClientFactory) -> None:
    app = web.Application()
    app.router.add_get("/x", ok)
    app.router.add_post("/x", ok)
    client = await client_for(app)
    r = await client.get("/nowhere")
    assert (r.status_code, r.text) == (404, "404: Not Found")
    r = await client.put("/x")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET,HEAD,POST"
    assert r.text == "405: Method Not Allowed"


async def test_allow_head_false(client_for: ClientFactory) -> None:
    app = web.Application()
    app.router.add_get("/x", ok, allow_head=False)
    client = await client_for(app)
    r = await client.head("/x")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"


async def test_star_route_takes_every_method(client_for: ClientFactory) -> None:
    app = web.Application()
    app.router.add_route("*", "/any", ok)
    client = await client_for(app)
    for method in ("GET", "POST", "DELETE", "PATCH", "OPTIONS", "PROPFIND"):
        assert (await client.request(method, "/any")).status_code == 200


def test_second_route_for_same_method_is_refused() -> None:
    router = UrlDispatcher()
    router.add_route("*", "/a", ok)
    with pytest.raises(RuntimeError, match="will never be executed"):
        router.add_route("GET", "/a", ok)


@pytest.mark.parametrize(
    "path",
    ["/a/{id", "/a/{id}}", "/{}", "/a/{1x}"],
)
def test_invalid_pattern_names_the_path(path: str) -> None:
    router = UrlDispatcher()
    with pytest.raises(ValueError, match=re.escape(path)):
        router.add_get(path, ok)


def test_bad_regex_is_value_error() -> None:
    router = UrlDispatcher()
    with pytest.raises(ValueError, match="Bad pattern"):
        router.add_get("/a/{id:[}", ok)


def test_path_must_start_with_slash() -> None:
    with pytest.raises(ValueError, match="started with /"):
        UrlDispatcher().add_get("a", ok)


def test_bad_method_is_refused() -> None:
    with pytest.raises(ValueError, match="not allowed HTTP method"):
        UrlDispatcher().add_route("GE T", "/", ok)


@pytest.mark.parametrize("name", ["class", "a b", "1x", "x.for"])
def test_bad_route_names(name: str) -> None:
    with pytest.raises(ValueError, match="Incorrect route name"):
        UrlDispatcher().add_get("/", ok, name=name)


def test_duplicate_name() -> None:
    router = UrlDispatcher()
    router.add_get("/a", ok, name="a")
    with pytest.raises(ValueError, match="Duplicate 'a'"):
        router.add_get("/b", ok, name="a")


def test_url_for_and_named_resources() -> None:
    router = UrlDispatcher()
    router.add_get("/users/{id}", ok, name="user")
    router.add_get("/about", ok, name="about")
    router.add_get("/files/{path:.+}", ok, name="file")
    assert router["user"].url_for(id="42") == URL("/users/42")
    assert router["about"].url_for() == URL("/about")
    assert str(router["user"].url_for(id="a b")) == "/users/a%20b"
    assert str(router["user"].url_for(id="42").with_query(tab="posts")) == "/users/42?tab=posts"
    assert router["file"].url_for(path="x/y.txt") == URL("/files/x/y.txt")
    assert set(router.named_resources()) == {"user", "about", "file"}
    assert list(router) == ["user", "about", "file"]
    assert len(router) == 3
    assert "user" in router
    assert len(router.resources()) == 3
    assert len(router.routes()) == 6  # GET + HEAD each
    with pytest.raises(KeyError, match="needs id"):
        router["user"].url_for()


def test_same_path_and_name_reuses_resource() -> None:
    router = UrlDispatcher()
    router.add_get("/a", ok)
    router.add_post("/a", ok)
    assert len(router.resources()) == 1
    assert {route.method for route in router.routes()} == {"GET", "HEAD", "POST"}


def test_router_frozen_refuses_registration() -> None:
    app = web.Application()
    app.freeze()
    with pytest.raises(RuntimeError, match="frozen router"):
        app.router.add_get("/late", ok)


async def test_route_table_def_and_definitions(client_for: ClientFactory) -> None:
    routes = web.RouteTableDef()

    @routes.get("/get")
    async def get(request: web.Request) -> web.Response:
        return web.Response(text="get")

    @routes.post("/post")
    async def post(request: web.Request) -> web.Response:
        return web.Response(text="post")

    @routes.view("/view")
    class V(web.View):
        async def get(self) -> web.Response:
            return web.Response(text="view get")

        async def put(self) -> web.Response:
            return web.Response(text="view put")

    assert len(routes) == 3
    assert [r.path for r in routes] == ["/get", "/post", "/view"]  # type: ignore[attr-defined]
    assert "<RouteDef GET /get -> 'get'" in repr(routes[0])

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.method)

    app = web.Application()
    app.add_routes(routes)
    app.add_routes(
        [
            web.put("/p", handler),
            web.patch("/p", handler),
            web.delete("/p", handler),
            web.head("/h", handler),
            web.route("PROPFIND", "/p", handler),
            web.get("/g", handler, allow_head=False),
        ]
    )
    client = await client_for(app)
    assert (await client.get("/get")).text == "get"
    assert (await client.head("/get")).status_code == 200
    assert (await client.post("/post")).text == "post"
    assert (await client.get("/view")).text == "view get"
    assert (await client.put("/view")).text == "view put"
    r = await client.delete("/view")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET,PUT"
    for method in ("PUT", "PATCH", "DELETE", "PROPFIND"):
        assert (await client.request(method, "/p")).text == method
    assert (await client.head("/h")).status_code == 200
    assert (await client.head("/g")).status_code == 405


async def test_sync_handler_is_wrapped_with_deprecation(client_for: ClientFactory) -> None:
    def sync(request: web.Request) -> web.Response:
        return web.Response(text="sync")

    app = web.Application()
    with pytest.warns(DeprecationWarning, match="Bare functions are deprecated"):
        app.router.add_get("/", sync)  # type: ignore[arg-type]
    client = await client_for(app)
    assert (await client.get("/")).text == "sync"


def test_resolution_index_is_not_a_linear_scan() -> None:
    # 1,000 dynamic routes under distinct prefixes: each lands in its own bucket.
    router = UrlDispatcher()
    for i in range(1000):
        router.add_get(f"/r{i}/{{id}}", ok)
    buckets = router._index
    assert len(buckets) == 1000
    assert max(len(v) for v in buckets.values()) == 1


async def test_custom_resource_takes_part(client_for: ClientFactory) -> None:
    class EverythingUnder(web.Resource):
        def __init__(self, prefix: str) -> None:
            super().__init__()
            self._prefix = prefix

        @property
        def canonical(self) -> str:
            return self._prefix

        def _match(self, path: str) -> dict[str, str] | None:
            if path.startswith(self._prefix + "/"):
                return {"tail": path[len(self._prefix) + 1 :]}
            return None

        def raw_match(self, path: str) -> bool:
            return path == self._prefix

        def get_info(self) -> dict[str, str]:
            return {"prefix": self._prefix}

        def url_for(self, **kwargs: str) -> URL:
            return URL(self._prefix + "/" + kwargs.get("tail", ""))

        def add_prefix(self, prefix: str) -> None:
            self._prefix = prefix + self._prefix

    resource = EverythingUnder("/docs")
    resource.add_route("GET", ok)
    app = web.Application()
    app.router.register_resource(resource)
    client = await client_for(app)
    assert (await client.get("/docs/a/b/c")).json()["match"] == {"tail": "a/b/c"}
    assert (await client.post("/docs/x")).status_code == 405


async def test_plain_path_shared_by_two_resources(client_for: ClientFactory) -> None:
    # Two resources for one plain path (different names): a method the first
    # lacks is still found on the second, and the 405 lists both.
    async def get_a(request: web.Request) -> web.Response:
        return web.Response(text="get")

    async def post_a(request: web.Request) -> web.Response:
        return web.Response(text="post")

    app = web.Application()
    app.router.add_get("/a", get_a, name="reader")
    app.router.add_post("/a", post_a, name="writer")
    app.router.add_route("*", "/any", get_a)
    client = await client_for(app)
    assert (await client.get("/a")).text == "get"
    assert (await client.post("/a")).text == "post"
    r = await client.put("/a")
    assert r.status_code == 405
    assert set(r.headers["allow"].split(",")) == {"GET", "HEAD", "POST"}
    assert (await client.patch("/any")).text == "get"


async def test_plain_paths_of_parent_and_subapp(client_for: ClientFactory) -> None:
    async def parent(request: web.Request) -> web.Response:
        return web.Response(text="parent")

    async def child(request: web.Request) -> web.Response:
        return web.Response(text="child")

    sub = web.Application()
    sub.router.add_get("/x", child)
    app = web.Application()
    app.router.add_get("/x", parent)
    app.add_subapp("/sub", sub)
    client = await client_for(app)
    assert (await client.get("/x")).text == "parent"
    assert (await client.get("/sub/x")).text == "child"
    assert (await client.get("/sub")).status_code == 404


def test_aiohttp_messages_and_checks() -> None:
    router = UrlDispatcher()

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    with pytest.raises(ValueError) as info:
        router.add_route("GET", r"/handler/{to:+++}", handler)
    assert str(info.value).startswith("Bad pattern '/handler/(?P<to>+++)': nothing to repeat")

    def not_a_coroutine(request: web.Request) -> None:
        pass

    # aiohttp uses assert here; the error is both AssertionError and TypeError
    with pytest.raises(AssertionError, match="Coroutine is expected"):
        router.add_get("/a", handler, expect_handler=not_a_coroutine)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        router.add_get("/b", handler, expect_handler=not_a_coroutine)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not exist"):
        router.add_static("/static", "/no/such/directory")


async def test_bare_generator_handler_warns_and_works(client_for: ClientFactory) -> None:
    async def body() -> str:
        return "from a generator"

    def old_style(request: web.Request):  # type: ignore[no-untyped-def]
        text = yield from body().__await__()
        return web.Response(text=text)

    app = web.Application()
    with pytest.warns(DeprecationWarning, match="Bare generators are deprecated"):
        app.router.add_get("/", old_style)
    r = await (await client_for(app)).get("/")
    assert r.text == "from a generator"
