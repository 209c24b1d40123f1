"""``@middleware`` and ``normalize_path_middleware``.

A new-style middleware is ``async def mw(request, handler)`` marked with
``@web.middleware``. An undecorated callable is treated as an old-style
factory ``async def factory(app, handler) -> handler`` (deprecated, as in
aiohttp, and called for every request).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar

from .exceptions import HTTPMove, HTTPPermanentRedirect
from .response import StreamResponse
from .routing import SystemRoute
from .typedefs import Handler, Middleware

if TYPE_CHECKING:
    from .request import Request

__all__ = ("middleware", "normalize_path_middleware")

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
    alt = request.clone(rel_url=path)
    match_info = await request.app.router.resolve(alt)  # type: ignore[arg-type]
    alt._match_info = match_info
    if match_info.http_exception is None:
        return True, alt  # type: ignore[return-value]
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
        raise ValueError("Cannot both remove and append slash")

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
