"""Multipart uploads: names, size limits, temporary files closed and written off the loop."""

from __future__ import annotations

import tempfile
import threading
from typing import Any, ClassVar

import pytest

from asgiweb import web

from .conftest import ClientFactory

MULTIPART = {"Content-Type": "multipart/form-data; boundary=b0"}


def multipart(*parts: tuple[bytes, bytes]) -> bytes:
    out = b""
    for disposition, data in parts:
        out += b"--b0\r\nContent-Disposition: " + disposition + b"\r\n\r\n" + data + b"\r\n"
    return out + b"--b0--\r\n"


class RecordingSpool(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
    """A SpooledTemporaryFile that remembers itself and the threads that wrote to it."""

    made: ClassVar[list[RecordingSpool]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writes: list[tuple[int, bool]] = []  # (size written so far, on the loop thread)
        RecordingSpool.made.append(self)

    def write(self, data: Any) -> int:
        self.writes.append((self.tell() + len(data), threading.current_thread() is MAIN))
        return super().write(data)  # type: ignore[no-any-return]


MAIN = threading.main_thread()


@pytest.fixture
def spools(monkeypatch: pytest.MonkeyPatch) -> list[RecordingSpool]:
    RecordingSpool.made = []
    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", RecordingSpool)
    return RecordingSpool.made


async def test_upload_files_are_closed_after_the_response(
    client_for: ClientFactory, spools: list[RecordingSpool]
) -> None:
    kept: list[web.FileField] = []

    async def handler(request: web.Request) -> web.Response:
        data = await request.post()
        field = data["f"]
        assert isinstance(field, web.FileField)
        kept.append(field)
        return web.Response(text=field.file.read().decode())

    app = web.Application()
    app.router.add_post("/", handler)
    client = await client_for(app)
    r = await client.post("/", files={"f": ("a.txt", b"content")})
    assert r.text == "content"
    assert kept[0].file.closed
    assert len(spools) == 1 and spools[0].closed


async def test_upload_files_are_closed_when_the_form_is_refused(
    client_for: ClientFactory, spools: list[RecordingSpool]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(text="unreachable")

    app = web.Application(client_max_size=10_000)
    app.router.add_post("/", handler)
    client = await client_for(app)
    body = multipart(
        (b'form-data; name="a"; filename="a.bin"', b"a" * 100),
        (b'form-data; name="b"; filename="b.bin"', b"b" * 20_000),
    )
    # no Content-Length, so the limit is found while reading
    async def chunks() -> Any:
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    r = await client.post("/", content=chunks(), headers=MULTIPART)
    assert r.status_code == 413
    assert len(spools) == 2 and all(s.closed for s in spools)


async def test_a_large_upload_is_written_to_disk_off_the_event_loop(
    client_for: ClientFactory, spools: list[RecordingSpool]
) -> None:
    size = 3 * 1024 * 1024

    async def handler(request: web.Request) -> web.Response:
        data = await request.post()
        field = data["f"]
        assert isinstance(field, web.FileField)
        return web.Response(text=str(len(field.file.read())))

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/", handler)
    client = await client_for(app)
    r = await client.post("/", files={"f": ("big.bin", b"x" * size)})
    assert r.text == str(size)
    writes = spools[0].writes
    assert writes[-1][0] == size
    # in memory (up to 1 MiB) on the loop; everything past it in a worker thread
    assert all(not on_loop for total, on_loop in writes if total > 1024 * 1024)
    assert any(on_loop for total, on_loop in writes if total <= 1024 * 1024)


async def test_part_read_whole_is_limited_but_read_chunk_streams(
    client_for: ClientFactory,
) -> None:
    async def whole(request: web.Request) -> web.Response:
        reader = await request.multipart()
        part = await reader.next()
        assert part is not None
        return web.Response(text=str(len(await part.read())))

    async def streamed(request: web.Request) -> web.Response:
        reader = await request.multipart()
        part = await reader.next()
        assert part is not None
        total = 0
        while chunk := await part.read_chunk(1000):
            total += len(chunk)
        return web.Response(text=str(total))

    app = web.Application(client_max_size=1000)
    app.router.add_post("/whole", whole)
    app.router.add_post("/streamed", streamed)
    client = await client_for(app)
    body = multipart((b'form-data; name="f"; filename="big.bin"', b"x" * 5000))
    r = await client.post("/whole", content=body, headers=MULTIPART)
    assert r.status_code == 413
    r = await client.post("/streamed", content=body, headers=MULTIPART)
    assert (r.status_code, r.text) == (200, "5000")
    small = multipart((b'form-data; name="f"', b"x" * 900))
    assert (await client.post("/whole", content=small, headers=MULTIPART)).text == "900"


async def test_non_ascii_and_extended_names(client_for: ClientFactory) -> None:
    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        return web.json_response([[p.name, p.filename] async for p in reader])

    app = web.Application()
    app.router.add_post("/", handler)
    client = await client_for(app)
    body = multipart(
        ('form-data; name="名前"; filename="报告.pdf"'.encode(), b"1"),
        (b"form-data; name=\"f\"; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC.txt", b"2"),
        # latin-1 bytes from an old client: read as latin-1, not mangled
        (b'form-data; name="g"; filename="r\xe9sum\xe9.pdf"', b"3"),
    )
    r = await client.post("/", content=body, headers=MULTIPART)
    assert r.json() == [["名前", "报告.pdf"], ["f", "€.txt"], ["g", "résumé.pdf"]]


async def test_part_decode_errors_are_400_and_mixed_parts_are_decompressed(
    client_for: ClientFactory,
) -> None:
    import gzip

    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        return web.json_response([(await part.read(decode=True)).decode() async for part in reader])

    app = web.Application()
    app.router.add_post("/", handler)
    client = await client_for(app)

    def body(headers: bytes, data: bytes) -> bytes:
        return b"--b0\r\n" + headers + b"\r\n" + data + b"\r\n--b0--\r\n"

    mixed = {"Content-Type": "multipart/mixed; boundary=b0"}
    r = await client.post(
        "/", content=body(b"Content-Encoding: gzip\r\n", gzip.compress(b"unzipped")), headers=mixed
    )
    assert r.json() == ["unzipped"]
    r = await client.post("/", content=body(b"Content-Encoding: gzip\r\n", b"junk"), headers=mixed)
    assert r.status_code == 400 and "not valid gzip" in r.text
    bad = body(b"Content-Transfer-Encoding: base64\r\n", b"abc")
    r = await client.post("/", content=bad, headers=MULTIPART)
    assert r.status_code == 400 and "not valid base64" in r.text
    odd = body(b"Content-Transfer-Encoding: x-uuencode\r\n", b"abc")
    r = await client.post("/", content=odd, headers=MULTIPART)
    assert r.status_code == 400 and "unknown Content-Transfer-Encoding 'x-uuencode'" in r.text
