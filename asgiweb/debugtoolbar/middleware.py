"""The toolbar's middleware: panels around the handler, the error page, the injection.

For a client outside ``hosts`` (or a path under ``exclude_prefixes``) the
middleware only calls the handler: that client gets the application's usual
answers, a plain 500 included. The toolbar's own pages answer those clients
403.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..exceptions import HTTPException, HTTPForbidden, HTTPMove
from ..middlewares import middleware as new_style
from ..response import Response, StreamResponse
from .config import APP_KEY, ToolbarState
from .history import ToolbarRecord
from .injection import inject_toolbar, toolbar_snippet
from .panels import request_variables
from .timing import ContextSwitcher
from .tracebacks import capture_exception

if TYPE_CHECKING:
    from ..app import Application
    from ..request import Request
    from ..typedefs import Handler

__all__ = ("REDIRECT_CODES", "is_toolbar_middleware", "middleware", "toolbar_middleware_factory")

REDIRECT_CODES = (300, 301, 302, 303, 305, 307, 308)

server_logger = logging.getLogger("asgiweb.server")


def _state_of(app: Application) -> ToolbarState:
    state = app.get(APP_KEY)
    if state is None:
        raise RuntimeError(
            "Please set the debug toolbar up with asgiweb.debugtoolbar.setup(app) "
            "(adding its middleware alone is not enough)"
        )
    return state


@new_style
async def middleware(request: Request, handler: Handler) -> StreamResponse:
    """The toolbar's middleware; :func:`~asgiweb.debugtoolbar.setup` adds it to the app."""
    return await handle(_state_of(request.app), request, handler)


async def toolbar_middleware_factory(app: Application, handler: Handler) -> Handler:
    """The toolbar as an old-style middleware factory, for code written for old releases.

    >>> app = web.Application(middlewares=[toolbar_middleware_factory])
    >>> debugtoolbar.setup(app)
    """
    state = _state_of(app)

    async def toolbar_handler(request: Request) -> StreamResponse:
        return await handle(state, request, handler)

    return toolbar_handler


def is_toolbar_middleware(candidate: object) -> bool:
    """Whether *candidate* is the toolbar's middleware (in either style)."""
    return candidate is middleware or candidate is toolbar_middleware_factory


async def handle(state: ToolbarState, request: Request, handler: Handler) -> StreamResponse:
    """Run *handler* for *request* with the toolbar around it when the client may see it."""
    settings = state.settings
    if not settings["enabled"] or request.scope["type"] != "http":
        return await handler(request)
    path = request.path
    root = state.root_url()  # with a sub-app's prefix and the mount's root_path
    if path == root or path.startswith(root + "/"):
        if not state.allows(request):
            raise HTTPForbidden(
                text="403: the debug toolbar answers only clients whose address is in its "
                "hosts setting"
            )
        return await handler(request)
    if path.startswith(settings["exclude_prefixes"]) or not state.allows(request):
        return await handler(request)

    record = ToolbarRecord(
        method=request.method,
        path=request.path_qs,
        panels=[cls(request) for cls in (*settings["panels"], *settings["extra_panels"])],
        global_panels=[cls(request) for cls in settings["global_panels"]],
    )
    switcher = ContextSwitcher()
    wrapped = handler
    for panel in (*record.panels, *record.global_panels):
        panel.record = record
        wrapped = panel.wrap_handler(wrapped, switcher)

    response: StreamResponse
    try:
        response = await switcher(wrapped(request))
    except HTTPMove as exc:
        if not settings["intercept_redirects"] or not exc.location:
            raise
        response = _redirect_page(state, exc)
    except HTTPException:
        raise
    except Exception as exc:
        if not settings["intercept_exc"] or request.connection.response_started:
            raise
        server_logger.error("Error handling request from %s", request.remote, exc_info=exc)
        traceback = capture_exception(exc, with_locals=settings["intercept_exc"] == "debug")
        traceback.request = await request_variables(request)
        record.traceback = traceback
        record.error_page = _error_page(state, request, record)
        response = Response(text=record.error_page, status=500, content_type="text/html")
    else:
        # as aiohttp_debugtoolbar: a returned HTTPMove, not any response with a Location
        if (
            settings["intercept_redirects"]
            and isinstance(response, HTTPMove)
            and response.status in REDIRECT_CODES
            and not response.prepared
        ):
            response = _redirect_page(state, response)

    record.status = response.status
    for panel in (*record.panels, *record.global_panels):
        await panel.process_response(response)
        panel.release()
    if request.path != "/favicon.ico":
        state.history.put(record)
    inject_toolbar(
        response,
        toolbar_snippet(
            state.toolbar_url(record),
            state.static_url("toolbar_button.css"),
            state.static_url("toolbar_button.js"),
            settings["button_style"],
        ),
    )
    return response


def _redirect_page(state: ToolbarState, redirect: StreamResponse) -> Response:
    """An HTML page with a link to where *redirect* goes, keeping its cookies."""
    location = redirect.headers["Location"]
    page = Response(
        text=state.render(
            "redirect.html", location=location, status=redirect.status, reason=redirect.reason
        ),
        content_type="text/html",
    )
    for value in redirect.headers.getall("Set-Cookie", ()):
        page.headers.add("Set-Cookie", value)
    for name, morsel in redirect.cookies.items():
        page.cookies[name] = morsel
    return page


def _error_page(state: ToolbarState, request: Request, record: ToolbarRecord) -> str:
    """The HTML error page of *record*'s exception."""
    from .panels import iter_routes, subapp_prefixes

    prefixes = subapp_prefixes(request.app)
    chain: list[dict[str, Any]] = []
    for app in request.match_info.apps:
        for m in app.middlewares:
            chain.append(
                {
                    "app": prefixes.get(id(app), "") or "(root)",
                    "name": getattr(m, "__qualname__", None) or repr(m),
                    "toolbar": is_toolbar_middleware(m),
                }
            )
    return state.render(
        "exception.html",
        traceback=record.traceback,
        with_locals=state.settings["intercept_exc"] == "debug",
        routes=list(iter_routes(request.app)),
        middlewares=chain,
        toolbar_url=state.toolbar_url(record),
        error_url=state.error_page_url(record),
    )
