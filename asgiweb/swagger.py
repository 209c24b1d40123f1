"""Swagger documents from handler docstrings, with Swagger UI: aiohttp-swagger's API.

``from asgiweb import swagger as aiohttp_swagger`` is the whole port.
:func:`setup_swagger` reads the YAML after the ``---`` line of each handler's
docstring into one Swagger 2.0 document (OpenAPI 3.0.1 with ``ui_version=3``),
serves it at ``{swagger_url}/swagger.json`` and Swagger UI at ``swagger_url``:

>>> async def ping(request):
...     '''Liveness probe.
...
...     ---
...     description: Answers "pong".
...     responses:
...       "200":
...         description: always
...     '''
...     return web.Response(text="pong")
>>> app.router.add_get("/ping", ping)
>>> setup_swagger(app, title="Pinger", api_version="1.2.0")

Needs the ``swagger`` extra (``pip install 'asgiweb[swagger]'``: PyYAML, and
Swagger UI's files, served from the install by :mod:`asgiweb.swagger_ui`: no CDN).
Where the result differs from aiohttp-swagger's, docs/porting.md says how.
"""

from __future__ import annotations

import datetime
import inspect
import json
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml

from .app import Application
from .exceptions import NotAppKeyWarning
from .hdrs import METH_ALL, METH_ANY
from .keys import AppKey
from .request import Request
from .response import Response, StreamResponse, json_response
from .routing import AbstractResource, AbstractRoute, View, current_root_path
from .swagger_ui import swagger_ui_assets, swagger_ui_html

__all__ = (
    "SWAGGER_DEF_CONTENT",
    "SwaggerDocError",
    "generate_doc_from_each_end_point",
    "load_doc_from_yaml_file",
    "setup_swagger",
    "swagger_path",
)

_F = TypeVar("_F", bound=Callable[..., Any])
_SwaggerHandler = Callable[[Request], Any]
_Decorator = Callable[[_SwaggerHandler], _SwaggerHandler]

#: ``app[SWAGGER_DEF_CONTENT]``: the document's JSON text, read at each request of
#: ``swagger.json`` (a string key, as aiohttp-swagger has it, so code that edits it ports).
SWAGGER_DEF_CONTENT: Final = "SWAGGER_DEF_CONTENT"

#: The line that starts the Swagger YAML in a docstring contains this.
_MARKER: Final = "---"

#: libyaml's safe loader when PyYAML was built with it (several times faster: a
#: thousand documented routes parse in a fraction of a second), else PyYAML's own.
_LOADER: Final[type[yaml.SafeLoader]] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # a safe loader: no Python objects


class SwaggerDocError(ValueError):
    """A handler's Swagger YAML (after ``---`` in its docstring, or its file) is unusable.

    Raised by :func:`setup_swagger`; the message names the route, the handler
    and what is wrong, e.g. ``GET /users/{id}: the YAML after '---' in the
    docstring of app.get_user (app.py:12) does not parse: ...``.
    """


def swagger_path(swagger_file: str) -> Callable[[_F], _F]:
    """Document a handler with a YAML file instead of its docstring.

    >>> @swagger_path("docs/get_user.yaml")
    ... async def get_user(request): ...

    The file holds the operation (what would follow ``---`` in a docstring); a
    relative path is read from the current directory when the document is built.
    """

    def mark(handler: _F) -> _F:
        handler.swagger_file = swagger_file  # type: ignore[attr-defined]
        return handler

    return mark


def load_doc_from_yaml_file(doc_path: str | Path) -> str:
    """The JSON text of the YAML document in *doc_path* (``swagger_from_file``)."""
    with open(doc_path, encoding="utf-8") as file:
        return _dumps(_load_yaml(file.read()))


def generate_doc_from_each_end_point(
    app: Application,
    *,
    ui_version: int | None = None,
    api_base_url: str = "/",
    description: str = "Swagger API definition",
    api_version: str = "1.0.0",
    title: str = "Swagger API",
    contact: str = "",
    template_path: str | None = None,
    definitions: dict[str, Any] | None = None,
    security_definitions: dict[str, Any] | None = None,
) -> str:
    """The JSON text of the document for *app*'s routes as they are now.

    Each route whose handler's docstring has a ``---`` line contributes the
    YAML after that line as the operation for its method (class-based views:
    each method's docstring); routes without one are left out. Raises
    :class:`SwaggerDocError` naming the handler when that YAML is unusable.
    """
    if template_path is not None:
        document = _document_from_template(
            template_path,
            description="    ".join(description.lstrip("\n").splitlines()),
            version=api_version,
            title=title,
            contact=contact,
            base_path=api_base_url,
            definitions=definitions,
            security_definitions=security_definitions,
        )
    elif ui_version == 3:
        document = _openapi3_base(
            title,
            description,
            api_version,
            contact,
            api_base_url,
            definitions,
            security_definitions,
        )
    else:
        document = _swagger2_base(
            title,
            description,
            api_version,
            contact,
            api_base_url,
            definitions,
            security_definitions,
        )
    paths: dict[Any, dict[str, Any]] = {}
    parsed: dict[str, dict[str, Any] | None] = {}  # GET and HEAD share one docstring
    for route in app.router.routes():
        url = _route_path(route.resource)
        if url is None:
            continue
        operations = _operations(route, parsed)
        if operations:
            paths.setdefault(url, {}).update(operations)
    document["paths"] = paths
    return _dumps(document)


def setup_swagger(
    app: Application,
    *,
    swagger_from_file: str | None = None,
    swagger_url: str = "/api/doc",
    api_base_url: str = "/",
    swagger_validator_url: str = "",
    description: str = "Swagger API definition",
    api_version: str = "1.0.0",
    ui_version: int | None = None,
    title: str = "Swagger API",
    contact: str = "",
    swagger_home_decor: _Decorator | None = None,
    swagger_def_decor: _Decorator | None = None,
    swagger_info: dict[str, Any] | None = None,
    swagger_template_path: str | None = None,
    definitions: dict[str, Any] | None = None,
    security_definitions: dict[str, Any] | None = None,
) -> None:
    """Serve the document at ``{swagger_url}/swagger.json`` and Swagger UI at *swagger_url*.

    The document is, first found: *swagger_info* (a dict), the YAML file
    *swagger_from_file*, or :func:`generate_doc_from_each_end_point` over the
    routes added so far (*title*, *api_version*, *description*, *contact*,
    *api_base_url*, *definitions*, *security_definitions* and
    *swagger_template_path* fill its head). The UI is also served at
    ``{swagger_url}/``, its assets under ``{swagger_url}/swagger_static/``.
    *swagger_home_decor* and *swagger_def_decor* wrap the two handlers (for
    example to require a login).

    >>> setup_swagger(app, swagger_url="/api/v1/doc", title="Users", api_version="2.0")
    """
    base_url = ("/" + swagger_url.lstrip("/")).rstrip("/")
    if swagger_info is not None:
        content = _dumps(swagger_info)
    elif swagger_from_file:
        content = load_doc_from_yaml_file(swagger_from_file)
    else:
        content = generate_doc_from_each_end_point(
            app,
            ui_version=ui_version,
            api_base_url=api_base_url,
            description=description,
            api_version=api_version,
            title=title,
            contact=contact,
            template_path=swagger_template_path,
            definitions=definitions,
            security_definitions=security_definitions,
        )

    home: _SwaggerHandler = _swagger_home
    if swagger_home_decor is not None:
        home = swagger_home_decor(home)
    definition: _SwaggerHandler = _swagger_def
    if swagger_def_decor is not None:
        definition = swagger_def_decor(definition)

    router = app.router
    if base_url:  # "/api/doc" and "/api/doc/" alike, whichever was given
        router.add_route("GET", base_url, home)
    router.add_route("GET", base_url + "/", home)
    definition_resource = router.add_resource(base_url + "/swagger.json")
    definition_resource.add_route("GET", definition)
    assets = router.add_static(base_url + "/swagger_static", swagger_ui_assets())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotAppKeyWarning)
        app[SWAGGER_DEF_CONTENT] = content
    app[_PAGE_KEY] = _UIPage(
        title=title,
        api_base_url=api_base_url.rstrip("/"),
        validator_url=swagger_validator_url,
        definition=definition_resource,
        assets=assets,
    )


# -- the two handlers -------------------------------------------------------------


async def _swagger_home(request: Request) -> StreamResponse:
    """Swagger UI's page."""
    page = request.app[_PAGE_KEY]
    return Response(text=page.render(), content_type="text/html")


async def _swagger_def(request: Request) -> StreamResponse:
    """The Swagger document (``app[SWAGGER_DEF_CONTENT]``)."""
    return json_response(text=request.app[SWAGGER_DEF_CONTENT])


@dataclass(frozen=True)
class _UIPage:
    """What Swagger UI's page shows; URLs are built per request (mounts, sub-app prefixes)."""

    title: str
    api_base_url: str
    validator_url: str
    definition: AbstractResource
    assets: AbstractResource

    def render(self) -> str:
        """The page, its URLs under the mount point (ASGI ``root_path``) of this request."""
        prefix = self.api_base_url + current_root_path()
        return swagger_ui_html(
            document_url=prefix + self.definition.canonical,
            assets_url=prefix + self.assets.canonical,
            title=self.title,
            validator_url=self.validator_url or None,
        )


_PAGE_KEY: Final = AppKey("asgiweb.swagger.page", _UIPage)


# -- the document's head ---------------------------------------------------------


def _dedented(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _contact(contact: str) -> dict[str, Any]:
    return {"contact": {"name": contact}} if contact else {}


def _swagger2_base(
    title: str,
    description: str,
    version: str,
    contact: str,
    base_path: str,
    definitions: dict[str, Any] | None,
    security_definitions: dict[str, Any] | None,
) -> dict[str, Any]:
    text = _dedented(description)
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": {
            # aiohttp-swagger writes it as a YAML literal block: one final newline
            "description": text + "\n" if text.strip() else "",
            "version": str(version),
            "title": title,
            **_contact(contact),
        },
        "basePath": base_path,
        "schemes": ["http", "https"],
    }
    if definitions:
        document["definitions"] = definitions
    if security_definitions:
        document["securityDefinitions"] = security_definitions
    return document


def _openapi3_base(
    title: str,
    description: str,
    version: str,
    contact: str,
    base_path: str,
    definitions: dict[str, Any] | None,
    security_definitions: dict[str, Any] | None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {
            "title": title,
            "description": _dedented(description).strip(),
            "version": str(version),
            **_contact(contact),
        },
        "servers": [{"url": base_path}],
    }
    components: dict[str, Any] = {}
    if definitions:
        components["schemas"] = definitions
    if security_definitions:
        components["securitySchemes"] = security_definitions
    if components:
        document["components"] = components
    return document


def _yaml_block(value: Any, indent: int = 10) -> str:
    """The ``nesteddict2yaml`` template filter: *value* as YAML (JSON flow) at *indent*."""
    return " " * indent + json.dumps(value, default=_json_default)


def _document_from_template(template_path: str, **context: Any) -> dict[str, Any]:
    """A ``swagger_template_path`` document: a Jinja2 template of YAML, rendered with *context*."""
    try:
        import jinja2
    except ImportError:  # pragma: no cover - the swagger extra brings it
        raise ImportError("swagger_template_path needs Jinja2: pip install jinja2") from None
    environment = jinja2.Environment(loader=jinja2.BaseLoader())
    environment.filters["nesteddict2yaml"] = _yaml_block
    with open(template_path, encoding="utf-8") as file:
        source = environment.from_string(file.read()).render(**context)
    try:
        document = _load_yaml(source)
    except yaml.YAMLError as exc:
        raise SwaggerDocError(
            f"the Swagger template {template_path} does not render to YAML: {exc}"
        ) from None
    if not isinstance(document, dict):
        raise SwaggerDocError(
            f"the Swagger template {template_path} renders to a {type(document).__name__},"
            " not a mapping"
        )
    return document


# -- operations from docstrings ---------------------------------------------------


def _route_path(resource: AbstractResource | None) -> str | None:
    """The path a route documents under: the resource's path or its formatter."""
    if resource is None:
        return None
    info = resource.get_info()
    path = info.get("path") or info.get("formatter")
    return path if isinstance(path, str) else None


def _view_methods(route: AbstractRoute, view: type[View]) -> list[str]:
    """The view's handler methods this route reaches (all of them for ``*``)."""
    names = [name for name in dir(view) if name.upper() in METH_ALL]
    if route.method == METH_ANY:
        return names
    return [name for name in names if name.upper() == route.method]


def _operations(route: AbstractRoute, parsed: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """``{method: operation}`` for one route; empty when it is undocumented.

    *parsed* holds the operations of the docstrings read so far, by docstring.
    """
    handler: Any = route.handler
    method = route.method.lower()
    swagger_file = getattr(handler, "swagger_file", None)
    if swagger_file:
        return {method: _file_operation(route, handler, swagger_file)}
    if isinstance(handler, type) and issubclass(handler, View):
        operations = {}
        for name in _view_methods(route, handler):
            operation = _docstring_operation(route, getattr(handler, name), parsed)
            if operation is not None:
                operations[name] = operation
        return operations
    operation = _docstring_operation(route, handler, parsed)
    return {} if operation is None else {method: operation}


def _where(route: AbstractRoute, handler: Any) -> tuple[str, str]:
    """``GET /path`` and the handler's name and source line, for error messages."""
    resource = route.resource
    path = _route_path(resource) if resource is not None else None
    name = getattr(handler, "__qualname__", None) or repr(handler)
    module = getattr(handler, "__module__", None)
    if module:
        name = f"{module}.{name}"
    try:
        source = inspect.getsourcefile(handler)
        line = inspect.getsourcelines(handler)[1]
    except (OSError, TypeError):
        location = ""
    else:
        location = f" ({source}:{line})"
    return f"{route.method} {path}", f"{name}{location}"


def _docstring_operation(
    route: AbstractRoute, handler: Any, parsed: dict[str, dict[str, Any] | None]
) -> dict[str, Any] | None:
    """The YAML after the ``---`` line of *handler*'s docstring; ``None`` if it has none."""
    doc = getattr(handler, "__doc__", None)
    if not isinstance(doc, str):
        return None
    if doc not in parsed:
        parsed[doc] = _read_docstring(route, handler, doc)
    return parsed[doc]


def _read_docstring(route: AbstractRoute, handler: Any, doc: str) -> dict[str, Any] | None:
    lines = doc.splitlines()
    for index, line in enumerate(lines):
        if _MARKER in line:
            text = "\n".join(lines[index + 1 :])
            break
    else:
        return None
    try:
        return _parse_operation(text, offset=index + 1)
    except _BadOperation as exc:
        if lines[index].strip() != _MARKER:
            return None  # "---" inside other text (a numpy-style "-------" underline)
        route_name, handler_name = _where(route, handler)
        raise SwaggerDocError(
            f"{route_name}: the YAML after '---' in the docstring of {handler_name} {exc}"
        ) from None


def _file_operation(route: AbstractRoute, handler: Any, swagger_file: str) -> dict[str, Any]:
    """The operation in the ``swagger_path`` file of *handler*."""
    try:
        text = Path(swagger_file).read_text(encoding="utf-8")
        operation = _parse_operation(text)
        if operation is None:
            raise _BadOperation("is empty")
    except (OSError, _BadOperation) as exc:
        route_name, handler_name = _where(route, handler)
        problem = str(exc)
        if isinstance(exc, OSError):
            problem = f"cannot be read: {exc.strerror or exc}"
        raise SwaggerDocError(
            f"{route_name}: the swagger_path file {swagger_file!r} of {handler_name} {problem}"
        ) from None
    return operation


class _BadOperation(Exception):
    """Why some YAML is no operation; the caller adds whose YAML it is."""


def _parse_operation(text: str, offset: int = 0) -> dict[str, Any] | None:
    """*text* parsed as one operation: a mapping, or ``None`` when it is empty.

    *offset* is the line of the docstring the text starts after (0: a file).
    """
    try:
        operation = _load_yaml(text)
    except yaml.YAMLError as exc:
        raise _BadOperation(
            f"does not parse: {_yaml_problem(exc, offset)}."
            " Fix the YAML (the lines after '---' are one YAML mapping)."
        ) from None
    if operation is None:
        return None
    if not isinstance(operation, dict):
        raise _BadOperation(
            f"is a YAML {type(operation).__name__}, not a mapping of operation fields"
            " (description, parameters, responses, ...)"
        )
    try:
        _dumps(operation)
    except (TypeError, ValueError) as exc:
        raise _BadOperation(f"has no JSON form: {exc}") from None
    return operation


def _yaml_problem(exc: yaml.YAMLError, offset: int) -> str:
    """PyYAML's complaint, its line numbers counted in the docstring (or file) it came from."""
    where = "of the docstring" if offset else "of the file"

    def at(mark: Any) -> str:
        return f" at line {mark.line + 1 + offset} {where}" if mark is not None else ""

    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc)
    problem = f"{exc.problem or 'invalid YAML'}{at(exc.problem_mark)}"
    if exc.context:
        return f"{exc.context}{at(exc.context_mark)}, {problem}"
    return problem


# -- JSON --------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    """YAML dates and times (``example: 2024-05-01``) as ISO 8601 strings."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _dumps(document: Any) -> str:
    """The document's JSON text, spaced as aiohttp-swagger's (``json.dumps`` defaults)."""
    return json.dumps(document, default=_json_default)
