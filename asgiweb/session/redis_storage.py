"""``RedisStorage``: sessions kept in Redis, the cookie holding only a random key.

Needs the ``redis`` extra (``pip install 'asgiweb[redis]'``, for redis-py's asyncio client).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from redis import asyncio as aioredis

from ..request import Request
from ..response import StreamResponse
from . import AbstractStorage, Session

__all__ = ("RedisStorage",)


def _random_key() -> str:
    return uuid.uuid4().hex


class RedisStorage(AbstractStorage):
    """Sessions in Redis under ``<cookie_name>_<key>``, expiring after ``max_age``.

    A session made by ``new_session`` gets a fresh key from *key_factory*
    when saved, so a key known before login is never reused after it.

    >>> storage = RedisStorage(redis.asyncio.from_url("redis://127.0.0.1:6379"))
    """

    def __init__(
        self,
        redis_pool: aioredis.Redis,
        *,
        cookie_name: str = "AIOHTTP_SESSION",
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = None,
        key_factory: Callable[[], str] = _random_key,
        encoder: Callable[[object], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
    ) -> None:
        super().__init__(
            cookie_name=cookie_name,
            domain=domain,
            max_age=max_age,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            encoder=encoder,
            decoder=decoder,
        )
        if not isinstance(redis_pool, aioredis.Redis):
            raise TypeError(f"Expected redis.asyncio.Redis got {type(redis_pool)}")
        self._key_factory = key_factory
        self._redis = redis_pool

    def _redis_key(self, key: str) -> str:
        return f"{self.cookie_name}_{key}"

    async def load_session(self, request: Request) -> Session:
        """The session stored under the cookie's key; a new one when Redis has none."""
        key = self.load_cookie(request)
        if key is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        stored = await self._redis.get(self._redis_key(key))
        if stored is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        try:
            text = stored.decode("utf-8") if isinstance(stored, bytes) else str(stored)
        except UnicodeDecodeError:
            text = ""
        return Session(key, data=self.decode(text), new=False, max_age=self.max_age)

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Store the session (with ``max_age`` as its Redis expiry) and set the key cookie."""
        key = session.identity
        if key is None:
            key = self._key_factory()
            self.save_cookie(response, key, max_age=session.max_age)
        else:
            key = str(key)
            self.save_cookie(response, "" if session.empty else key, max_age=session.max_age)
        data = self.encode(session)
        await self._redis.set(self._redis_key(key), data, ex=session.max_age)
