"""Middlewares: the seed's examples, old and new style, normalize_path_middleware."""

from __future__ import annotations

import httpx
import pytest

from asgiweb import web
from asgiweb.typedefs import Handler

from .conftest import ClientFactory


async def test_seed_execution_order(
    client_for: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    # The seed's example, verbatim apart from the import and run_app.
    def test(request):  # type: ignore[no-untyped-def]
        print("Handler function called")
        return web.Response(text="Hello")

    @web.middleware
    async def middleware1(request, handler):  # type: ignore[no-untyped-def]
        print("Middleware 1 called")
        response = await handler(request)
        print("Middleware 1 finished")
        return response

    @web.middleware
    async def middleware2(request, handler):  # type: ignore[no-untyped-def]
        print("Middleware 2 called")
        response = await handler(request)
        print("Middleware 2 finished")
        return response

    app = web.Application(middlewares=[middleware1, middleware2])
    with pytest.warns(DeprecationWarning):
        app.router.add_get("/", test)
    client = await client_for(app)
    assert (await client.get("/")).text == "Hello"
    assert capsys.readouterr().out.splitlines() == [
        "Middleware 1 called",
        "Middleware 2 called",
        "Handler function called",
        "Middleware 2 finished",
        "Middleware 1 finished",
    ]


async def test_seed_wink_and_error_middleware(client_for: ClientFactory) -> None:
    @web.middleware
    async def middleware(request, handler):  # type: ignore[no-untyped-def]
        resp = await handler(request)
        resp.text = resp.text + " wink"
        return resp

    @web.middleware
    async def error_middleware(request, handler):  # type: ignore[no-untyped-def]
        try:
            response = await handler(request)
            if response.status != 404:
                return response
            message = response.message
        except web.HTTPException as ex:
            if ex.status != 404:
                raise
            message = ex.reason
        return web.json_response({"error": message})

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application(middlewares=[error_middleware, middleware])
    app.router.add_get("/", hello)
    client = await client_for(app)
    assert (await client.get("/")).text == "hi wink"
    r = await client.get("/missing")
    assert r.json() == {"error": "Not Found"}


async def test_old_style_factory_mixed_with_new(client_for: ClientFactory) -> None:
    calls: list[str] = []

    async def middleware_factory(app, handler):  # type: ignore[no-untyped-def]
        calls.append("factory")

        async def middleware_handler(request):  # type: ignore[no-untyped-def]
            resp = await handler(request)
            resp.text = resp.text + " wink"
            return resp

        return middleware_handler

    @web.middleware
    async def new(request, handler):  # type: ignore[no-untyped-def]
        resp = await handler(request)
        resp.text = resp.text + " new"
        return resp

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application(middlewares=[middleware_factory, new])
    app.router.add_get("/", hello)
    with pytest.warns(DeprecationWarning, match="old-style middleware"):
        app.freeze()
    client = await client_for(app)
    assert (await client.get("/")).text == "hi new wink"
    assert (await client.get("/")).text == "hi new wink"
    assert calls == ["factory", "factory"]  # called per request, as the seed says


async def test_middleware_sees_404_and_can_answer(client_for: ClientFactory) -> None:
    @web.middleware
    async def forbid(request, handler):  # type: ignore[no-untyped-def]
        if request.headers.get("X-Token") != "s3cret":
            raise web.HTTPForbidden()
        return await handler(request)

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application(middlewares=[forbid])
    app.router.add_get("/", hello)
    client = await client_for(app)
    assert (await client.get("/")).status_code == 403
    assert (await client.get("/", headers={"X-Token": "s3cret"})).text == "hi"
    assert (await client.get("/nope")).status_code == 403
    assert (await client.get("/nope", headers={"X-Token": "s3cret"})).status_code == 404


async def test_chain_is_built_once_at_freeze(client_for: ClientFactory) -> None:
    seen: list[object] = []

    @web.middleware
    async def outer(request, handler):  # type: ignore[no-untyped-def]
        seen.append(handler)  # the inner layer of the route's chain
        return await handler(request)

    @web.middleware
    async def mw(request, handler):  # type: ignore[no-untyped-def]
        return await handler(request)

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application(middlewares=[outer, mw])
    app.router.add_get("/", hello)
    client = await client_for(app)
    assert (await client.get("/")).text == "hi"
    assert (await client.get("/")).text == "hi"
    assert seen[0] is seen[1]  # one chain for every request: built at freeze
    assert seen[0].__wrapped__ is hello  # type: ignore[attr-defined]


def normalize_app(**kwargs: object) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.path)

    app = web.Application(middlewares=[web.normalize_path_middleware(**kwargs)])  # type: ignore[arg-type]
    app.router.add_get("/a/", handler)
    app.router.add_get("/b", handler)
    app.router.add_get("/c/d/", handler)
    app.router.add_get("/evil.example/a/", handler)
    return app


@pytest.mark.parametrize(
    ("kwargs", "path", "status", "location"),
    [
        ({}, "/a", 308, "/a/"),
        ({}, "/a?x=1", 308, "/a/?x=1"),
        ({}, "//a//", 308, "/a/"),
        ({}, "/c//d", 308, "/c/d/"),
        ({}, "/b", 200, None),
        ({}, "/b/", 404, None),
        ({"append_slash": False, "remove_slash": True}, "/b/", 308, "/b"),
        ({"append_slash": False, "remove_slash": True}, "/a", 404, None),
        ({"merge_slashes": False}, "/c//d/", 404, None),
        ({}, "/c//d/", 308, "/c/d/"),
        ({"redirect_class": web.HTTPFound}, "/a", 302, "/a/"),
        ({}, "//evil.example/a", 308, "/evil.example/a/"),
        ({}, "///a", 308, "/a/"),
    ],
)
async def test_normalize_path(
    client_for: ClientFactory,
    kwargs: dict[str, object],
    path: str,
    status: int,
    location: str | None,
) -> None:
    client = await client_for(normalize_app(**kwargs))
    # raw_path keeps "//x" a path instead of a network-path reference to host x
    r = await client.get(httpx.URL("http://testserver", raw_path=path.encode()))
    assert r.status_code == status
    assert r.headers.get("location") == location


def test_normalize_path_rejects_both() -> None:
    with pytest.raises(ValueError, match="Cannot both remove and append slash"):
        web.normalize_path_middleware(append_slash=True, remove_slash=True)


async def test_middleware_handler_parameter_may_have_any_name(client_for: ClientFactory) -> None:
    @web.middleware
    async def tag(request: web.Request, call_next: Handler) -> web.StreamResponse:
        response = await call_next(request)
        response.headers["X-Tag"] = "1"
        return response

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application(middlewares=[tag, tag])
    app.router.add_get("/", hello)
    r = await (await client_for(app)).get("/")
    assert (r.text, r.headers.get_list("x-tag")) == ("hi", ["1"])


def test_aiohttp_messages() -> None:
    async def factory(app: web.Application, handler: Handler) -> Handler:
        return handler

    with pytest.warns(DeprecationWarning) as record:
        web.Application(middlewares=[factory]).freeze()
    assert str(record[0].message) == f'old-style middleware "{factory!r}" deprecated, see #2252'
    with pytest.raises(AssertionError, match="Cannot both remove and append slash"):
        web.normalize_path_middleware(append_slash=True, remove_slash=True)
    with pytest.raises(ValueError):
        web.normalize_path_middleware(append_slash=True, remove_slash=True)
