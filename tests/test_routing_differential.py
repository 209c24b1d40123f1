"""Routing on random route tables: asgiweb against aiohttp's own resolution, and its variants.

Each example builds one random table (plain and dynamic routes, custom
regexes that cross segments, ``{tail:.*}``, sub-apps under a prefix, domain
sub-apps, static directories and a custom ``AbstractResource``) with the same
source for ``aiohttp.web`` and ``asgiweb.web``. For random requests the route
aiohttp's ``UrlDispatcher.resolve`` picks (or its 404/405 and ``Allow`` set)
must be the one asgiweb picks through each of its three ways to resolve:

- the application over ASGI when every resource is built in (the plain-path
  table, then ``UrlDispatcher.resolve_path``),
- the application over ASGI with a custom resource that never matches added
  last, which makes it use the awaited ``UrlDispatcher.resolve``,
- ``UrlDispatcher.resolve_path`` called directly.

``ROUTING_EXAMPLES=5000 pytest tests/test_routing_differential.py`` runs many
more examples than the default.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import aiohttp.test_utils
import aiohttp.web
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from asgiweb import web as asgi_web

EXAMPLES = int(os.environ.get("ROUTING_EXAMPLES", "150"))

# -- random route tables --------------------------------------------------------------

LITERALS = ["a", "b", "ab", "12", "a.b", "caf%C3%A9"]
# (template, whether it may need a literal neighbour); "{}" is where the name goes
VARIABLES = [
    "{%s}",
    r"{%s:\d+}",
    "{%s:[ab]+}",
    "{%s:a|b}",
    "{%s:.*}",
    "{%s:.+}",
    r"{%s:\d+/\d+}",
    "{%s:[^/]+}",
    r"{%s:(?=a)\w+}",
    "a{%s}",
    "{%s}.b",
    r"{%s}.{%s:\d+}",
]
METHODS = ["GET", "POST", "*", "PUT"]
REQUEST_SEGMENTS = ["a", "b", "ab", "12", "3", "a.b", "a.3", "1.b", "", "a%2Fb", "caf%C3%A9", "zz"]


@st.composite
def patterns(draw: st.DrawFn) -> str:
    """A route path such as ``/a/{v0}/{v1:.*}``."""
    count = draw(st.integers(0, 3))
    names = iter(f"v{i}" for i in range(10))
    parts = []
    for _ in range(count):
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(LITERALS)))
        else:
            template = draw(st.sampled_from(VARIABLES))
            parts.append(template % tuple(next(names) for _ in range(template.count("%s"))))
    path = "/" + "/".join(parts)
    if parts and draw(st.integers(0, 4)) == 0:
        path += "/"
    return path


@dataclass
class Route:
    method: str
    path: str
    allow_head: bool = True


@dataclass
class SubApp:
    prefix: str  # "/a"-style prefix, or a domain when domain is True
    routes: list[Route]
    domain: bool = False


@dataclass
class Static:
    prefix: str


@dataclass
class Custom:
    prefix: str


Entry = Route | SubApp | Static | Custom

routes = st.builds(Route, st.sampled_from(METHODS), patterns(), st.booleans())
entries = st.one_of(
    routes,
    routes,
    routes,
    st.builds(
        SubApp,
        st.sampled_from(["/a", "/b", "/ab"]),
        st.lists(routes, min_size=1, max_size=4),
    ),
    st.builds(
        SubApp,
        st.sampled_from(["example.com", "*.example.com"]),
        st.lists(routes, min_size=1, max_size=3),
        st.just(True),
    ),
    st.builds(Static, st.sampled_from(["/a", "/b", "/static"])),
    st.builds(Custom, st.sampled_from(["/", "/a", "/b"])),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, str]:
    """(method, raw path, host)."""
    segments = draw(st.lists(st.sampled_from(REQUEST_SEGMENTS), min_size=0, max_size=4))
    if len(segments) > 1 and not segments[0]:
        segments[0] = "a"  # "//host/..." would be a URL with a host in make_mocked_request
    path = "/" + "/".join(segments)
    method = draw(st.sampled_from(["GET", "POST", "PUT", "HEAD", "DELETE"]))
    host = draw(st.sampled_from(["example.com", "api.example.com", "other.org"]))
    return method, path, host


# -- the same table in either framework -------------------------------------------------


@dataclass
class Built:
    app: Any
    errors: list[str] = field(default_factory=list)


def custom_resource(web: ModuleType, prefix: str, handler: Any) -> Any:
    """An ``AbstractResource`` of our own: paths under *prefix* with an odd number of '/'."""

    class OddDepth(web.AbstractResource):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            self._prefix = prefix
            self._route = web.ResourceRoute("GET", handler, self)

        @property
        def canonical(self) -> str:
            return self._prefix

        def url_for(self, **kwargs: str) -> URL:
            return URL(self._prefix)

        async def resolve(self, request: Any) -> Any:
            path = request.path
            if not path.startswith(self._prefix) or path.count("/") % 2 == 0:
                return None, set()
            if request.method != "GET":
                return None, {"GET"}
            return web.UrlMappingMatchInfo({"odd": path}, self._route), {"GET"}

        def add_prefix(self, prefix: str) -> None:
            self._prefix = prefix + self._prefix

        def get_info(self) -> dict[str, Any]:
            return {"prefix": self._prefix}

        def raw_match(self, path: str) -> bool:
            return False

        def __len__(self) -> int:
            return 1

        def __iter__(self) -> Any:
            return iter([self._route])

    return OddDepth()


def handler_for(web: ModuleType, ident: str) -> Any:
    async def handler(request: Any) -> Any:
        return web.Response(text=ident)

    handler.ident = ident  # type: ignore[attr-defined]
    return handler


def report(match_info: Any) -> dict[str, Any]:
    """What resolution decided, in terms both frameworks share."""
    error = match_info.http_exception
    if error is not None:
        allowed = sorted(getattr(error, "allowed_methods", ()) or ())
        return {"status": error.status, "allowed": allowed}
    handler = match_info.route.handler
    ident = getattr(handler, "ident", None)
    if ident is None:
        ident = f"{type(match_info.route.resource).__name__}:{match_info.route.resource.canonical}"
    return {"route": ident, "match": dict(match_info)}


def build(web: ModuleType, table: list[Entry], static_root: str, never_last: bool) -> Built:
    """The table as an app of *web*; registration errors are recorded, not raised."""

    @web.middleware
    async def reporter(request: Any, handler: Any) -> Any:
        return web.json_response(report(request.match_info))

    app = web.Application(middlewares=[reporter])
    built = Built(app)
    counter = iter(range(10_000))

    def add(router: Any, route: Route, label: str) -> None:
        handler = handler_for(web, f"{label}{next(counter)}")
        try:
            if route.method == "GET":
                router.add_get(route.path, handler, allow_head=route.allow_head)
            else:
                router.add_route(route.method, route.path, handler)
        except (RuntimeError, ValueError) as exc:
            built.errors.append(type(exc).__name__)

    for entry in table:
        if isinstance(entry, Route):
            add(app.router, entry, "r")
        elif isinstance(entry, SubApp):
            sub = web.Application()
            for route in entry.routes:
                add(sub.router, route, "s")
            try:
                if entry.domain:
                    app.add_domain(entry.prefix, sub)
                else:
                    app.add_subapp(entry.prefix, sub)
            except (RuntimeError, ValueError) as exc:
                built.errors.append(type(exc).__name__)
        elif isinstance(entry, Static):
            try:
                app.router.add_static(entry.prefix, static_root)
            except (RuntimeError, ValueError) as exc:
                built.errors.append(type(exc).__name__)
        else:
            resource = custom_resource(web, entry.prefix, handler_for(web, f"c{next(counter)}"))
            app.router.register_resource(resource)
    if never_last:
        app.router.register_resource(
            custom_resource(web, "/never-requested", handler_for(web, "n"))
        )
    return built


# -- asking each side ---------------------------------------------------------------------


async def aiohttp_answer(app: aiohttp.web.Application, method: str, path: str, host: str) -> Any:
    request = aiohttp.test_utils.make_mocked_request(method, path, headers={"Host": host}, app=app)
    return report(await app.router.resolve(request))


async def asgi_answer(app: Any, method: str, path: str, host: str) -> Any:
    url = URL.build(path=path, encoded=True)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": url.path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200, sent
    body = b"".join(m.get("body", b"") for m in sent[1:])
    if method == "HEAD":
        return None  # no body to read the report from
    return json.loads(body)


def direct_answer(app: Any, method: str, path: str) -> Any:
    routing_path = URL.build(path=path, encoded=True).path_safe
    return report(app.router.resolve_path(routing_path, method))


async def compare(table: list[Entry], probes: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as root:
        reference = build(aiohttp.web, table, root, never_last=False)
        fast = build(asgi_web, table, root, never_last=False)
        awaited = build(asgi_web, table, root, never_last=True)
        assert fast.errors == reference.errors
        reference.app.freeze()
        builtin_only = fast.app.router.only_builtin_resources
        for method, path, host in probes:
            expected = await aiohttp_answer(reference.app, method, path, host)
            where = f"{method} {path} (Host {host}) on {table}"
            if method != "HEAD":
                assert await asgi_answer(fast.app, method, path, host) == expected, where
                assert await asgi_answer(awaited.app, method, path, host) == expected, where
            else:
                await asgi_answer(fast.app, method, path, host)
            if builtin_only:
                assert direct_answer(fast.app, method, path) == expected, where


@pytest.mark.timeout(240)  # 5 s on a quiet machine; ten times that under heavy load
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    table=st.lists(entries, min_size=1, max_size=12),
    probes=st.lists(requests(), min_size=1, max_size=12),
)
def test_resolution_matches_aiohttp(table: list[Entry], probes: list[tuple[str, str, str]]) -> None:
    asyncio.run(compare(table, probes))


@settings(max_examples=EXAMPLES // 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=st.lists(routes, min_size=20, max_size=60),
    probes=st.lists(requests(), min_size=5, max_size=20),
)
def test_large_builtin_tables_match_aiohttp(
    table: list[Route], probes: list[tuple[str, str, str]]
) -> None:
    # long runs under one prefix: the resolution goes through the segment trie
    asyncio.run(compare(list(table), probes))


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/a/12/3/b"), ("GET", "/ab/a.3"), ("POST", "/a"), ("GET", "/12/34/b")],
)
def test_fixed_table_matches_aiohttp(method: str, path: str) -> None:
    table: list[Entry] = [
        Route("GET", "/{v0}/{v1}/{v2}/b"),
        Route("GET", r"/a/{v0:\d+/\d+}/b"),
        Route("POST", "/{v0}"),
        Route("GET", r"/ab/{v0}.{v1:\d+}"),
        Route("*", r"/{v0:\d+}/{v1:.*}"),
        Route("GET", "/{v0}/{v1}/{v2}/b"),
        SubApp("/a", [Route("GET", "/{v0}")]),
    ]
    asyncio.run(compare(table, [(method, path, "example.com")]))
