"""Live reload for ``asgiweb dev``: an ASGI layer that reloads the browser's page when told.

:class:`LiveReload` wraps any ASGI app. It adds a ``<script>`` to every
``text/html`` response with a known length (before ``</body>``, Content-Length
fixed up); the script keeps a WebSocket open to ``/_asgiweb/livereload`` and
reloads the page when the server sends ``{"command": "reload"}`` (a changed
stylesheet is swapped in place instead). When the server restarts, the socket
closes; the script reconnects and reloads the page once the new server answers.
``window.asgiwebLiveReload`` says whether the page listens (``"open"``).
The layer can also serve a static folder (``static_dir`` at ``static_url``,
with ``Cache-Control: no-cache``), before the app sees the request.

>>> layer = LiveReload(app, static_dir="static")
>>> layer.reload("/static/site.css")  # every connected page swaps that stylesheet

Written by hand because it is a few dozen lines over ASGI messages: the
livereload.js protocol and its servers carry far more than this needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .app import Application
from .typedefs import ASGIApp, Message, Receive, Scope, Send

__all__ = ("LIVERELOAD_PATH", "SCRIPT_PATH", "SNIPPET", "LiveReload")

#: The WebSocket endpoint the injected script listens on.
LIVERELOAD_PATH = "/_asgiweb/livereload"
#: Where the script itself is served.
SCRIPT_PATH = "/_asgiweb/livereload.js"
#: What goes before ``</body>`` of each HTML page.
SNIPPET = f'<script src="{SCRIPT_PATH}"></script>\n'.encode()

_SCRIPT = b"""\
(function () {
  "use strict";
  var here = (document.currentScript && document.currentScript.src) || location.href;
  var url = new URL("/_asgiweb/livereload", here);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  var seen = false;
  function swapStylesheet(path) {
    var swapped = false;
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (link) {
      var href = new URL(link.href);
      if (decodeURIComponent(href.pathname) === path) {
        href.searchParams.set("livereload", Date.now());
        link.href = href.toString();
        swapped = true;
      }
    });
    return swapped;
  }
  function connect() {
    var socket = new WebSocket(url);
    socket.onopen = function () {
      if (seen) { location.reload(); return; }  // the server restarted and is back
      seen = true;
      window.asgiwebLiveReload = "open";
    };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.command !== "reload") { return; }
      if (message.path && /\\.css$/.test(message.path) && swapStylesheet(message.path)) { return; }
      location.reload();
    };
    socket.onclose = function () {
      window.asgiwebLiveReload = "closed";
      setTimeout(connect, 250);
    };
  }
  connect();
})();
"""

_NO_BODY_STATUSES = frozenset({204, 304})


class LiveReload:
    """``app`` with the live-reload script in its HTML pages, and ``static_dir`` served.

    ``livereload=False`` keeps only the static folder. ``static_roots`` names other
    ``(folder, URL prefix)`` pairs the app serves itself, so that a changed
    stylesheet there is swapped in place too. Requests under
    ``/_debugtoolbar`` are passed on untouched, as aiohttp-devtools does.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        static_dir: str | os.PathLike[str] | None = None,
        static_url: str = "/static/",
        livereload: bool = True,
        static_roots: Iterable[tuple[str | os.PathLike[str], str]] = (),
    ) -> None:
        self._app = app
        self._livereload = livereload
        self._clients: set[asyncio.Queue[str]] = set()
        prefix = "/" + static_url.strip("/")
        self._static_prefix = prefix if prefix != "/" else ""
        self._static_app: Application | None = None
        # (folder, URL prefix) of every static folder: the changed file's URL goes to the page
        self._roots = [(Path(d).resolve(), "/" + url.strip("/")) for d, url in static_roots]
        if static_dir is not None:
            self._roots.insert(0, (Path(static_dir).resolve(), self._static_prefix))
            self._static_app = Application()
            self._static_app.router.add_static(self._static_prefix or "/", static_dir)

    @property
    def app(self) -> ASGIApp:
        """The wrapped app."""
        return self._app

    @property
    def clients(self) -> int:
        """How many pages are listening for reloads now."""
        return len(self._clients)

    def static_url_of(self, path: str | os.PathLike[str]) -> str | None:
        """The URL path a file of a static folder is served at (None if it is in none).

        The folders are ``static_dir`` and those given as ``static_roots``.
        """
        resolved = Path(path).resolve()
        for folder, prefix in self._roots:
            if resolved.is_relative_to(folder):
                return f"{prefix.rstrip('/')}/{resolved.relative_to(folder).as_posix()}"
        return None

    def reload(self, path: str | None = None) -> int:
        """Tell every listening page to reload (``path``: the URL of one changed file).

        Returns how many pages were told.
        """
        message = json.dumps({"command": "reload", "path": path})
        for queue in self._clients:
            queue.put_nowait(message)
        return len(self._clients)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        path: str = scope.get("path", "")
        if kind == "http":
            if self._livereload and path == SCRIPT_PATH:
                await _send_script(send)
                return
            if self._static_app is not None and self._is_static(path):
                await self._static_app(scope, receive, _no_cache(send))
                return
            if self._livereload and not path.startswith("/_debugtoolbar"):
                await self._app(_without_pathsend(scope), receive, _Injector(scope, send))
                return
        elif kind == "websocket" and self._livereload and path == LIVERELOAD_PATH:
            await self._listen(receive, send)
            return
        await self._app(scope, receive, send)

    def _is_static(self, path: str) -> bool:
        prefix = self._static_prefix
        return not prefix or path == prefix or path.startswith(prefix + "/")

    async def _listen(self, receive: Receive, send: Send) -> None:
        """One page's WebSocket: reload messages out; it ends when the page or server goes."""
        if (await receive())["type"] != "websocket.connect":
            return
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._clients.add(queue)  # before accepting: a connected page never misses a reload
        pending: set[asyncio.Future[Any]] = set()
        try:
            await send({"type": "websocket.accept"})
            incoming: asyncio.Future[Message] = asyncio.ensure_future(receive())
            outgoing: asyncio.Future[str] = asyncio.ensure_future(queue.get())
            pending = {incoming, outgoing}
            while True:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if outgoing in done:
                    await send({"type": "websocket.send", "text": outgoing.result()})
                    outgoing = asyncio.ensure_future(queue.get())
                if incoming in done:
                    if incoming.result()["type"] == "websocket.disconnect":
                        return
                    incoming = asyncio.ensure_future(receive())  # what the page says is ignored
                pending = {incoming, outgoing}
        finally:
            self._clients.discard(queue)
            for future in pending:
                future.cancel()
            for future in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await future


async def _send_script(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/javascript; charset=utf-8"),
                (b"content-length", str(len(_SCRIPT)).encode()),
                (b"cache-control", b"no-cache"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _SCRIPT})


def _no_cache(send: Send) -> Send:
    async def send_uncached(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"cache-control" for name, _ in headers):
                headers.append((b"cache-control", b"no-cache"))
            message = {**message, "headers": headers}
        await send(message)

    return send_uncached


def _without_pathsend(scope: Scope) -> Scope:
    """The scope without the pathsend extension: a file sent by path could not be edited."""
    extensions = scope.get("extensions")
    if not extensions or "http.response.pathsend" not in extensions:
        return scope
    return {
        **scope,
        "extensions": {k: v for k, v in extensions.items() if k != "http.response.pathsend"},
    }


class _Injector:
    """A ``send`` that holds back an HTML response with a known length and adds the snippet."""

    __slots__ = ("_body", "_head", "_send", "_start")

    def __init__(self, scope: Scope, send: Send) -> None:
        self._send = send
        self._head = scope.get("method") == "HEAD"
        self._start: Message | None = None
        self._body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if _injectable(message):
                self._start = message
                return
        elif kind == "http.response.body" and self._start is not None:
            self._body.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._flush()
            return
        await self._send(message)

    async def _flush(self) -> None:
        start = self._start
        assert start is not None
        self._start = None
        body = b"".join(self._body)
        self._body.clear()
        length = 0
        headers = []
        for name, value in start.get("headers", []):
            if name.lower() == b"content-length":
                length = int(value)
            else:
                headers.append((name, value))
        if not self._head:
            at = body.lower().rfind(b"</body>")
            body = body + SNIPPET if at < 0 else body[:at] + SNIPPET + body[at:]
            length = len(body)
        else:  # a HEAD answer announces the length the GET body would have
            length += len(SNIPPET)
        headers.append((b"content-length", str(length).encode()))
        await self._send({**start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})


def _injectable(start: Message) -> bool:
    if start.get("status", 200) in _NO_BODY_STATUSES:
        return False
    html = length = False
    for name, value in start.get("headers", []):
        name = name.lower()
        if name == b"content-type":
            html = value.lower().startswith(b"text/html")
        elif name == b"content-length":
            length = value.strip().isdigit()
        elif name == b"content-encoding" and value.strip().lower() != b"identity":
            return False  # compressed: leave it alone
    return html and length
