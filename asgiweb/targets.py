"""Finding the app a command or a worker serves: ``"module:attribute"`` or a factory.

A TARGET names an :class:`~asgiweb.web.Application`, any other ASGI app, or
a factory: a function (sync or async) that builds the app. A factory that
takes a parameter is given the command's remaining arguments, as
``python -m aiohttp.web`` does; one that takes none is called without.
A function of exactly three parameters is taken for an ASGI app
``(scope, receive, send)``, not a factory.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Sequence
from typing import Any

from .app import Application

__all__ = ("TargetError", "import_target", "is_factory", "load")


class TargetError(LookupError):
    """TARGET does not name something the command can serve."""


def import_target(target: str) -> Any:
    """The object ``module:attribute`` names, with errors that say what was found."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise TargetError(
            f"TARGET must look like 'module:attribute' (e.g. 'myapp.main:app'), got {target!r}"
        )
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise TargetError(
                f"cannot import module {module_name!r}: no module named {exc.name!r} "
                f"(run from the folder that holds it, or use --app-dir)"
            ) from None
        raise
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            public = sorted(n for n in dir(obj) if not n.startswith("_"))
            raise TargetError(
                f"{module_name!r} has no attribute {attr!r}; it has: {', '.join(public) or '-'}"
            )
        obj = getattr(obj, part)
    return obj


def is_factory(obj: Any) -> bool:
    """A plain function (or class) that builds the app, as opposed to an ASGI callable."""
    if isinstance(obj, Application):
        return False
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        required = [
            p
            for p in inspect.signature(obj).parameters.values()
            if p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        return len(required) != 3  # (scope, receive, send) is an ASGI app
    return False


def _takes_argument(factory: Any) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in params)


def load(target: str | Any, argv: Sequence[str] = ()) -> Any:
    """The app TARGET names: an object as is; a factory called (``argv`` if it takes it).

    The result may be an awaitable of the app (an ``async def`` factory).
    """
    obj = import_target(target) if isinstance(target, str) else target
    if is_factory(obj):
        obj = obj(list(argv)) if _takes_argument(obj) else obj()
    elif argv:
        raise TargetError(
            f"{target!r} is not a factory, so it takes no arguments: got {' '.join(argv)!r}"
        )
    if not callable(obj) and not inspect.isawaitable(obj):
        raise TargetError(f"{target!r} is {obj!r}, which is neither an ASGI app nor a factory")
    return obj
