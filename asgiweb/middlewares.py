"""``@middleware`` and ``normalize_path_middleware``.

A new-style middleware is ``async def mw(request, handler)`` marked with
``@web.middleware``. An undecorated callable is treated as an old-style
factory ``async def factory(app, handler) -> handler`` (deprecated, as in
aiohttp, and called for every request).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Awaitable, Iterable
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .exceptions import HTTPMove, HTTPPermanentRedirect
from .response import StreamResponse
from .routing import SystemRoute
from .typedefs import Handler, Middleware

if TYPE_CHECKING:
    from .app import Application
    from .request import Request

__all__ = ("build_chain", "build_legacy_chain", "middleware", "normalize_path_middleware")

_Func = TypeVar("_Func")
_MERGE_SLASHES = re.compile("//+")


def middleware(f: _Func) -> _Func:
    """Mark *f* as a new-style middleware ``async def f(request, handler)``.

    >>> @web.middleware
    ... async def timing(request, handler):
    ...     response = await handler(request)
    ...     response.headers["X-Handled"] = "1"
    ...     return response
    """
    f.__middleware_version__ = 1  # type: ignore[attr-defined]
    return f


def is_new_style(candidate: object) -> bool:
    """Whether *candidate* was marked with :func:`middleware`."""
    return getattr(candidate, "__middleware_version__", None) == 1


async def _resolves(request: Request, path: str) -> tuple[bool, Request]:
    alt = cast("Request", request.clone(rel_url=path))
    match_info = await request.app.router.resolve(alt)
    alt.match_info = match_info
    if match_info.http_exception is None:
        return True, alt
    return False, request


def normalize_path_middleware(
    *,
    append_slash: bool = True,
    remove_slash: bool = False,
    merge_slashes: bool = True,
    redirect_class: type[HTTPMove] = HTTPPermanentRedirect,
) -> Middleware:
    """Redirect a path that does not resolve to a variant that does.

    Tried in order: slashes merged, a trailing slash appended (or removed),
    then both. The first variant that resolves is the redirect target.

    >>> app = web.Application(middlewares=[web.normalize_path_middleware()])
    """
    if append_slash and remove_slash:
        # aiohttp checks this with an assert; raise a ValueError that is also an
        # AssertionError so that code catching either keeps working.
        raise _ConfigurationError("Cannot both remove and append slash")

    @middleware
    async def impl(request: Request, handler: Handler) -> StreamResponse:
        if isinstance(request.match_info.route, SystemRoute):
            path, sep, query = request.raw_path.partition("?")
            query = sep + query
            candidates = []
            if merge_slashes:
                candidates.append(_MERGE_SLASHES.sub("/", path))
            if append_slash and not request.path.endswith("/"):
                candidates.append(path + "/")
            if remove_slash and request.path.endswith("/"):
                candidates.append(path[:-1])
            if merge_slashes and append_slash:
                candidates.append(_MERGE_SLASHES.sub("/", path + "/"))
            if merge_slashes and remove_slash:
                candidates.append(_MERGE_SLASHES.sub("/", path)[:-1])
            for candidate in candidates:
                # Never redirect to a protocol-relative URL ("//evil.example").
                candidate = re.sub("^//+", "/", candidate)
                if not candidate:
                    continue
                resolves, request = await _resolves(request, candidate)
                if resolves:
                    raise redirect_class(request.raw_path + query)
        return await handler(request)

    return impl


class _ConfigurationError(ValueError, AssertionError):
    """A wrong argument that aiohttp rejects with an ``assert``."""


def middleware_stack(middlewares: Iterable[Any]) -> tuple[tuple[Middleware, bool], ...]:
    """An app's middlewares, innermost first, each flagged new-style or not."""
    stack = []
    for m in reversed(list(middlewares)):
        if is_new_style(m):
            stack.append((m, True))
        else:
            warnings.warn(
                f'old-style middleware "{m!r}" deprecated, see #2252',
                DeprecationWarning,
                stacklevel=4,
            )
            stack.append((m, False))
    return tuple(stack)


def build_chain(handler: Handler, apps: tuple[Application, ...]) -> Handler:
    """Wrap *handler* in the new-style middlewares of *apps* (outermost app first).

    With nested apps, each app's layer first sets ``request.match_info.current_app``
    to that app, as aiohttp does, so middlewares see their own app.
    """
    track_app = len(apps) > 1 and any(app.middleware_stack for app in apps)
    for app in reversed(apps):
        for m, _new_style in app.middleware_stack:
            handler = _wrap(m, handler)
        if track_app:
            handler = _wrap(_set_current_app(app), handler)
    return handler


async def build_legacy_chain(handler: Handler, apps: tuple[Application, ...]) -> Handler:
    """Like :func:`build_chain`, awaiting old-style factories (so: once per request)."""
    track_app = len(apps) > 1
    for app in reversed(apps):
        for m, new_style in app.middleware_stack:
            if new_style:
                handler = _wrap(m, handler)
            else:
                factory: Any = m
                handler = await factory(app, handler)
        if track_app:
            handler = _wrap(_set_current_app(app), handler)
    return handler


def _wrap(middleware: Middleware, handler: Handler) -> Handler:
    """``handler`` wrapped by a new-style middleware.

    A plain closure that returns the middleware's coroutine: calling it costs
    half of what ``functools.partial(middleware, handler=handler)`` does, and no
    extra coroutine frame is added per layer.
    """

    def call_middleware(request: Request) -> Awaitable[StreamResponse]:
        return middleware(request, handler)

    return cast(Handler, update_wrapper(call_middleware, handler))


def _set_current_app(app: Application) -> Middleware:
    @middleware
    async def set_current_app(request: Request, handler: Handler) -> StreamResponse:
        match_info = request.match_info
        previous = match_info.current_app
        match_info.current_app = app
        try:
            return await handler(request)
        finally:
            match_info.current_app = previous

    return set_current_app
