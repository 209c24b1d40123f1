"""A page whose assets have versioned URLs: ``python examples/static_site/app.py``.

``/static/`` serves the ``static/`` folder (with a directory index). The page
links its CSS and script through ``url_for(..., append_version=True)``, so each
URL carries ``?v=<hash of the file>`` and can be cached forever: when a file
changes, so does its URL.
"""

from __future__ import annotations

from pathlib import Path

from asgiweb import web

HERE = Path(__file__).parent


async def index(request: web.Request) -> web.Response:
    static = request.app.router["static"]
    css = static.url_for(filename="css/site.css", append_version=True)
    script = static.url_for(filename="app.js", append_version=True)
    html = f"""<!doctype html>
<html><head><title>asgiweb static</title><link rel="stylesheet" href="{css}"></head>
<body><h1>Static files</h1><p id="greeting"></p>
<p><a href="/static/">Browse the static folder</a></p>
<script src="{script}"></script></body></html>"""
    return web.Response(text=html, content_type="text/html")


@web.middleware
async def cache_versioned(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """Versioned asset URLs never change content: let browsers keep them for a year."""
    response = await handler(request)
    if "v" in request.query and response.status == 200:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def create_app() -> web.Application:
    app = web.Application(middlewares=[cache_versioned])
    app.router.add_get("/", index)
    app.router.add_static("/static", HERE / "static", name="static", show_index=True)
    return app


app = create_app()

if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
