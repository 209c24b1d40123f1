"""The Redis transport of :mod:`asgiweb.broadcast`, on redis-py's asyncio pub/sub.

One connection publishes, one listens. The listener reconnects by itself:
when Redis goes away it logs one WARNING, retries with exponential backoff
(``reconnect_min`` doubling up to ``reconnect_max`` seconds), subscribes
again to every channel that still has subscribers, and logs when it is back.
Messages published while Redis was down are lost (Redis pub/sub keeps
nothing), but nobody publishes them silently: :meth:`RedisBackend.publish`
raises :class:`~asgiweb.broadcast.BroadcastUnavailableError` at once.

redis-py's own retries are turned off on both connections, so a publish
fails fast and the listener's backoff is the only retry loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .broadcast import BroadcastUnavailableError, Deliver

try:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "the redis:// broadcast backend needs redis-py: pip install 'asgiweb[redis]'"
    ) from exc

__all__ = ("RedisBackend",)

logger = logging.getLogger("asgiweb.broadcast")

_LOST = (RedisConnectionError, RedisTimeoutError, OSError, EOFError)


def _safe_url(url: str) -> str:
    """The URL without its password, for log lines and error messages."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


class RedisBackend:
    """Redis pub/sub for :class:`~asgiweb.broadcast.Broadcast` (``redis://`` / ``rediss://``).

    ``connect_timeout`` bounds each connection attempt; ``reconnect_min`` and
    ``reconnect_max`` bound the listener's backoff between attempts.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 5.0,
        reconnect_min: float = 0.1,
        reconnect_max: float = 5.0,
    ) -> None:
        self.url = url
        self._connect_timeout = connect_timeout
        self._reconnect_min = reconnect_min
        self._reconnect_max = reconnect_max
        self._client: Redis | None = None
        self._channels: set[str] = set()
        self._ready = asyncio.Event()
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._pubsub: PubSub | None = None
        self._deliver: Deliver | None = None

    def _new_client(self) -> Redis:
        return Redis.from_url(
            self.url,
            decode_responses=True,
            socket_connect_timeout=self._connect_timeout,
            retry=Retry(NoBackoff(), 0),
        )

    async def connect(self, deliver: Deliver) -> None:
        """Check that Redis answers, then start the listener."""
        self._deliver = deliver
        self._client = self._new_client()
        try:
            await self._client.ping()
        except (*_LOST, RedisError) as exc:
            await self._client.aclose()
            self._client = None
            raise BroadcastUnavailableError(
                f"cannot connect to Redis at {_safe_url(self.url)}: {exc}"
            ) from exc
        self._listener = asyncio.create_task(self._listen(), name="asgiweb-broadcast-redis")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._ready.wait(), self._connect_timeout)

    async def disconnect(self) -> None:
        """Stop the listener and close both connections."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._deliver = None

    async def subscribe(self, channel: str) -> None:
        """Listen to ``channel``, now and after every reconnection.

        Returns once Redis has confirmed the subscription (so a message
        published afterwards, from any process, arrives), or after
        ``connect_timeout`` while Redis is down: the listener subscribes again
        as soon as it is back.
        """
        self._channels.add(channel)
        if self._pubsub is None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._ready.wait(), self._connect_timeout)
        pubsub = self._pubsub
        if pubsub is None:
            return  # the listener subscribes to every channel once Redis is back
        confirmed = self._pending.get(channel)
        if confirmed is None:
            confirmed = self._pending[channel] = asyncio.get_running_loop().create_future()
        try:
            await pubsub.subscribe(channel)
            await asyncio.wait_for(asyncio.shield(confirmed), self._connect_timeout)
        except (*_LOST, RedisError, asyncio.TimeoutError) as exc:
            # the listener subscribes again to every channel once Redis answers
            logger.warning("subscribing to %r is not confirmed yet (%r)", channel, exc)

    async def unsubscribe(self, channel: str) -> None:
        """Stop listening to ``channel``."""
        self._channels.discard(channel)
        pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(*_LOST, RedisError):
                await pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: str) -> None:
        """PUBLISH to Redis; raises ``BroadcastUnavailableError`` when Redis is unreachable."""
        if self._client is None:
            raise BroadcastUnavailableError("the Redis broadcast backend is not connected")
        try:
            await self._client.publish(channel, message)
        except (*_LOST, RedisError) as exc:
            raise BroadcastUnavailableError(
                f"could not publish to channel {channel!r}: Redis at {_safe_url(self.url)} "
                f"is unreachable ({exc}); the message was not sent"
            ) from exc

    async def _listen(self) -> None:
        """Receive messages forever, reconnecting with backoff when Redis goes away."""
        delay = self._reconnect_min
        down_since: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            client = self._new_client()
            pubsub = client.pubsub()
            try:
                if self._channels:
                    await pubsub.subscribe(*self._channels)
                else:
                    await pubsub.ping()  # connects, or raises while Redis is down
                self._pubsub = pubsub
                self._ready.set()
                if down_since is not None:
                    logger.warning(
                        "Redis at %s is back after %.1f s; %d subscription(s) restored",
                        _safe_url(self.url),
                        loop.time() - down_since,
                        len(self._channels),
                    )
                    down_since = None
                    delay = self._reconnect_min
                await self._receive(pubsub)
            except Exception as exc:
                if not isinstance(exc, _LOST):
                    logger.exception("the Redis broadcast listener failed; reconnecting")
                if down_since is None:
                    down_since = loop.time()
                    logger.warning(
                        "lost Redis at %s (%s); subscriptions paused, reconnecting with backoff",
                        _safe_url(self.url),
                        exc or type(exc).__name__,
                    )
                else:
                    delay = min(delay * 2, self._reconnect_max)
            finally:
                self._pubsub = None
                self._ready.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay)

    async def _receive(self, pubsub: PubSub) -> None:
        """Deliver messages and confirm subscriptions until the connection fails."""
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is None:
                continue
            kind = message.get("type")
            if kind == "message":
                deliver = self._deliver
                if deliver is not None:
                    deliver(message["channel"], message["data"])
            elif kind == "subscribe":
                confirmed = self._pending.pop(message["channel"], None)
                if confirmed is not None and not confirmed.done():
                    confirmed.set_result(None)
