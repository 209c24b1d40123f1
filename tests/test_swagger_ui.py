"""Swagger UI from the installed assets: the page, its files, prefixes, escaping.

tests/test_openapi.py opens the page in Chromium.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from asgiweb import web
from asgiweb.swagger_ui import setup_swagger_ui, swagger_ui_assets, swagger_ui_html

from .conftest import ClientFactory

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Pets", "version": "1.0"},
    "paths": {
        "/pets": {
            "get": {"operationId": "list_pets", "responses": {"200": {"description": "the pets"}}},
            "post": {"operationId": "add_pet", "responses": {"201": {"description": "added"}}},
        },
        "/pets/{id}": {
            "get": {
                "operationId": "get_pet",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "one pet"}},
            }
        },
    },
}


async def serve_document(request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)


def docs_app(**options: Any) -> web.Application:
    app = web.Application()
    app.router.add_get("/openapi.json", serve_document)
    setup_swagger_ui(app, **options)
    return app


def asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


def document_url(page: str) -> str:
    found = re.search(r'url: ("(?:[^"\\]|\\.)*")', page)
    assert found is not None, page
    return str(json.loads(found.group(1)))


async def test_page_and_assets_are_served_locally(client_for: ClientFactory) -> None:
    client = await client_for(docs_app(title="Pets API"))
    for path in ("/docs", "/docs/"):
        page = await client.get(path)
        assert page.status_code == 200
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        text = page.text
        assert "<title>Pets API</title>" in text
        assert document_url(text) == "/openapi.json"
        assert "validatorUrl: null" in text  # no document sent to an online validator
    urls = asset_urls(text)
    assert urls and all(url.startswith("/docs/static/") for url in urls)  # no CDN
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
    script = await client.get("/docs/static/swagger-ui-bundle.js")
    assert "javascript" in script.headers["Content-Type"]
    assert len(script.content) > 100_000


async def test_assets_are_swagger_ui_5() -> None:
    # Swagger UI 4 answers "Unable to render this definition" for `openapi: 3.1.x`
    bundle = (swagger_ui_assets() / "swagger-ui-bundle.js").read_text("utf-8", "replace")
    assert re.search(r"swagger-ui-5\.\d+", swagger_ui_assets().name)
    assert "3.1" in bundle


async def test_paths_options_and_named_routes(client_for: ClientFactory) -> None:
    app = docs_app(path="/api/doc", assets_path="/api/doc/swagger_static", name="apidoc")
    client = await client_for(app)
    assert str(app.router["apidoc"].url_for()) == "/api/doc"
    text = (await client.get("/api/doc/")).text
    assert all(url.startswith("/api/doc/swagger_static/") for url in asset_urls(text))
    assert (await client.get("/api/doc/swagger_static/swagger-ui.css")).status_code == 200
    assert (await client.get("/docs")).status_code == 404


async def test_page_decorator_wraps_the_page(client_for: ClientFactory) -> None:
    def require_token(handler: Any) -> Any:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if request.headers.get("Authorization") != "Bearer ok":
                raise web.HTTPUnauthorized()
            return await handler(request)

        return guarded

    client = await client_for(docs_app(page_decorator=require_token))
    assert (await client.get("/docs")).status_code == 401
    assert (await client.get("/docs", headers={"Authorization": "Bearer ok"})).status_code == 200


async def test_sub_app_prefix_and_root_path() -> None:
    outer = web.Application()
    outer.add_subapp("/api", docs_app())
    transport = httpx.ASGITransport(app=outer, root_path="/mounted")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get("/mounted/api/docs")
        assert page.status_code == 200
        assert document_url(page.text) == "/mounted/api/openapi.json"
        urls = asset_urls(page.text)
        assert urls and all(url.startswith("/mounted/api/docs/static/") for url in urls)
        assert (await client.get(document_url(page.text))).json() == DOCUMENT
        assert (await client.get(urls[0])).status_code == 200


async def test_full_and_relative_document_urls_are_kept(client_for: ClientFactory) -> None:
    for url in ("https://api.example/openapi.json", "openapi.json", "//cdn.example/x.json"):
        client = await client_for(docs_app(document_url=url))
        assert document_url((await client.get("/docs")).text) == url


@pytest.mark.parametrize(
    "hostile",
    [
        '</script><script>alert("x")</script>',
        "</title><img src=x onerror=alert(1)>",
        '" onload="alert(1)" x="',
        "'; alert(1); '",
        "<!--",
    ],
)
async def test_title_and_urls_are_escaped(client_for: ClientFactory, hostile: str) -> None:
    page = swagger_ui_html(document_url=hostile, assets_url="/a" + hostile, title=hostile)
    assert "<script>alert" not in page and "<img" not in page and "<!--" not in page
    assert page.count("<script") == page.count("</script>") == 3
    assert document_url(page) == hostile
    client = await client_for(docs_app(title=hostile, document_url=hostile))
    served = (await client.get("/docs")).text
    assert "<script>alert" not in served and "<img" not in served
    assert served.count("</script>") == 3
    assert document_url(served) == hostile
