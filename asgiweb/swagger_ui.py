"""Swagger UI served by the app itself, from the assets of an installed package.

The HTML, JavaScript and CSS come from the ``swagger-ui-bundle-v2`` package
(the ``openapi`` extra): nothing is loaded from a CDN, so the page works on
machines without internet access. That package bundles Swagger UI 5, which
renders OpenAPI 3.1, 3.0 and Swagger 2.0 documents; its import name is
``swagger_ui_bundle``, shared with the older ``swagger-ui-bundle`` 1.x
package, whose Swagger UI 4 refuses ``openapi: 3.1.x`` documents.

>>> from asgiweb import swagger_ui
>>> swagger_ui.setup_swagger_ui(app, path="/docs", document_url="/openapi.json")
"""

from __future__ import annotations

import html
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .response import Response, StreamResponse
from .routing import AbstractResource, current_root_path

if TYPE_CHECKING:
    from .app import Application
    from .request import Request
    from .typedefs import Handler

__all__ = ("setup_swagger_ui", "swagger_ui_assets", "swagger_ui_html")

_INSTALL_HINT = "install it with: pip install 'asgiweb[openapi]' (the swagger-ui-bundle-v2 package)"


def swagger_ui_assets() -> Path:
    """The directory holding Swagger UI's files (``swagger-ui-bundle.js``, ``swagger-ui.css``…).

    Raises :class:`RuntimeError` naming the package to install when it is missing.
    """
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        raise RuntimeError(f"Swagger UI's assets are not installed; {_INSTALL_HINT}") from None
    directory = Path(str(swagger_ui_path))
    if not (directory / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(f"Swagger UI's assets are missing from {directory}; {_INSTALL_HINT}")
    found = re.search(r"swagger-ui-(\d+)\.", directory.name)
    if found is not None and int(found.group(1)) < 5:
        warnings.warn(
            f"{directory.name} cannot show OpenAPI 3.1 documents (Swagger UI 5 can); "
            "replace the swagger-ui-bundle package with swagger-ui-bundle-v2",
            RuntimeWarning,
            stacklevel=2,
        )
    return directory


def _script_value(value: str | None) -> str:
    """*value* as a JavaScript literal that cannot end the surrounding ``<script>``."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def swagger_ui_html(
    *,
    document_url: str,
    assets_url: str,
    title: str = "API documentation",
    validator_url: str | None = None,
) -> str:
    """The Swagger UI page showing the document at *document_url*.

    *assets_url* is where the files of :func:`swagger_ui_assets` are served
    (no trailing slash). The title and the URLs are escaped, so none of them
    can inject markup or script. ``validator_url=None`` keeps the page from
    sending the document to an online validator.

    >>> swagger_ui_html(document_url="/openapi.json", assets_url="/docs/static")
    '<!DOCTYPE html>...'
    """
    assets = html.escape(assets_url.rstrip("/"), quote=True)
    oauth2_redirect = _script_value(assets_url.rstrip("/") + "/oauth2-redirect.html")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="{assets}/favicon-16x16.png" sizes="16x16">
<style>body {{ margin: 0; }}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {_script_value(document_url)},
  validatorUrl: {_script_value(validator_url)},
  oauth2RedirectUrl: {oauth2_redirect},
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: "StandaloneLayout"
}});
</script>
</body>
</html>
"""


def _is_app_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def setup_swagger_ui(
    app: Application,
    *,
    path: str = "/docs",
    document_url: str = "/openapi.json",
    title: str = "API documentation",
    assets_path: str | None = None,
    validator_url: str | None = None,
    name: str | None = None,
    page_decorator: Callable[[Handler], Handler] | None = None,
) -> None:
    """Serve Swagger UI for the document at *document_url*: the page at *path* (and
    ``path + "/"``), its assets under *assets_path* (default ``path + "/static"``).

    A *document_url* that starts with ``/`` is a path of *app*: when *app* is
    added as a sub-app or the server mounts it under a ``root_path``, the page
    asks for the document under the same prefix. Any other URL is used as given.
    *name* names the page's route (``name + "-static"`` the assets'), and
    *page_decorator* wraps the page's handler (e.g. to require a login).

    >>> app.router.add_get("/openapi.json", serve_document)
    >>> setup_swagger_ui(app, path="/docs", document_url="/openapi.json", title="Pets API")
    """
    if not path.startswith("/"):
        path = "/" + path
    base = path.rstrip("/")
    if assets_path is None:
        assets_path = (base or "") + "/static"
    assets = app.router.add_static(
        assets_path,
        swagger_ui_assets(),
        name=None if name is None else f"{name}-static",
    )
    page_resources: list[AbstractResource] = []

    async def swagger_ui_page(request: Request) -> StreamResponse:
        """The Swagger UI page."""
        resource = request.match_info.route.resource
        prefix = ""
        if resource is not None:
            for candidate, own in zip(page_resources, (base or "/", base + "/"), strict=False):
                if candidate is resource and candidate.canonical.endswith(own):
                    prefix = candidate.canonical[: len(candidate.canonical) - len(own)]
        url = document_url
        if _is_app_path(url):
            url = current_root_path() + prefix + url
        bundle = str(assets.url_for(filename="swagger-ui-bundle.js", append_version=False))
        page = swagger_ui_html(
            document_url=url,
            assets_url=bundle.rpartition("/")[0],
            title=title,
            validator_url=validator_url,
        )
        return Response(text=page, content_type="text/html")

    handler: Handler = swagger_ui_page
    if page_decorator is not None:
        handler = page_decorator(handler)
    routes = [app.router.add_get(base or "/", handler, name=name)]
    if base:
        routes.append(app.router.add_get(base + "/", handler))
    page_resources.extend(route.resource for route in routes if route.resource is not None)
