"""Jinja2 templates with aiohttp_jinja2's API: ``from asgiweb import templating as aiohttp_jinja2``.

>>> aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader("templates"))
>>> @aiohttp_jinja2.template("index.html")
... async def index(request):
...     return {"name": "Ada"}

Needs the ``templates`` extra (``pip install 'asgiweb[templates]'``).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

import jinja2
from yarl import URL

from .app import Application
from .exceptions import HTTPInternalServerError
from .keys import AppKey
from .middlewares import middleware
from .request import Request
from .response import Response, StreamResponse
from .routing import AbstractView

__all__ = (
    "APP_CONTEXT_PROCESSORS_KEY",
    "APP_KEY",
    "GLOBAL_HELPERS",
    "REQUEST_CONTEXT_KEY",
    "context_processors_middleware",
    "get_env",
    "render_string",
    "render_string_async",
    "render_template",
    "render_template_async",
    "request_processor",
    "setup",
    "static_root_key",
    "static_url",
    "template",
    "url_for",
)

ContextProcessor = Callable[[Request], Awaitable[dict[str, Any]]]
Filter = Callable[..., str]
Filters = Iterable[tuple[str, Filter]] | Mapping[str, Filter]
_Context = StreamResponse | Mapping[str, Any] | None
_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])

#: Where :func:`setup` keeps the :class:`jinja2.Environment`.
APP_KEY: Final = AppKey("APP_KEY", jinja2.Environment)
#: Where :func:`setup` keeps the context processors.
APP_CONTEXT_PROCESSORS_KEY: Final = AppKey("APP_CONTEXT_PROCESSORS_KEY", Sequence)
#: ``request[REQUEST_CONTEXT_KEY]``: the context the processors built for this request.
REQUEST_CONTEXT_KEY: Final = "aiohttp_jinja2_context"
#: ``app[static_root_key] = "/static"`` is the root ``{{ static('a.css') }}`` links to.
static_root_key: Final = AppKey("static_root_key", str)


@jinja2.pass_context
def url_for(
    context: Mapping[str, Any],
    __route_name: str,
    query_: Mapping[str, str] | None = None,
    **parts: str | int,
) -> URL:
    """The ``url`` template global: ``{{ url('item', id=1, query_={'q': 'x'}) }}``."""
    clean: dict[str, str] = {}
    for key, value in parts.items():
        # bool is an int subclass and would render as "True": refuse it, as other types
        if isinstance(value, str) or type(value) is int:
            clean[key] = str(value)
        else:
            raise TypeError(
                f"argument value should be str or int, got {key} -> [{type(value)}] {value!r}"
            )
    url: URL = context["app"].router[__route_name].url_for(**clean)
    if query_:
        url = url.with_query(query_)
    return url


@jinja2.pass_context
def static_url(context: Mapping[str, Any], static_file_path: str) -> str:
    """The ``static`` template global: ``{{ static('app.css') }}`` → ``/static/app.css``."""
    app = context["app"]
    root = app.get(static_root_key)
    if root is None:
        root = app.get("static_root_url")
        if root is None:
            raise RuntimeError(
                "app does not define a static root url, you need to set the url root "
                "with app[aiohttp_jinja2.static_root_key] = '<static root>'."
            )
        warnings.warn(
            "'static_root_url' is deprecated, use aiohttp_jinja2.static_root_key.",
            DeprecationWarning,
            stacklevel=2,
        )
    return f"{root.rstrip('/')}/{static_file_path.lstrip('/')}"


#: The globals :func:`setup` adds unless ``default_helpers=False``.
GLOBAL_HELPERS: Final[dict[str, Any]] = {"url": url_for, "static": static_url}


def setup(
    app: Application,
    *args: Any,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
    context_processors: Sequence[ContextProcessor] = (),
    filters: Filters | None = None,
    default_helpers: bool = True,
    **kwargs: Any,
) -> jinja2.Environment:
    """Make a :class:`jinja2.Environment` from *args*/*kwargs* and store it on *app*.

    Autoescaping is on unless ``autoescape=`` says otherwise. Each context
    processor is awaited per request and its dict merged into every
    template's context.
    """
    kwargs.setdefault("autoescape", True)
    env = jinja2.Environment(*args, **kwargs)
    if default_helpers:
        env.globals.update(GLOBAL_HELPERS)
    if filters is not None:
        env.filters.update(filters)
    app[app_key] = env
    if context_processors:
        app[APP_CONTEXT_PROCESSORS_KEY] = context_processors
        app.middlewares.append(context_processors_middleware)
    env.globals["app"] = app
    return env


def get_env(
    app: Application, *, app_key: AppKey[jinja2.Environment] = APP_KEY
) -> jinja2.Environment:
    """The environment :func:`setup` stored on *app*."""
    env = app.get(app_key)
    if env is None:
        raise RuntimeError("aiohttp_jinja2.setup(...) must be called first.")
    return env


def _server_error(text: str) -> HTTPInternalServerError:
    # The message goes both in the status line and the body, as aiohttp_jinja2 does.
    return HTTPInternalServerError(reason=text, text=text)


def _lookup(
    template_name: str,
    request: Request,
    context: Mapping[str, Any],
    app_key: AppKey[jinja2.Environment],
) -> tuple[jinja2.Template, Mapping[str, Any]]:
    env = request.config_dict.get(app_key)
    if env is None:
        raise _server_error("Template engine is not initialized, call aiohttp_jinja2.setup() first")
    try:
        tmpl = env.get_template(template_name)
    except jinja2.TemplateNotFound as exc:
        # Only the name the handler asked for, never the loader's search path.
        raise _server_error(f"Template '{template_name}' not found") from exc
    if not isinstance(context, Mapping):
        raise _server_error(f"context should be mapping, not {type(context)}")
    extra = request.get(REQUEST_CONTEXT_KEY)
    if extra:
        context = {**extra, **context}
    return tmpl, context


def render_string(
    template_name: str,
    request: Request,
    context: Mapping[str, Any],
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
) -> str:
    """Render *template_name* with *context* (plus the context processors' output) to a str."""
    tmpl, full = _lookup(template_name, request, context, app_key)
    return tmpl.render(full)


async def render_string_async(
    template_name: str,
    request: Request,
    context: Mapping[str, Any],
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
) -> str:
    """:func:`render_string` for an environment made with ``enable_async=True``."""
    tmpl, full = _lookup(template_name, request, context, app_key)
    return await tmpl.render_async(full)


def _html_response(status: int, encoding: str) -> Response:
    response = Response(status=status)
    response.content_type = "text/html"
    response.charset = encoding
    return response


def render_template(
    template_name: str,
    request: Request,
    context: Mapping[str, Any] | None,
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> Response:
    """A ``text/html`` :class:`Response` with the rendered template.

    >>> return aiohttp_jinja2.render_template("page.html", request, {"x": 1}, status=201)
    """
    response = _html_response(status, encoding)
    response.text = render_string(template_name, request, context or {}, app_key=app_key)
    return response


async def render_template_async(
    template_name: str,
    request: Request,
    context: Mapping[str, Any] | None,
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> Response:
    """:func:`render_template` for an environment made with ``enable_async=True``."""
    response = _html_response(status, encoding)
    response.text = await render_string_async(
        template_name, request, context or {}, app_key=app_key
    )
    return response


def template(
    template_name: str,
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> Callable[[_F], _F]:
    """Render the dict a handler (function or ``View`` method) returns with *template_name*.

    A handler that returns a response instead has it passed through untouched.

    >>> @aiohttp_jinja2.template("detail.html", status=201)
    ... async def detail(request):
    ...     return {"id": request.match_info["id"]}
    """

    def decorate(func: _F) -> _F:
        @functools.wraps(func)
        async def wrapped(*args: Any) -> StreamResponse:
            context: _Context = await func(*args)
            if isinstance(context, StreamResponse):
                return context
            first = args[0]
            request: Request = first.request if isinstance(first, AbstractView) else args[-1]
            env = request.config_dict.get(app_key)
            if env is not None and env.is_async:
                response = await render_template_async(
                    template_name, request, context, app_key=app_key, encoding=encoding
                )
            else:
                response = render_template(
                    template_name, request, context, app_key=app_key, encoding=encoding
                )
            response.set_status(status)
            return response

        return wrapped  # type: ignore[return-value]

    return decorate


@middleware
async def context_processors_middleware(
    request: Request, handler: Callable[[Request], Awaitable[StreamResponse]]
) -> StreamResponse:
    """Run the app's context processors and keep their output for this request's templates."""
    context = request.get(REQUEST_CONTEXT_KEY)
    if context is None:
        context = request[REQUEST_CONTEXT_KEY] = {}
    for processor in request.config_dict[APP_CONTEXT_PROCESSORS_KEY]:
        context.update(await processor(request))
    return await handler(request)


async def request_processor(request: Request) -> dict[str, Request]:
    """A context processor that puts the request in every template as ``request``."""
    return {"request": request}
