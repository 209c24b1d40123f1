"""``Signal``, ``FrozenList`` and ``CleanupContext``: callback lists that freeze with their app.

``FrozenList`` and ``Signal`` are the ``frozenlist`` and ``aiosignal``
packages' classes, which aiohttp itself uses, rather than copies of our own:

- API fit: ``app.on_startup`` is an ``aiosignal.Signal`` and
  ``app.middlewares`` a ``frozenlist.FrozenList``, as in aiohttp, so type
  annotations, ``isinstance`` checks, hashing a frozen list and the
  ``@app.on_startup`` decorator form behave the same.
- Per call: iterating, ``len()`` and ``bool()`` are C code in
  ``frozenlist`` (``bool()`` of an empty signal measured about 3x faster
  than our former pure-Python copy); ``Signal.send`` is the same Python
  loop either way (no difference above the noise).
- Import: the cost of this choice. Measured as CPU time on a busy 2-core
  machine where ``from asgiweb import web`` took about 300 ms: about 4.5 ms
  for ``frozenlist`` and 6-7 ms for ``aiosignal``, most of it the
  ``typing_extensions`` it imports on Python < 3.13.

The subclasses below only change what a frozen list says when it is
modified: aiohttp's ``"Cannot modify frozen list."`` stays the start of the
message, followed by when the app froze and what to do instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, TypeVarTuple, cast

import aiosignal
import frozenlist

if TYPE_CHECKING:
    from .app import Application

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

FROZEN_LIST_MESSAGE = (
    "Cannot modify frozen list. The application froze when it started (ASGI lifespan "
    "startup, run_app) or when it handled its first request; add middlewares, signal "
    "handlers and cleanup contexts before that, where the application is built."
)


class _ExplainFrozen:
    """Mixin: the list methods that modify, refusing a frozen list with a helpful message."""

    __slots__ = ()
    frozen: bool

    def _refuse(self) -> NoReturn:
        raise RuntimeError(FROZEN_LIST_MESSAGE)

    def __setitem__(self, index: Any, value: Any) -> None:
        if self.frozen:
            self._refuse()
        super().__setitem__(index, value)  # type: ignore[misc]

    def __delitem__(self, index: Any) -> None:
        if self.frozen:
            self._refuse()
        super().__delitem__(index)  # type: ignore[misc]

    def __iadd__(self, items: Any) -> Any:
        if self.frozen:
            self._refuse()
        return super().__iadd__(items)  # type: ignore[misc]

    def insert(self, pos: int, item: Any) -> None:
        """Insert *item* before *pos*."""
        if self.frozen:
            self._refuse()
        super().insert(pos, item)  # type: ignore[misc]

    def append(self, item: Any) -> None:
        """Add *item* at the end."""
        if self.frozen:
            self._refuse()
        super().append(item)  # type: ignore[misc]

    def extend(self, items: Any) -> None:
        """Add each of *items* at the end."""
        if self.frozen:
            self._refuse()
        super().extend(items)  # type: ignore[misc]

    def remove(self, item: Any) -> None:
        """Remove the first occurrence of *item*."""
        if self.frozen:
            self._refuse()
        super().remove(item)  # type: ignore[misc]

    def pop(self, index: int = -1) -> Any:
        """Remove and return the item at *index* (the last by default)."""
        if self.frozen:
            self._refuse()
        return super().pop(index)  # type: ignore[misc]

    def clear(self) -> None:
        """Remove every item."""
        if self.frozen:
            self._refuse()
        super().clear()  # type: ignore[misc]

    def reverse(self) -> None:
        """Reverse the items in place."""
        if self.frozen:
            self._refuse()
        super().reverse()  # type: ignore[misc]


class FrozenList(_ExplainFrozen, frozenlist.FrozenList[_T]):
    """A list that refuses changes once ``freeze()`` has been called (``frozenlist``'s)."""

    __slots__ = ()


class Signal(_ExplainFrozen, aiosignal.Signal[*_Ts]):
    """Callbacks awaited in order by ``await signal.send(*args)`` (``aiosignal``'s).

    ``Signal[Application]``: callbacks called with the app.

    >>> app.on_response_prepare.append(add_server_header)
    """

    __slots__ = ()


CleanupContextCallable = Callable[["Application"], Any]


def _generator_context(generator: AsyncIterator[None]) -> AbstractAsyncContextManager[None]:
    """An async context manager around an async generator that already exists."""

    def existing() -> AsyncIterator[None]:
        return generator

    return asynccontextmanager(existing)()


class CleanupContext(FrozenList[CleanupContextCallable]):
    """``app.cleanup_ctx``: async generators entered at startup, exited at cleanup."""

    def __init__(self) -> None:
        super().__init__()
        self._exits: list[AbstractAsyncContextManager[None]] = []

    async def enter_contexts(self, app: Application) -> None:
        """Enter each context (run each generator to its ``yield``): an ``on_startup`` handler."""
        for callback in self:
            ctx = callback(app)
            if not isinstance(ctx, AbstractAsyncContextManager):
                # An async generator: wrap the one just made (calling the
                # callback again would run its code twice).
                ctx = _generator_context(ctx)
            await ctx.__aenter__()
            self._exits.append(ctx)

    async def exit_contexts(self, app: Application) -> None:
        """Exit the entered contexts in reverse order: an ``on_cleanup`` handler."""
        errors: list[BaseException] = []
        for ctx in reversed(self._exits):
            try:
                await ctx.__aexit__(None, None, None)
            except (Exception, asyncio.CancelledError) as exc:
                errors.append(exc)
        self._exits.clear()
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise CleanupError("Multiple errors on cleanup stage", errors)


class CleanupError(RuntimeError):
    """Several cleanup callbacks failed; ``exceptions`` lists them."""

    @property
    def exceptions(self) -> list[BaseException]:
        """The exceptions the cleanup callbacks raised, in cleanup order."""
        return cast(list[BaseException], self.args[1])
