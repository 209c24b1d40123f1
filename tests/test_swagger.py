"""asgiweb.swagger: the UI page, its URLs under mounts and sub-apps, valid documents, errors.

The documents themselves are compared with aiohttp-swagger's in
tests/test_swagger_parity.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from asgiweb import web
from asgiweb.swagger import SWAGGER_DEF_CONTENT, SwaggerDocError, setup_swagger, swagger_path

from .conftest import ClientFactory, ServerFactory
from .test_examples import load
from .test_polls_example import chromium, require_chromium

ASSET_REF = re.compile(r'(?:href|src)="([^"]+)"')


async def get_user(request: web.Request) -> web.Response:
    """Fetch one user.

    ---
    summary: Fetch one user
    produces: [application/json]
    parameters:
      - {name: id, in: path, required: true, type: integer}
    responses:
      "200":
        description: the user
        schema: {$ref: "#/definitions/User"}
      "404": {description: no such user}
    """
    return web.json_response({"id": int(request.match_info["id"])})


class Users(web.View):
    """Users, as a class-based view."""

    async def get(self) -> web.Response:
        """
        ---
        summary: List users
        responses:
          "200": {description: every user}
        """
        return web.json_response([])

    async def post(self) -> web.Response:
        """
        ---
        summary: Create a user
        parameters:
          - in: body
            name: user
            required: true
            schema: {$ref: "#/definitions/User"}
        responses:
          "201": {description: created}
        """
        return web.json_response({}, status=201)


USER = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}


def users_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/users/{id:\\d+}", get_user)
    app.router.add_view("/users", Users)
    return app


async def test_document_and_ui_are_served(client_for: ClientFactory) -> None:
    app = users_app()
    setup_swagger(app, title="Users", api_version="2.0.1", definitions={"User": USER})
    client = await client_for(app)
    response = await client.get("/api/doc/swagger.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    document = response.json()
    assert document["info"]["title"] == "Users"
    assert set(document["paths"]) == {"/users/{id}", "/users"}
    assert set(document["paths"]["/users"]) == {"get", "post"}
    for path in ("/api/doc", "/api/doc/"):
        page = await client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert 'url: "/api/doc/swagger.json"' in page.text
        assets = ASSET_REF.findall(page.text)
        assert any(a.endswith("/swagger-ui-bundle.js") for a in assets)
        for asset in assets:
            fetched = await client.get(asset)
            assert fetched.status_code == 200, asset
            assert fetched.content, asset


def test_swagger_2_document_is_valid() -> None:
    app = users_app()
    setup_swagger(
        app,
        title="Users",
        contact="ops@example.com",
        definitions={"User": USER},
        security_definitions={"token": {"type": "apiKey", "name": "X-Token", "in": "header"}},
    )
    document = json.loads(app[SWAGGER_DEF_CONTENT])
    assert document["swagger"] == "2.0"
    validate(document)


def test_openapi_3_document_is_valid() -> None:
    async def ping(request: web.Request) -> web.Response:
        """Ping.

        ---
        summary: Ping
        responses:
          "200":
            description: pong
            content:
              text/plain:
                schema: {type: string}
        """
        return web.Response(text="pong")

    app = web.Application()
    app.router.add_get("/ping", ping, allow_head=False)
    setup_swagger(app, ui_version=3, definitions={"User": USER})
    document = json.loads(app[SWAGGER_DEF_CONTENT])
    assert document["openapi"] == "3.0.1"
    validate(document)


async def test_title_is_escaped_in_the_page(client_for: ClientFactory) -> None:
    app = web.Application()
    hostile = '</title><script>alert("x")</script> & co'
    setup_swagger(
        app,
        title=hostile,
        description=hostile,
        swagger_validator_url="https://v.example/</script><script>alert(1)</script>",
    )
    client = await client_for(app)
    page = (await client.get("/api/doc")).text
    assert "<script>alert" not in page
    assert "&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in page
    assert "\\u003c/script\\u003e" in page
    # the description is not in the page: Swagger UI shows it from the document
    document = (await client.get("/api/doc/swagger.json")).json()
    assert document["info"]["title"] == hostile
    assert document["info"]["description"] == hostile + "\n"


async def test_page_urls_follow_the_asgi_mount_and_api_base_url() -> None:
    app = users_app()
    setup_swagger(app, swagger_url="/docs/", api_base_url="/proxy/")
    transport = httpx.ASGITransport(app=app, root_path="/outer")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page = (await client.get("/outer/docs")).text
        assert page == (await client.get("/outer/docs/")).text
        assert 'url: "/proxy/outer/docs/swagger.json"' in page
        assert 'src="/proxy/outer/docs/swagger_static/swagger-ui-bundle.js"' in page
        assert (await client.get("/outer/docs/swagger.json")).status_code == 200


async def test_setup_on_a_sub_app_links_its_prefixed_document(client_for: ClientFactory) -> None:
    admin = users_app()
    setup_swagger(admin, swagger_url="doc")
    app = web.Application()
    app.add_subapp("/admin", admin)
    client = await client_for(app)
    page = (await client.get("/admin/doc")).text
    assert 'url: "/admin/doc/swagger.json"' in page
    document = (await client.get("/admin/doc/swagger.json")).json()
    # built before add_subapp, as aiohttp-swagger does: the sub-app's own paths
    assert set(document["paths"]) == {"/users/{id}", "/users"}


@pytest.mark.filterwarnings("ignore::asgiweb.web.NotAppKeyWarning")
async def test_document_edited_after_setup_is_served(client_for: ClientFactory) -> None:
    app = users_app()
    setup_swagger(app)
    document = json.loads(app[SWAGGER_DEF_CONTENT])
    document["info"]["x-build"] = "42"
    app[SWAGGER_DEF_CONTENT] = json.dumps(document)
    client = await client_for(app)
    assert (await client.get("/api/doc/swagger.json")).json()["info"]["x-build"] == "42"


async def test_decorators_wrap_both_handlers(client_for: ClientFactory) -> None:
    def login_required(handler: Any) -> Any:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if "Authorization" not in request.headers:
                raise web.HTTPUnauthorized(text="log in first")
            response: web.StreamResponse = await handler(request)
            return response

        return guarded

    app = users_app()
    setup_swagger(app, swagger_home_decor=login_required, swagger_def_decor=login_required)
    client = await client_for(app)
    for path in ("/api/doc", "/api/doc/", "/api/doc/swagger.json"):
        assert (await client.get(path)).status_code == 401, path
        authorized = await client.get(path, headers={"Authorization": "Bearer x"})
        assert authorized.status_code == 200, path


def test_malformed_yaml_in_a_view_method_names_it() -> None:
    class Broken(web.View):
        async def put(self) -> web.Response:
            """Replace.

            ---
            responses:
              "204": {description: replaced
            """
            return web.Response(status=204)

    app = web.Application()
    app.router.add_view("/broken", Broken)
    with pytest.raises(SwaggerDocError) as caught:
        setup_swagger(app)
    message = str(caught.value)
    assert message.startswith("* /broken: the YAML after '---' in the docstring of ")
    assert "Broken.put (" in message and "test_swagger.py:" in message
    assert "Fix the YAML" in message


def test_python_tags_in_yaml_are_refused() -> None:
    async def handler(request: web.Request) -> web.Response:
        """
        ---
        description: !!python/object/apply:os.getcwd []
        """
        return web.Response()

    app = web.Application()
    app.router.add_get("/x", handler)
    with pytest.raises(SwaggerDocError, match="python/object/apply"):
        setup_swagger(app)


def test_swagger_path_file_must_hold_an_operation(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")

    @swagger_path(str(empty))
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_post("/x", handler)
    with pytest.raises(SwaggerDocError, match=r"POST /x: the swagger_path file .* is empty"):
        setup_swagger(app)


def test_template_that_is_not_yaml_is_an_error(tmp_path: Path) -> None:
    template = tmp_path / "bad.yaml"
    template.write_text("info: {title: {{ title }}\n")
    with pytest.raises(SwaggerDocError, match="does not render to YAML"):
        setup_swagger(web.Application(), swagger_template_path=str(template))


async def test_example_app(client_for: ClientFactory) -> None:
    example = load("swagger_pets")
    client = await client_for(example.create_app())
    document = (await client.get("/api/doc/swagger.json")).json()
    validate(document)
    assert document["info"]["title"] == "Pets"
    assert {op for ops in document["paths"].values() for op in ops} >= {"get", "post", "delete"}
    created = await client.post("/pets", json={"name": "Rex", "kind": "dog"})
    assert created.status_code == 201
    pet_id = created.json()["id"]
    assert (await client.get(f"/pets/{pet_id}")).json()["name"] == "Rex"
    assert (await client.post("/pets", json={"kind": "dog"})).status_code == 400
    assert (await client.delete(f"/pets/{pet_id}")).status_code == 204
    assert (await client.get(f"/pets/{pet_id}")).status_code == 404
    assert (await client.get("/api/doc")).status_code == 200


async def test_swagger_ui_lists_the_operations_in_chromium(
    live_server: ServerFactory, tmp_path: Path
) -> None:
    """Swagger UI, served from the install, lists every operation; "Try it out" gets a 200."""
    require_chromium()
    server = await live_server(load("swagger_pets").create_app())
    async with chromium(f"{server.url}/api/doc", tmp_path / "profile") as page:
        await page.wait_for("document.querySelectorAll('.opblock').length >= 4", timeout=60)
        operations = await page.evaluate(
            "[...document.querySelectorAll('.opblock')].map(o => ["
            "o.querySelector('.opblock-summary-method').textContent,"
            "o.querySelector('.opblock-summary-path').textContent.replace(/\\u200b/g, '')])"
        )
        assert sorted(map(tuple, operations)) == [
            ("DELETE", "/pets/{id}"),
            ("GET", "/pets"),
            ("GET", "/pets/{id}"),
            ("POST", "/pets"),
        ]
        assert await page.evaluate("document.title") == "Pets"
        await page.screenshot(tmp_path / "swagger-ui.png")
        # "Try it out" on GET /pets reaches the app through the document's basePath
        get_pets = "document.querySelector('.opblock-get')"
        await page.evaluate(f"{get_pets}.querySelector('.opblock-summary-control').click()")
        await page.wait_for(f"!!{get_pets}.querySelector('.try-out__btn')")
        await page.evaluate(f"{get_pets}.querySelector('.try-out__btn').click()")
        await page.wait_for(f"!!{get_pets}.querySelector('.execute')")
        await page.evaluate(f"{get_pets}.querySelector('.execute').click()")
        status = await page.wait_for(
            "(e => e && e.textContent.trim())("
            f"{get_pets}.querySelector('.live-responses-table tbody .response-col_status'))",
            timeout=60,
        )
        assert status == "200"
        await page.screenshot(tmp_path / "swagger-ui-try-it-out.png")
