"""Route definitions: ``web.get(...)``, ``web.view(...)`` and ``RouteTableDef``."""

from __future__ import annotations

import abc
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from .routing import METH_ANY, AbstractRoute, AbstractView
from .typedefs import Handler

if TYPE_CHECKING:
    from .routing import UrlDispatcher

__all__ = (
    "AbstractRouteDef",
    "RouteDef",
    "RouteTableDef",
    "StaticDef",
    "static",
    "route",
    "head",
    "options",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "view",
)


class AbstractRouteDef(abc.ABC):
    """Something ``router.add_routes()`` can register."""

    __slots__ = ()

    @abc.abstractmethod
    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Add this definition to *router* and return the routes it made."""


@dataclass(frozen=True, repr=False, slots=True)
class RouteDef(AbstractRouteDef):
    """A route waiting to be registered: method, path, handler and options."""

    method: str
    path: str
    handler: Handler | type[AbstractView]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        info = "".join(f", {name}={value!r}" for name, value in sorted(self.kwargs.items()))
        return f"<RouteDef {self.method} {self.path} -> {self.handler.__name__!r}{info}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        if self.method == "GET":
            return [router.add_get(self.path, self.handler, **self.kwargs)]
        return [router.add_route(self.method, self.path, self.handler, **self.kwargs)]


@dataclass(frozen=True, repr=False, slots=True)
class StaticDef(AbstractRouteDef):
    """A static directory waiting to be registered: ``web.static("/static", "static/")``."""

    prefix: str
    path: str | os.PathLike[str]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        info = "".join(f", {name}={value!r}" for name, value in sorted(self.kwargs.items()))
        return f"<StaticDef {self.prefix} -> {self.path}{info}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        resource = router.add_static(self.prefix, self.path, **self.kwargs)
        return list(resource)


def static(prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> StaticDef:
    """A static-files definition for ``app.add_routes([...])``."""
    return StaticDef(prefix, path, kwargs)


def route(method: str, path: str, handler: Handler | type[AbstractView], **kwargs: Any) -> RouteDef:
    """A route definition for any method: ``web.route("PATCH", "/x", handler)``."""
    return RouteDef(method, path, handler, kwargs)


def head(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A ``HEAD`` route definition for ``app.add_routes([...])``."""
    return route("HEAD", path, handler, **kwargs)


def options(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """An ``OPTIONS`` route definition for ``app.add_routes([...])``."""
    return route("OPTIONS", path, handler, **kwargs)


def get(
    path: str,
    handler: Handler,
    *,
    name: str | None = None,
    allow_head: bool = True,
    **kwargs: Any,
) -> RouteDef:
    """GET (and HEAD unless ``allow_head=False``): ``web.get("/", index)``."""
    return route("GET", path, handler, name=name, allow_head=allow_head, **kwargs)


def post(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A ``POST`` route definition for ``app.add_routes([...])``."""
    return route("POST", path, handler, **kwargs)


def put(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A ``PUT`` route definition for ``app.add_routes([...])``."""
    return route("PUT", path, handler, **kwargs)


def patch(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A ``PATCH`` route definition for ``app.add_routes([...])``."""
    return route("PATCH", path, handler, **kwargs)


def delete(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A ``DELETE`` route definition for ``app.add_routes([...])``."""
    return route("DELETE", path, handler, **kwargs)


def view(path: str, handler: type[AbstractView], **kwargs: Any) -> RouteDef:
    """Every method to a class-based view: ``web.view("/users", UsersView)``."""
    return route(METH_ANY, path, handler, **kwargs)


_Deco = Callable[[Any], Any]


class RouteTableDef(Sequence[AbstractRouteDef]):
    """Collect routes with decorators, then ``app.add_routes(routes)``.

    >>> routes = web.RouteTableDef()
    >>> @routes.get("/")
    ... async def index(request): ...
    """

    def __init__(self) -> None:
        self._items: list[AbstractRouteDef] = []

    def __repr__(self) -> str:
        return f"<RouteTableDef count={len(self._items)}>"

    @overload
    def __getitem__(self, index: int) -> AbstractRouteDef: ...

    @overload
    def __getitem__(self, index: slice) -> list[AbstractRouteDef]: ...

    def __getitem__(self, index: int | slice) -> AbstractRouteDef | list[AbstractRouteDef]:
        return self._items[index]

    def __iter__(self) -> Iterator[AbstractRouteDef]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def route(self, method: str, path: str, **kwargs: Any) -> _Deco:
        """Decorate a handler (or a View class) to route *method* requests for *path*."""

        def inner(handler: Any) -> Any:
            self._items.append(RouteDef(method, path, handler, kwargs))
            return handler

        return inner

    def head(self, path: str, **kwargs: Any) -> _Deco:
        """Decorator: register the handler for ``HEAD`` *path*."""
        return self.route("HEAD", path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> _Deco:
        """Decorator: register the handler for ``GET`` (and ``HEAD``) *path*."""
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> _Deco:
        """Decorator: register the handler for ``POST`` *path*."""
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> _Deco:
        """Decorator: register the handler for ``PUT`` *path*."""
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> _Deco:
        """Decorator: register the handler for ``PATCH`` *path*."""
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> _Deco:
        """Decorator: register the handler for ``DELETE`` *path*."""
        return self.route("DELETE", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> _Deco:
        """Decorator: register the handler for ``OPTIONS`` *path*."""
        return self.route("OPTIONS", path, **kwargs)

    def view(self, path: str, **kwargs: Any) -> _Deco:
        """Decorator: register a class-based view for every method of *path*."""
        return self.route(METH_ANY, path, **kwargs)

    def static(self, prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """Add a static directory to the table."""
        self._items.append(StaticDef(prefix, path, kwargs))
