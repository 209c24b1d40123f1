"""Typed keys for the state of applications, requests and responses."""

from __future__ import annotations

from typing import Generic, TypeVar

_T = TypeVar("_T")


class BaseKey(Generic[_T]):
    """A named, typed key: ``DB = web.AppKey("db", Database)`` then ``app[DB]``."""

    __slots__ = ("__orig_class__", "_name", "_t")

    def __init__(self, name: str, t: type[_T] | None = None) -> None:
        self._name = name
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
        t = self._t
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
