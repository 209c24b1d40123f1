"""The toolbar's pages under ``/_debugtoolbar``: a request's panels, and error pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exceptions import HTTPBadRequest, HTTPForbidden, HTTPNotFound
from ..response import Response
from .config import APP_KEY, ToolbarState

if TYPE_CHECKING:
    from ..request import Request

__all__ = ("exception_page", "toolbar_page")


def _state(request: Request) -> ToolbarState:
    state = request.app[APP_KEY]
    if not state.allows(request):  # the middleware checks first; this keeps pages safe alone
        raise HTTPForbidden(
            text="403: the debug toolbar answers only clients whose address is in its hosts setting"
        )
    return state


async def toolbar_page(request: Request) -> Response:
    """The panels of one request (``/_debugtoolbar/{id}``), or of the newest one."""
    state = _state(request)
    history = state.history
    request_id = request.match_info.get("request_id")
    if request_id is None:
        newest = history.last(1)
        record = newest[0] if newest else None
    else:
        record = history.get(request_id)
        if record is None:
            raise HTTPNotFound(
                text=f"404: request {request_id!r} is not in the toolbar's history (it keeps "
                f"the last {history.max_size} requests: max_request_history)"
            )
    panels = []
    if record is not None:
        for panel in (*record.panels, *record.global_panels):
            content = panel.render_content(request) if panel.has_content else ""
            panels.append({"panel": panel, "content": content})
    page = state.render(
        "toolbar.html",
        record=record,
        panels=panels,
        history=history.last(int(state.settings["max_visible_requests"])),
        button_style=state.settings["button_style"],
    )
    return Response(text=page, content_type="text/html")


async def exception_page(request: Request) -> Response:
    """The error page of a failed request (``/_debugtoolbar/exception?token=…&tb=…``)."""
    state = _state(request)
    token = request.query.get("token")
    if not token:
        raise HTTPBadRequest(text="400: no token in the request (the error page's URL has it)")
    if token != state.token:
        raise HTTPBadRequest(text="400: bad token in the request")
    request_id = request.query.get("tb", "")
    record = state.history.get(request_id)
    if record is None or record.error_page is None:
        raise HTTPNotFound(
            text=f"404: no error page for {request_id!r} in the toolbar's history (it keeps "
            f"the last {state.history.max_size} requests: max_request_history)"
        )
    return Response(text=record.error_page, content_type="text/html")
