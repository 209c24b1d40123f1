"""Typed keys for the state of applications, requests and responses."""

from __future__ import annotations

import sys
from functools import total_ordering
from typing import Any, Generic, TypeVar, get_args

_T = TypeVar("_T")


@total_ordering
class BaseKey(Generic[_T]):
    """A named, typed key: ``DB = web.AppKey("db", Database)`` then ``app[DB]``.

    As in aiohttp, the name is prefixed with the module that creates the key
    (``myapp.db``), so that two libraries' ``"db"`` keys stay apart; keys sort
    by name, before any other type of key (``sorted(app)`` works with ``str`` keys).
    """

    __slots__ = ("__orig_class__", "_name", "_t")

    __orig_class__: type[object]  # set by Python for AppKey[T]("name")

    def __init__(self, name: str, t: type[_T] | None = None) -> None:
        module = "__main__"
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == "<module>":
                module = frame.f_globals.get("__name__", module)
                break
            frame = frame.f_back  # type: ignore[assignment]
        self._name = f"{module}.{name}"
        self._t = t

    @property
    def name(self) -> str:
        """The key's name, as given to its constructor."""
        return self._name

    def __lt__(self, other: object) -> bool:
        if isinstance(other, BaseKey):
            return self._name < other._name
        return True

    def __repr__(self) -> str:
        t: Any = self._t
        if t is None:
            try:
                t = get_args(self.__orig_class__)[0]
            except (AttributeError, IndexError):
                t = None
        if t is None:
            t_repr = "<<Unknown>>"
        elif isinstance(t, type):
            if t.__module__ == "builtins":
                t_repr = t.__qualname__
            else:
                t_repr = f"{t.__module__}.{t.__qualname__}"
        else:
            t_repr = repr(t)
        return f"<{type(self).__name__}({self._name}, type={t_repr})>"


class AppKey(BaseKey[_T]):
    """A key for ``app[key]``."""


class RequestKey(BaseKey[_T]):
    """A key for ``request[key]``."""


class ResponseKey(BaseKey[_T]):
    """A key for ``response[key]``."""
