"""FileResponse: headers, conditional requests, ranges, precompression, streaming, pathsend."""

from __future__ import annotations

import gzip
import os
import pathlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from asgiweb import web
from asgiweb.fileresponse import FileResponse

from .conftest import ClientFactory, ServerFactory, asgi_request

CONTENT = b"0123456789" * 100  # 1000 bytes


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "data.bin").write_bytes(CONTENT)
    (tmp_path / "page.html").write_text("<p>plain</p>" * 50)
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(b"<p>gzipped</p>"))
    (tmp_path / "page.html.br").write_bytes(b"brotli-bytes")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "archive.tar.gz").write_bytes(gzip.compress(b"tar"))
    os.utime(tmp_path / "data.bin", (1_600_000_000, 1_600_000_000))
    return tmp_path


def file_app(root: Path, **kwargs: Any) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        return FileResponse(root / request.match_info["name"], **kwargs)

    app = web.Application()
    app.router.add_get("/{name}", handler)
    return app


async def test_headers(client_for: ClientFactory, files: Path) -> None:
    client = await client_for(file_app(files))
    r = await client.get("/data.bin")
    st = (files / "data.bin").stat()
    assert r.content == CONTENT
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-length"] == "1000"
    assert r.headers["etag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    assert r.headers["last-modified"] == "Sun, 13 Sep 2020 12:26:40 GMT"
    assert r.headers["accept-ranges"] == "bytes"
    page = await client.get("/page.html", headers={"Accept-Encoding": "identity"})
    assert page.headers["content-type"] == "text/html"
    assert (await client.get("/archive.tar.gz")).headers["content-type"] == "application/gzip"
    empty = await client.get("/empty.txt")
    assert (empty.status_code, empty.content, empty.headers["content-length"]) == (200, b"", "0")
    assert (await client.get("/missing.bin")).status_code == 404
    head = await client.head("/data.bin")
    assert head.headers["content-length"] == "1000" and head.content == b""


async def test_conditional_requests(client_for: ClientFactory, files: Path) -> None:
    client = await client_for(file_app(files))
    etag = (await client.get("/data.bin")).headers["etag"]
    r = await client.get("/data.bin", headers={"If-None-Match": etag})
    assert (r.status_code, r.content) == (304, b"")
    assert r.headers["etag"] == etag and "last-modified" in r.headers
    assert (
        await client.get("/data.bin", headers={"If-None-Match": f"W/{etag}"})
    ).status_code == 304
    assert (await client.get("/data.bin", headers={"If-None-Match": "*"})).status_code == 304
    assert (await client.get("/data.bin", headers={"If-None-Match": '"other"'})).status_code == 200
    since = "Sun, 13 Sep 2020 12:26:40 GMT"
    assert (await client.get("/data.bin", headers={"If-Modified-Since": since})).status_code == 304
    older = "Sat, 12 Sep 2020 00:00:00 GMT"
    assert (await client.get("/data.bin", headers={"If-Modified-Since": older})).status_code == 200
    r = await client.get("/data.bin", headers={"If-Match": '"other"'})
    assert r.status_code == 412
    assert (await client.get("/data.bin", headers={"If-Match": etag})).status_code == 200
    assert (await client.get("/data.bin", headers={"If-Match": f"W/{etag}"})).status_code == 412
    r = await client.get("/data.bin", headers={"If-Unmodified-Since": older})
    assert r.status_code == 412


@pytest.mark.parametrize(
    ("range_header", "status", "content_range", "body"),
    [
        ("bytes=0-9", 206, "bytes 0-9/1000", CONTENT[:10]),
        ("bytes=990-", 206, "bytes 990-999/1000", CONTENT[990:]),
        ("bytes=-5", 206, "bytes 995-999/1000", CONTENT[-5:]),
        ("bytes=-5000", 206, "bytes 0-999/1000", CONTENT),
        ("bytes=995-2000", 206, "bytes 995-999/1000", CONTENT[995:]),
        ("bytes=1000-", 416, "bytes */1000", b""),
        ("bytes=5-2", 416, "bytes */1000", b""),
        ("items=0-1", 416, "bytes */1000", b""),
    ],
)
async def test_ranges(
    client_for: ClientFactory,
    files: Path,
    range_header: str,
    status: int,
    content_range: str,
    body: bytes,
) -> None:
    client = await client_for(file_app(files))
    r = await client.get("/data.bin", headers={"Range": range_header})
    assert r.status_code == status
    assert r.headers["content-range"] == content_range
    assert r.content == body


async def test_if_range(client_for: ClientFactory, files: Path) -> None:
    client = await client_for(file_app(files))
    fresh = {"Range": "bytes=0-1", "If-Range": "Sun, 13 Sep 2020 12:26:40 GMT"}
    assert (await client.get("/data.bin", headers=fresh)).status_code == 206
    stale = {"Range": "bytes=0-1", "If-Range": "Sat, 12 Sep 2020 00:00:00 GMT"}
    r = await client.get("/data.bin", headers=stale)
    assert (r.status_code, len(r.content)) == (200, 1000)


async def test_precompressed_siblings(client_for: ClientFactory, files: Path) -> None:
    client = await client_for(file_app(files))
    async with client.http.stream(
        "GET", "/page.html", headers={"Accept-Encoding": "br, gzip"}
    ) as r:
        raw = b"".join([c async for c in r.aiter_raw()])
    assert (r.headers["content-encoding"], r.headers["vary"], raw) == (
        "br",
        "Accept-Encoding",
        b"brotli-bytes",
    )
    assert r.headers["content-type"] == "text/html"
    r = await client.get("/page.html", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.text == "<p>gzipped</p>"
    r = await client.get("/page.html", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in r.headers and r.text.startswith("<p>plain</p>")


async def test_streams_in_chunks(tmp_path: Path) -> None:
    size = 3 * 1024 * 1024 + 123
    (tmp_path / "big.bin").write_bytes(os.urandom(size))
    messages = await asgi_request(file_app(tmp_path, chunk_size=256 * 1024), "/big.bin")
    bodies = [m for m in messages if m["type"] == "http.response.body"]
    assert max(len(m["body"]) for m in bodies) <= 256 * 1024
    assert len(bodies) == 14  # 13 chunks and the end
    assert b"".join(m["body"] for m in bodies) == (tmp_path / "big.bin").read_bytes()


async def test_pathsend_when_the_server_offers_it(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 200_000)
    app = file_app(tmp_path)
    messages = await asgi_request(app, "/big.bin", extensions={"http.response.pathsend": {}})
    assert [m["type"] for m in messages] == ["http.response.start", "http.response.pathsend"]
    assert messages[1]["path"] == str(tmp_path / "big.bin")
    assert (b"content-length", b"200000") in messages[0]["headers"]
    plain = await asgi_request(app, "/big.bin")
    assert "http.response.pathsend" not in [m["type"] for m in plain]


async def test_unreadable_file_is_403_before_anything_is_sent(
    client_for: ClientFactory, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = pathlib.Path.open

    def denied(self: pathlib.Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "data.bin":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", denied)
    client = await client_for(file_app(files))
    assert (await client.get("/data.bin")).status_code == 403
    assert (await client.get(f"/{files.name}/..")).status_code in (403, 404)


async def test_file_that_shrinks_mid_stream_aborts(
    live_server: ServerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.bin").write_bytes(b"y" * 1_000_000)
    calls = 0
    original = FileResponse._read

    def shrinking(handle: Any, offset: int, size: int) -> bytes:
        nonlocal calls
        calls += 1
        return original(handle, offset, size) if calls == 1 else b""

    monkeypatch.setattr(FileResponse, "_read", staticmethod(shrinking))
    server = await live_server(file_app(tmp_path, chunk_size=64 * 1024))
    async with server.client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/big.bin")
        assert (await client.get("/missing")).status_code == 404  # the server is fine
