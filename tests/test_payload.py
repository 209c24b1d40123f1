"""``Response(body=...)`` with objects it streams, compared with aiohttp 3.14 where it matters."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web as aiohttp_web

from asgiweb import web

from .conftest import ClientFactory


async def numbers() -> AsyncIterator[bytes]:
    for n in range(3):
        yield f"{n}\n".encode()


async def serve(client_for: ClientFactory, make_body: object, **kwargs: object) -> object:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=make_body(), **kwargs)  # type: ignore[operator]

    app = web.Application()
    app.router.add_get("/", handler)
    return await client_for(app)


async def test_file_is_streamed_with_its_name_size_and_type_then_closed(
    client_for: ClientFactory, tmp_path: Path
) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n" * 100_000)
    opened: list[io.BufferedReader] = []

    def open_file() -> io.BufferedReader:
        opened.append(path.open("rb"))
        return opened[-1]

    client = await serve(client_for, open_file)
    response = await client.get("/")  # type: ignore[attr-defined]
    assert response.content == path.read_bytes()
    assert response.headers["Content-Length"] == str(400_000)
    assert response.headers["Content-Type"] == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert opened[0].closed
    # the same headers as aiohttp's
    with path.open("rb") as file:
        reference = aiohttp_web.Response(body=file)
        assert reference.headers["Content-Disposition"] == 'attachment; filename="report.csv"'
        assert reference.content_type == "text/csv"


@pytest.mark.parametrize(
    ("make_body", "content", "content_type"),
    [
        (lambda: io.BytesIO(b"bytes"), b"bytes", "application/octet-stream"),
        (lambda: io.StringIO("text é"), "text é".encode(), "text/plain; charset=utf-8"),
        (numbers, b"0\n1\n2\n", "application/octet-stream"),
    ],
    ids=["BytesIO", "StringIO", "async generator"],
)
async def test_buffers_and_async_iterables(
    client_for: ClientFactory, make_body: object, content: bytes, content_type: str
) -> None:
    client = await serve(client_for, make_body)
    response = await client.get("/")  # type: ignore[attr-defined]
    assert response.content == content
    assert response.headers["Content-Type"] == content_type


async def test_async_iterable_without_length_is_chunked_by_the_server(
    live_server: object,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=numbers())

    app = web.Application()
    app.router.add_get("/", handler)
    server = await live_server(app)  # type: ignore[operator]
    async with server.client() as client:
        response = await client.get("/")
    assert response.content == b"0\n1\n2\n"
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.headers


async def test_head_sends_no_body_and_compression_applies(
    client_for: ClientFactory,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        response = web.Response(body=io.BytesIO(b"x" * 10_000))
        response.enable_compression()
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    client = await client_for(app)
    response = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.content == b"x" * 10_000  # httpx decompresses
    head = await client.head("/")
    assert head.content == b""


def test_an_object_it_cannot_stream_is_refused() -> None:
    with pytest.raises(ValueError, match="Unsupported body type"):
        web.Response(body=object())
