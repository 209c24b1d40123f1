"""The HTTPException hierarchy: raised from handlers, rendered as aiohttp does."""

from __future__ import annotations

import inspect

import aiohttp.web
import pytest

from asgiweb import exceptions, web

from .conftest import ClientFactory


def all_exception_classes() -> list[type[web.HTTPException]]:
    return [
        obj
        for name, obj in vars(exceptions).items()
        if inspect.isclass(obj)
        and issubclass(obj, web.HTTPException)
        and obj.status_code > 0
        and name.startswith("HTTP")
    ]


def test_same_names_and_codes_as_aiohttp() -> None:
    ours = {cls.__name__: cls.status_code for cls in all_exception_classes()}
    theirs = {
        name: getattr(aiohttp.web, name).status_code
        for name in aiohttp.web.__all__
        if name.startswith("HTTP") and getattr(aiohttp.web, name).status_code > 0
    }
    assert ours == theirs


def test_same_class_tree_as_aiohttp() -> None:
    for cls in all_exception_classes():
        theirs = getattr(aiohttp.web, cls.__name__)
        assert [b.__name__ for b in cls.__mro__ if b.__name__.startswith("HTTP")] == [
            b.__name__ for b in theirs.__mro__ if b.__name__.startswith("HTTP")
        ]


async def test_raised_exceptions_render(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind == "found":
            raise web.HTTPFound("/elsewhere")
        if kind == "gone":
            raise web.HTTPGone(text="custom", headers={"X-Why": "deleted"})
        if kind == "nocontent":
            raise web.HTTPNoContent()
        if kind == "legal":
            raise web.HTTPUnavailableForLegalReasons("https://example.org/why")
        if kind == "405":
            raise web.HTTPMethodNotAllowed("get", ["POST", "PUT"])
        if kind == "413":
            raise web.HTTPRequestEntityTooLarge(max_size=10, actual_size=20)
        raise web.HTTPTeapot() if hasattr(web, "HTTPTeapot") else web.HTTPBadRequest(reason="Bad!")

    app = web.Application()
    app.router.add_get("/{kind}", handler)
    client = await client_for(app)
    r = await client.get("/found")
    assert (r.status_code, r.headers["location"], r.text) == (302, "/elsewhere", "302: Found")
    r = await client.get("/gone")
    assert (r.status_code, r.text, r.headers["x-why"]) == (410, "custom", "deleted")
    r = await client.get("/nocontent")
    assert (r.status_code, r.content) == (204, b"")
    r = await client.get("/legal")
    assert r.headers["link"] == '<https://example.org/why>; rel="blocked-by"'
    r = await client.get("/405")
    assert (r.status_code, r.headers["allow"]) == (405, "POST,PUT")
    r = await client.get("/413")
    assert r.text == "Maximum request body size 10 exceeded."
    r = await client.get("/other")
    assert (r.status_code, r.text) == (400, "400: Bad!")


def test_exception_objects() -> None:
    exc = web.HTTPNotFound(reason="Nope")
    assert str(exc) == "Nope"
    assert exc.status == 404
    assert exc.text == "404: Nope"
    assert isinstance(exc, web.Response)
    assert isinstance(exc, Exception)
    with pytest.raises(ValueError, match="need a location"):
        web.HTTPFound("")
    with pytest.raises(ValueError, match="Reason cannot contain"):
        web.HTTPNotFound(reason="a\nb")
    with pytest.warns(DeprecationWarning, match="body argument is deprecated"):
        web.HTTPBadRequest(body=b"x")
    exc405 = web.HTTPMethodNotAllowed("delete", {"GET"})
    assert (exc405.method, exc405.allowed_methods) == ("DELETE", {"GET"})
