"""``reify``: a property computed on first access and then stored on the instance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

_T = TypeVar("_T")


class reify(Generic[_T]):  # noqa: N801 - named after aiohttp's and pyramid's decorator
    """Compute an attribute once, on first access, and cache it in ``__dict__``.

    A non-data descriptor: after the first access Python finds the value in the
    instance dictionary and never calls the descriptor again.

    >>> class Request:
    ...     @reify
    ...     def query(self) -> dict[str, str]:
    ...         return parse(self.query_string)
    """

    def __init__(self, wrapped: Callable[[Any], _T]) -> None:
        self.wrapped = wrapped
        self.name = wrapped.__name__
        self.__doc__ = wrapped.__doc__

    @overload
    def __get__(self, inst: None, owner: type[Any]) -> reify[_T]: ...

    @overload
    def __get__(self, inst: object, owner: type[Any]) -> _T: ...

    def __get__(self, inst: object | None, owner: type[Any]) -> _T | reify[_T]:
        if inst is None:
            return self
        value = self.wrapped(inst)
        inst.__dict__[self.name] = value
        return value
