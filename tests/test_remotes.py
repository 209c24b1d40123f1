"""``asgiweb.remotes`` against aiohttp-remotes 1.4: the same app, response by response.

Both servers see the client at 127.0.0.1 (uvicorn runs without its own
proxy-header handling), so each trusted-proxy configuration gets the same
answer on both. One deliberate difference: a strict tool given a ``for=``
that is not a bare address crashes with a 500 in aiohttp-remotes; here an
RFC 7239 node with a port or brackets (``"[2001:db8::1]:4711"``) is read, and
one that names no address (``unknown``, ``_hidden``) answers 400.
"""

from __future__ import annotations

import base64
import logging
from types import ModuleType
from typing import Any

import aiohttp.test_utils
import aiohttp.web
import aiohttp_remotes
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgiweb import remotes as asgi_remotes
from asgiweb import web as asgi_web
from asgiweb.protocol import parse_forwarded

from .conftest import ServerFactory
from .differential import comparable

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def tools_for(remotes: ModuleType, name: str) -> list[Any]:
    """The tool configurations compared, by name."""
    loopback_then_private = [["127.0.0.0/8"], ["10.0.0.0/8", "2001:db8::/32"]]
    return {
        "forwarded-relaxed": [remotes.ForwardedRelaxed()],
        "forwarded-relaxed-2": [remotes.ForwardedRelaxed(num=2)],
        "forwarded-strict": [remotes.ForwardedStrict([["127.0.0.1"]])],
        "forwarded-strict-2": [
            remotes.ForwardedStrict(loopback_then_private, white_paths=["/health"])
        ],
        "forwarded-strict-any": [remotes.ForwardedStrict([["::1", "127.0.0.1"], ...])],
        "forwarded-strict-untrusted": [remotes.ForwardedStrict([["192.0.2.1"]])],
        "x-relaxed": [remotes.XForwardedRelaxed()],
        "x-relaxed-2": [remotes.XForwardedRelaxed(num=2)],
        "x-filtered": [remotes.XForwardedFiltered({"127.0.0.1", "10.0.0.0/8"})],
        "x-strict": [remotes.XForwardedStrict([["127.0.0.1"], ["10.0.0.1", "2001:db8::1"]])],
        "x-strict-untrusted": [remotes.XForwardedStrict([["10.9.9.9"]], white_paths=["/health"])],
        "secure": [
            remotes.XForwardedRelaxed(),
            remotes.Secure(),
            remotes.AllowedHosts(["app.test", "public.example"]),
        ],
        "secure-refuse": [remotes.Secure(redirect=False, x_frame=None, white_paths=["/health"])],
        "secure-url": [remotes.Secure(redirect_url="https://secure.example")],
        "hosts": [remotes.AllowedHosts(["app.test"], white_paths=["/health"])],
        "basic": [remotes.BasicAuth("user", "pa:ss", "site", white_paths=["/health"])],
    }[name]


CONFIGS = [
    "forwarded-relaxed",
    "forwarded-relaxed-2",
    "forwarded-strict",
    "forwarded-strict-untrusted",
    "x-relaxed",
    "x-relaxed-2",
    "x-filtered",
    "x-strict",
    "x-strict-untrusted",
    "secure",
    "secure-refuse",
    "hosts",
    "basic",
]


async def build(web: ModuleType, remotes: ModuleType, config: str) -> Any:
    """An app that shows what the handler sees of the client."""
    app = web.Application()

    async def show(request: Any) -> Any:
        link = request.url.join(request.app.router["item"].url_for(id="7"))
        return web.json_response(
            {
                "remote": request.remote,
                "scheme": request.scheme,
                "secure": request.secure,
                "host": request.host,
                "url": str(request.url),
                "link": str(link),
            }
        )

    app.router.add_get("/", show)
    app.router.add_get("/health", show)
    app.router.add_get("/items/{id}", show, name="item")
    await remotes.setup(app, *tools_for(remotes, config))
    return app


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


HEADER_SETS: list[list[tuple[str, str]]] = [
    [],
    [("Forwarded", "for=203.0.113.9;proto=https;host=public.example")],
    [("Forwarded", 'for="[2001:db8::1]:4711";proto=https;host="public.example:8443"')],
    [("Forwarded", "for=203.0.113.9, for=10.0.0.1;proto=https")],
    [("Forwarded", 'for="[2001:db8::7]", for="[2001:db8::1]";host=b.example')],
    [("Forwarded", "for=10.0.0.5;proto=https"), ("Forwarded", "for=10.0.0.1")],
    [("Forwarded", "for=203.0.113.9, for=10.0.0.1, for=10.0.0.2")],
    [("Forwarded", 'for=_hidden;by=_proxy;host="a\\"b.example"')],
    [("Forwarded", "for=unknown;proto=http")],
    [("Forwarded", 'for="203.0.113.9:80"; proto=https')],
    [("Forwarded", "for=192.0.2.43;proto=https;host=x.example;bad pair")],
    [("X-Forwarded-For", "203.0.113.9")],
    [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https")],
    [
        ("X-Forwarded-For", "203.0.113.9, 10.0.0.1"),
        ("X-Forwarded-Proto", "https, http"),
        ("X-Forwarded-Host", "public.example, inner.example"),
    ],
    [("X-Forwarded-For", "2001:db8::5, 2001:db8::1"), ("X-Forwarded-Host", "v6.example")],
    [("X-Forwarded-For", "10.0.0.3, 10.0.0.2")],
    [("X-Forwarded-For", "not-an-ip")],
    [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-For", "10.0.0.1")],
    [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https, https, https")],
    [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Host", "a.example, b.example")],
    [("Authorization", basic("user", "pa:ss"))],
    [("Authorization", basic("user", "wrong"))],
    [("Authorization", "Basic !!!")],
    [("Authorization", "Bearer x")],
]
PATHS = ["/items/7?q=1", "/health"]


@pytest.mark.parametrize("config", CONFIGS)
async def test_same_answers_as_aiohttp_remotes(live_server: ServerFactory, config: str) -> None:
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    logging.getLogger("aiohttp_remotes").setLevel(logging.CRITICAL)
    logging.getLogger("asgiweb.remotes").setLevel(logging.CRITICAL)
    theirs_server = aiohttp.test_utils.TestServer(
        await build(aiohttp.web, aiohttp_remotes, config), host="127.0.0.1"
    )
    await theirs_server.start_server()
    ours_server = await live_server(
        await build(asgi_web, asgi_remotes, config), proxy_headers=False
    )
    theirs_base = str(theirs_server.make_url("")).rstrip("/")
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            prefix = config.split("-")[0]
            kinds = {"forwarded": ("Forwarded",), "x": ("X-Forwarded-For",)}.get(
                prefix, ("X-Forwarded-For", "Authorization")
            )
            relevant = [h for h in HEADER_SETS if not h or h[0][0] in kinds]
            for path in PATHS:
                for extra in relevant if path != "/health" else relevant[:3]:
                    headers = [("Host", "app.test"), *extra]
                    theirs = await client.get(theirs_base + path, headers=headers)
                    ours = await client.get(ours_server.url + path, headers=headers)
                    if theirs.status_code == 500 and config == "x-relaxed-2":
                        assert ours.status_code == 200  # too few values: ignored, not a crash
                        continue
                    if theirs.status_code == 500:
                        # aiohttp-remotes crashes on a for= that is not a bare address; we
                        # read "[v6]:port" and "v4:port", and refuse what names no address
                        if ours.status_code == 400:
                            assert ours.text == "400: Bad Request"
                        else:
                            assert ours.status_code == 200, (path, extra)
                            assert ":" in dict(extra)["Forwarded"]
                        continue
                    assert comparable(ours) == comparable(theirs), (path, extra)
    finally:
        await theirs_server.close()


async def test_public_origin_everywhere(client_for: Any) -> None:
    app = await build(asgi_web, asgi_remotes, "x-strict")
    client = await client_for(app, client=("127.0.0.1", 5000))
    headers = {
        "Host": "inner:8080",
        "X-Forwarded-For": "2001:db8::42, 10.0.0.1",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "public.example",
    }
    seen = (await client.get("/items/7?q=1", headers=headers)).json()
    assert seen == {
        "remote": "2001:db8::42",
        "scheme": "https",
        "secure": True,
        "host": "public.example",
        "url": "https://public.example/items/7?q=1",
        "link": "https://public.example/items/7",
    }
    # the same headers from a peer that is not the trusted proxy: refused
    untrusted = await client_for(app, client=("198.51.100.1", 5000))
    response = await untrusted.get("/", headers=headers)
    assert response.status_code == 400


async def test_strict_reads_rfc7239_nodes(client_for: Any) -> None:
    app = await build(asgi_web, asgi_remotes, "forwarded-strict-2")
    client = await client_for(app, client=("127.0.0.1", 5000))
    cases = {
        'for="[2001:db8::7]:4711", for=10.0.0.1:80': "2001:db8::7",
        'for=198.51.100.2:1234, for="[2001:db8::1]"': "198.51.100.2",
    }
    for header, remote in cases.items():
        seen = (await client.get("/", headers={"Forwarded": header})).json()
        assert seen["remote"] == remote, header
    for header in ("for=_hidden, for=10.0.0.1", "for=1.2.3.4, for=unknown", "for=1.2.3.4"):
        assert (await client.get("/", headers={"Forwarded": header})).status_code == 400, header
    assert (await client.get("/health", headers={"Forwarded": "for=x"})).status_code == 200
    any_beyond = await client_for(await build(asgi_web, asgi_remotes, "forwarded-strict-any"))
    seen = await any_beyond.get("/", headers={"Forwarded": "for=203.0.113.1, for=192.0.2.7"})
    assert seen.json()["remote"] == "192.0.2.7"  # the hop after the trusted one


async def test_secure_redirect_url(client_for: Any) -> None:
    client = await client_for(await build(asgi_web, asgi_remotes, "secure-url"))
    response = await client.get("/items/7?q=1")
    assert response.status_code == 308
    assert response.headers["Location"] == "https://secure.example/items/7?q=1"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


async def test_relaxed_ignores_what_it_does_not_count(client_for: Any) -> None:
    client = await client_for(await build(asgi_web, asgi_remotes, "x-relaxed"))
    seen = (await client.get("/", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})).json()
    assert seen["remote"] == "203.0.113.9"  # only the last hop is believed
    seen = (await client.get("/", headers={"Host": "app.test"})).json()
    assert seen["remote"] == "127.0.0.1" and seen["url"] == "http://app.test/"


async def test_strict_without_peer_address_refuses(client_for: Any) -> None:
    app = asgi_web.Application()

    async def handler(request: Any) -> Any:
        return asgi_web.Response(text=str(request.remote))

    app.router.add_get("/", handler)
    await asgi_remotes.setup(app, asgi_remotes.ForwardedStrict([["127.0.0.1"]]))
    from asgiweb.request import Request

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"host", b"x"), (b"forwarded", b"for=1.2.3.4")],
        "client": None,
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert Request  # the module is importable where the scope is built by hand


def test_configuration_errors() -> None:
    with pytest.raises(TypeError, match="sequence of sets"):
        asgi_remotes.ForwardedStrict("127.0.0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sequence of sets"):
        asgi_remotes.XForwardedStrict(["127.0.0.1"])
    with pytest.raises(ValueError, match="only at the end"):
        asgi_remotes.XForwardedStrict([..., ["127.0.0.1"]])
    with pytest.raises(ValueError, match="is not IPv4 or IPv6"):
        asgi_remotes.XForwardedStrict([["localhost"]])
    with pytest.raises(TypeError, match="set of addresses"):
        asgi_remotes.XForwardedFiltered("10.0.0.1")
    with pytest.raises(ValueError, match="HTTPS scheme"):
        asgi_remotes.Secure(redirect_url="http://x.example")
    with pytest.raises(ValueError, match="no path"):
        asgi_remotes.Secure(redirect_url="https://x.example/path")


# -- Forwarded parsing ------------------------------------------------------------------

TOKEN = st.text(alphabet="abcxyzABC0129!#$%&'*+-.^_`|~", min_size=1, max_size=8)
VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)


def quoted(value: str) -> str:
    """A value as a proxy writes it: a token when it can be, else a quoted string."""
    if value and all(c.isalnum() or c in "!#$%&'*+-.^_`|~" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


HOP = st.dictionaries(st.sampled_from(["for", "by", "proto", "host", "x-ext"]), VALUE, min_size=1)


@settings(max_examples=150, deadline=None)
@given(hops=st.lists(HOP, min_size=1, max_size=4), spaces=st.sampled_from(["", " ", "\t "]))
def test_forwarded_round_trip(hops: list[dict[str, str]], spaces: str) -> None:
    """Hops written with RFC 7239's quoting come back exactly, whatever the values."""
    header = f",{spaces}".join(
        f";{spaces}".join(f"{k}={quoted(v)}" for k, v in hop.items()) for hop in hops
    )
    assert [dict(h) for h in parse_forwarded([header])] == hops


@settings(max_examples=150, deadline=None)
@given(header=st.text(alphabet=' \t,;="\\abcfor:[]_-.1', max_size=40))
def test_forwarded_parsing_as_aiohttp(header: str) -> None:
    """Any header, well-formed or not, parses as aiohttp's request.forwarded does."""
    theirs = aiohttp.test_utils.make_mocked_request("GET", "/", headers={"Forwarded": header})
    assert [dict(h) for h in parse_forwarded([header])] == [dict(h) for h in theirs.forwarded]
