"""Which responses get the toolbar, and how it goes in: before ``</body>``.

Only a whole, uncompressed HTML body in memory qualifies: a
:class:`~asgiweb.web.Response` (not a stream, a file or a WebSocket) with a
``text/html`` or ``application/xhtml+xml`` content type, not prepared yet,
without ``Content-Encoding``, whose body contains ``</body>``. The
``Content-Length`` follows the new body.
"""

from __future__ import annotations

from html import escape

from .. import hdrs
from ..response import Response, StreamResponse

__all__ = ("HTML_TYPES", "inject_toolbar", "toolbar_snippet")

HTML_TYPES = ("text/html", "application/xhtml+xml")


def toolbar_snippet(toolbar_url: str, static_url: str, script_url: str, button_style: str) -> str:
    """The markup put before ``</body>``: a button that opens the toolbar page.

    Without JavaScript the button opens the toolbar page in its own window;
    with it, the page opens in a panel over the current one. Well-formed
    XML, so that XHTML pages stay valid.
    """
    return (
        '<div id="pDebug" class="asgiweb-debugtoolbar">'
        f'<link rel="stylesheet" type="text/css" href="{escape(static_url)}"/>'
        f'<div id="pDebugToolbarHandle" style="{escape(button_style)}">'
        f'<a title="Show the debug toolbar" id="pShowToolBarButton" href="{escape(toolbar_url)}"'
        ' target="pDebugToolbar">&#171; Debug toolbar</a></div>'
        f'<script type="text/javascript" src="{escape(script_url)}"></script>'
        "</div>"
    )


def accepts_toolbar(response: StreamResponse) -> bool:
    """Whether the toolbar can be put into *response*."""
    if not isinstance(response, Response) or response.prepared:
        return False
    if response.content_type not in HTML_TYPES:
        return False
    if hdrs.CONTENT_ENCODING in response.headers:
        return False  # already compressed (or otherwise encoded) by the handler
    body = response.body
    return isinstance(body, (bytes, bytearray))


def inject_toolbar(response: StreamResponse, snippet: str) -> bool:
    """Put *snippet* before the last ``</body>`` of *response*; whether it did."""
    if not accepts_toolbar(response):
        return False
    assert isinstance(response, Response)
    body = bytes(response.body or b"")
    index = body.lower().rfind(b"</body>")
    if index < 0:
        return False
    charset = response.charset or "utf-8"
    try:
        encoded = snippet.encode(charset)
    except (LookupError, UnicodeEncodeError):
        return False
    if "</body>".encode(charset, "replace") != b"</body>":
        return False  # a charset that does not spell ASCII as ASCII (UTF-16, …)
    response.body = body[:index] + encoded + body[index:]
    if hdrs.CONTENT_LENGTH in response.headers:
        response.headers[hdrs.CONTENT_LENGTH] = str(len(response.body))
    return True
