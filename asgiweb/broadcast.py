"""Publish/subscribe across tasks, workers and hosts: ``Broadcast`` with ``broadcaster``'s API.

One process needs no server (``memory://``); several workers or hosts share
one Redis (``redis://`` or ``rediss://``)::

    from asgiweb import broadcast

    hub = broadcast.setup(app, "redis://127.0.0.1:6379/0")  # connects at startup

    async def chat(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with hub.subscribe(channel="chat") as subscriber:
            async for event in subscriber:
                await ws.send_str(event.message)

    await hub.publish(channel="chat", message="hello")

Why not the ``broadcaster`` package itself: its subscriber queues are
unbounded (one slow WebSocket grows memory without limit), and its Redis
listener task ends for good on the first connection error, so a Redis
restart silently stops every subscription. This module keeps the same calls
and adds a bounded queue per subscriber with a stated overflow policy, and a
Redis backend (:mod:`asgiweb.broadcast_redis`) that reconnects with backoff
and restores its subscriptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

from .keys import AppKey

if TYPE_CHECKING:
    from .app import Application

__all__ = (
    "BROADCAST",
    "Broadcast",
    "BroadcastBackend",
    "BroadcastError",
    "BroadcastUnavailableError",
    "Event",
    "MemoryBackend",
    "OverflowPolicy",
    "Subscriber",
    "SubscriberLaggedError",
    "setup",
)

logger = logging.getLogger("asgiweb.broadcast")

OverflowPolicy = Literal["drop_oldest", "raise"]
"""What a full subscriber queue does with a new event.

``"drop_oldest"`` (the default) discards the oldest queued event, counts it in
:attr:`Subscriber.dropped` and logs one WARNING per subscriber; ``"raise"``
makes the subscriber's next read raise :class:`SubscriberLaggedError`, so the
consumer can resynchronise or close its client.
"""

Deliver = Callable[[str, str], None]


class BroadcastError(Exception):
    """Base class of the errors raised by :mod:`asgiweb.broadcast`."""


class BroadcastUnavailableError(BroadcastError, ConnectionError):
    """The backend cannot be reached: a publish was not delivered, nothing was sent."""


class SubscriberLaggedError(BroadcastError):
    """A subscriber with ``on_overflow="raise"`` fell more than ``max_queue`` events behind."""


class Event:
    """One published message: ``event.channel`` and ``event.message`` (a ``str``)."""

    __slots__ = ("channel", "message")

    def __init__(self, channel: str, message: str) -> None:
        self.channel = channel
        self.message = message

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Event)
            and self.channel == other.channel
            and self.message == other.message
        )

    def __hash__(self) -> int:
        return hash((self.channel, self.message))

    def __repr__(self) -> str:
        return f"Event(channel={self.channel!r}, message={self.message!r})"


class Subscriber:
    """The events of one channel for one consumer, from a bounded queue.

    Iterate it (``async for event in subscriber``) or call :meth:`get`; the
    iteration ends when the subscription's ``async with`` block is left.
    """

    __slots__ = (
        "_channel",
        "_closed",
        "_lagged",
        "_max_queue",
        "_on_overflow",
        "_queue",
        "_waiter",
        "dropped",
    )

    def __init__(self, channel: str, max_queue: int, on_overflow: OverflowPolicy) -> None:
        self._channel = channel
        self._queue: deque[Event] = deque()
        self._max_queue = max_queue
        self._on_overflow = on_overflow
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._lagged = False
        self.dropped = 0
        """How many events this subscriber lost to its overflow policy."""

    @property
    def channel(self) -> str:
        """The channel this subscriber listens to."""
        return self._channel

    @property
    def pending(self) -> int:
        """How many events wait in this subscriber's queue (at most ``max_queue``)."""
        return len(self._queue)

    def _put(self, event: Event) -> None:
        if self._closed or self._lagged:
            return
        if len(self._queue) >= self._max_queue:
            if self._on_overflow == "raise":
                self._lagged = True
                self._queue.clear()
                self._wake()
                return
            self._queue.popleft()
            self.dropped += 1
            if self.dropped == 1:
                logger.warning(
                    "a subscriber of channel %r cannot keep up: its queue holds %d events, "
                    "so the oldest are being dropped (count in Subscriber.dropped)",
                    self._channel,
                    self._max_queue,
                )
        self._queue.append(event)
        self._wake()

    def _close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Event:
        """The next event; raises ``StopAsyncIteration`` once unsubscribed.

        Raises :class:`SubscriberLaggedError` when the queue overflowed under
        ``on_overflow="raise"``.
        """
        while not self._queue:
            if self._lagged:
                raise SubscriberLaggedError(
                    f"subscriber of channel {self._channel!r} fell more than "
                    f"{self._max_queue} events behind and was cut off"
                )
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> Event:
        return await self.get()


class BroadcastBackend(Protocol):
    """What a transport between processes provides to :class:`Broadcast`."""

    async def connect(self, deliver: Deliver) -> None:
        """Open the connection; call ``deliver(channel, message)`` for each message received."""

    async def disconnect(self) -> None:
        """Close the connection and stop delivering."""

    async def subscribe(self, channel: str) -> None:
        """Start receiving ``channel`` (kept across reconnections)."""

    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel``."""

    async def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every subscriber of ``channel``, in every process."""


class MemoryBackend:
    """Delivery inside one process (``memory://``): no server, nothing crosses processes."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def connect(self, deliver: Deliver) -> None:
        """Start delivering published messages to ``deliver``."""
        self._deliver = deliver

    async def disconnect(self) -> None:
        """Stop delivering."""
        self._deliver = None

    async def subscribe(self, channel: str) -> None:
        """Nothing to do: every channel is delivered in process."""

    async def unsubscribe(self, channel: str) -> None:
        """Nothing to do: every channel is delivered in process."""

    async def publish(self, channel: str, message: str) -> None:
        """Hand the message to this process's subscribers."""
        if self._deliver is None:
            raise BroadcastUnavailableError("the broadcast is not connected; call connect() first")
        self._deliver(channel, message)


def backend_for_url(url: str) -> BroadcastBackend:
    """The backend a URL names: ``memory://``, ``redis://…`` or ``rediss://…``."""
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryBackend()
    if scheme in ("redis", "rediss", "unix"):
        from .broadcast_redis import RedisBackend

        return RedisBackend(url)
    raise ValueError(
        f"unsupported broadcast URL {url!r}: use memory://, redis://host:port/db or rediss://..."
    )


class Broadcast:
    """Publish to channels and subscribe to them, in one process or across many.

    >>> hub = Broadcast("redis://127.0.0.1:6379/0")
    >>> async with hub:
    ...     async with hub.subscribe(channel="news") as subscriber:
    ...         await hub.publish(channel="news", message="hi")
    ...         event = await subscriber.get()

    ``max_queue`` bounds each subscriber's backlog (1,000 events by default)
    and ``on_overflow`` says what happens past it (see :data:`OverflowPolicy`).
    """

    def __init__(
        self,
        url: str = "memory://",
        *,
        backend: BroadcastBackend | None = None,
        max_queue: int = 1000,
        on_overflow: OverflowPolicy = "drop_oldest",
    ) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue!r}")
        if on_overflow not in ("drop_oldest", "raise"):
            raise ValueError(
                f"on_overflow must be 'drop_oldest' or 'raise', got {on_overflow!r}"
            )
        self.url = url
        self._backend = backend if backend is not None else backend_for_url(url)
        self._max_queue = max_queue
        self._on_overflow: OverflowPolicy = on_overflow
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._connected = False

    @property
    def backend(self) -> BroadcastBackend:
        """The transport in use."""
        return self._backend

    async def connect(self) -> None:
        """Connect the backend; raises :class:`BroadcastUnavailableError` if it is unreachable."""
        await self._backend.connect(self._deliver)
        self._connected = True

    async def disconnect(self) -> None:
        """Disconnect the backend and end every subscriber's iteration."""
        self._connected = False
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber._close()
        self._subscribers.clear()
        await self._backend.disconnect()

    async def __aenter__(self) -> Broadcast:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()

    def _deliver(self, channel: str, message: str) -> None:
        subscribers = self._subscribers.get(channel)
        if subscribers:
            event = Event(channel, message)
            for subscriber in subscribers:
                subscriber._put(event)

    async def publish(self, channel: str, message: Any) -> None:
        """Send ``message`` (a ``str``, or anything ``str()`` accepts) to ``channel``.

        Raises :class:`BroadcastUnavailableError` when the backend cannot take
        it: a message is never dropped silently.
        """
        if not self._connected:
            raise BroadcastUnavailableError(
                "the broadcast is not connected; call connect() (or use broadcast.setup(app))"
            )
        await self._backend.publish(channel, message if isinstance(message, str) else str(message))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        """Subscribe to ``channel`` for the duration of an ``async with`` block."""
        if not self._connected:
            raise BroadcastUnavailableError(
                "the broadcast is not connected; call connect() (or use broadcast.setup(app))"
            )
        subscriber = Subscriber(channel, self._max_queue, self._on_overflow)
        subscribers = self._subscribers.get(channel)
        if subscribers is None:
            subscribers = self._subscribers[channel] = set()
            subscribers.add(subscriber)
            try:
                await self._backend.subscribe(channel)
            except BaseException:
                self._remove(subscriber)
                raise
        else:
            subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            subscriber._close()
            if self._remove(subscriber) and self._connected:
                await self._backend.unsubscribe(channel)

    def _remove(self, subscriber: Subscriber) -> bool:
        """Forget ``subscriber``; True when its channel has no subscriber left."""
        subscribers = self._subscribers.get(subscriber.channel)
        if subscribers is None:
            return False
        subscribers.discard(subscriber)
        if subscribers:
            return False
        del self._subscribers[subscriber.channel]
        return True


BROADCAST = AppKey("broadcast", Broadcast)
"""The key under which :func:`setup` stores the app's :class:`Broadcast`."""


def setup(
    app: Application,
    url: str = "memory://",
    *,
    key: AppKey[Broadcast] = BROADCAST,
    **kwargs: Any,
) -> Broadcast:
    """Create a :class:`Broadcast` for ``app``, connected while the app runs.

    It is stored as ``app[broadcast.BROADCAST]`` (or under ``key``), connects
    during startup (a failure stops the server from starting, naming the URL)
    and disconnects at cleanup. ``kwargs`` go to :class:`Broadcast`.
    """
    hub = Broadcast(url, **kwargs)
    app[key] = hub

    async def connected(app: Application) -> AsyncIterator[None]:
        await hub.connect()
        try:
            yield
        finally:
            await hub.disconnect()

    app.cleanup_ctx.append(connected)
    return hub
