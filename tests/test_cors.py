"""``asgiweb.cors`` against aiohttp_cors 0.8: the same app, response by response.

One deliberate difference: asgiweb adds ``Vary: Origin`` to every response of
a CORS-enabled resource (aiohttp_cors sends none, so a shared cache could
hand one origin's answer to another); the comparison leaves ``Vary`` out and
checks it separately.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp.web
import aiohttp_cors
import httpx
import pytest

from asgiweb import cors as asgi_cors
from asgiweb import web as asgi_web

from .differential import ServeBoth, comparable

ALLOWED = "http://allowed.example"


def build(web: ModuleType, cors_mod: ModuleType, static_root: Path) -> Any:
    """Resources with every shape of CORS config the add-on supports."""
    app = web.Application()
    options = cors_mod.ResourceOptions
    cors = cors_mod.setup(
        app,
        defaults={
            ALLOWED: options(
                allow_credentials=True,
                expose_headers=("X-Custom",),
                allow_headers=("X-Requested-With", "Content-Type"),
                max_age=600,
            )
        },
    )

    async def handler(request: Any) -> Any:
        return web.Response(text=f"{request.method} ok", headers={"X-Custom": "1", "X-Other": "2"})

    async def missing(request: Any) -> Any:
        raise web.HTTPNotFound(text="gone")

    async def varies(request: Any) -> Any:
        return web.Response(text="v", headers={"Vary": "Accept-Encoding"})

    simple = app.router.add_resource("/simple")
    cors.add(simple)
    cors.add(simple.add_route("GET", handler))
    cors.add(simple.add_route("POST", handler))
    cors.add(
        app.router.add_get("/star", handler),
        {"*": options(allow_credentials=True, expose_headers="*", allow_headers="*")},
    )
    cors.add(
        app.router.add_get("/nocreds", handler),
        {"*": {"expose_headers": ["X-Other"], "allow_headers": ["X-A", "x-b"]}},
    )
    methods = app.router.add_resource("/methods")
    cors.add(methods, {"*": options(allow_methods=["PUT", "delete"], allow_headers="*")})
    cors.add(methods.add_route("GET", handler))
    cors.add(app.router.add_get("/missing", missing))
    cors.add(app.router.add_get("/vary", varies))
    cors.add(app.router.add_get("/empty", handler), {})
    app.router.add_get("/plain", handler)
    cors.add(app.router.add_static("/static", static_root))

    class ItemsView(web.View, cors_mod.CorsViewMixin):
        cors_config = {"*": options(allow_headers=("X-View",))}  # noqa: RUF012

        async def get(self) -> Any:
            return web.Response(text="view get", headers={"X-Custom": "v"})

        @cors_mod.custom_cors({ALLOWED: options(allow_credentials=True, expose_headers="*")})
        async def post(self) -> Any:
            return web.Response(text="view post", headers={"X-Custom": "v"})

    cors.add(app.router.add_view("/view", ItemsView))
    return app


ORIGINS = [None, ALLOWED, "http://evil.example", "null"]
PATHS = [
    "/simple",
    "/star",
    "/nocreds",
    "/methods",
    "/missing",
    "/vary",
    "/empty",
    "/plain",
    "/view",
    "/static/a.txt",
]
RICH_PATHS = ("/simple", "/star", "/nocreds", "/methods", "/view")
PREFLIGHTS: list[dict[str, str]] = [
    {},
    {"Access-Control-Request-Method": "GET"},
    {"Access-Control-Request-Method": "POST"},
    {"Access-Control-Request-Method": "PUT"},
    {"Access-Control-Request-Method": "DELETE"},
    {"Access-Control-Request-Method": "PATCH"},
    {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-requested-with"},
    {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Evil"},
    {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-View"},
    {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-a ,, X-B"},
    {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type, X-Requested-With",
    },
]


def normalized(response: httpx.Response) -> Any:
    """Responses with comma lists of header names compared as sets, ``Vary`` left out."""
    status, headers, body = comparable(response, frozenset({"vary"}))
    out = []
    for name, value in headers:
        if name in ("access-control-expose-headers", "access-control-allow-headers"):
            # aiohttp has added Date and Server by then; under ASGI the server adds them later
            names = {v.lower() for v in value.split(",")} - {"date", "server"}
            value = ",".join(sorted(names))
        out.append((name, value))
    if body.startswith(b"CORS preflight request failed: headers are not allowed: "):
        head, _, names = body.partition(b"allowed: ")
        body = head + b"allowed: " + b", ".join(sorted(names.split(b", ")))
    return status, out, body


@pytest.fixture
def static_root(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text("static")
    return tmp_path


async def test_same_responses_as_aiohttp_cors(serve_both: ServeBoth, static_root: Path) -> None:
    pair = await serve_both(
        build(aiohttp.web, aiohttp_cors, static_root),
        build(asgi_web, asgi_cors, static_root),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        for path, origin in itertools.product(PATHS, ORIGINS):
            base = {"Origin": origin} if origin else {}
            methods = ("GET", "POST") if path in ("/simple", "/view") else ("GET",)
            for method in methods:
                theirs, ours = await pair.both(client, method, path, headers=base)
                assert normalized(ours) == normalized(theirs), (method, path, origin)
            # every preflight shape where the config differs, two elsewhere
            rich = origin in (ALLOWED, "null") and path in RICH_PATHS
            for preflight in PREFLIGHTS if rich else PREFLIGHTS[:2]:
                headers = {**base, **preflight}
                theirs, ours = await pair.both(client, "OPTIONS", path, headers=headers)
                assert normalized(ours) == normalized(theirs), (path, headers)


async def test_vary_origin_and_never_a_wildcard(client_for: Any, static_root: Path) -> None:
    client = await client_for(build(asgi_web, asgi_cors, static_root))
    for path, origin in itertools.product(PATHS, ORIGINS):
        headers = {"Origin": origin} if origin else {}
        for method, extra in (("GET", {}), ("OPTIONS", {"Access-Control-Request-Method": "GET"})):
            response = await client.request(method, path, headers={**headers, **extra})
            allow = response.headers.get("Access-Control-Allow-Origin")
            assert allow != "*"
            if allow is not None:
                assert allow == origin
            vary = [v.strip() for v in response.headers.get_list("Vary")]
            if path == "/plain":
                assert "Origin" not in ",".join(vary)
            elif response.status_code != 405:
                assert "Origin" in ",".join(vary), (method, path, origin)
    # an existing Vary is kept and extended, not replaced
    response = await client.get("/vary", headers={"Origin": ALLOWED})
    assert response.headers["Vary"] == "Accept-Encoding, Origin"


async def test_disallowed_preflights_say_why(client_for: Any, static_root: Path) -> None:
    client = await client_for(build(asgi_web, asgi_cors, static_root))
    cases = [
        ({}, "origin header is not specified in the request"),
        ({"Origin": ALLOWED}, "'Access-Control-Request-Method' header is not specified"),
        (
            {"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
            "origin 'http://evil.example' is not allowed",
        ),
        (
            {"Origin": ALLOWED, "Access-Control-Request-Method": "PATCH"},
            "request method 'PATCH' is not allowed for 'http://allowed.example' origin",
        ),
        (
            {
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "X-Evil",
            },
            "headers are not allowed: X-EVIL",
        ),
    ]
    for headers, reason in cases:
        response = await client.options("/simple", headers=headers)
        assert response.status_code == 403
        assert response.text == f"CORS preflight request failed: {reason}"
    empty = await client.options(
        "/empty", headers={"Origin": "null", "Access-Control-Request-Method": "GET"}
    )
    assert empty.status_code == 403 and "origin 'null' is not allowed" in empty.text
    star = await client.options(
        "/star", headers={"Origin": "null", "Access-Control-Request-Method": "GET"}
    )
    assert star.status_code == 200 and star.headers["Access-Control-Allow-Origin"] == "null"


def test_configuration_errors() -> None:
    app = asgi_web.Application()
    cors = asgi_cors.setup(app)

    async def handler(request: Any) -> Any:
        return asgi_web.Response()

    with pytest.raises(ValueError, match="must be boolean"):
        asgi_cors.ResourceOptions(allow_credentials=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'expose_headers' must be"):
        asgi_cors.ResourceOptions(expose_headers="X-A")
    with pytest.raises(ValueError, match="'allow_headers' must be"):
        asgi_cors.ResourceOptions(allow_headers="X-A")
    with pytest.raises(ValueError, match="'max_age' must be"):
        asgi_cors.ResourceOptions(max_age=-1)
    with pytest.raises(ValueError, match="'allow_methods' must be"):
        asgi_cors.ResourceOptions(allow_methods="GET")
    with pytest.raises(ValueError, match="Unexpected keywords"):
        cors.add(app.router.add_get("/a", handler), {"*": {"allow_origin": True}})
    with pytest.raises(ValueError, match="Config must be mapping"):
        cors.add(app.router.add_get("/b", handler), ["*"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Origin must be string"):
        cors.add(app.router.add_get("/c", handler), {1: {}})  # type: ignore[dict-item]
    route = app.router.add_get("/d", handler)
    cors.add(route)
    with pytest.raises(ValueError, match="already configured"):
        cors.add(route)
    with pytest.raises(ValueError, match="already has OPTIONS handler"):
        resource = app.router.add_resource("/e")
        resource.add_route("OPTIONS", handler)
        cors.add(resource)
    with pytest.raises(ValueError, match="already has a '\\*' handler"):
        cors.add(app.router.add_route("*", "/f", handler))
    with pytest.raises(ValueError, match="CorsViewMixin"):
        cors.add(app.router.add_view("/g", asgi_web.View))
    with pytest.raises(ValueError, match="Resource or ResourceRoute expected"):
        cors.add(object())
    with pytest.warns(DeprecationWarning, match="webview"):
        cors.add(app.router.add_get("/h", handler), webview=True)
    assert asgi_cors.ResourceOptions(allow_methods="*").is_method_allowed("PATCH")
