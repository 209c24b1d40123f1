"""``setup(app, **settings)``: switch the debug toolbar on for an application.

The settings and their defaults are aiohttp_debugtoolbar 0.6.1's. The
toolbar's state (settings, request history, templates) lives on the app
under :data:`APP_KEY`.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

try:
    import jinja2
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "asgiweb.debugtoolbar needs Jinja2: pip install 'asgiweb[debugtoolbar]'"
    ) from exc

from ..keys import AppKey
from . import panels as panels_module
from .history import RequestHistory, ToolbarRecord
from .logcapture import LogCapture
from .panels import DebugPanel

if TYPE_CHECKING:
    from ..app import Application
    from ..request import Request

__all__ = (
    "APP_KEY",
    "ToolbarState",
    "default_global_panel_names",
    "default_panel_names",
    "setup",
)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

ROOT_ROUTE_NAME = "debugtoolbar.main"
REQUEST_ROUTE_NAME = "debugtoolbar.request"
EXCEPTION_ROUTE_NAME = "debugtoolbar.exception"
STATIC_ROUTE_NAME = "debugtoolbar.static"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The panels shown for each request, in this order.
default_panel_names: tuple[type[DebugPanel], ...] = (
    panels_module.HeaderDebugPanel,
    panels_module.PerformanceDebugPanel,
    panels_module.RequestVarsDebugPanel,
    panels_module.RouteDebugPanel,
    panels_module.MiddlewaresDebugPanel,
    panels_module.TracebackPanel,
    panels_module.LoggingPanel,
)

#: The panels about the application rather than the request.
default_global_panel_names: tuple[type[DebugPanel], ...] = (
    panels_module.RoutesDebugPanel,
    panels_module.SettingsDebugPanel,
    panels_module.VersionDebugPanel,
)


def parse_hosts(hosts: Sequence[str]) -> tuple[IPNetwork, ...]:
    """The ``hosts`` setting as networks; a bad entry is a ``ValueError`` naming it."""
    if isinstance(hosts, str):
        raise TypeError(f"hosts must be a list of addresses or networks, not the string {hosts!r}")
    networks = []
    for host in hosts:
        try:
            networks.append(ipaddress.ip_network(host, strict=False))
        except ValueError:
            raise ValueError(
                f"debug toolbar hosts: {host!r} is not an IP address or network "
                "(write e.g. '127.0.0.1', '::1' or '192.168.0.0/16')"
            ) from None
    return tuple(networks)


def address_allowed(address: str | None, networks: Sequence[IPNetwork]) -> bool:
    """Whether the client *address* is in one of *networks* (an unknown address is not)."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


class ToolbarState:
    """Everything the toolbar keeps for one application (``app[APP_KEY]``)."""

    def __init__(
        self,
        app: Application,
        settings: dict[str, Any],
        templates: jinja2.Environment,
        max_request_history: int,
    ) -> None:
        self.app = app
        self.settings = settings
        self.templates = templates
        self.history = RequestHistory(max_request_history)
        self.token = secrets.token_hex(10)
        self.log_capture = LogCapture()
        self.networks = parse_hosts(settings["hosts"])

    def __getitem__(self, key: str) -> Any:
        """aiohttp_debugtoolbar's ``app[APP_KEY]["settings"]`` and friends."""
        if key == "settings":
            return self.settings
        if key == "request_history":
            return self.history
        if key == "pdtb_token":
            return self.token
        raise KeyError(key)

    def allows(self, request: Request) -> bool:
        """Whether *request* comes from an address the toolbar may answer."""
        if not self.settings["check_host"]:
            return True
        return address_allowed(request.remote, self.networks)

    @property
    def path_prefix(self) -> str:
        """Where the toolbar's pages live (``/_debugtoolbar``)."""
        return str(self.settings["path_prefix"])

    def toolbar_url(self, record: ToolbarRecord) -> str:
        """The toolbar page of *record*'s request."""
        return str(self.app.router[REQUEST_ROUTE_NAME].url_for(request_id=record.id))

    def root_url(self) -> str:
        """The toolbar page of the newest request."""
        return str(self.app.router[ROOT_ROUTE_NAME].url_for())

    def error_page_url(self, record: ToolbarRecord) -> str:
        """The error page of *record*'s request (it carries the secret token)."""
        url = self.app.router[EXCEPTION_ROUTE_NAME].url_for()
        return str(url.with_query(token=self.token, tb=record.id))

    def static_url(self, filename: str) -> str:
        """The address of one of the toolbar's static files."""
        return str(self.app.router[STATIC_ROUTE_NAME].url_for(filename=filename))

    def render(self, template: str, **context: Any) -> str:
        """Render one of the toolbar's templates (values are HTML-escaped)."""
        return self.templates.get_template(template).render(state=self, **context)


APP_KEY = AppKey("APP_KEY", ToolbarState)


def _template_dirs(extra: str | Path | Iterable[str | Path]) -> list[str | Path]:
    if isinstance(extra, (str, Path)):
        return [TEMPLATES_DIR, extra]
    return [TEMPLATES_DIR, *extra]


def setup(
    app: Application,
    *,
    enabled: bool = True,
    intercept_exc: Literal["debug", "display", False] = "debug",
    intercept_redirects: bool = True,
    panels: Iterable[type[DebugPanel]] = default_panel_names,
    extra_panels: Iterable[type[DebugPanel]] = (),
    extra_templates: str | Path | Iterable[str | Path] = (),
    global_panels: Iterable[type[DebugPanel]] = default_global_panel_names,
    hosts: Sequence[str] = ("127.0.0.1", "::1"),
    exclude_prefixes: Iterable[str] = (),
    check_host: bool = True,
    button_style: str = "",
    max_request_history: int = 100,
    max_visible_requests: int = 10,
    path_prefix: str = "/_debugtoolbar",
) -> None:
    """Switch the debug toolbar on for *app* (aiohttp_debugtoolbar's ``setup``).

    Adds the toolbar's middleware and its pages under *path_prefix*. Clients
    whose address (``request.remote``) is in *hosts* get the toolbar on HTML
    pages and an HTML error page for unhandled exceptions; everyone else
    gets the application's usual answers. On an app that already has the
    toolbar it does nothing: the first call's settings stay.

    >>> from asgiweb import debugtoolbar
    >>> app = web.Application()
    >>> debugtoolbar.setup(app, intercept_redirects=False)
    """
    from . import views
    from .middleware import is_toolbar_middleware, middleware

    if intercept_exc not in ("debug", "display", False):
        raise ValueError(
            f"intercept_exc must be 'debug', 'display' or False, got {intercept_exc!r}"
        )
    if not path_prefix.startswith("/") or path_prefix.endswith("/"):
        raise ValueError(
            f"path_prefix must start with '/' and not end with one, got {path_prefix!r}"
        )
    parse_hosts(hosts)
    if APP_KEY in app:
        # e.g. `asgiweb dev` on an app that sets the toolbar up itself: its settings stay
        return
    settings: dict[str, Any] = {
        "enabled": enabled,
        "intercept_exc": intercept_exc,
        "intercept_redirects": intercept_redirects,
        "panels": tuple(panels),
        "extra_panels": tuple(extra_panels),
        "global_panels": tuple(global_panels),
        "hosts": tuple(hosts),
        "exclude_prefixes": tuple(exclude_prefixes),
        "check_host": check_host,
        "button_style": button_style,
        "max_visible_requests": max_visible_requests,
        "path_prefix": path_prefix,
    }
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs(extra_templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    state = ToolbarState(app, settings, templates, max_request_history)
    app[APP_KEY] = state

    if not any(is_toolbar_middleware(m) for m in app.middlewares):
        app.middlewares.append(middleware)

    router = app.router
    router.add_static(path_prefix + "/static", STATIC_DIR, name=STATIC_ROUTE_NAME)
    router.add_get(path_prefix + "/exception", views.exception_page, name=EXCEPTION_ROUTE_NAME)
    router.add_get(path_prefix + "/{request_id}", views.toolbar_page, name=REQUEST_ROUTE_NAME)
    router.add_get(path_prefix, views.toolbar_page, name=ROOT_ROUTE_NAME)
