"""Time spent running a request's handler, apart from the time it waits.

``ContextSwitcher(awaitable)`` drives the awaitable step by step and calls
its callbacks each time control enters or leaves it, as aiohttp_debugtoolbar's
helper of the same name does; :class:`ActiveTimer` uses it to add up the wall
and CPU time of the slices in which the handler really runs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

__all__ = ("ActiveTimer", "ContextSwitcher")

_T = TypeVar("_T")


class ContextSwitcher:
    """Calls back when an awaited coroutine is resumed and when it suspends.

    >>> switcher = ContextSwitcher()
    >>> switcher.add_context_in(lambda: print("in"))
    >>> response = await switcher(handler(request))
    """

    def __init__(self) -> None:
        self._on_in: list[Callable[[], None]] = []
        self._on_out: list[Callable[[], None]] = []

    def add_context_in(self, callback: Callable[[], None]) -> None:
        """Call *callback* each time the awaited coroutine is resumed."""
        if not callable(callback):
            raise ValueError(f"callback should be callable, got {callback!r}")
        self._on_in.append(callback)

    def add_context_out(self, callback: Callable[[], None]) -> None:
        """Call *callback* each time the awaited coroutine suspends or finishes."""
        if not callable(callback):
            raise ValueError(f"callback should be callable, got {callback!r}")
        self._on_out.append(callback)

    def __call__(self, awaitable: Awaitable[_T]) -> Awaitable[_T]:
        """Wrap *awaitable*: awaiting the result awaits it, with the callbacks run."""
        return _Switched(awaitable, self._on_in, self._on_out)


class _Switched(Awaitable[_T]):
    __slots__ = ("_awaitable", "_on_in", "_on_out")

    def __init__(
        self,
        awaitable: Awaitable[_T],
        on_in: list[Callable[[], None]],
        on_out: list[Callable[[], None]],
    ) -> None:
        self._awaitable = awaitable
        self._on_in = on_in
        self._on_out = on_out

    def __await__(self) -> Generator[Any, Any, _T]:
        steps = self._awaitable.__await__()
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            for callback in self._on_in:
                callback()
            try:
                yielded = steps.throw(thrown) if thrown is not None else steps.send(sent)
            except StopIteration as stop:
                self._switch_out()
                return stop.value  # type: ignore[no-any-return]
            except BaseException:
                self._switch_out()
                raise
            self._switch_out()
            try:
                sent = yield yielded
                thrown = None
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as exc:  # a cancellation thrown into the task
                sent, thrown = None, exc

    def _switch_out(self) -> None:
        for callback in self._on_out:
            callback()


class ActiveTimer:
    """Adds up the wall-clock and CPU time of the slices a coroutine runs in.

    >>> timer = ActiveTimer()
    >>> response = await timer.measure(handler(request))
    >>> timer.active_seconds, timer.cpu_seconds
    """

    def __init__(self) -> None:
        self.active_seconds = 0.0
        self.cpu_seconds = 0.0
        self.switches = 0
        self._entered_at = 0.0
        self._entered_cpu = 0.0

    def switcher(self) -> ContextSwitcher:
        """A :class:`ContextSwitcher` with this timer's callbacks on it."""
        switcher = ContextSwitcher()
        switcher.add_context_in(self.enter)
        switcher.add_context_out(self.leave)
        return switcher

    def measure(self, awaitable: Awaitable[_T]) -> Awaitable[_T]:
        """Await *awaitable* through this timer."""
        return self.switcher()(awaitable)

    def enter(self) -> None:
        """The coroutine runs again: start a slice."""
        self._entered_at = time.perf_counter()
        self._entered_cpu = time.thread_time()

    def leave(self) -> None:
        """The coroutine waits or ended: add the slice up."""
        self.active_seconds += time.perf_counter() - self._entered_at
        self.cpu_seconds += time.thread_time() - self._entered_cpu
        self.switches += 1
