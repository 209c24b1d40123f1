"""OpenAPI 3.1 documents generated from the route table, served with Swagger UI.

``setup(app, title=..., version=...)`` serves the document at ``/openapi.json``
and Swagger UI at ``/docs``. The document lists every route of the app and of
its prefixed sub-apps: the path with its variables (their regex as the
``pattern``), the methods, an ``operationId`` from the route name, and a
summary and description from the handler's docstring. :func:`operation`
adds request and response schemas (JSON Schema dicts, msgspec Structs or
pydantic models) and more; :func:`exclude` leaves a handler out.

>>> from asgiweb import openapi, web
>>> @openapi.operation(responses={200: {"type": "array", "items": {"type": "string"}}})
... async def list_pets(request: web.Request) -> web.Response:
...     '''List the pets' names.'''
...     return web.json_response(["Rex"])
>>> app = web.Application()
>>> app.router.add_get("/pets", list_pets, name="list_pets")
>>> openapi.setup(app, title="Pets", version="1.0")
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

from .openapi_schemas import SchemaRegistry, check_schema_like
from .response import Response, StreamResponse
from .routing import AbstractView, UrlDispatcher, current_root_path
from .subapps import MatchedSubAppResource, PrefixedSubAppResource
from .swagger_ui import setup_swagger_ui

if TYPE_CHECKING:
    from .app import Application
    from .request import Request
    from .routing import AbstractRoute

__all__ = ("OPENAPI_VERSION", "Operation", "build_document", "exclude", "operation", "setup")

#: The OpenAPI version of the documents built here.
OPENAPI_VERSION = "3.1.0"

_F = TypeVar("_F", bound=Callable[..., Any])
_ATTRIBUTE = "__asgiweb_openapi__"
#: Methods an OpenAPI 3.1 path item can hold, in the order documents list them.
_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")
#: What a ``*`` route with a plain handler is listed under (a class-based view lists its own).
_ANY_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")
_GROUP_START = re.compile(r"\(\?P<([_a-zA-Z][_a-zA-Z0-9]*)>")
_VARIABLE = re.compile(r"\{([_a-zA-Z][_a-zA-Z0-9]*)\}")


@dataclass(frozen=True)
class Operation:
    """What :func:`operation` attached to a handler (or a class-based view's method)."""

    summary: str | None = None
    description: str | None = None
    operation_id: str | None = None
    tags: tuple[str, ...] = ()
    request: Any = None
    request_content_type: str = "application/json"
    request_required: bool = True
    responses: Mapping[int | str, Any] | None = None
    parameters: tuple[Mapping[str, Any], ...] = ()
    deprecated: bool = False
    methods: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    include: bool = True


def operation(
    *,
    summary: str | None = None,
    description: str | None = None,
    operation_id: str | None = None,
    tags: Sequence[str] = (),
    request: Any = None,
    request_content_type: str = "application/json",
    request_required: bool = True,
    responses: Mapping[int | str, Any] | None = None,
    parameters: Sequence[Mapping[str, Any]] = (),
    deprecated: bool = False,
    methods: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Callable[[_F], _F]:
    """Describe a handler's operation beyond what its route and docstring say.

    *request* is the body's schema and each value of *responses* (keyed by
    status code, ``"4XX"`` or ``"default"``) the response's: a JSON Schema
    dict, a msgspec ``Struct`` or a pydantic model (or a type built from them,
    such as ``list[Pet]``); a response may also be a string (its description,
    no body), ``None`` (no body) or a ``(description, schema)`` pair.
    *summary* and *description* replace the docstring's; *parameters* are
    OpenAPI parameter objects added to the path's; *methods* narrows a ``*``
    route (``add_view``) with a plain handler; *extra* is merged into the
    operation object last. The handler is returned unchanged.

    >>> @openapi.operation(request=NewPet, responses={201: Pet, 422: "invalid pet"})
    ... async def add_pet(request: web.Request) -> web.Response: ...
    """
    if request is not None:
        check_schema_like(request, "request")
    for status, response in (responses or {}).items():
        _check_status(status)
        if isinstance(response, tuple):
            if len(response) != 2 or not isinstance(response[0], str):
                raise TypeError(f"response {status}: a pair is (description, schema)")
            response = response[1]
        if response is not None and not isinstance(response, str):
            check_schema_like(response, f"response {status}")
    if methods is not None:
        unknown = {m.upper() for m in methods} - set(_METHODS)
        if unknown:
            raise ValueError(f"methods {sorted(unknown)} are not OpenAPI methods {_METHODS}")
    spec = Operation(
        summary=summary,
        description=description,
        operation_id=operation_id,
        tags=tuple(tags),
        request=request,
        request_content_type=request_content_type,
        request_required=request_required,
        responses=dict(responses) if responses is not None else None,
        parameters=tuple(parameters),
        deprecated=deprecated,
        methods=None if methods is None else tuple(m.upper() for m in methods),
        extra=dict(extra or {}),
    )

    def attach(handler: _F) -> _F:
        setattr(handler, _ATTRIBUTE, spec)
        return handler

    return attach


def exclude(handler: _F) -> _F:
    """Leave *handler*'s routes out of the document; returns it unchanged.

    >>> app.router.add_get("/healthz", openapi.exclude(health))
    """
    setattr(handler, _ATTRIBUTE, Operation(include=False))
    return handler


def _check_status(status: int | str) -> None:
    if isinstance(status, int) and 100 <= status <= 599:
        return
    if isinstance(status, str) and (
        status == "default" or re.fullmatch(r"[1-5](?:XX|\d\d)", status)
    ):
        return
    raise ValueError(f"response key {status!r} is no status code (e.g. 200, '4XX', 'default')")


def _unwrap_partial(function: Any) -> Any:
    while isinstance(function, functools.partial):
        function = function.func
    return function


def _spec_of(function: Any) -> Operation | None:
    function = _unwrap_partial(function)
    seen = 0
    while function is not None and seen < 20:
        spec = getattr(function, _ATTRIBUTE, None)
        if isinstance(spec, Operation):
            return spec
        function = getattr(function, "__wrapped__", None)
        seen += 1
    return None


# -- path variables -------------------------------------------------------------------


def _group_end(pattern: str, start: int) -> int:
    """The index of the ``)`` closing the group whose body starts at *start*."""
    depth = 1
    index = start
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            if pattern[index + 1 : index + 2] == "^":
                index += 1
            if pattern[index + 1 : index + 2] == "]":
                index += 1  # a leading ']' is a literal
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError(f"unbalanced group in route pattern {pattern!r}")


def path_variable_patterns(pattern: str, names: Sequence[str]) -> dict[str, str]:
    r"""Each variable's regex, taken from a dynamic route's compiled pattern.

    >>> path_variable_patterns(r"/pets/(?P<id>\d+)", ["id"])
    {'id': '\\d+'}
    """
    found: dict[str, str] = {}
    wanted = set(names)
    for match in _GROUP_START.finditer(pattern):
        name = match.group(1)
        if name in wanted and name not in found:
            found[name] = pattern[match.end() : _group_end(pattern, match.end())]
    return found


def _ecma_pattern(regex: str) -> str:
    """*regex* anchored as the router matches it, with Python-only group syntax rewritten."""
    regex = regex.replace("(?P<", "(?<")
    regex = re.sub(r"\(\?P=([_a-zA-Z][_a-zA-Z0-9]*)\)", r"\\k<\1>", regex)
    return f"^(?:{regex})$"


# -- the document -----------------------------------------------------------------------


@dataclass
class _Entry:
    template: str
    method: str
    route: AbstractRoute
    function: Any  # the handler, or the class-based view's method
    owner: Any  # the class-based view, or None
    variables: dict[str, str]


def _is_view(handler: Any) -> bool:
    return isinstance(handler, type) and issubclass(handler, AbstractView)


def _is_cors_preflight(function: Any) -> bool:
    """Whether *function* answers CORS preflights for asgiweb.cors (a route's or a view's)."""
    return getattr(function, "__module__", None) == "asgiweb.cors"


def _entries(router: UrlDispatcher) -> Iterator[_Entry]:
    for resource in router.resources():
        if isinstance(resource, MatchedSubAppResource):
            continue  # a domain's app: its paths live on another host
        if isinstance(resource, PrefixedSubAppResource):
            yield from _entries(resource.app.router)
            continue
        info = resource.get_info()
        if "path" in info:
            template, variables = str(info["path"]) or "/", {}
        elif "formatter" in info and "pattern" in info:
            template = str(info["formatter"])
            pattern = info["pattern"]
            names = _VARIABLE.findall(template)
            variables = path_variable_patterns(getattr(pattern, "pattern", str(pattern)), names)
        else:
            continue  # static files, mounted ASGI apps, custom resources
        routes = {route.method: route for route in resource}
        for method, route in routes.items():
            handler = route.handler
            if _is_view(handler):
                own = [m for m in _METHODS if callable(getattr(handler, m.lower(), None))]
                for name in own if method == "*" else [method]:
                    if method == "*" and name in routes:
                        continue
                    function = getattr(handler, name.lower(), None)
                    if name == "OPTIONS" and _is_cors_preflight(function):
                        continue
                    yield _Entry(template, name, route, function, handler, variables)
                continue
            if method == "*":
                spec = _spec_of(handler)
                listed = spec.methods if spec is not None and spec.methods else _ANY_METHODS
                for name in listed:
                    if name not in routes:
                        yield _Entry(template, name, route, handler, None, variables)
                continue
            if method not in _METHODS:
                continue  # OpenAPI 3.1 has no place for other methods
            if method == "HEAD" and "GET" in routes and routes["GET"].handler is handler:
                continue  # the HEAD route add_get() adds for its GET
            if method == "OPTIONS" and _is_cors_preflight(handler):
                continue
            yield _Entry(template, method, route, handler, None, variables)


def _docstring(entry: _Entry) -> tuple[str | None, str | None]:
    function = _unwrap_partial(entry.function)
    doc = inspect.getdoc(function) if function is not None else None
    if not doc and entry.owner is not None:
        own = vars(entry.owner).get("__doc__")  # not View's own docstring
        doc = inspect.cleandoc(own) if isinstance(own, str) else None
    if not doc:
        return None, None
    lines = doc.splitlines()
    if "---" in (line.strip() for line in lines):  # aiohttp-swagger's YAML follows
        lines = lines[: [line.strip() for line in lines].index("---")]
    text = "\n".join(lines).strip()
    if not text:
        return None, None
    summary, _, rest = text.partition("\n")
    return summary.strip(), rest.strip() or None


def _response(status: int | str, value: Any, registry: SchemaRegistry) -> dict[str, Any]:
    if isinstance(value, tuple):
        description, value = value
    elif isinstance(value, str):
        description, value = value, None
    else:
        try:
            description = HTTPStatus(int(status)).phrase
        except ValueError:
            description = "Response"
    response: dict[str, Any] = {"description": description}
    if value is not None:
        schema = registry.schema(value, "serialization")
        response["content"] = {"application/json": {"schema": schema}}
    return response


def _operation(entry: _Entry, operation_id: str, registry: SchemaRegistry) -> dict[str, Any]:
    spec = _spec_of(entry.function) or Operation()
    summary, description = _docstring(entry)
    result: dict[str, Any] = {}
    if spec.tags:
        result["tags"] = list(spec.tags)
    if spec.summary or summary:
        result["summary"] = spec.summary or summary
    if spec.description or description:
        result["description"] = spec.description or description
    result["operationId"] = operation_id
    parameters: list[dict[str, Any]] = []
    for name, regex in entry.variables.items():
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": _ecma_pattern(regex)},
            }
        )
    given = {(p.get("name"), p.get("in")) for p in spec.parameters}
    parameters = [p for p in parameters if (p["name"], "path") not in given]
    parameters.extend(dict(p) for p in spec.parameters)
    if parameters:
        result["parameters"] = parameters
    if spec.request is not None:
        result["requestBody"] = {
            "required": spec.request_required,
            "content": {
                spec.request_content_type: {"schema": registry.schema(spec.request, "validation")}
            },
        }
    if spec.responses is None:
        result["responses"] = {"default": {"description": "The handler's response"}}
    else:
        result["responses"] = {
            str(status): _response(status, value, registry)
            for status, value in spec.responses.items()
        }
    if spec.deprecated:
        result["deprecated"] = True
    result.update(spec.extra)
    return result


def _default_operation_id(entry: _Entry, single: bool) -> str:
    name = entry.route.name
    if name:
        return name if single else f"{name}_{entry.method.lower()}"
    if entry.owner is not None:
        return f"{entry.owner.__name__}_{entry.method.lower()}"
    base = getattr(_unwrap_partial(entry.function), "__name__", None) or "operation"
    return base if single else f"{base}_{entry.method.lower()}"


def _template_shape(template: str) -> str:
    return _VARIABLE.sub("{}", template)


def build_document(
    app: Application,
    *,
    title: str,
    version: str,
    description: str | None = None,
    servers: Sequence[Mapping[str, Any]] | None = None,
    tags: Sequence[Mapping[str, Any]] | None = None,
    info: Mapping[str, Any] | None = None,
    components: Mapping[str, Any] | None = None,
    security: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of *app*'s routes (and its prefixed sub-apps').

    *info* adds fields to the ``info`` object (``contact``, ``license``,
    ``termsOfService``…); *components* adds to ``components`` (e.g.
    ``securitySchemes``); *servers*, *tags* and *security* are the top-level
    fields of those names. Static routes, mounted ASGI apps, domain sub-apps
    and handlers marked with :func:`exclude` are left out.

    >>> document = build_document(app, title="Pets", version="1.0")
    >>> sorted(document["paths"])
    ['/pets', '/pets/{id}']
    """
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
    }
    if description:
        document["info"]["description"] = description
    document["info"].update(info or {})
    if servers:
        document["servers"] = [dict(s) for s in servers]
    entries = []
    for entry in _entries(app.router):
        spec = _spec_of(entry.function)
        if spec is None and entry.owner is not None:
            spec = _spec_of(entry.owner)
        if spec is not None and not spec.include:
            continue
        entries.append(entry)
    per_resource: dict[int, int] = {}
    for entry in entries:
        per_resource[id(entry.route.resource)] = per_resource.get(id(entry.route.resource), 0) + 1
    registry = SchemaRegistry()
    paths: dict[str, dict[str, Any]] = {}
    templates: dict[str, str] = {}  # "/pets/{}" -> the first template of that shape
    used_ids: set[str] = set()
    for entry in entries:
        template = templates.setdefault(_template_shape(entry.template), entry.template)
        if template != entry.template:
            continue  # same path with other variable names: the router answers the first
        item = paths.setdefault(template, {})
        key = entry.method.lower()
        if key in item:
            continue  # an earlier route of the same path and method answers it
        spec = _spec_of(entry.function)
        single = per_resource[id(entry.route.resource)] == 1
        operation_id = (spec.operation_id if spec else None) or _default_operation_id(entry, single)
        candidate, counter = operation_id, 2
        while candidate in used_ids:
            candidate = f"{operation_id}_{counter}"
            counter += 1
        used_ids.add(candidate)
        item[key] = _operation(entry, candidate, registry)
    registry.resolve()
    document["paths"] = {
        path: {m.lower(): item[m.lower()] for m in _METHODS if m.lower() in item}
        for path, item in paths.items()
    }
    all_components: dict[str, Any] = {k: dict(v) for k, v in (components or {}).items()}
    if registry.components:
        all_components.setdefault("schemas", {}).update(registry.components)
    if all_components:
        document["components"] = all_components
    if tags:
        document["tags"] = [dict(t) for t in tags]
    if security:
        document["security"] = [dict(s) for s in security]
    return document


def setup(
    app: Application,
    *,
    title: str,
    version: str,
    description: str | None = None,
    url: str = "/openapi.json",
    docs_url: str | None = "/docs",
    servers: Sequence[Mapping[str, Any]] | None = None,
    tags: Sequence[Mapping[str, Any]] | None = None,
    info: Mapping[str, Any] | None = None,
    components: Mapping[str, Any] | None = None,
    security: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Serve *app*'s OpenAPI 3.1 document at *url* and Swagger UI at *docs_url*.

    The document is built from the route table the first time it is asked
    for (the app is frozen by then, so every route is in) and then served
    from memory. ``docs_url=None`` serves no UI. The remaining arguments are
    :func:`build_document`'s. Under a server ``root_path`` the document
    names it as its server, unless *servers* is given.

    >>> openapi.setup(app, title="Pets", version="1.0", description="Adopt a pet.")
    """
    cache: dict[str, bytes] = {}

    @exclude
    async def openapi_document(request: Request) -> StreamResponse:
        """The OpenAPI document."""
        root_path = current_root_path()
        body = cache.get(root_path)
        if body is None:
            document = build_document(
                app,
                title=title,
                version=version,
                description=description,
                servers=servers or ([{"url": root_path}] if root_path else None),
                tags=tags,
                info=info,
                components=components,
                security=security,
            )
            body = json.dumps(document).encode()
            if len(cache) < 16:  # one entry per root_path the server uses
                cache[root_path] = body
        return Response(body=body, content_type="application/json")

    app.router.add_get(url, openapi_document)
    if docs_url is not None:
        setup_swagger_ui(app, path=docs_url, document_url=url, title=title, page_decorator=exclude)
