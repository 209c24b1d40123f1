"""asgiweb.openapi: the OpenAPI 3.1 document from route tables, validated; /openapi.json; /docs."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import msgspec
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from asgiweb import cors, openapi, web

from .conftest import ClientFactory, ServerFactory
from .test_polls_example import chromium, require_chromium

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "example_openapi_app", EXAMPLES / "openapi_app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def document(app: web.Application, **options: Any) -> dict[str, Any]:
    doc = openapi.build_document(app, title="Test", version="1", **options)
    validate(doc)
    return doc


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def other(request: web.Request) -> web.Response:
    return web.Response(text="other")


def fresh(name: str = "handler") -> Any:
    """A new handler function (decorators mark the function object itself)."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=name)

    handler.__name__ = handler.__qualname__ = name
    return handler


def path_parameters(operation: dict[str, Any]) -> dict[str, str]:
    return {
        p["name"]: p["schema"]["pattern"]
        for p in operation.get("parameters", [])
        if p["in"] == "path"
    }


def test_paths_methods_and_variables() -> None:
    app = web.Application()
    app.router.add_get("/", ok, name="index")
    app.router.add_post("/pets", ok, name="add_pet")
    app.router.add_get("/pets/{id}", ok, name="pet")
    app.router.add_put("/pets/{id}", other)
    app.router.add_get("/files/{tail:.*}", ok, name="files")
    app.router.add_get(r"/v{major:\d+}.{minor:\d+}/{slug:[a-z]+(?:-[a-z]+)*}", ok)
    app.router.add_route("PROPFIND", "/dav", ok)  # no place for it in OpenAPI 3.1
    doc = document(app)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "Test", "version": "1"}
    assert list(doc["paths"]) == [
        "/",
        "/pets",
        "/pets/{id}",
        "/files/{tail}",
        "/v{major}.{minor}/{slug}",
    ]
    assert list(doc["paths"]["/pets/{id}"]) == ["get", "put"]
    assert path_parameters(doc["paths"]["/pets/{id}"]["get"]) == {"id": "^(?:[^{}/]+)$"}
    assert path_parameters(doc["paths"]["/files/{tail}"]["get"]) == {"tail": "^(?:.*)$"}
    assert path_parameters(doc["paths"]["/v{major}.{minor}/{slug}"]["get"]) == {
        "major": r"^(?:\d+)$",
        "minor": r"^(?:\d+)$",
        "slug": "^(?:[a-z]+(?:-[a-z]+)*)$",
    }
    parameter = doc["paths"]["/pets/{id}"]["get"]["parameters"][0]
    assert parameter == {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^(?:[^{}/]+)$"},
    }
    # without @operation the responses are not described, and the document says so
    assert doc["paths"]["/"]["get"]["responses"] == {
        "default": {"description": "The handler's response"}
    }


@pytest.mark.parametrize(
    "path",
    [
        "/pets/{id}",
        r"/v{major:\d+}.{minor:\d+}",
        "/files/{tail:.*}",
        "/a/{x:(?:ab|cd)+}/{y:[^/]{2}}",
        r"/b/{x:[(\]]+}/c",
        r"/{n:\w+(?:-\w+)*}/{z:(a)(b)}",
    ],
)
def test_variable_patterns_match_aiohttps_route_regexes(path: str) -> None:
    """The regex each variable gets is what aiohttp's own resource holds for it."""
    import aiohttp.web

    theirs = aiohttp.web.Application().router.add_resource(path).get_info()["pattern"].pattern
    names = re.findall(r"\{([_a-zA-Z]\w*)", path)
    expected = openapi.path_variable_patterns(theirs, names)
    assert set(expected) == set(names)
    app = web.Application()
    app.router.add_get(path, ok)
    (operation,) = document(app)["paths"].popitem()[1].values()
    assert path_parameters(operation) == {n: f"^(?:{r})$" for n, r in expected.items()}
    for name, regex in expected.items():  # and aiohttp's route regex is the one written
        assert "{" + name + (":" + regex if regex != "[^{}/]+" else "") + "}" in path


def test_operation_ids_come_from_route_names() -> None:
    app = web.Application()
    app.router.add_get("/a", ok, name="alpha")  # GET (HEAD is the same handler)
    app.router.add_get("/b", ok, name="beta")
    app.router.add_post("/b", other, name="beta")
    app.router.add_get("/c", other)  # unnamed: the handler's name
    app.router.add_get("/d", other)  # ... made unique
    app.router.add_get("/e", openapi.operation(operation_id="chosen")(fresh()))
    doc = document(app)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert ids == ["alpha", "beta_get", "beta_post", "other", "other_2", "chosen"]


def test_head_options_static_mounts_and_excluded_routes(tmp_path: Path) -> None:
    async def head_only(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_get("/auto-head", ok)
    app.router.add_get("/own-head", ok, allow_head=False)
    app.router.add_head("/own-head", head_only)
    app.router.add_options("/opts", other)
    app.router.add_static("/static", tmp_path)
    app.router.add_get("/healthz", openapi.exclude(fresh()))
    app.mount("/legacy", web.Application())
    domain = web.Application()
    domain.router.add_get("/on-the-domain", ok)
    app.add_domain("api.example.com", domain)
    cors_setup = cors.setup(
        app, defaults={"https://a.example": cors.ResourceOptions(allow_methods="*")}
    )
    cors_setup.add(app.router.add_get("/shared", ok))

    class CorsView(web.View, cors.CorsViewMixin):
        async def get(self) -> web.Response:
            return web.Response()

    cors_setup.add(app.router.add_view("/cors-view", CorsView))
    doc = document(app)
    assert {path: list(item) for path, item in doc["paths"].items()} == {
        "/auto-head": ["get"],
        "/own-head": ["get", "head"],
        "/opts": ["options"],
        "/shared": ["get"],  # not the CORS preflight's OPTIONS
        "/cors-view": ["get"],
    }


def test_sub_apps_nested_with_their_prefixes() -> None:
    app = web.Application()
    admin = web.Application()
    reports = web.Application()
    reports.router.add_get("/{year:\\d{4}}", ok, name="report")
    admin.router.add_get("/", ok, name="admin_home")
    admin.add_subapp("/reports", reports)
    app.add_subapp("/admin", admin)
    app.router.add_get("/after", ok)
    doc = document(app)
    assert list(doc["paths"]) == ["/admin/", "/admin/reports/{year}", "/after"]
    assert path_parameters(doc["paths"]["/admin/reports/{year}"]["get"]) == {"year": r"^(?:\d{4})$"}
    # set up on a sub-app, the document covers that app, with its full paths
    assert list(document(admin)["paths"]) == ["/admin/", "/admin/reports/{year}"]


def test_summaries_and_descriptions_from_docstrings() -> None:
    async def described(request: web.Request) -> web.Response:
        """Fetch the thing.

        It is fetched carefully,
        over two lines.
        ---
        description: aiohttp-swagger's YAML stays out of the text
        """
        return web.Response()

    async def one_line(request: web.Request) -> web.Response:
        """Just a summary."""
        return web.Response()

    app = web.Application()
    app.router.add_get("/a", described)
    app.router.add_get("/b", one_line)
    app.router.add_get("/c", openapi.operation(summary="Told", description="Said")(fresh()))

    async def greet(request: web.Request, greeting: str) -> web.Response:
        """Greet."""
        return web.Response(text=greeting)

    app.router.add_get("/d", functools.partial(greet, greeting="hi"))
    paths = document(app)["paths"]
    assert (paths["/d"]["get"]["summary"], paths["/d"]["get"]["operationId"]) == ("Greet.", "greet")
    assert paths["/a"]["get"]["summary"] == "Fetch the thing."
    assert paths["/a"]["get"]["description"] == "It is fetched carefully,\nover two lines."
    assert paths["/b"]["get"]["summary"] == "Just a summary."
    assert "description" not in paths["/b"]["get"]
    assert (paths["/c"]["get"]["summary"], paths["/c"]["get"]["description"]) == ("Told", "Said")


def test_class_based_views_list_their_methods() -> None:
    class Pet(web.View):
        """One pet."""

        async def get(self) -> web.Response:
            """Show the pet."""
            return web.Response()

        @openapi.operation(responses={204: None})
        async def delete(self) -> web.Response:
            return web.Response(status=204)

    class Bare(web.View):
        async def post(self) -> web.Response:
            return web.Response()

    async def anything(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_view("/pets/{id}", Pet, name="pet")
    app.router.add_view("/bare", Bare)
    app.router.add_route("*", "/any", anything)
    app.router.add_route("*", "/some", openapi.operation(methods=["get", "post"])(fresh()))
    paths = document(app)["paths"]
    assert list(paths["/pets/{id}"]) == ["get", "delete"]
    assert paths["/pets/{id}"]["get"]["summary"] == "Show the pet."
    assert paths["/pets/{id}"]["delete"]["summary"] == "One pet."  # the class's docstring
    assert paths["/pets/{id}"]["delete"]["responses"] == {"204": {"description": "No Content"}}
    assert paths["/pets/{id}"]["delete"]["operationId"] == "pet_delete"
    assert list(paths["/bare"]) == ["post"]
    assert "summary" not in paths["/bare"]["post"]  # not web.View's own docstring
    assert paths["/bare"]["post"]["operationId"] == "Bare_post"
    assert list(paths["/any"]) == ["get", "put", "post", "delete", "patch"]
    assert list(paths["/some"]) == ["get", "post"]


def test_json_schema_request_and_responses() -> None:
    pet = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}

    @openapi.operation(
        tags=["pets"],
        request=pet,
        responses={201: pet, 409: "taken", "4XX": ("bad input", {"type": "string"})},
        parameters=[{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}],
        deprecated=True,
        extra={"x-rate-limit": 10},
    )
    async def add(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_post("/pets", add, name="add_pet")
    operation = document(app)["paths"]["/pets"]["post"]
    assert operation == {
        "tags": ["pets"],
        "operationId": "add_pet",
        "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": pet}}},
        "responses": {
            "201": {"description": "Created", "content": {"application/json": {"schema": pet}}},
            "409": {"description": "taken"},
            "4XX": {
                "description": "bad input",
                "content": {"application/json": {"schema": {"type": "string"}}},
            },
        },
        "deprecated": True,
        "x-rate-limit": 10,
    }


class PetStruct(msgspec.Struct):
    name: str
    tags: list[str] = []


class OwnerModel(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0)


def test_msgspec_structs_and_pydantic_models_become_components() -> None:
    @openapi.operation(request=PetStruct, responses={200: list[PetStruct]})
    async def pets(request: web.Request) -> web.Response:
        return web.Response()

    @openapi.operation(request=OwnerModel, responses={200: OwnerModel, 201: list[OwnerModel]})
    async def owners(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_post("/pets", pets)
    app.router.add_post("/owners", owners)
    doc = document(app)
    schemas = doc["components"]["schemas"]
    assert set(schemas) == {"PetStruct", "OwnerModel"}
    assert schemas["PetStruct"]["required"] == ["name"]
    assert schemas["OwnerModel"]["properties"]["age"]["minimum"] == 0
    pets_op = doc["paths"]["/pets"]["post"]
    assert pets_op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PetStruct"
    }
    assert pets_op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/PetStruct"},
    }
    owners_op = doc["paths"]["/owners"]["post"]
    assert owners_op["responses"]["201"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/OwnerModel"},
    }


def test_two_models_of_one_name_are_refused() -> None:
    class Thing(msgspec.Struct):
        a: int

    other_thing = pydantic.create_model("Thing", b=(str, ...))
    app = web.Application()
    app.router.add_get("/a", openapi.operation(responses={200: Thing})(fresh()))
    app.router.add_get("/b", openapi.operation(responses={200: other_thing})(fresh()))
    with pytest.raises(ValueError, match="two different schemas are named 'Thing'"):
        openapi.build_document(app, title="T", version="1")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"responses": {999: "x"}}, "999 is no status code"),
        ({"responses": {"2xx": "x"}}, "'2xx' is no status code"),
        ({"responses": {200: 42}}, "response 200: 42 is no schema"),
        ({"request": "a string"}, "request: 'a string' is no schema"),
        ({"responses": {200: ("only a description",)}}, "a pair is"),
        ({"methods": ["GET", "BREW"]}, "BREW"),
    ],
)
def test_bad_declarations_fail_at_once(options: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=re.escape(message)):
        openapi.operation(**options)


def test_types_need_msgspec_or_pydantic(monkeypatch: pytest.MonkeyPatch) -> None:
    class Plain:
        pass

    monkeypatch.setitem(sys.modules, "msgspec", None)  # as if neither were installed
    monkeypatch.setitem(sys.modules, "pydantic", None)
    with pytest.raises(TypeError, match="needs msgspec or pydantic"):
        openapi.operation(request=Plain)
    openapi.operation(request={"type": "object"})  # JSON Schema dicts need neither


def test_document_level_fields() -> None:
    app = web.Application()
    app.router.add_get("/", ok)
    doc = document(
        app,
        description="All of it.",
        servers=[{"url": "https://api.example"}],
        tags=[{"name": "pets", "description": "Pets"}],
        info={"contact": {"name": "Ada"}, "license": {"name": "Apache-2.0"}},
        components={"securitySchemes": {"key": {"type": "apiKey", "name": "k", "in": "header"}}},
        security=[{"key": []}],
    )
    assert doc["info"] == {
        "title": "Test",
        "version": "1",
        "description": "All of it.",
        "contact": {"name": "Ada"},
        "license": {"name": "Apache-2.0"},
    }
    assert doc["servers"] == [{"url": "https://api.example"}]
    assert doc["tags"] == [{"name": "pets", "description": "Pets"}]
    assert doc["security"] == [{"key": []}]
    assert "key" in doc["components"]["securitySchemes"]


async def test_served_at_url_built_once(
    client_for: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []
    real = openapi.build_document

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(openapi, "build_document", counting)
    app = web.Application()
    app.router.add_get("/pets", ok, name="pets")
    openapi.setup(app, title="Pets", version="2.0", url="/api/openapi.json", docs_url="/api/docs")
    client = await client_for(app)
    first = await client.get("/api/openapi.json")
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json"
    doc = first.json()
    validate(doc)
    assert list(doc["paths"]) == ["/pets"]  # not the document, nor the UI
    assert (await client.get("/api/openapi.json")).content == first.content
    assert built == [1]
    page = await client.get("/api/docs")
    assert page.status_code == 200 and '"/api/openapi.json"' in page.text
    assert "<title>Pets</title>" in page.text


async def test_no_ui_and_root_path_as_server() -> None:
    app = web.Application()
    app.router.add_get("/pets", ok)
    openapi.setup(app, title="Pets", version="1", docs_url=None)
    transport = httpx.ASGITransport(app=app, root_path="/v1")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        doc = (await client.get("/v1/openapi.json")).json()
        assert doc["servers"] == [{"url": "/v1"}]
        validate(doc)
        assert (await client.get("/v1/docs")).status_code == 404


# -- generated route tables --------------------------------------------------------

REGEXES = [
    None,
    r"\d+",
    r"[a-z]{2,4}",
    r".*",
    r"(?:ab|cd)+",
    r"[^/]+",
    r"\w+(?:-\w+)*",
    r"[0-9]{2}(?:[.][0-9]+)?",
]
literal = st.text(alphabet="abcxyz019_-.~", min_size=1, max_size=6)
variable = st.tuples(
    st.sampled_from(["id", "name", "slug", "x_1", "tail"]), st.sampled_from(REGEXES)
)
segment = st.one_of(literal, variable)
route = st.tuples(
    st.lists(segment, min_size=0, max_size=4),
    st.sets(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "*"]), min_size=1),
    st.booleans(),  # named
)


def template_of(segments: list[Any]) -> tuple[str, str, dict[str, str | None]]:
    """The route's path, its OpenAPI template, and its variables' regexes."""
    parts, plain, variables = [], [], {}
    for segment_ in segments:
        if isinstance(segment_, tuple):
            name, regex = segment_
            if name in variables:
                name = f"{name}{len(variables)}"
            variables[name] = regex
            parts.append("{" + name + (f":{regex}" if regex else "") + "}")
            plain.append("{" + name + "}")
        else:
            parts.append(segment_)
            plain.append(segment_)
    return "/" + "/".join(parts), "/" + "/".join(plain), variables


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(routes=st.lists(route, min_size=1, max_size=8), prefix=st.sampled_from(["", "/sub"]))
def test_generated_route_tables_give_valid_documents(
    routes: list[tuple[list[Any], set[str], bool]], prefix: str
) -> None:
    app = web.Application()
    target = web.Application() if prefix else app
    expected: dict[str, tuple[set[str], dict[str, str | None]]] = {}
    shapes: set[str] = set()
    for index, (segments, methods, named) in enumerate(routes):
        path, template, variables = template_of(segments)
        shape = re.sub(r"\{\w+\}", "{}", template)
        if shape in shapes:
            continue
        shapes.add(shape)
        if "*" in methods:
            methods = {"*"}
        for method in methods:
            target.router.add_route(method, path, ok, name=f"r{index}" if named else None)
        template = prefix + template
        opened = {"GET", "PUT", "POST", "DELETE", "PATCH"} if methods == {"*"} else methods
        expected[template] = ({m.lower() for m in opened}, variables)
    if prefix:
        app.add_subapp(prefix, target)
    doc = document(app)
    assert set(doc["paths"]) == set(expected)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for template, (methods, variables) in expected.items():
        item = doc["paths"][template]
        assert set(item) == methods
        for operation in item.values():
            patterns = path_parameters(operation)
            assert set(patterns) == set(variables)
            for name, regex in variables.items():
                assert patterns[name] == f"^(?:{regex or '[^{}/]+'})$"
                re.compile(patterns[name])


# -- the example app, in a browser -------------------------------------------------


async def test_example_app_document(client_for: ClientFactory) -> None:
    example = load_example()
    client = await client_for(example.create_app())
    doc = (await client.get("/openapi.json")).json()
    validate(doc)
    assert {path: sorted(item) for path, item in doc["paths"].items()} == {
        "/pets": ["get", "post"],
        "/pets/{id}": ["delete", "get"],
        "/admin/stats": ["get"],
    }
    assert doc["paths"]["/pets/{id}"]["get"]["operationId"] == "pet_get"
    added = await client.post("/pets", json={"name": "Rex", "tag": "dog"})
    assert added.status_code == 201
    assert (await client.get("/pets/1")).json() == {"id": 1, "name": "Rex", "tag": "dog"}
    missing = await client.get("/pets/99")
    assert (missing.status_code, missing.json()) == (404, {"error": "no pet 99"})
    assert (await client.post("/pets", content=b"{")).json()["error"].startswith("Malformed JSON")
    assert (await client.get("/admin/stats")).json() == {"pets": 1}
    assert (await client.get("/healthz")).text == "ok"


async def test_docs_page_lists_the_operations_in_chromium(
    live_server: ServerFactory, tmp_path: Path
) -> None:
    require_chromium()
    server = await live_server(load_example().create_app(), proxy_headers=False)
    async with chromium(f"{server.url}/docs", tmp_path / "profile") as page:
        await page.wait_for("document.querySelectorAll('.opblock').length >= 5", timeout=30)
        operations = await page.evaluate(
            "[...document.querySelectorAll('.opblock')].map(b => "
            "b.querySelector('.opblock-summary-method').textContent + ' ' + "
            "b.querySelector('.opblock-summary-path').textContent.replaceAll('\\u200b', ''))"
        )
        assert sorted(operations) == [
            "DELETE /pets/{id}",
            "GET /admin/stats",
            "GET /pets",
            "GET /pets/{id}",
            "POST /pets",
        ]
        assert await page.evaluate("document.querySelector('.info .title').textContent.trim()")
        assert await page.evaluate("!document.body.textContent.includes('Unable to render')")
        await page.screenshot(tmp_path / "docs.png")
