"""aiohttp's ``UrlDispatcher``: resources, routes, match info and class-based views.

Resolution follows aiohttp's order exactly. Domain sub-apps (``add_domain``)
are asked first, in registration order. Every other resource is indexed under
the literal part of its pattern up to the last ``/`` before its first
``{variable}`` (``/users/{id}`` under ``/users``, ``/{id}/edit`` under ``/``);
resolving walks the request path from itself down to ``/`` (``/a/b/c``,
``/a/b``, ``/a``, ``/``) and, under each prefix, asks its resources in
registration order. The first that matches the path and has the method wins;
one that matches without the method adds its methods to the 405's ``Allow``.

Under one prefix, consecutive plain and dynamic resources (three or more)
are matched together by a :class:`~asgiweb.segment_trie.SegmentTrie`, which
finds every pattern matching the path, in registration order, at a cost set
by the path's segments rather than by the number of resources (so
``/{id}/item{i}`` tables stay flat). Shorter runs are matched one regular
expression at a time; custom resources, static directories and sub-app
prefixes are asked in their place with ``await resource.resolve(request)``.
The indexes and tries are built on the first resolution after a change.

Three entry points share this order: :meth:`UrlDispatcher.resolve` (any
resource), :meth:`UrlDispatcher.resolve_path` (no ``await``, for tables of
plain and dynamic resources only) and :meth:`UrlDispatcher.plain_routes` (a
dict from a plain path to its routes, the application's first lookup).
"""

from __future__ import annotations

import abc
import asyncio
import inspect
import keyword
import os
import re
import types
import warnings
from collections.abc import (
    Awaitable,
    Callable,
    Container,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sized,
)
from contextvars import ContextVar, Token
from functools import wraps
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from yarl import URL

from .exceptions import (
    HTTPException,
    HTTPExpectationFailed,
    HTTPMethodNotAllowed,
    HTTPNotFound,
)
from .protocol import METHOD_RE, HttpVersion11
from .quoting import quote_path, requote_path, unquote_path_safe
from .response import StreamResponse
from .segment_trie import Piece, SegmentTrie
from .typedefs import Handler

if TYPE_CHECKING:
    from .app import Application
    from .request import Request

ExpectHandler: TypeAlias = Callable[["Request"], Awaitable[StreamResponse | None]]
ResolveResult: TypeAlias = tuple["UrlMappingMatchInfo | None", "set[str]"]

METH_ANY: Final = "*"
METH_ALL: Final = frozenset(
    {"CONNECT", "HEAD", "GET", "DELETE", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
ROUTE_RE: Final = re.compile(r"(\{[_a-zA-Z][^{}]*(?:\{[^{}]*\}[^{}]*)*\})")
_NO_METHODS: Final[set[str]] = set()  # shared and never mutated

# The ASGI root_path of the request being handled: set while an app mounted
# under a prefix handles a request, so url_for() returns links that work.
_root_path: ContextVar[str] = ContextVar("asgiweb_root_path", default="")


def current_root_path() -> str:
    """The ASGI ``root_path`` of the request being handled ("" outside a mount)."""
    return _root_path.get()


def enter_root_path(root_path: str) -> Token[str]:
    """Make ``url_for()`` prefix *root_path* until :func:`exit_root_path` (per task)."""
    return _root_path.set(root_path)


def exit_root_path(token: Token[str]) -> None:
    """Undo the :func:`enter_root_path` that returned *token*."""
    _root_path.reset(token)


async def _default_expect_handler(request: Request) -> None:
    """Accept ``Expect: 100-continue``; refuse any other expectation with 417.

    The ASGI server sends ``100 Continue`` itself when the handler first reads
    the body, so there is nothing to write here.
    """
    expect = request.headers.get("Expect", "")
    if request.version == HttpVersion11 and expect.lower() != "100-continue":
        raise HTTPExpectationFailed(text=f"Unknown Expect: {expect}")


# -- abstract API -------------------------------------------------------------



class _NotACoroutineError(TypeError, AssertionError):
    """An expect handler that is no coroutine function (aiohttp rejects it with an ``assert``)."""

class AbstractResource(Sized, Iterable["AbstractRoute"]):
    """A URL pattern with routes per method; subclass it for custom matching.

    Implement ``resolve``, ``url_for``, ``get_info``, ``canonical``,
    ``add_prefix``, ``raw_match``, ``__iter__`` and ``__len__``, then
    ``app.router.register_resource(resource)``.
    """

    def __init__(self, *, name: str | None = None) -> None:
        self._name = name

    @property
    def name(self) -> str | None:
        """The resource's name for ``router[name]``, or ``None``."""
        return self._name

    @property
    @abc.abstractmethod
    def canonical(self) -> str:
        """The resource's pattern, e.g. ``/users/{id}``; also its index key."""

    @abc.abstractmethod
    def url_for(self, **kwargs: Any) -> URL:
        """Build a URL for this resource."""

    @abc.abstractmethod
    async def resolve(self, request: Request) -> ResolveResult:
        """``(match_info, allowed_methods)``; ``match_info`` is ``None`` on no match."""

    @abc.abstractmethod
    def add_prefix(self, prefix: str) -> None:
        """Prepend *prefix* (used when the owning app is added as a sub-app)."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """A dict describing the resource (``path``, ``formatter``, ``pattern``…)."""

    def freeze(self) -> None:
        """Called once when the owning router freezes."""

    @abc.abstractmethod
    def raw_match(self, path: str) -> bool:
        """Whether *path* is the pattern this resource was created with."""


class AbstractRoute(abc.ABC):
    """A handler for one method of a resource."""

    #: True for routes whose handler hands ASGI ``receive`` to another app (mounts):
    #: nothing else may call ``receive()`` for their requests.
    reads_asgi_receive = False

    def __init__(
        self,
        method: str,
        handler: Handler | type[AbstractView],
        *,
        expect_handler: ExpectHandler | None = None,
        resource: AbstractResource | None = None,
    ) -> None:
        if expect_handler is None:
            expect_handler = _default_expect_handler
        if not inspect.iscoroutinefunction(expect_handler):
            raise _NotACoroutineError(f"Coroutine is expected, got {expect_handler!r}")
        method = method.upper()
        if not METHOD_RE.match(method):
            raise ValueError(f"{method} is not allowed HTTP method")
        if not callable(handler):
            raise TypeError(f"Handler {handler!r} is not callable")
        if inspect.iscoroutinefunction(handler) or (
            isinstance(handler, type) and issubclass(handler, AbstractView)
        ):
            pass
        elif inspect.isgeneratorfunction(handler):
            # a pre-async/await coroutine (``yield from``): deprecated as in aiohttp,
            # and made awaitable, where aiohttp keeps a handler that fails when called
            warnings.warn(
                "Bare generators are deprecated, use @coroutine wrapper",
                DeprecationWarning,
                stacklevel=4,
            )
            handler = types.coroutine(handler)
        else:
            warnings.warn(
                "Bare functions are deprecated, use async ones", DeprecationWarning, stacklevel=4
            )
            handler = _wrap_sync_handler(handler)
        self._method = method
        self._handler = handler
        self._expect_handler = expect_handler
        self._resource = resource

    @property
    def method(self) -> str:
        """The HTTP method, upper case (``*`` for any)."""
        return self._method

    @property
    def handler(self) -> Handler:
        """The handler (or class-based view) the route calls."""
        return self._handler  # type: ignore[return-value, unused-ignore]

    @property
    def resource(self) -> AbstractResource | None:
        """The resource the route belongs to."""
        return self._resource

    @property
    @abc.abstractmethod
    def name(self) -> str | None:
        """The resource's name."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """The resource's info."""

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: str) -> URL:
        """Build a URL for this route's resource."""

    async def handle_expect_header(self, request: Request) -> StreamResponse | None:
        """Run the route's ``Expect:`` handler: ``None`` continues, a response answers."""
        return await self._expect_handler(request)


def _wrap_sync_handler(handler: Callable[..., Any]) -> Handler:
    @wraps(handler)
    async def handler_wrapper(request: Request) -> StreamResponse:
        result = handler(request)
        if asyncio.iscoroutine(result):
            result = await result
        if not isinstance(result, StreamResponse):
            raise TypeError(f"Handler {handler!r} returned {result!r}, not a response")
        return result

    return handler_wrapper


class UrlMappingMatchInfo(dict[str, str]):
    """What the router found: path variables (this is a dict of them), the route, the apps."""

    __slots__ = ("_apps", "_current_app", "_frozen", "_route")
    is_error = False  # True for MatchInfoError (a 404 or 405)

    def __init__(self, match_dict: dict[str, str], route: AbstractRoute) -> None:
        super().__init__(match_dict)
        self._route = route
        self._apps: tuple[Application, ...] = ()
        self._current_app: Application | None = None
        self._frozen = False

    @classmethod
    def resolved(
        cls, route: AbstractRoute, apps: tuple[Application, ...], app: Application
    ) -> UrlMappingMatchInfo:
        """A frozen match without path variables, for *route* in *app* (the fast path)."""
        match_info = dict.__new__(cls)
        match_info._route = route
        match_info._apps = apps
        match_info._current_app = app
        match_info._frozen = True
        return match_info

    @property
    def handler(self) -> Handler:
        """The matched route's handler."""
        return self._route.handler

    @property
    def route(self) -> AbstractRoute:
        """The matched route."""
        return self._route

    @property
    def expect_handler(self) -> ExpectHandler:
        """The matched route's ``Expect:`` handler."""
        return self._route.handle_expect_header

    @property
    def http_exception(self) -> HTTPException | None:
        """The 404/405 to raise when nothing matched, else ``None``."""
        return None

    def get_info(self) -> dict[str, Any]:
        """The matched route's :meth:`AbstractRoute.get_info`."""
        return self._route.get_info()

    @property
    def apps(self) -> tuple[Application, ...]:
        """The applications the route sits in, outermost first."""
        return self._apps

    def add_app(self, app: Application) -> None:
        """Put *app* outside the apps found so far (sub-apps resolve inside out)."""
        if self._frozen:
            raise RuntimeError("Cannot change apps stack after .freeze() call")
        if self._current_app is None:
            self._current_app = app
        self._apps = (app, *self._apps)

    @property
    def current_app(self) -> Application:
        """The app whose middleware (or handler) is running now."""
        app = self._current_app
        if app is None:
            raise RuntimeError("match_info has no application yet")
        return app

    @current_app.setter
    def current_app(self, app: Application) -> None:
        self._current_app = app

    def freeze(self) -> None:
        """Refuse :meth:`add_app` from now on."""
        self._frozen = True

    def bind(self, apps: tuple[Application, ...], app: Application) -> None:
        """Set the apps the route sits in (outermost first) and the current one, and freeze."""
        self._apps = apps
        self._current_app = app
        self._frozen = True

    def __repr__(self) -> str:
        return f"<MatchInfo {super().__repr__()}: {self._route}>"


class SystemRoute(AbstractRoute):
    """The route of a 404 or 405: its handler raises the exception."""

    def __init__(self, http_exception: HTTPException) -> None:
        super().__init__("*", self._raise)
        self._http_exception = http_exception

    async def _raise(self, request: Request) -> StreamResponse:
        raise self._http_exception

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not allowed for SystemRoute")

    @property
    def name(self) -> str | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return {"http_exception": self._http_exception}

    @property
    def status(self) -> int:
        """The status of the error this route raises."""
        return self._http_exception.status

    @property
    def reason(self) -> str:
        """The reason phrase of the error this route raises."""
        return self._http_exception.reason

    def __repr__(self) -> str:
        return f"<SystemRoute {self.status}: {self.reason}>"


class MatchInfoError(UrlMappingMatchInfo):
    """The match info of a request no route accepted."""

    __slots__ = ("_exception",)
    is_error = True

    def __init__(self, http_exception: HTTPException) -> None:
        self._exception = http_exception
        super().__init__({}, SystemRoute(http_exception))

    @property
    def http_exception(self) -> HTTPException:
        return self._exception

    def __repr__(self) -> str:
        return f"<MatchInfoError {self._exception.status}: {self._exception.reason}>"


# -- concrete resources -----------------------------------------------------------


class ResourceRoute(AbstractRoute):
    """A route of a :class:`Resource`."""

    def __init__(
        self,
        method: str,
        handler: Handler | type[AbstractView],
        resource: AbstractResource,
        *,
        expect_handler: ExpectHandler | None = None,
    ) -> None:
        super().__init__(method, handler, expect_handler=expect_handler, resource=resource)

    @property
    def resource(self) -> AbstractResource:
        """The resource the route belongs to."""
        assert self._resource is not None
        return self._resource

    @property
    def name(self) -> str | None:
        return self.resource.name

    def url_for(self, *args: str, **kwargs: str) -> URL:
        return self.resource.url_for(*args, **kwargs)

    def get_info(self) -> dict[str, Any]:
        return self.resource.get_info()

    def __repr__(self) -> str:
        return f"<ResourceRoute [{self.method}] {self._resource} -> {self._handler!r}"


class Resource(AbstractResource):
    """A resource with one route per method (and optionally a ``*`` route)."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._routes: dict[str, ResourceRoute] = {}
        self._any_route: ResourceRoute | None = None
        self._allowed_methods: set[str] = set()

    def add_route(
        self,
        method: str,
        handler: Handler | type[AbstractView],
        *,
        expect_handler: ExpectHandler | None = None,
    ) -> ResourceRoute:
        """Add a route for *method* (``*`` for any) calling *handler*."""
        method = method.upper()
        existing = self._routes.get(method, self._any_route)
        if existing is not None:
            raise RuntimeError(
                "Added route will never be executed, "
                f"method {existing.method} is already registered"
            )
        route = ResourceRoute(method, handler, self, expect_handler=expect_handler)
        self.register_route(route)
        return route

    def register_route(self, route: ResourceRoute) -> None:
        """Add an existing route object to this resource."""
        if not isinstance(route, ResourceRoute):
            raise TypeError(f"Instance of Route class is required, got {route!r}")
        if route.method == METH_ANY:
            self._any_route = route
        self._allowed_methods.add(route.method)
        self._routes[route.method] = route

    async def resolve(self, request: Request) -> ResolveResult:
        return self._resolve(request.route_path, request.method)

    def _resolve(self, path: str, method: str) -> ResolveResult:
        match_dict = self._match(path)
        if match_dict is None:
            return None, _NO_METHODS
        route = self._routes.get(method, self._any_route)
        if route is not None:
            return UrlMappingMatchInfo(match_dict, route), self._allowed_methods
        return None, self._allowed_methods

    @abc.abstractmethod
    def _match(self, path: str) -> dict[str, str] | None:
        """The path variables when *path* matches, else ``None``."""

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes.values())


class PlainResource(Resource):
    """A resource for a fixed path, e.g. ``/about``."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._path = path

    @property
    def canonical(self) -> str:
        return self._path

    def freeze(self) -> None:
        if not self._path:
            self._path = "/"

    def add_prefix(self, prefix: str) -> None:
        _check_prefix(prefix)
        self._path = prefix + self._path

    def _match(self, path: str) -> dict[str, str] | None:
        return {} if self._path == path else None

    def raw_match(self, path: str) -> bool:
        return self._path == path

    def get_info(self) -> dict[str, Any]:
        return {"path": self._path}

    def url_for(self) -> URL:  # type: ignore[override]
        return URL.build(path=_root_path.get() + self._path, encoded=True)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<PlainResource {name} {self._path}>"


class DynamicResource(Resource):
    """A resource with variables: ``/users/{id}``, ``/files/{path:.+}``."""

    DYN = re.compile(r"\{(?P<var>[_a-zA-Z][_a-zA-Z0-9]*)\}")
    DYN_WITH_RE = re.compile(r"\{(?P<var>[_a-zA-Z][_a-zA-Z0-9]*):(?P<re>.+)\}")
    GOOD = r"[^{}/]+"

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._orig_path = path
        pattern = ""
        formatter = ""
        pieces: list[Piece] = []
        for part in ROUTE_RE.split(path):
            match = self.DYN.fullmatch(part)
            if match:
                pattern += f"(?P<{match.group('var')}>{self.GOOD})"
                formatter += "{" + match.group("var") + "}"
                pieces.append((match.group("var"), self.GOOD))
                continue
            match = self.DYN_WITH_RE.fullmatch(part)
            if match:
                pattern += f"(?P<{match.group('var')}>{match.group('re')})"
                formatter += "{" + match.group("var") + "}"
                pieces.append((match.group("var"), match.group("re")))
                continue
            if "{" in part or "}" in part:
                raise ValueError(f"Invalid path '{path}'['{part}']")
            part = requote_path(part)
            formatter += part
            pattern += re.escape(part)
            if part:
                pieces.append((part, None))
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"Bad pattern '{pattern}': {exc} (in route '{path}')") from None
        self._pattern = compiled
        self._formatter = formatter
        self._pieces = pieces

    @property
    def canonical(self) -> str:
        return self._formatter

    def add_prefix(self, prefix: str) -> None:
        _check_prefix(prefix)
        self._pattern = re.compile(re.escape(prefix) + self._pattern.pattern)
        self._formatter = prefix + self._formatter
        self._pieces.insert(0, (prefix, None))

    def _match(self, path: str) -> dict[str, str] | None:
        match = self._pattern.fullmatch(path)
        if match is None:
            return None
        if "%" not in path:
            return match.groupdict()
        return {key: unquote_path_safe(value) for key, value in match.groupdict().items()}

    def raw_match(self, path: str) -> bool:
        return self._orig_path == path

    def get_info(self) -> dict[str, Any]:
        return {"formatter": self._formatter, "pattern": self._pattern}

    def url_for(self, **parts: str) -> URL:
        missing = {
            m.group("var") for m in re.finditer(r"\{(?P<var>\w+)\}", self._formatter)
        } - parts.keys()
        if missing:
            raise KeyError(
                f"url_for() of route '{self._formatter}' needs {', '.join(sorted(missing))}"
            )
        url = self._formatter.format_map({k: quote_path(str(v)) for k, v in parts.items()})
        return URL.build(path=_root_path.get() + url, encoded=True)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<DynamicResource {name} {self._formatter}>"


_TRIE_TYPES: Final = (PlainResource, DynamicResource)


def _check_prefix(prefix: str) -> None:
    if not prefix.startswith("/") or prefix.endswith("/") or len(prefix) < 2:
        raise ValueError(f"Prefix {prefix!r} must start with '/', not end with '/', and not be '/'")


class PrefixResource(AbstractResource):
    """A resource matching every path under a prefix (static files, sub-apps)."""

    def __init__(self, prefix: str, *, name: str | None = None) -> None:
        if prefix and not prefix.startswith("/"):
            raise ValueError(f"Prefix {prefix!r} must start with '/'")
        if prefix not in ("", "/") and prefix.endswith("/"):
            raise ValueError(f"Prefix {prefix!r} must not end with '/'")
        super().__init__(name=name)
        self._prefix = requote_path(prefix)
        self._prefix2 = self._prefix + "/"

    @property
    def canonical(self) -> str:
        """The prefix: ``"/static"``."""
        return self._prefix

    def covers(self, path: str) -> bool:
        """True for the prefix itself and every path under it."""
        return path == self._prefix or path.startswith(self._prefix2)

    def add_prefix(self, prefix: str) -> None:
        """Put *prefix* in front of this resource's prefix (a sub-app being added)."""
        _check_prefix(prefix)
        self._prefix = prefix + self._prefix
        self._prefix2 = self._prefix + "/"

    def raw_match(self, prefix: str) -> bool:
        return False


# -- class-based views --------------------------------------------------------------


class AbstractView(abc.ABC):
    """Base of class-based views: constructed with the request, then awaited."""

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def request(self) -> Request:
        """The request being handled."""
        return self._request

    @abc.abstractmethod
    def __await__(self) -> Generator[Any, None, StreamResponse]:
        """Run the view."""


class View(AbstractView):
    """Dispatch to the method named after the HTTP method: ``async def get(self)``.

    >>> class UserView(web.View):
    ...     async def get(self) -> web.Response:
    ...         return web.json_response({"id": self.request.match_info["id"]})
    """

    async def _iter(self) -> StreamResponse:
        method_name = self.request.method
        method: Callable[[], Awaitable[StreamResponse]] | None = None
        if method_name in METH_ALL:
            method = getattr(self, method_name.lower(), None)
        if method is None:
            self._raise_allowed_methods()
        assert method is not None
        return await method()

    def __await__(self) -> Generator[Any, None, StreamResponse]:
        return self._iter().__await__()

    def _raise_allowed_methods(self) -> None:
        allowed = {m for m in METH_ALL if hasattr(self, m.lower())}
        raise HTTPMethodNotAllowed(self.request.method, allowed)


# -- views over the router ------------------------------------------------------------


class ResourcesView(Sized, Iterable[AbstractResource], Container[AbstractResource]):
    """A read-only view of the router's resources."""

    def __init__(self, resources: list[AbstractResource]) -> None:
        self._resources = resources

    def __len__(self) -> int:
        return len(self._resources)

    def __iter__(self) -> Iterator[AbstractResource]:
        yield from self._resources

    def __contains__(self, resource: object) -> bool:
        return resource in self._resources


class RoutesView(Sized, Iterable[AbstractRoute], Container[AbstractRoute]):
    """A read-only view of every route of every resource."""

    def __init__(self, resources: list[AbstractResource]) -> None:
        self._routes: list[AbstractRoute] = [r for res in resources for r in res]

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        yield from self._routes

    def __contains__(self, route: object) -> bool:
        return route in self._routes


# -- resolution plans ---------------------------------------------------------------

_TRIE: Final = 0  # a _TrieRun: plain and dynamic resources in one segment trie
_MATCH: Final = 1  # a built-in Resource asked with _match (its resolve is Resource's)
_AWAIT: Final = 2  # any other resource, asked with ``await resource.resolve(request)``

#: Runs of at least this many plain/dynamic resources under one index key get a
#: trie; shorter runs are matched one by one (one regex beats a trie walk).
TRIE_MIN_RUN: Final = 3


class _TrieRun:
    """Consecutive plain and dynamic resources of one index key, in a segment trie."""

    __slots__ = ("resources", "trie")

    def __init__(self, resources: list[Resource]) -> None:
        self.resources = resources
        self.trie = SegmentTrie()
        for key, resource in enumerate(resources):
            self.trie.add(key, _pieces(resource))


#: (kind, what to ask, the step's position in its plan)
_Step: TypeAlias = "tuple[int, _TrieRun | AbstractResource, int]"
#: where :meth:`UrlDispatcher._walk` stopped: (resource to await, prefix, next step, allowed)
_Pending: TypeAlias = "tuple[AbstractResource, str, int, set[str] | None]"


def _pieces(resource: Resource) -> list[Piece]:
    if isinstance(resource, DynamicResource):
        return resource._pieces
    return [(resource.canonical, None)]


def _run_steps(run: list[Resource]) -> list[tuple[int, _TrieRun | AbstractResource]]:
    if len(run) >= TRIE_MIN_RUN:
        return [(_TRIE, _TrieRun(run))]
    return [(_MATCH, resource) for resource in run]


def _unquote_values(match_dict: dict[str, str]) -> dict[str, str]:
    return {key: unquote_path_safe(value) for key, value in match_dict.items()}


# -- the router ---------------------------------------------------------------------


class UrlDispatcher(Mapping[str, AbstractResource]):
    """The application's router; a mapping of named resources.

    >>> app.router.add_get("/users/{id}", get_user, name="user")
    >>> app.router["user"].url_for(id="42")
    URL('/users/42')
    """

    NAME_SPLIT_RE = re.compile(r"[.:-]")

    def __init__(self) -> None:
        self._resources: list[AbstractResource] = []
        self._named_resources: dict[str, AbstractResource] = {}
        self._index: dict[str, list[tuple[AbstractResource, bool]]] = {}
        self._unindexed: list[AbstractResource] = []
        self._plans: dict[str, tuple[_Step, ...]] | None = None
        self._frozen = False

    # resolution

    @property
    def only_builtin_resources(self) -> bool:
        """True when every resource is a plain or dynamic one (resolution needs no await)."""
        return not self._unindexed and all(
            builtin for entries in self._index.values() for _, builtin in entries
        )

    def _build_plans(self) -> dict[str, tuple[_Step, ...]]:
        """Each index key's resources as steps: tries for runs of plain and dynamic ones."""
        plans: dict[str, tuple[_Step, ...]] = {}
        for key, entries in self._index.items():
            steps: list[tuple[int, _TrieRun | AbstractResource]] = []
            run: list[Resource] = []
            for resource, builtin in entries:
                if type(resource) in _TRIE_TYPES:
                    run.append(resource)  # type: ignore[arg-type]
                    continue
                steps.extend(_run_steps(run))
                run = []
                steps.append((_MATCH if builtin else _AWAIT, resource))
            steps.extend(_run_steps(run))
            if steps:
                plans[key] = tuple((kind, step, n) for n, (kind, step) in enumerate(steps))
        self._plans = plans
        return plans

    def resolve_path(self, path: str, method: str) -> UrlMappingMatchInfo:
        """Resolve without awaiting; valid only when :attr:`only_builtin_resources`."""
        result = self._walk(path, method, path, 0, None)
        if type(result) is tuple:
            raise RuntimeError(
                f"resolve_path() cannot ask {result[0]!r}, which must be awaited; "
                "use 'await router.resolve(request)'"
            )
        return result  # type: ignore[return-value]

    async def resolve(self, request: Request) -> UrlMappingMatchInfo:
        """Find the route for *request*; a :class:`MatchInfoError` for 404/405.

        The order is aiohttp's: the domain sub-apps (``add_domain``) first, in
        registration order; then the resources indexed under the longest
        literal prefix of the path, in registration order within one prefix.
        """
        path = request.route_path
        method = request.method
        allowed: set[str] | None = None
        for resource in self._unindexed:
            match_info, methods = await resource.resolve(request)
            if match_info is not None:
                return match_info
            if methods:
                allowed = set(methods) if allowed is None else allowed | methods
        # The same walk as resolve_path(); it stops at each resource to be awaited.
        result = self._walk(path, method, path, 0, allowed)
        while type(result) is tuple:
            resource, part, start, allowed = result
            match_info, methods = await resource.resolve(request)
            if match_info is not None:
                return match_info
            if methods:
                allowed = set(methods) if allowed is None else allowed | methods
            result = self._walk(path, method, part, start, allowed)
        return result  # type: ignore[return-value]

    def _walk(
        self, path: str, method: str, part: str, start: int, allowed: set[str] | None
    ) -> UrlMappingMatchInfo | _Pending:
        """Walk the index from prefix *part* (its steps from *start*) down to ``/``.

        The match, or the 404/405 when nothing matched; or, at a resource that
        must be awaited, ``(resource, part, next step, allowed so far)`` to go on from.
        """
        plans = self._plans
        if plans is None:
            plans = self._build_plans()
        while True:
            steps = plans.get(part)
            if steps is not None:
                for kind, step, index in steps[start:] if start else steps:
                    if kind is _TRIE:
                        run: _TrieRun = step  # type: ignore[assignment]
                        for key, match_dict in run.trie.search(path):
                            resource = run.resources[key]
                            route = resource._routes.get(method, resource._any_route)
                            if route is not None:
                                if "%" in path:
                                    match_dict = _unquote_values(match_dict)
                                return UrlMappingMatchInfo(match_dict, route)
                            methods = resource._allowed_methods
                            allowed = set(methods) if allowed is None else allowed | methods
                        continue
                    if kind is _AWAIT:
                        return step, part, index + 1, allowed  # type: ignore[return-value]
                    # a built-in resource (its resolve is Resource's): match it here
                    match_dict = step._match(path)  # type: ignore[union-attr]
                    if match_dict is None:
                        continue
                    route = step._routes.get(method, step._any_route)  # type: ignore[union-attr]
                    if route is not None:
                        return UrlMappingMatchInfo(match_dict, route)
                    methods = step._allowed_methods  # type: ignore[union-attr]
                    allowed = set(methods) if allowed is None else allowed | methods
            if part == "/" or not part:
                break
            part = part.rpartition("/")[0] or "/"
            start = 0
        if allowed:
            return MatchInfoError(HTTPMethodNotAllowed(method, allowed))
        return MatchInfoError(HTTPNotFound())

    # registration

    @property
    def frozen(self) -> bool:
        """True once the router refuses new resources."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse new resources from now on (the app does it when it starts)."""
        self._frozen = True
        for resource in self._resources:
            resource.freeze()
        self._plans = None

    def plain_routes(self) -> dict[str, tuple[Mapping[str, AbstractRoute], AbstractRoute | None]]:
        """Path -> (routes by method, ``*`` route) for paths a plain resource answers first.

        A lookup in it gives the same route :meth:`resolve_path` would find, in
        one step; a miss (or a method the resource lacks) takes the general path.
        """
        table: dict[str, tuple[Mapping[str, AbstractRoute], AbstractRoute | None]] = {}
        for key, entries in self._index.items():
            if not entries:
                continue  # every resource here moved under a prefix
            resource, builtin = entries[0]
            if builtin and type(resource) is PlainResource and resource._path == key:
                table[key] = (resource._routes, resource._any_route)
        return table

    def _check_not_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError(
                "Cannot register a resource into frozen router. The application froze when "
                "it started (ASGI lifespan startup, run_app) or when it handled its first "
                "request; add routes before that, where the application is built."
            )

    def register_resource(self, resource: AbstractResource) -> None:
        """Add a resource (built-in or your own :class:`AbstractResource` subclass)."""
        if not isinstance(resource, AbstractResource):
            raise TypeError(f"Instance of AbstractResource class is required, got {resource!r}")
        self._check_not_frozen()
        name = resource.name
        if name is not None:
            self._check_name(name)
            self._named_resources[name] = resource
        self._resources.append(resource)
        self.index_resource(resource)

    def _check_name(self, name: str) -> None:
        for part in self.NAME_SPLIT_RE.split(name):
            if keyword.iskeyword(part):
                raise ValueError(
                    f"Incorrect route name {name!r}, python keywords cannot be used for route name"
                )
            if not part.isidentifier():
                raise ValueError(
                    f"Incorrect route name {name!r}, the name should be a sequence of "
                    "python identifiers separated by dash, dot or column"
                )
        if name in self._named_resources:
            raise ValueError(
                f"Duplicate {name!r}, already handled by {self._named_resources[name]!r}"
            )

    @staticmethod
    def _index_key(resource: AbstractResource) -> str:
        key = resource.canonical
        if "{" in key:
            key = key.partition("{")[0].rpartition("/")[0]
        return key.rstrip("/") or "/"

    def index_resource(self, resource: AbstractResource) -> None:
        """Put *resource* in the prefix index (resources without a prefix are tried first)."""
        self._plans = None
        if getattr(resource, "matches_any_path", False):
            self._unindexed.append(resource)
            return
        builtin = isinstance(resource, Resource) and type(resource).resolve is Resource.resolve
        self._index.setdefault(self._index_key(resource), []).append((resource, builtin))

    def unindex_resource(self, resource: AbstractResource) -> None:
        """Take *resource* out of the index (before re-indexing it under a new prefix)."""
        self._plans = None
        if resource in self._unindexed:
            self._unindexed.remove(resource)
            return
        entries = self._index[self._index_key(resource)]
        entries[:] = [entry for entry in entries if entry[0] is not resource]

    def add_resource(self, path: str, *, name: str | None = None) -> Resource:
        """The resource for *path*, reusing the last one if path and name are the same."""
        if path and not path.startswith("/"):
            raise ValueError(f"path should be started with / or be empty, got {path!r}")
        if self._resources:
            last = self._resources[-1]
            if isinstance(last, Resource) and last.name == name and last.raw_match(path):
                return last
        if not ("{" in path or "}" in path or ROUTE_RE.search(path)):
            resource: Resource = PlainResource(path, name=name)
        else:
            resource = DynamicResource(path, name=name)
        self.register_resource(resource)
        return resource

    def add_route(
        self,
        method: str,
        path: str,
        handler: Handler | type[AbstractView],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
    ) -> AbstractRoute:
        """Route *method* requests for *path* to *handler*."""
        resource = self.add_resource(path, name=name)
        return resource.add_route(method, handler, expect_handler=expect_handler)

    def add_head(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Route ``HEAD`` *path* to *handler*."""
        return self.add_route("HEAD", path, handler, **kwargs)

    def add_options(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Route ``OPTIONS`` *path* to *handler*."""
        return self.add_route("OPTIONS", path, handler, **kwargs)

    def add_get(
        self,
        path: str,
        handler: Handler,
        *,
        name: str | None = None,
        allow_head: bool = True,
        **kwargs: Any,
    ) -> AbstractRoute:
        """Route GET (and HEAD, unless ``allow_head=False``) to *handler*."""
        resource = self.add_resource(path, name=name)
        if allow_head:
            resource.add_route("HEAD", handler, **kwargs)
        return resource.add_route("GET", handler, **kwargs)

    def add_post(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Route ``POST`` *path* to *handler*."""
        return self.add_route("POST", path, handler, **kwargs)

    def add_put(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Route ``PUT`` *path* to *handler*."""
        return self.add_route("PUT", path, handler, **kwargs)

    def add_patch(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Route ``PATCH`` *path* to *handler*."""
        return self.add_route("PATCH", path, handler, **kwargs)

    def add_delete(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Route ``DELETE`` *path* to *handler*."""
        return self.add_route("DELETE", path, handler, **kwargs)

    def add_static(
        self,
        prefix: str,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> AbstractResource:
        """Serve the files under directory *path* at URL *prefix* (GET and HEAD).

        >>> app.router.add_static("/static", "static/", name="static", append_version=True)
        >>> app.router["static"].url_for(filename="app.js")
        URL('/static/app.js?v=...')
        """
        from .static import StaticResource

        if not prefix.startswith("/"):
            raise ValueError(f"Static prefix must start with '/', got {prefix!r}")
        if prefix.endswith("/"):
            prefix = prefix[:-1]
        resource = StaticResource(
            prefix,
            path,
            name=name,
            expect_handler=expect_handler,
            chunk_size=chunk_size,
            show_index=show_index,
            follow_symlinks=follow_symlinks,
            append_version=append_version,
        )
        self.register_resource(resource)
        return resource

    def add_view(
        self, path: str, handler: type[AbstractView] | Handler, **kwargs: Any
    ) -> AbstractRoute:
        """Route every method to a class-based view."""
        return self.add_route(METH_ANY, path, handler, **kwargs)

    def add_routes(self, routes: Iterable[Any]) -> list[AbstractRoute]:
        """Register route definitions (``web.get(...)``, a ``RouteTableDef``…)."""
        registered: list[AbstractRoute] = []
        for route_def in routes:
            registered.extend(route_def.register(self))
        return registered

    # views

    def resources(self) -> ResourcesView:
        """Every resource, in registration order."""
        return ResourcesView(self._resources)

    def routes(self) -> RoutesView:
        """Every route of every resource, in registration order."""
        return RoutesView(self._resources)

    def named_resources(self) -> Mapping[str, AbstractResource]:
        """The named resources, by name (read-only)."""
        return MappingProxyType(self._named_resources)

    def __iter__(self) -> Iterator[str]:
        return iter(self._named_resources)

    def __len__(self) -> int:
        return len(self._named_resources)

    def __contains__(self, resource: object) -> bool:
        return resource in self._named_resources

    def __getitem__(self, name: str) -> AbstractResource:
        return self._named_resources[name]
