"""Cross-origin resource sharing with aiohttp_cors's API.

``from asgiweb import cors as aiohttp_cors`` is the whole port:

>>> cors = aiohttp_cors.setup(app, defaults={
...     "https://client.example": aiohttp_cors.ResourceOptions(allow_credentials=True),
... })
>>> cors.add(app.router.add_get("/api/items", items))

CORS is enabled per resource: ``add`` gives the resource an OPTIONS route
that answers preflight requests, and the app's ``on_response_prepare`` signal
adds the ``Access-Control-*`` headers to the resource's other responses.
The allowed origin is always echoed, never ``*``, so credentials never meet
a wildcard; every response of a CORS-enabled resource carries
``Vary: Origin`` so that caches keep one copy per origin.
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar

from .exceptions import HTTPForbidden
from .keys import AppKey
from .request import Request
from .response import Response, StreamResponse
from .routing import AbstractResource, AbstractRoute, Resource, ResourceRoute, View
from .static import StaticResource

if TYPE_CHECKING:
    from .app import Application

__all__ = (
    "APP_CONFIG_KEY",
    "CorsConfig",
    "CorsViewMixin",
    "ResourceOptions",
    "custom_cors",
    "setup",
)

Config = Mapping[str, "ResourceOptions"]
ConfigInput = Mapping[str, "ResourceOptions | Mapping[str, Any]"]
_F = TypeVar("_F", bound=Callable[..., Any])

_FAILED = "CORS preflight request failed: "
# Response headers a browser always shows to scripts: "*" does not list them.
_SIMPLE_RESPONSE_HEADERS = frozenset(
    {"CACHE-CONTROL", "CONTENT-LANGUAGE", "CONTENT-TYPE", "EXPIRES", "LAST-MODIFIED", "PRAGMA"}
)
_OPTION_NAMES = frozenset({"allow_credentials", "expose_headers", "allow_headers", "max_age"})


def _is_sequence(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


class _Options(NamedTuple):
    allow_credentials: bool
    expose_headers: frozenset[str] | str
    allow_headers: frozenset[str] | str
    max_age: int | None
    allow_methods: frozenset[str] | str | None


class ResourceOptions(_Options):
    """What one origin may do with a resource.

    - ``allow_credentials``: cookies and ``Authorization`` may be sent
      (``Access-Control-Allow-Credentials: true``).
    - ``expose_headers``: response headers scripts may read, or ``"*"`` for
      all the response has.
    - ``allow_headers``: request headers a preflight may ask for, or ``"*"``.
    - ``max_age``: seconds a browser may cache the preflight answer.
    - ``allow_methods``: methods a preflight may ask for beyond the routes
      that have CORS configured themselves, or ``"*"`` (in defaults or on a
      resource, not on a route).
    """

    __slots__ = ()

    def __new__(
        cls,
        *,
        allow_credentials: bool = False,
        expose_headers: Sequence[str] | str = (),
        allow_headers: Sequence[str] | str = (),
        max_age: int | None = None,
        allow_methods: Sequence[str] | str | None = None,
    ) -> ResourceOptions:
        if not isinstance(allow_credentials, bool):
            raise ValueError(f"'allow_credentials' must be boolean, got '{allow_credentials!r}'")
        expose: frozenset[str] | str
        if expose_headers == "*":
            expose = "*"
        elif not _is_sequence(expose_headers):
            raise ValueError(
                "'expose_headers' must be either '*', or sequence of strings, "
                f"got '{expose_headers!r}'"
            )
        else:
            expose = frozenset(expose_headers)
        allow: frozenset[str] | str
        if allow_headers == "*":
            allow = "*"
        elif not _is_sequence(allow_headers):
            raise ValueError(
                "'allow_headers' must be either '*', or sequence of strings, "
                f"got '{allow_headers!r}'"
            )
        else:
            allow = frozenset(h.upper() for h in allow_headers)
        if max_age is not None and (not isinstance(max_age, Integral) or max_age < 0):
            raise ValueError(f"'max_age' must be non-negative integer, got '{max_age!r}'")
        methods: frozenset[str] | str | None
        if allow_methods is None or allow_methods == "*":
            methods = allow_methods
        elif not _is_sequence(allow_methods):
            raise ValueError(
                "'allow_methods' must be either '*', or sequence of strings, "
                f"got '{allow_methods!r}'"
            )
        else:
            methods = frozenset(m.upper() for m in allow_methods)
        return super().__new__(cls, allow_credentials, expose, allow, max_age, methods)

    def is_method_allowed(self, method: str) -> bool:
        """Whether ``allow_methods`` lets a preflight ask for *method*."""
        if self.allow_methods is None:
            return False
        return self.allow_methods == "*" or method.upper() in self.allow_methods


def _parse_config(config: ConfigInput | None) -> dict[str, ResourceOptions]:
    """Validate a ``{origin: options}`` mapping; options may be plain dicts."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ValueError(f"Config must be mapping, got '{config}'")
    parsed: dict[str, ResourceOptions] = {}
    for origin, options in config.items():
        if not isinstance(origin, str):
            raise ValueError(f"Origin must be string, got '{origin}'")
        if isinstance(options, ResourceOptions):
            parsed[origin] = options
            continue
        if not isinstance(options, Mapping):
            raise ValueError(
                "Origin options must be either aiohttp_cors.ResourceOptions instance or "
                f"mapping, got '{options}'"
            )
        unexpected = frozenset(options) - _OPTION_NAMES
        if unexpected:
            raise ValueError(
                "Unexpected keywords in resource options: " + ",".join(map(str, unexpected))
            )
        parsed[origin] = ResourceOptions(**options)
    return parsed


def _for_origin(config: Mapping[str, ResourceOptions], origin: str) -> ResourceOptions | None:
    options = config.get(origin)
    return config.get("*") if options is None else options


def _add_vary_origin(response: StreamResponse) -> None:
    vary = response.headers.get("Vary")
    if vary is None:
        response.headers["Vary"] = "Origin"
    elif "origin" not in {v.strip().lower() for v in vary.split(",")} and vary.strip() != "*":
        response.headers["Vary"] = f"{vary}, Origin"


class _Preflight:
    """Answers a preflight request from the config that ``_config_for`` finds."""

    @staticmethod
    def _requested_method(request: Request) -> str:
        method = request.headers.get("Access-Control-Request-Method")
        if method is None:
            raise HTTPForbidden(
                text=_FAILED + "'Access-Control-Request-Method' header is not specified"
            )
        return method

    @staticmethod
    def _requested_headers(request: Request) -> frozenset[str]:
        value = request.headers.get("Access-Control-Request-Headers")
        if value is None:
            return frozenset()
        return frozenset(filter(None, (h.strip(" \t").upper() for h in value.split(","))))

    async def _config_for(
        self, request: Request, origin: str, method: str
    ) -> Mapping[str, ResourceOptions]:
        raise NotImplementedError

    async def _preflight_handler(self, request: Request) -> Response:
        """The OPTIONS handler: 200 with the allowances, or 403 saying what was refused."""
        origin = request.headers.get("Origin")
        if origin is None:
            raise HTTPForbidden(text=_FAILED + "origin header is not specified in the request")
        method = self._requested_method(request)
        try:
            config = await self._config_for(request, origin, method)
        except KeyError:
            raise HTTPForbidden(
                text=_FAILED + f"request method {method!r} is not allowed for {origin!r} origin"
            )
        if not config:
            raise HTTPForbidden(text=_FAILED + "no origins are allowed")
        options = _for_origin(config, origin)
        if options is None:
            raise HTTPForbidden(text=_FAILED + f"origin '{origin}' is not allowed")
        headers = self._requested_headers(request)
        if not isinstance(options.allow_headers, str):  # "*" allows any
            refused = headers - options.allow_headers
            if refused:
                raise HTTPForbidden(
                    text=_FAILED + "headers are not allowed: " + ", ".join(refused)
                )
        response = Response()
        response.headers["Access-Control-Allow-Origin"] = origin
        if options.allow_credentials:
            response.headers["Access-Control-Allow-Credentials"] = "true"
        if options.max_age is not None:
            response.headers["Access-Control-Max-Age"] = str(options.max_age)
        response.headers["Access-Control-Allow-Methods"] = method
        if headers:
            response.headers["Access-Control-Allow-Headers"] = ",".join(headers)
        return response


def custom_cors(config: ConfigInput) -> Callable[[_F], _F]:
    """Give one method of a :class:`CorsViewMixin` view its own CORS config.

    >>> class Items(web.View, aiohttp_cors.CorsViewMixin):
    ...     @aiohttp_cors.custom_cors({"*": aiohttp_cors.ResourceOptions()})
    ...     async def post(self): ...
    """

    def decorate(function: _F) -> _F:
        setattr(function, f"{function.__name__}_cors_config", config)
        return function

    return decorate


class CorsViewMixin(_Preflight):
    """Mix into a ``web.View`` to make it CORS-aware; ``cors_config`` is its config."""

    cors_config: ConfigInput | None = None

    @classmethod
    def get_request_config(
        cls, request: Request, request_method: str
    ) -> Mapping[str, ResourceOptions]:
        """The config for *request_method*: the method's own, the class's, the defaults."""
        cors = request.app.get(APP_CONFIG_KEY)
        if cors is None:
            raise ValueError("aiohttp-cors is not configured.")
        method = getattr(cls, request_method.lower(), None)
        if not method:
            raise KeyError(request_method)
        custom = getattr(method, f"{request_method.lower()}_cors_config", None) or {}
        return collections.ChainMap(
            _parse_config(custom), _parse_config(cls.cors_config), cors.defaults
        )

    async def _config_for(
        self, request: Request, origin: str, method: str
    ) -> Mapping[str, ResourceOptions]:
        return self.get_request_config(request, method)

    async def options(self) -> Response:
        """Answer the preflight request."""
        return await self._preflight_handler(self.request)  # type: ignore[attr-defined]


def _cors_view(route: AbstractRoute | None, *, strict: bool) -> bool:
    """Whether *route* is a class-based view that handles CORS itself."""
    if route is None:
        return False
    handler: Any = route.handler
    if isinstance(handler, type) and issubclass(handler, View):
        if issubclass(handler, CorsViewMixin):
            return True
        if strict:
            raise ValueError(
                "web view should be derived from aiohttp_cors.CorsViewMixin "
                "for working with the library"
            )
    return False


class _ResourceConfig:
    __slots__ = ("default", "methods")

    def __init__(self, default: dict[str, ResourceOptions]) -> None:
        self.default = default
        self.methods: dict[str, dict[str, ResourceOptions]] = {}


class _CorsHandler(_Preflight):
    """Holds the per-resource configs and does the work for :class:`CorsConfig`."""

    def __init__(self, app: Application, defaults: dict[str, ResourceOptions]) -> None:
        self._defaults = defaults
        self._configs: dict[AbstractResource, _ResourceConfig] = {}
        self._preflight_routes: set[AbstractRoute] = set()
        self._with_preflight: set[AbstractResource] = set()
        app.on_response_prepare.append(self._on_response_prepare)

    # -- registration -------------------------------------------------------------

    def add(self, entity: Any, config: ConfigInput | None) -> Any:
        parsed = _parse_config(config)
        self._add_preflight_route(entity)
        self._set_config(entity, parsed)
        return entity

    def _add_preflight_route(self, entity: Any) -> None:
        if isinstance(entity, StaticResource):
            if entity in self._with_preflight:
                return
            entity.set_options_route(self._preflight_handler)
            self._preflight_routes.update(r for r in entity if r.method == "OPTIONS")
            self._with_preflight.add(entity)
        elif isinstance(entity, Resource):
            if entity in self._with_preflight:
                return
            for route in entity:
                if route.method == "OPTIONS":
                    if route.handler == self._preflight_handler:
                        return
                    raise ValueError(f"{entity!r} already has OPTIONS handler {route.handler!r}")
                if route.method == "*":
                    if not _cors_view(route, strict=True):
                        raise ValueError(f"{entity!r} already has a '*' handler for all methods")
                    self._preflight_routes.add(route)
                    self._with_preflight.add(entity)
                    return
            self._preflight_routes.add(entity.add_route("OPTIONS", self._preflight_handler))
            self._with_preflight.add(entity)
        elif isinstance(entity, ResourceRoute):
            if entity.resource not in self._with_preflight:
                self._add_preflight_route(entity.resource)
        else:
            raise ValueError(f"Resource or ResourceRoute expected, got {entity!r}")

    def _set_config(self, entity: Any, config: dict[str, ResourceOptions]) -> None:
        if isinstance(entity, (Resource, StaticResource)):
            if entity in self._configs:
                raise ValueError(f"CORS is already configured for {entity!r} resource.")
            self._configs[entity] = _ResourceConfig(config)
        elif isinstance(entity, ResourceRoute):
            resource = entity.resource
            if resource not in self._configs:
                self._set_config(resource, config)
            resource_config = self._configs[resource]
            if entity.method in resource_config.methods:
                raise ValueError(
                    f"Can't setup CORS for {entity!r} route: CORS already configured on "
                    f"resource {resource!r} for {entity.method} method"
                )
            resource_config.methods[entity.method] = config
        else:
            raise ValueError(f"Resource or ResourceRoute expected, got {entity!r}")

    # -- requests -----------------------------------------------------------------

    @staticmethod
    def _route_of(request: Request) -> AbstractRoute | None:
        try:
            return request.match_info.route
        except RuntimeError:  # not routed (an error before routing)
            return None

    def _is_preflight(self, request: Request, route: AbstractRoute) -> bool:
        if _cors_view(route, strict=False):
            return request.method == "OPTIONS"
        return route in self._preflight_routes

    async def _config_for(
        self, request: Request, origin: str, method: str
    ) -> Mapping[str, ResourceOptions]:
        route = self._route_of(request)
        assert route is not None and route.resource is not None
        resource_config = self._configs[route.resource]
        defaulted = collections.ChainMap(resource_config.default, self._defaults)
        options = _for_origin(defaulted, origin)
        if options is not None and options.is_method_allowed(method):
            route_config = resource_config.methods.get(method, {})
        else:
            route_config = resource_config.methods[method]  # KeyError: method not allowed
        return collections.ChainMap(route_config, defaulted)

    async def _on_response_prepare(self, request: Request, response: StreamResponse) -> None:
        route = self._route_of(request)
        if route is None:
            return
        resource_config = self._configs.get(route.resource)  # type: ignore[arg-type]
        if resource_config is None:
            return
        if self._is_preflight(request, route):
            _add_vary_origin(response)
            return
        origin = request.headers.get("Origin")
        if origin is None:
            _add_vary_origin(response)
            return
        config: Mapping[str, ResourceOptions]
        if _cors_view(route, strict=False):
            view: Any = route.handler
            config = view.get_request_config(request, request.method)
        else:
            config = collections.ChainMap(
                resource_config.methods.get(request.method, {}),
                resource_config.default,
                self._defaults,
            )
        options = _for_origin(config, origin)
        if options is None:
            _add_vary_origin(response)
            return
        headers = response.headers
        if options.expose_headers == "*":
            exposed = [k for k in headers if k.upper() not in _SIMPLE_RESPONSE_HEADERS]
            headers["Access-Control-Expose-Headers"] = ",".join(dict.fromkeys(exposed))
        elif options.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(options.expose_headers)
        headers["Access-Control-Allow-Origin"] = origin
        if options.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        _add_vary_origin(response)


class CorsConfig:
    """The CORS configuration of one application: ``defaults`` plus what ``add`` records."""

    def __init__(
        self,
        app: Application,
        *,
        defaults: ConfigInput | None = None,
        router_adapter: object | None = None,
    ) -> None:
        if router_adapter is not None:
            raise NotImplementedError("custom router adapters are not supported")
        self.defaults: dict[str, ResourceOptions] = _parse_config(defaults)
        self._handler = _CorsHandler(app, self.defaults)

    def add(
        self, routing_entity: _F, config: ConfigInput | None = None, webview: bool = False
    ) -> _F:
        """Enable CORS on a resource or a route's resource, with *config* for it.

        Returns *routing_entity*, so ``cors.add(app.router.add_get(...))`` reads well.
        """
        if webview:
            warnings.warn(
                "webview argument is deprecated, views are handled automatically "
                "without extra settings",
                DeprecationWarning,
                stacklevel=2,
            )
        return self._handler.add(routing_entity, config)  # type: ignore[no-any-return]


#: Where :func:`setup` keeps the :class:`CorsConfig`.
APP_CONFIG_KEY: Final = AppKey("aiohttp_cors", CorsConfig)


def setup(app: Application, *, defaults: ConfigInput | None = None) -> CorsConfig:
    """Make the app's :class:`CorsConfig`; call ``add`` on it for each resource.

    >>> cors = aiohttp_cors.setup(app, defaults={"*": aiohttp_cors.ResourceOptions()})
    """
    cors = CorsConfig(app, defaults=defaults)
    app[APP_CONFIG_KEY] = cors
    return cors
