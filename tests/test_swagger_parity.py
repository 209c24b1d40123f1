"""asgiweb.swagger against aiohttp-swagger 1.0.16: the same app source, the same swagger.json.

Each case builds one app source twice, on ``aiohttp.web`` with
``aiohttp_swagger.setup_swagger`` and on ``asgiweb.web`` with
``asgiweb.swagger.setup_swagger``, and compares the documents. Documents
compare byte for byte, except where a class-based view documents several
methods: aiohttp-swagger walks those methods through a ``set``, so their order
changes from one process to the next and only the parsed JSON compares.
The cases where we answer differently on purpose are the ``test_divergence_*``
tests; docs/porting.md lists them.
"""

from __future__ import annotations

import inspect
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp.web
import aiohttp_swagger
import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgiweb import swagger
from asgiweb import web as asgi_web

from .differential import ServeBoth, comparable

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

try:
    import ujson  # noqa: F401
except ImportError:
    BYTES_COMPARABLE = True  # aiohttp-swagger falls back to json.dumps, as we use
else:  # pragma: no cover - ujson spaces and escapes differently
    BYTES_COMPARABLE = False

Builder = Callable[[ModuleType], Any]


def _theirs(build: Builder, **kwargs: Any) -> tuple[Any, str]:
    app = build(aiohttp.web)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aiohttp's NotAppKeyWarning for its str keys
        aiohttp_swagger.setup_swagger(app, **kwargs)
    return app, app["SWAGGER_DEF_CONTENT"]


def _ours(build: Builder, **kwargs: Any) -> tuple[Any, str]:
    app = build(asgi_web)
    swagger.setup_swagger(app, **kwargs)
    return app, app[swagger.SWAGGER_DEF_CONTENT]


def _assert_same(build: Builder, *, byte_equal: bool = True, **kwargs: Any) -> dict[str, Any]:
    _, theirs = _theirs(build, **kwargs)
    _, ours = _ours(build, **kwargs)
    assert json.loads(ours) == json.loads(theirs)
    if byte_equal and BYTES_COMPARABLE:
        assert ours == theirs
    document: dict[str, Any] = json.loads(ours)
    return document


# -- route tables ----------------------------------------------------------------


def functions_table(web: ModuleType) -> Any:
    """Function handlers: RouteTableDef, add_*, dynamic paths, HEAD twins, undocumented ones."""
    routes = web.RouteTableDef()

    @routes.get("/users/{id:\\d+}", name="user")
    async def get_user(request: Any) -> Any:
        """Fetch one user.

        Longer prose that is not part of the operation.
        ---
        summary: Fetch one user
        tags: [users]
        produces: [application/json]
        parameters:
          - name: id
            in: path
            required: true
            type: integer
        responses:
          "200":
            description: the user
          "404":
            description: no such user
        """

    @routes.post("/users")
    async def create_user(request: Any) -> Any:
        """
        ---
        summary: Create a user — “quoted”, ünïcode
        consumes: [application/json]
        parameters:
          - in: body
            name: body
            required: true
            schema:
              type: object
              properties:
                name: {type: string}
        responses:
          201:
            description: created
        """

    @routes.get("/health", allow_head=False)
    async def health(request: Any) -> Any:
        """Liveness.
        ---
        responses:
          "200": {description: alive}
        """

    async def undocumented(request: Any) -> Any:
        return None

    app = web.Application()
    app.add_routes(routes)
    app.router.add_get("/undocumented", undocumented)
    app.router.add_delete("/users/{id}", get_user)
    app.router.add_patch("/{tail:.*}/edit", health)
    return app


def views_table(web: ModuleType) -> Any:
    """Class-based views: add_view (every method) and add_route with one method."""

    class Items(web.View):  # type: ignore[name-defined, misc]
        async def get(self) -> Any:
            """List items.
            ---
            summary: list
            responses: {"200": {description: items}}
            """

        async def post(self) -> Any:
            """Prose only: no operation for POST."""

        async def put(self) -> Any:
            """
            ---
            summary: replace
            responses: {"204": {description: replaced}}
            """

    app = web.Application()
    app.router.add_view("/items", Items)
    app.router.add_route("PUT", "/items/only-put", Items)
    app.router.add_route("GET", "/items/only-get", Items)
    return app


def subapps_table(web: ModuleType) -> Any:
    """Prefixed and domain sub-apps, documented after they are added."""

    async def inner(request: Any) -> Any:
        """
        ---
        summary: inside
        responses: {"200": {description: ok}}
        """

    admin = web.Application()
    admin.router.add_get("/users/{name}", inner)
    api = web.Application()
    api.router.add_post("/v1/things", inner)
    app = web.Application()
    app.router.add_get("/", inner)
    app.add_subapp("/admin", admin)
    app.add_domain("api.example.com", api)
    return app


def static_table(web: ModuleType) -> Any:
    """A static directory among documented routes: it has no operation."""

    async def index(request: Any) -> Any:
        """
        ---
        responses: {"200": {description: ok}}
        """

    app = web.Application()
    app.router.add_static("/static", Path(__file__).parent)
    app.router.add_get("/", index)
    return app


# -- the same document -------------------------------------------------------------


def test_same_signature_as_aiohttp_swagger() -> None:
    """setup_swagger and its helpers take aiohttp-swagger's parameters, kinds and defaults."""
    pairs = [
        (aiohttp_swagger.setup_swagger, swagger.setup_swagger),
        (
            aiohttp_swagger.generate_doc_from_each_end_point,
            swagger.generate_doc_from_each_end_point,
        ),
        (aiohttp_swagger.load_doc_from_yaml_file, swagger.load_doc_from_yaml_file),
        (aiohttp_swagger.swagger_path, swagger.swagger_path),
    ]
    for theirs, ours in pairs:
        expected = [
            (p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()
        ]
        got = [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()]
        assert got == expected, theirs
    assert set(aiohttp_swagger.__all__) <= set(swagger.__all__)


@pytest.mark.parametrize(
    "build", [functions_table, subapps_table, static_table], ids=lambda b: b.__name__
)
def test_same_document_for_function_handlers(build: Builder) -> None:
    document = _assert_same(build)
    assert document["paths"], "the table documents something"
    assert "/undocumented" not in document["paths"]


def test_same_document_for_class_based_views() -> None:
    document = _assert_same(views_table, byte_equal=False)
    assert set(document["paths"]["/items"]) == {"get", "put"}
    assert set(document["paths"]["/items/only-put"]) == {"put"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"title": "Users API", "api_version": "2.3.1", "description": "All about users."},
        {"contact": "ops@example.com", "api_base_url": "/api/v2"},
        {"description": "\n\nLeading newlines, “unicode”, and ‘quotes’ — kept."},
        {
            "definitions": {
                "User": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                }
            },
            "security_definitions": {
                "token": {"type": "apiKey", "name": "X-Token", "in": "header"}
            },
        },
        {
            "ui_version": 3,
            "title": "Three",
            "contact": "me",
            "definitions": {"A": {"type": "object"}},
        },
        {"ui_version": 3, "security_definitions": {"basic": {"type": "http", "scheme": "basic"}}},
    ],
    ids=["defaults", "info", "contact-base", "description", "definitions", "v3", "v3-security"],
)
def test_same_document_for_info_fields(kwargs: dict[str, Any]) -> None:
    _assert_same(functions_table, **kwargs)


def test_same_document_from_swagger_from_file_and_swagger_info(tmp_path: Path) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(
        "swagger: '2.0'\n"
        "info: {title: From a file, version: '9'}\n"
        "paths:\n"
        "  /x:\n"
        "    get:\n"
        "      description: “x” ü\n"
        "      responses: {'200': {description: ok}}\n",
        encoding="utf-8",
    )
    document = _assert_same(functions_table, swagger_from_file=str(spec))
    assert document["info"]["title"] == "From a file"
    info = {"swagger": "2.0", "info": {"title": "dict", "version": "1"}, "paths": {}}
    assert _assert_same(functions_table, swagger_info=info) == info


def test_same_document_with_swagger_path_files(tmp_path: Path) -> None:
    operation = tmp_path / "op.yaml"
    operation.write_text("summary: from a file\nresponses: {'200': {description: ok}}\n")

    def build(web: ModuleType) -> Any:
        theirs_or_ours = aiohttp_swagger if web is aiohttp.web else swagger

        @theirs_or_ours.swagger_path(str(operation))
        async def handler(request: Any) -> Any:
            """The docstring is ignored when there is a file.
            ---
            summary: not this
            """

        app = web.Application()
        app.router.add_post("/filed", handler)
        return app

    document = _assert_same(build)
    assert document["paths"]["/filed"]["post"]["summary"] == "from a file"


def test_same_document_from_a_template(tmp_path: Path) -> None:
    template = tmp_path / "base.yaml"
    template.write_text(
        "swagger: '2.0'\n"
        "info:\n"
        "  title: {{ title }}\n"
        "  version: '{{ version }}'\n"
        "  description: {{ description }}\n"
        "basePath: {{ base_path }}\n"
        "{% if definitions %}definitions:\n{{ definitions|nesteddict2yaml }}\n{% endif %}"
        "x-contact: {{ contact }}\n"
        "paths:\n"
    )
    _assert_same(
        functions_table,
        swagger_template_path=str(template),
        title="Templated",
        contact="someone",
        description="line one\nline two",
        definitions={"Pet": {"type": "object", "properties": {"age": {"type": "integer"}}}},
    )


def test_same_document_when_set_up_on_a_sub_app() -> None:
    """Set up before add_subapp: the sub-app's own (unprefixed) paths, in both."""

    def build(web: ModuleType) -> Any:
        async def inner(request: Any) -> Any:
            """
            ---
            summary: inside
            """

        sub = web.Application()
        sub.router.add_get("/things/{id}", inner)
        sub.router.add_route("*", "/any", inner)
        return sub

    theirs_sub, theirs = _theirs(build, swagger_url="/doc")
    ours_sub, ours = _ours(build, swagger_url="/doc")
    aiohttp.web.Application().add_subapp("/admin", theirs_sub)
    asgi_web.Application().add_subapp("/admin", ours_sub)
    assert ours == theirs
    assert set(json.loads(ours)["paths"]) == {"/things/{id}", "/any"}
    assert set(json.loads(ours)["paths"]["/any"]) == {"*"}  # what route.method is
    assert ours_sub[swagger.SWAGGER_DEF_CONTENT] == theirs_sub["SWAGGER_DEF_CONTENT"]


def test_same_document_for_the_benchmark_table() -> None:
    """benchmarks/swagger_setup.py times the same document in both (and runs)."""
    from benchmarks.swagger_setup import build, time_setup

    _assert_same(lambda web: build(web, 20))
    assert time_setup(asgi_web, swagger.setup_swagger, 5) > 0


def test_routes_added_after_setup_are_left_out_in_both() -> None:
    def build(web: ModuleType) -> Any:
        return web.Application()

    theirs_app, _ = _theirs(build)
    ours_app, _ = _ours(build)

    async def late(request: Any) -> Any:
        """
        ---
        summary: too late
        """

    theirs_app.router.add_get("/late", late)
    ours_app.router.add_get("/late", late)
    assert json.loads(theirs_app["SWAGGER_DEF_CONTENT"])["paths"] == {}
    assert json.loads(ours_app[swagger.SWAGGER_DEF_CONTENT])["paths"] == {}


# -- random route tables and operations --------------------------------------------

#: More examples: ASGIWEB_SWAGGER_EXAMPLES=2000 python -m pytest tests/test_swagger_parity.py
EXAMPLES = int(os.environ.get("ASGIWEB_SWAGGER_EXAMPLES", "30"))

_words = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=12)
_scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | _words
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_words, inner, max_size=3),
    max_leaves=8,
)
_segment = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True)
_part = (
    _segment | _segment.map(lambda s: "{" + s + "}") | _segment.map(lambda s: "{" + s + ":\\d+}")
)
_tables = st.lists(
    st.tuples(
        st.lists(_part, min_size=1, max_size=3, unique=True).map(lambda p: "/" + "/".join(p)),
        st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "get+head"]),
        st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs"]), max_size=20),
        st.dictionaries(_words, _values, max_size=4),
    ),
    min_size=1,
    max_size=5,
)


def _random_table(table: list[tuple[str, str, str, dict[str, Any]]]) -> Builder:
    def build(web: ModuleType) -> Any:
        app = web.Application()
        for path, method, prose, operation in table:

            async def handler(request: Any) -> Any:
                return None

            body = yaml.safe_dump(operation, allow_unicode=True, default_flow_style=False)
            indented = "".join(f"    {line}\n" for line in body.splitlines())
            handler.__doc__ = f"{prose.strip()}\n\n    ---\n{indented}"
            try:
                if method == "get+head":
                    app.router.add_get(path, handler)
                else:
                    app.router.add_route(method, path, handler)
            except RuntimeError:
                pass  # a method twice on one path: both routers refuse it
        return app

    return build


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(_tables)
def test_same_document_for_random_tables(table: list[Any]) -> None:
    """Any operation YAML (as PyYAML writes it) under any route table: byte-equal documents."""
    _assert_same(_random_table(table))


# -- over HTTP ---------------------------------------------------------------------


async def test_same_responses_over_http(serve_both: ServeBoth) -> None:
    """swagger.json byte for byte with its headers; the UI and asset URLs answer alike."""

    def deny_without_token(web: ModuleType) -> Callable[[Any], Any]:
        def decorate(handler: Any) -> Any:
            async def guarded(request: Any) -> Any:
                if request.headers.get("X-Token") != "t":
                    return web.Response(status=401, text="token?")
                return await handler(request)

            return guarded

        return decorate

    options = {"ui_version": 3, "swagger_url": "docs", "definitions": {"A": {"type": "object"}}}
    theirs_app, _ = _theirs(
        functions_table, swagger_def_decor=deny_without_token(aiohttp.web), **options
    )
    ours_app, _ = _ours(functions_table, swagger_def_decor=deny_without_token(asgi_web), **options)
    pair = await serve_both(theirs_app, ours_app)
    async with httpx.AsyncClient(timeout=30) as client:
        theirs, ours = await pair.both(
            client, "GET", "/docs/swagger.json", headers={"X-Token": "t"}
        )
        assert comparable(ours) == comparable(theirs)
        assert ours.headers["content-type"] == "application/json; charset=utf-8"
        theirs, ours = await pair.both(client, "GET", "/docs/swagger.json")
        assert comparable(ours) == comparable(theirs)
        assert ours.status_code == 401
        for method, path in [
            ("GET", "/docs"),
            ("GET", "/docs/"),
            ("HEAD", "/docs"),
            ("POST", "/docs/swagger.json"),
            ("GET", "/docs/swagger_static/swagger-ui-bundle.js"),
            ("GET", "/docs/swagger_static/swagger-ui.css"),
            ("GET", "/docs/swagger_static/oauth2-redirect.html"),
            ("GET", "/docs/swagger_static/no-such-file.js"),
            ("GET", "/docs/swagger_static/../../users/1"),
        ]:
            theirs, ours = await pair.both(client, method, path)
            assert ours.status_code == theirs.status_code, (method, path)
            assert ours.headers.get("content-type") == theirs.headers.get("content-type"), path


# -- where we answer differently, on purpose --------------------------------------


def _one_handler(doc: str, method: str = "POST") -> Builder:
    def build(web: ModuleType) -> Any:
        async def handler(request: Any) -> Any:
            return None

        handler.__doc__ = doc
        app = web.Application()
        app.router.add_route(method, "/things/{id}", handler)
        return app

    return build


def test_divergence_malformed_yaml_is_an_error_naming_the_handler() -> None:
    """aiohttp-swagger puts a "could not be loaded" placeholder in; we refuse at setup."""
    build = _one_handler("Make a thing.\n---\nparameters: [unclosed\n")
    _, theirs = _theirs(build)
    placeholder = json.loads(theirs)["paths"]["/things/{id}"]["post"]
    assert placeholder["tags"] == ["Invalid Swagger"]
    with pytest.raises(swagger.SwaggerDocError) as caught:
        _ours(build)
    message = str(caught.value)
    assert message.startswith("POST /things/{id}: the YAML after '---' in the docstring of ")
    assert "_one_handler.<locals>.build.<locals>.handler" in message
    assert "test_swagger_parity.py:" in message
    assert "at line 3 of the docstring" in message


def test_divergence_yaml_that_is_not_a_mapping_is_an_error() -> None:
    build = _one_handler("Items.\n---\n- a list\n- not an operation\n")
    assert json.loads(_theirs(build)[1])["paths"]["/things/{id}"]["post"] == [
        "a list",
        "not an operation",
    ]
    with pytest.raises(swagger.SwaggerDocError, match="is a YAML list, not a mapping"):
        _ours(build)


@pytest.mark.parametrize(
    "doc", ["Plain prose.", "Note: prose with a colon.", "Odd: text: here", "Empty.\n---\n"]
)
def test_divergence_docstring_without_operation_is_undocumented(doc: str) -> None:
    """aiohttp-swagger reads a whole function docstring as YAML when it has no ``---``,
    and documents ``null`` when nothing follows the ``---``."""
    assert json.loads(_theirs(_one_handler(doc))[1])["paths"] != {}
    assert json.loads(_ours(_one_handler(doc))[1])["paths"] == {}


def test_divergence_dashes_inside_other_text_are_no_marker_when_the_rest_is_no_yaml() -> None:
    """A numpy-style docstring: its "-------" underlines contain aiohttp-swagger's marker.

    Where the text after them is no YAML mapping, aiohttp-swagger documents a
    placeholder and we leave the route out; only a line that is exactly ``---``
    makes unparsable YAML an error.
    """
    numpy_style = (
        "Fetch a thing.\n\n    Parameters\n    ----------\n    id : int\n"
        "        The thing's id: any integer.\n\n    Returns\n    -------\n    Response\n"
    )
    build = _one_handler(numpy_style)
    theirs = json.loads(_theirs(build)[1])["paths"]["/things/{id}"]["post"]
    assert theirs["tags"] == ["Invalid Swagger"]
    assert json.loads(_ours(build)[1])["paths"] == {}


def test_divergence_missing_swagger_path_file_is_an_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")

    def build(web: ModuleType) -> Any:
        async def handler(request: Any) -> Any:
            return None

        handler.swagger_file = missing  # what both swagger_path decorators set
        app = web.Application()
        app.router.add_get("/x", handler)
        return app

    theirs = json.loads(_theirs(build)[1])["paths"]["/x"]["get"]
    assert "not found" in theirs["description"]
    expected = r"HEAD /x: the swagger_path file '.*missing.yaml' of .* cannot be read: No such"
    with pytest.raises(swagger.SwaggerDocError, match=expected):
        _ours(build)


def test_divergence_info_fields_are_kept_as_given() -> None:
    """aiohttp-swagger pastes title and contact into YAML unquoted; we keep the strings."""

    def build(web: ModuleType) -> Any:
        return web.Application()

    theirs = json.loads(_theirs(build, title="2024", contact="yes")[1])["info"]
    assert (theirs["title"], theirs["contact"]) == (2024, {"name": True})
    ours = json.loads(_ours(build, title="2024", contact="yes")[1])["info"]
    assert (ours["title"], ours["contact"]) == ("2024", {"name": "yes"})
    with pytest.raises(Exception, match="mapping values are not allowed"):
        _theirs(build, title="Users: the API")
    assert json.loads(_ours(build, title="Users: the API")[1])["info"]["title"] == "Users: the API"
    many_lines = "\n    First paragraph.\n\n    Second one.\n"
    theirs = json.loads(_theirs(build, description=many_lines)[1])["info"]["description"]
    assert "\n" not in theirs.rstrip("\n")  # joined into one line
    ours = json.loads(_ours(build, description=many_lines)[1])["info"]["description"]
    assert ours == "First paragraph.\n\nSecond one.\n"


def test_divergence_v3_without_components_leaves_them_out() -> None:
    def build(web: ModuleType) -> Any:
        return web.Application()

    assert json.loads(_theirs(build, ui_version=3)[1])["components"] is None
    assert "components" not in json.loads(_ours(build, ui_version=3)[1])


def test_divergence_yaml_dates_become_strings() -> None:
    build = _one_handler(
        "---\nparameters:\n  - {name: since, in: query, type: string, default: 2024-05-01}\n"
    )
    with pytest.raises(TypeError, match="not JSON serializable"):
        _theirs(build)
    document = json.loads(_ours(build)[1])
    assert document["paths"]["/things/{id}"]["post"]["parameters"][0]["default"] == "2024-05-01"
