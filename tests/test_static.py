"""Static routes: serving, index pages, symlinks, versioned URLs, and a path-attack corpus."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

import aiohttp.test_utils
import aiohttp.web
import httpx
import pytest

from asgiweb import web
from asgiweb.testing import TestClient

from .conftest import ClientFactory, ServerFactory, asgi_request

SECRET = b"TOP-SECRET-OUTSIDE-THE-ROOT"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ with files, a subdirectory, odd names and symlinks; secret files outside it."""
    root = tmp_path / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "app.js").write_text("console.log(1)")
    (root / "sub" / "data.json").write_text('{"a": 1}')
    (root / "sub" / "deeper" / "x.txt").write_text("deep")
    (root / "<img src=x onerror=alert(1)>.txt").write_text("odd name")
    (root / "with space & amp.txt").write_text("space")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "rootsibling").mkdir()
    (tmp_path / "rootsibling" / "secret.txt").write_bytes(SECRET)
    (root / "link-out.txt").symlink_to(tmp_path / "secret.txt")
    (root / "link-dir-out").symlink_to(tmp_path / "rootsibling")
    (root / "link-in.txt").symlink_to(root / "app.js")
    (root / "loop").symlink_to(root / "loop")
    # a chain of links that ends outside the root, and one that ends inside
    (tmp_path / "hop2").symlink_to(tmp_path / "secret.txt")
    (root / "hop1").symlink_to(tmp_path / "hop2")
    (root / "chain-out.txt").symlink_to(root / "hop1")
    (root / "chain-dir").symlink_to(root / "link-dir-out")
    # precompressed siblings that point out of the root: never served as app.js
    (tmp_path / "outside.gz").write_bytes(SECRET)
    (root / "app.js.gz").symlink_to(tmp_path / "outside.gz")
    (root / "app.js.br").symlink_to(tmp_path / "secret.txt")
    (root / "sub" / "data.json.gz").symlink_to(tmp_path / "rootsibling" / "secret.txt")
    return root


def static_app(root: Path, **options: Any) -> web.Application:
    app = web.Application()
    app.router.add_static("/static", root, name="static", **options)
    return app


async def test_files_and_directories(client_for: ClientFactory, tree: Path) -> None:
    client = await client_for(static_app(tree))
    r = await client.get("/static/app.js")
    assert r.status_code == 200 and r.text == "console.log(1)"
    assert r.headers["content-type"] in ("text/javascript", "application/javascript")
    assert (await client.get("/static/sub/data.json")).json() == {"a": 1}
    assert (await client.get("/static/with%20space%20%26%20amp.txt")).text == "space"
    assert (await client.get("/static/sub")).status_code == 403
    assert (await client.get("/static/")).status_code == 403
    assert (await client.get("/static/missing.txt")).status_code == 404
    head = await client.head("/static/app.js")
    assert head.headers["content-length"] == "14" and head.content == b""
    assert (await client.post("/static/app.js")).status_code == 405


async def test_index_page_escapes_names(client_for: ClientFactory, tree: Path) -> None:
    client = await client_for(static_app(tree, show_index=True))
    r = await client.get("/static/")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Index of /.</title>" in r.text  # as aiohttp
    assert "<img" not in r.text
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in r.text
    assert 'href="/static/%3Cimg%20src=x%20onerror=alert(1)%3E.txt"' in r.text
    assert '<a href="/static/sub">sub/</a>' in r.text
    sub = await client.get("/static/sub/")
    assert "<h1>Index of /sub</h1>" in sub.text
    assert '<a href="/static/sub/data.json">data.json</a>' in sub.text


async def test_symlinks(client_for: ClientFactory, tree: Path) -> None:
    strict = await client_for(static_app(tree))
    for path in (
        "/static/link-out.txt",
        "/static/link-dir-out/secret.txt",
        "/static/link-in.txt",
        "/static/loop",
    ):
        assert (await strict.get(path)).status_code == 404, path
    follow = await client_for(static_app(tree, follow_symlinks=True))
    assert (await follow.get("/static/link-in.txt")).text == "console.log(1)"
    assert (await follow.get("/static/link-out.txt")).content == SECRET  # that is what it is for
    assert (await follow.get("/static/loop")).status_code == 404


async def test_append_version(client_for: ClientFactory, tree: Path) -> None:
    app = static_app(tree, append_version=True)
    client = await client_for(app)
    resource = app.router["static"]
    url = resource.url_for(filename="app.js")
    assert url.path == "/static/app.js"
    version = url.query["v"]
    import base64
    import hashlib

    expected = base64.urlsafe_b64encode(hashlib.sha256(b"console.log(1)").digest()).decode()
    assert version == expected
    assert (await client.get(str(url))).text == "console.log(1)"
    (tree / "app.js").write_text("console.log(2)")
    os.utime(tree / "app.js", ns=(1, 1))
    assert resource.url_for(filename="app.js").query["v"] != version
    assert "v" not in resource.url_for(filename="missing.js").query
    assert "v" not in resource.url_for(filename="app.js", append_version=False).query
    assert "v" not in resource.url_for(filename="../secret.txt").query
    plain = static_app(tree)
    assert "v" in plain.router["static"].url_for(filename="app.js", append_version=True).query


async def test_route_definitions_and_expect_handler(tree: Path) -> None:
    async def refuse(request: web.Request) -> web.StreamResponse | None:
        raise web.HTTPForbidden()

    routes = web.RouteTableDef()
    routes.static("/assets", tree)
    app = web.Application()
    app.add_routes(routes)
    app.add_routes([web.static("/guarded", tree, expect_handler=refuse)])
    async with TestClient(app) as client:
        assert (await client.get("/assets/app.js")).status_code == 200
        r = await client.post("/guarded/app.js", headers={"Expect": "100-continue"})
        assert r.status_code == 405
        r = await client.get("/guarded/app.js", headers={"Expect": "100-continue"})
        assert r.status_code == 403
    with pytest.raises(ValueError, match="does not exist"):
        web.Application().router.add_static("/x", tree / "nope")


# -- the attack corpus ----------------------------------------------------------------

TRAVERSALS = [
    "..",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2e.",
    "%2E.",
    "..%00",
    "%252e%252e",
    "%c0%ae%c0%ae",
    "%e0%80%ae%e0%80%ae",
    "..%c0%af",
    "..;",
    "...",
    "....",
    "%2e%2e%2f..",
    "..%2f..",
    # overlong UTF-8 for '.' (2, 3 and 4 bytes), half-encoded
    "%c0%2e%c0%2e",
    "%e0%80%2e%e0%80%2e",
    "%f0%80%80%ae%f0%80%80%ae",
    "%c0%ae.",
    # the servlet-style path parameter and its encodings
    "..;x=1",
    "%2e%2e;",
    "..%3b",
    # unicode look-alikes: fullwidth and one-dot leaders
    "\uff0e\uff0e",
    "%ef%bc%8e%ef%bc%8e",
    "\u2024\u2024",
]
SEPARATORS = [
    "/",
    "%2f",
    "%2F",
    "\\",
    "%5c",
    "%5C",
    "%255c",
    "%252f",
    "//",
    "/./",
    "/%2e/",
    "%c0%af",  # overlong '/'
    "%c1%9c",  # overlong '\\'
]
TARGETS = ["secret.txt", "rootsibling/secret.txt", "root/../secret.txt"]
# Names in the tree that are symbolic links: with follow_symlinks=True they are
# followed out of the root, which is what that option is for.
SYMLINKS = ("link-", "chain-", "hop1", "app.js.gz", "app.js.br", "data.json.gz")


def through_symlink(path: str) -> bool:
    return any(name in path for name in SYMLINKS)


def attack_paths() -> list[str]:
    paths = set()
    for dots, sep, target in itertools.product(TRAVERSALS, SEPARATORS, TARGETS):
        paths.add(f"/static/{dots}{sep}{target}")
        if target == TARGETS[0]:
            paths.add(f"/static/sub/{dots}{sep}{dots}{sep}{target}")
    extra = [
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/%2Fetc/passwd",
        "/static/\x00/secret.txt",
        "/static/%00secret.txt",
        "/static/sub%2f..%2f..%2fsecret.txt",
        "/static/C:\\secret.txt",
        "/static/C:%5csecret.txt",
        "/static/~/secret.txt",
        "/static/sub/../../secret.txt",
        "/static/./../secret.txt",
        "/static/%2e/%2e%2e/secret.txt",
        "/static/link-out.txt",
        "/static/link-dir-out/secret.txt",
        "/static/loop/x",
        "/static/..\\..\\secret.txt",
        "/static/file:///etc/passwd",
        "/static/%u002e%u002e/secret.txt",
        "/static/chain-out.txt",
        "/static/hop1",
        "/static/chain-dir/secret.txt",
        "/static/app.js.gz",
        "/static/app.js.br",
        "/static/sub/data.json.gz",
    ]
    paths.update(extra)
    # Windows device names (alone, with extensions, with a trailing colon or
    # dot, in a subdirectory): never a device, never a 500, on any system
    for device in ("CON", "PRN", "AUX", "NUL", "COM1", "COM9", "LPT1", "con", "CONIN$"):
        for suffix in ("", ".txt", ":", ".", "%3a", " "):
            paths.add(f"/static/{device}{suffix}")
            paths.add(f"/static/sub/{device}{suffix}/x")
    return sorted(paths)


ATTACKS = attack_paths()


def test_corpus_is_large_enough() -> None:
    assert len(ATTACKS) >= 1000


async def asgi_get(app: web.Application, raw_path: str) -> tuple[int, bytes]:
    messages = await asgi_request(app, raw_path)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


@pytest.mark.parametrize("follow_symlinks", [False, True])
async def test_attack_corpus_never_leaks(tree: Path, follow_symlinks: bool) -> None:
    app = static_app(tree, follow_symlinks=follow_symlinks, show_index=True)
    leaked = []
    for path in ATTACKS:
        status, body = await asgi_get(app, path)
        if SECRET in body and not (follow_symlinks and through_symlink(path)):
            leaked.append(path)
        assert status in (200, 403, 404), (path, status)
    assert leaked == []


async def raw_get(port: int, raw_path: bytes, headers: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n"
        writer.write(b"GET " + raw_path + head)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_attacks_through_uvicorn(live_server: ServerFactory, tree: Path, http: str) -> None:
    """The whole corpus over real uvicorn: 0 leaks, 0 500s (with Accept-Encoding, too)."""
    server = await live_server(static_app(tree, show_index=True), http=http)
    limit = asyncio.Semaphore(16)
    failures: list[tuple[str, bytes]] = []

    async def attack(path: str) -> None:
        raw = path.replace("\\", "%5c").replace("\x00", "%00").encode("utf-8")
        async with limit:
            response = await raw_get(server.port, raw, b"Accept-Encoding: gzip, br\r\n")
        status = response.split(b" ", 2)[1] if response else b"(closed)"
        if SECRET in response or status not in (b"200", b"400", b"403", b"404"):
            failures.append((path, response[:60]))

    await asyncio.gather(*(attack(path) for path in ATTACKS))
    assert failures == []
    # and the legitimate files are still served
    assert b"console.log(1)" in await raw_get(server.port, b"/static/app.js")
    assert b"deep" in await raw_get(server.port, b"/static/sub/deeper/x.txt")


async def test_same_answers_as_aiohttp(live_server: ServerFactory, tree: Path) -> None:
    """Where the seed agrees with aiohttp, answers match (statuses and key headers)."""
    theirs_app = aiohttp.web.Application()
    theirs_app.router.add_static("/static", tree, show_index=True)
    theirs = aiohttp.test_utils.TestServer(theirs_app, host="127.0.0.1")
    await theirs.start_server()
    ours = await live_server(static_app(tree, show_index=True))
    try:
        async with httpx.AsyncClient() as client:
            for path in (
                "/static/app.js",
                "/static/sub/data.json",
                "/static/missing",
                "/static/sub/",
                "/static/link-out.txt",
            ):
                for headers in (
                    {},
                    {"Range": "bytes=2-5"},
                    {"Range": "bytes=-3"},
                    {"Range": "bytes=100-"},
                    {"Range": "lines=1-2"},
                ):
                    a = await client.get(str(theirs.make_url(path)), headers=headers)
                    b = await client.get(ours.url + path, headers=headers)
                    assert (b.status_code, b.content) == (a.status_code, a.content), (path, headers)
                    for name in (
                        "content-type",
                        "content-range",
                        "etag",
                        "last-modified",
                        "accept-ranges",
                    ):
                        assert b.headers.get(name) == a.headers.get(name), (path, headers, name)
    finally:
        await theirs.close()
