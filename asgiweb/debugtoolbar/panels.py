"""The toolbar's panels, with aiohttp_debugtoolbar's ``DebugPanel`` API.

A panel class is instantiated for every request the toolbar shows. It may
wrap the handler (:meth:`DebugPanel.wrap_handler`), gathers what it shows
in :meth:`DebugPanel.process_response`, and is rendered later, when the
toolbar page asks, from :attr:`DebugPanel.data` and its template. Panels
keep plain data only: the request is released once the response is ready,
so the request history holds no bodies, connections or frames.
"""

from __future__ import annotations

import inspect
import platform
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from ..middlewares import is_new_style
from ..response import StreamResponse
from ..routing import SystemRoute
from ..subapps import MatchedSubAppResource, PrefixedSubAppResource
from .logcapture import LogCapture
from .timing import ActiveTimer, ContextSwitcher
from .tracebacks import safe_repr

if TYPE_CHECKING:
    from ..app import Application
    from ..request import Request
    from .history import ToolbarRecord

__all__ = (
    "DebugPanel",
    "HeaderDebugPanel",
    "LoggingPanel",
    "MiddlewaresDebugPanel",
    "PerformanceDebugPanel",
    "RequestVarsDebugPanel",
    "RouteDebugPanel",
    "RoutesDebugPanel",
    "SettingsDebugPanel",
    "TracebackPanel",
    "VersionDebugPanel",
)

Handler = Callable[["Request"], Awaitable[StreamResponse]]


class DebugPanel:
    """Base class of the toolbar's panels (aiohttp_debugtoolbar's ``DebugPanel``).

    Subclasses set :attr:`name`, :attr:`title`, :attr:`nav_title` and
    :attr:`template` (a Jinja2 template under the toolbar's templates or a
    directory given with ``setup(..., extra_templates=...)``), and fill
    :attr:`data` in :meth:`process_response`.

    >>> class UserPanel(DebugPanel):
    ...     name = "User"
    ...     title = nav_title = "User"
    ...     template = "user.html"
    ...     has_content = True
    ...     async def process_response(self, response):
    ...         self.data = {"user": self.request.get("user")}
    """

    #: A unique name; the panel's DOM id is derived from it.
    name: str = ""
    #: Whether the panel has anything to show (its tab is disabled otherwise).
    has_content: bool = False
    #: Whether the user can switch the panel on and off (kept for API parity).
    user_activate: bool = False
    #: Set when the user has switched the panel on (kept for API parity).
    is_active: bool = False
    #: The Jinja2 template that renders :attr:`data`.
    template: str = ""
    #: The tab's label, and the small text under it.
    nav_title: str = ""
    nav_subtitle: str = ""
    #: The heading shown above the panel's content.
    title: str = ""
    #: An address the tab links to instead of showing content (optional).
    url: str = ""

    def __init__(self, request: Request) -> None:
        self._request: Request | None = request
        self.data: dict[str, Any] = {}
        self.record: ToolbarRecord | None = None

    @property
    def request(self) -> Request:
        """The request this panel describes (only until its response is ready)."""
        if self._request is None:
            raise RuntimeError(
                f"panel {self.name!r}: the request is released once the response is ready; "
                "gather what the panel shows in process_response()"
            )
        return self._request

    @property
    def dom_id(self) -> str:
        """The HTML id of the panel's tab and content."""
        return "pDebug{}Panel".format(self.name.replace(" ", ""))

    def wrap_handler(self, handler: Handler, context_switcher: ContextSwitcher) -> Handler:
        """Return *handler* wrapped to watch the request (the default returns it as is).

        *context_switcher* calls back each time the handler's coroutine runs
        or waits (see :class:`~asgiweb.debugtoolbar.timing.ContextSwitcher`).
        """
        return handler

    async def process_response(self, response: StreamResponse) -> None:
        """Gather what the panel shows, now that *response* is ready."""

    def release(self) -> None:
        """Drop the reference to the request (the toolbar calls it after processing)."""
        self._request = None

    def render_vars(self, request: Request) -> dict[str, Any]:
        """Extra template variables; *request* is the toolbar page's request."""
        return {}

    def render_content(self, request: Request) -> str:
        """The panel's HTML: :attr:`template` rendered with :attr:`data` and :meth:`render_vars`."""
        from .config import APP_KEY

        context = dict(self.data)
        context.update(self.render_vars(request))
        context.setdefault("panel", self)
        template = request.app[APP_KEY].templates.get_template(self.template)
        return template.render(**context)


def describe_callable(obj: object) -> dict[str, str]:
    """The name, module and ``file:line`` of a handler or middleware, as text."""
    target = inspect.unwrap(obj) if callable(obj) else obj
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if name is None:
        name = safe_repr(target)
    module = getattr(target, "__module__", None) or ""
    location = ""
    try:
        source_file = inspect.getsourcefile(target)  # type: ignore[arg-type]
        _, first_line = inspect.getsourcelines(target)  # type: ignore[arg-type]
        if source_file:
            location = f"{source_file}:{first_line}"
    except (TypeError, OSError):
        pass
    return {"name": str(name), "module": module, "location": location}


def app_label(app: Application, prefixes: Mapping[int, str]) -> str:
    """How the panels name an app: its prefix, or ``(root)``."""
    return prefixes.get(id(app), "") or "(root)"


def subapp_prefixes(app: Application, prefix: str = "") -> dict[int, str]:
    """``id(sub-app) -> prefix`` for *app* and every sub-app below it."""
    found = {id(app): prefix}
    for resource in app.router.resources():
        if isinstance(resource, MatchedSubAppResource):
            found.update(subapp_prefixes(resource.app, f"{prefix} [{resource.canonical}]"))
        elif isinstance(resource, PrefixedSubAppResource):
            found.update(subapp_prefixes(resource.app, resource.canonical))
    return found


def iter_routes(app: Application, prefix: str = "") -> Iterator[dict[str, str]]:
    """Every route of *app* and its sub-apps, as rows of text."""
    for resource in app.router.resources():
        if isinstance(resource, PrefixedSubAppResource):
            inner = (
                f"{prefix} [{resource.canonical}]"
                if isinstance(resource, MatchedSubAppResource)
                else resource.canonical
            )
            yield from iter_routes(resource.app, inner)
            continue
        for route in resource:
            handler = describe_callable(route.handler)
            yield {
                "method": route.method,
                "path": resource.canonical,
                "name": route.name or "",
                "app": prefix or "(root)",
                "handler": handler["name"],
                "module": handler["module"],
                "location": handler["location"],
            }


class HeaderDebugPanel(DebugPanel):
    """The request's and the response's HTTP headers."""

    name = "Header"
    has_content = True
    template = "panels/headers.html"
    title = nav_title = "HTTP Headers"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self._request_headers = list(request.headers.items())

    async def process_response(self, response: StreamResponse) -> None:
        self.data = {
            "request_headers": self._request_headers,
            "response_headers": list(response.headers.items()),
        }


class RequestVarsDebugPanel(DebugPanel):
    """Query and form variables, cookies, match_info and request attributes."""

    name = "RequestVars"
    has_content = True
    template = "panels/request_vars.html"
    title = nav_title = "Request Vars"

    async def process_response(self, response: StreamResponse) -> None:
        self.data = await request_variables(self.request)


async def request_variables(request: Request) -> dict[str, Any]:
    """The request's variables as lists of ``(name, text)`` pairs, for panels and error pages."""
    form: list[tuple[str, str]] = []
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            post = await request.post()
        except Exception as exc:  # too large, malformed, or the client left
            form = [("(not available)", f"{type(exc).__name__}: {exc}")]
        else:
            form = [(key, safe_repr(value)) for key, value in post.items()]
    match_info = request.match_info
    session = request.get("aiohttp_session")
    return {
        "method": request.method,
        "url": str(request.url),
        "remote": request.remote or "",
        "headers": list(request.headers.items()),
        "query": [(key, value) for key, value in request.query.items()],
        "form": form,
        "cookies": sorted(request.cookies.items()),
        "match_info": sorted((str(k), str(v)) for k, v in match_info.items()),
        "attrs": [(str(key), safe_repr(value)) for key, value in request.items()],
        "session": (
            [(str(k), safe_repr(v)) for k, v in session.items()] if session is not None else []
        ),
    }


class RouteDebugPanel(DebugPanel):
    """The route that matched, its handler, and the apps it went through."""

    name = "Route"
    has_content = True
    template = "panels/route.html"
    title = "Route and handler"
    nav_title = "Route"

    async def process_response(self, response: StreamResponse) -> None:
        request = self.request
        match_info = request.match_info
        route = match_info.route
        prefixes = subapp_prefixes(request.app)
        if isinstance(route, SystemRoute):
            self.data = {"matched": False, "status": route.status, "reason": route.reason}
            self.nav_subtitle = str(route.status)
            return
        resource = route.resource
        self.data = {
            "matched": True,
            "method": route.method,
            "path": resource.canonical if resource is not None else "",
            "name": route.name or "",
            "handler": describe_callable(route.handler),
            "match_info": sorted((str(k), str(v)) for k, v in match_info.items()),
            "apps": [app_label(app, prefixes) for app in match_info.apps],
        }
        self.nav_subtitle = self.data["name"] or self.data["path"]


class MiddlewaresDebugPanel(DebugPanel):
    """The middlewares this request went through, outermost first."""

    name = "Middlewares"
    has_content = True
    template = "panels/middlewares.html"
    title = nav_title = "Middlewares"

    async def process_response(self, response: StreamResponse) -> None:
        from .middleware import is_toolbar_middleware

        request = self.request
        prefixes = subapp_prefixes(request.app)
        rows = []
        for app in request.match_info.apps:
            for middleware in app.middlewares:
                described = describe_callable(middleware)
                rows.append(
                    {
                        "app": app_label(app, prefixes),
                        "name": described["name"],
                        "module": described["module"],
                        "location": described["location"],
                        "style": "new" if is_new_style(middleware) else "old-style factory",
                        "toolbar": is_toolbar_middleware(middleware),
                    }
                )
        self.data = {"middlewares": rows}
        self.nav_subtitle = str(len(rows))


class PerformanceDebugPanel(DebugPanel):
    """How long the request took: in all, and while the handler really ran."""

    name = "Performance"
    has_content = True
    template = "panels/performance.html"
    title = "Timing"
    nav_title = "Timing"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self._timer = ActiveTimer()
        self._started = time.perf_counter()

    def wrap_handler(self, handler: Handler, context_switcher: ContextSwitcher) -> Handler:
        context_switcher.add_context_in(self._timer.enter)
        context_switcher.add_context_out(self._timer.leave)

        async def timed(request: Request) -> StreamResponse:
            self._started = time.perf_counter()
            return await handler(request)

        return timed

    async def process_response(self, response: StreamResponse) -> None:
        total = time.perf_counter() - self._started
        self.data = {
            "total_ms": total * 1000,
            "active_ms": self._timer.active_seconds * 1000,
            "cpu_ms": self._timer.cpu_seconds * 1000,
            "waiting_ms": max(0.0, total - self._timer.active_seconds) * 1000,
            "switches": self._timer.switches,
            "status": response.status,
        }
        self.nav_subtitle = f"{total * 1000:.1f} ms"


class LoggingPanel(DebugPanel):
    """The logging records emitted while the request was handled."""

    name = "logging"
    template = "panels/logging.html"
    title = "Log Messages"
    nav_title = "Logging"

    def wrap_handler(self, handler: Handler, context_switcher: ContextSwitcher) -> Handler:
        from .config import APP_KEY

        capture: LogCapture = self.request.app[APP_KEY].log_capture

        async def capturing(request: Request) -> StreamResponse:
            with capture.capture() as records:
                self.data = {"records": records}
                return await handler(request)

        return capturing

    @property
    def has_content(self) -> bool:  # type: ignore[override]
        return bool(self.data.get("records"))

    @property
    def nav_subtitle(self) -> str:  # type: ignore[override]
        return str(len(self.data.get("records", ())))


class TracebackPanel(DebugPanel):
    """The exception the handler raised, with a link to its error page."""

    name = "Traceback"
    template = "panels/traceback.html"
    title = nav_title = "Traceback"

    @property
    def has_content(self) -> bool:  # type: ignore[override]
        return self.record is not None and self.record.traceback is not None

    def render_vars(self, request: Request) -> dict[str, Any]:
        from .config import APP_KEY

        record = self.record
        if record is None or record.traceback is None:
            return {"traceback": None, "error_url": ""}
        state = request.app[APP_KEY]
        return {"traceback": record.traceback, "error_url": state.error_page_url(record)}


class SettingsDebugPanel(DebugPanel):
    """The toolbar's settings."""

    name = "Settings"
    has_content = True
    template = "panels/settings.html"
    title = nav_title = "Settings"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        from .config import APP_KEY

        settings = request.app[APP_KEY].settings
        self.data = {"settings": [(k, safe_repr(v)) for k, v in sorted(settings.items())]}


class RoutesDebugPanel(DebugPanel):
    """Every route of the application and its sub-applications."""

    name = "Routes"
    has_content = True
    template = "panels/routes.html"
    title = nav_title = "Routes"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.data = {"routes": list(iter_routes(request.app))}


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER = re.compile(r"extra\s*==\s*['\"]([^'\"]+)['\"]")


@cache
def asgiweb_versions() -> tuple[str, list[dict[str, str]], list[dict[str, str]]]:
    """asgiweb's version, its declared dependencies, and every installed distribution."""
    try:
        own = metadata.version("asgiweb")
        requires = metadata.requires("asgiweb") or []
    except metadata.PackageNotFoundError:
        from .. import __version__

        own, requires = __version__, []
    dependencies: dict[str, dict[str, str]] = {}
    for requirement in requires:
        match = _REQUIREMENT_NAME.match(requirement)
        if match is None:
            continue
        name = match.group(1)
        extra = _EXTRA_MARKER.search(requirement)
        key = name.lower().replace("_", "-")
        if key in dependencies:
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            if extra is not None:
                continue  # an optional dependency that is not installed
            installed = "not installed"
        dependencies[key] = {
            "name": name,
            "version": installed,
            "needed": "required" if extra is None else f"extra: {extra.group(1)}",
        }
    everything = sorted(
        (
            {"name": dist.metadata["Name"] or "?", "version": dist.version}
            for dist in metadata.distributions()
        ),
        key=lambda row: row["name"].lower(),
    )
    return own, sorted(dependencies.values(), key=lambda r: r["name"].lower()), everything


class VersionDebugPanel(DebugPanel):
    """Python, the platform, asgiweb and the versions of its dependencies."""

    name = "Version"
    has_content = True
    template = "panels/versions.html"
    title = nav_title = "Versions"

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        from .. import __version__

        self.nav_subtitle = __version__

    def render_vars(self, request: Request) -> dict[str, Any]:
        # looked up when the panel is shown (the first time takes a moment), not per request
        own, dependencies, everything = asgiweb_versions()
        return {
            "python": sys.version,
            "platform": platform.platform(),
            "asgiweb_version": own,
            "dependencies": dependencies,
            "packages": everything,
        }
