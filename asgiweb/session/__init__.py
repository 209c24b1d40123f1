"""User sessions with aiohttp_session's API: ``from asgiweb import session as aiohttp_session``.

>>> from asgiweb.session.cookie_storage import EncryptedCookieStorage
>>> aiohttp_session.setup(app, EncryptedCookieStorage(secret_32_bytes))
>>> async def handler(request):
...     session = await aiohttp_session.get_session(request)
...     session["visits"] = session.get("visits", 0) + 1

A session is loaded on first ``get_session`` and saved by the middleware when
it changed. A cookie that cannot be read (tampered, truncated, expired, made
with another key, not JSON) gives a new empty session, never an error.
"""

from __future__ import annotations

import abc
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypedDict

from ..exceptions import HTTPException
from ..middlewares import middleware
from ..request import Request
from ..response import Response, StreamResponse
from ..typedefs import Handler, Middleware

if TYPE_CHECKING:
    from ..app import Application

__all__ = (
    "SESSION_KEY",
    "STORAGE_KEY",
    "AbstractStorage",
    "Session",
    "SessionData",
    "SimpleCookieStorage",
    "get_session",
    "new_session",
    "session_middleware",
    "setup",
)

log = logging.getLogger("asgiweb.session")

#: ``request[SESSION_KEY]``: the session loaded for this request.
SESSION_KEY = "aiohttp_session"
#: ``request[STORAGE_KEY]``: the storage the middleware put on the request.
STORAGE_KEY = "aiohttp_session_storage"


class SessionData(TypedDict, total=False):
    """What a storage keeps: the creation time and the session's items."""

    created: int
    session: dict[str, Any]


class CookieParams(TypedDict, total=False):
    """The ``set_cookie`` arguments a storage uses for its cookie."""

    domain: str | None
    max_age: int | None
    path: str
    secure: bool | None
    httponly: bool
    samesite: str | None
    expires: str


class Session(MutableMapping[str, Any]):
    """A dict-like session; writing to it marks it changed so that it is saved.

    *data* older than *max_age* seconds is dropped: the session starts empty.
    """

    def __init__(
        self,
        identity: Any | None,
        *,
        data: Mapping[str, Any] | None,
        new: bool,
        max_age: int | None = None,
    ) -> None:
        if data is not None and not isinstance(data, Mapping):
            data = None  # a stored value of the wrong shape: start afresh
        self._changed = False
        self._mapping: dict[str, Any] = {}
        empty_record = data is not None and not data
        self._identity = None if empty_record else identity
        self._new = True if empty_record else new
        self._max_age = max_age
        created = data.get("created") if data else None
        items = data.get("session") if data else None
        now = int(time.time())
        age = now - created if isinstance(created, int) and created else now
        if max_age is not None and age > max_age:
            items = None
        self._created = now if self._new or not isinstance(created, int) else created
        if isinstance(items, Mapping):
            self._mapping.update(items)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} [new:{self._new}, changed:{self._changed}, "
            f"created:{self._created}] {self._mapping!r}>"
        )

    @property
    def new(self) -> bool:
        """True when no stored session was found for the request (or it was unreadable)."""
        return self._new

    @property
    def identity(self) -> Any | None:
        """The storage's key for this session (the Redis key), ``None`` for cookie storages."""
        return self._identity

    @property
    def created(self) -> int:
        """When the session was created or last written, in seconds since the epoch."""
        return self._created

    @property
    def empty(self) -> bool:
        """True when the session holds no items."""
        return not self._mapping

    @property
    def max_age(self) -> int | None:
        """The cookie's lifetime in seconds; set it to change this session's cookie."""
        return self._max_age

    @max_age.setter
    def max_age(self, value: int | None) -> None:
        self._max_age = value

    @property
    def is_changed(self) -> bool:
        """Whether the middleware will save this session."""
        return self._changed

    def changed(self) -> None:
        """Mark the session changed (after mutating a value in place)."""
        self._changed = True

    def invalidate(self) -> None:
        """Empty the session; the storage then deletes its cookie."""
        self._changed = True
        self._mapping = {}

    def set_new_identity(self, identity: Any | None) -> None:
        """Give a new session the storage key *identity*."""
        if not self._new:
            raise RuntimeError("Can't change identity for a session which is not new")
        self._identity = identity

    def items_for_storage(self) -> dict[str, Any]:
        """The items as a plain dict, for a storage to encode."""
        return self._mapping

    def __len__(self) -> int:
        return len(self._mapping)

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping)

    def __contains__(self, key: object) -> bool:
        return key in self._mapping

    def __getitem__(self, key: str) -> Any:
        return self._mapping[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._mapping[key] = value
        self._changed = True
        self._created = int(time.time())

    def __delitem__(self, key: str) -> None:
        del self._mapping[key]
        self._changed = True
        self._created = int(time.time())


def _storage_of(request: Request) -> AbstractStorage:
    storage = request.get(STORAGE_KEY)
    if storage is None:
        raise RuntimeError("Install aiohttp_session middleware in your aiohttp.web.Application")
    return storage  # type: ignore[no-any-return]


def _checked(storage: AbstractStorage, session: object) -> Session:
    if not isinstance(session, Session):
        raise RuntimeError(
            f"Installed {storage!r} storage should return session instance "
            f"on .load_session() call, got {session!r}."
        )
    return session


async def get_session(request: Request) -> Session:
    """The request's session, loaded from the storage on first call."""
    session = request.get(SESSION_KEY)
    if session is None:
        storage = _storage_of(request)
        session = _checked(storage, await storage.load_session(request))
        request[SESSION_KEY] = session
    return session


async def new_session(request: Request) -> Session:
    """Replace the request's session with a new, empty one (with a new identity when saved).

    Call it at login so that an identity planted before login is never reused
    (session fixation).
    """
    storage = _storage_of(request)
    session = _checked(storage, await storage.new_session())
    request[SESSION_KEY] = session
    return session


def session_middleware(storage: AbstractStorage) -> Middleware:
    """The middleware that gives requests *storage* and saves changed sessions."""
    if not isinstance(storage, AbstractStorage):
        raise RuntimeError(f"Expected AbstractStorage got {storage}")

    @middleware
    async def session_saver(request: Request, handler: Handler) -> StreamResponse:
        request[STORAGE_KEY] = storage
        raised: HTTPException | None = None
        try:
            response = await handler(request)
        except HTTPException as exc:
            response = raised = exc
        if not isinstance(response, StreamResponse):
            raise RuntimeError(f"Expect response, not {type(response)!r}")
        if not isinstance(response, Response):
            return response  # streamed or a WebSocket: too late for a cookie
        if response.prepared:
            raise RuntimeError("Cannot save session data into prepared response")
        session = request.get(SESSION_KEY)
        if session is not None and session.is_changed:
            await storage.save_session(request, response, session)
        if raised is not None:
            raise raised
        return response

    return session_saver


def setup(app: Application, storage: AbstractStorage) -> None:
    """Install the session middleware with *storage* on *app*."""
    app.middlewares.append(session_middleware(storage))


class AbstractStorage(abc.ABC):
    """A place to keep sessions; the cookie's name and attributes are set here.

    Defaults as aiohttp_session: cookie ``AIOHTTP_SESSION``, path ``/``,
    ``HttpOnly``, no ``Max-Age`` (a browser-session cookie), no ``Domain``,
    ``Secure`` and ``SameSite`` unset.
    """

    def __init__(
        self,
        *,
        cookie_name: str = "AIOHTTP_SESSION",
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = None,
        encoder: Callable[[object], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
    ) -> None:
        self._cookie_name = cookie_name
        self._cookie_params = CookieParams(
            domain=domain,
            max_age=max_age,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
        self._max_age = max_age
        self._encoder = encoder
        self._decoder = decoder

    @property
    def cookie_name(self) -> str:
        """The session cookie's name."""
        return self._cookie_name

    @property
    def max_age(self) -> int | None:
        """Lifetime of new sessions in seconds (``None``: until the browser closes)."""
        return self._max_age

    @property
    def cookie_params(self) -> CookieParams:
        """The attributes of the session cookie."""
        return self._cookie_params

    def _get_session_data(self, session: Session) -> SessionData:
        # aiohttp_session's name: storages written for it call this with _encoder
        if session.empty:
            return {}
        return {"created": session.created, "session": session.items_for_storage()}

    def encode(self, session: Session) -> str:
        """*session* as the text a storage keeps: its creation time and items, encoded.

        ``self._encoder(self._get_session_data(session))`` in aiohttp_session's
        storages; an empty session encodes its data as ``{}``.
        """
        return self._encoder(self._get_session_data(session))

    def decode(self, text: str) -> Any | None:
        """*text* through the decoder; ``None`` when it is not valid."""
        try:
            return self._decoder(text)
        except (ValueError, TypeError):
            return None

    async def new_session(self) -> Session:
        """A new empty session."""
        return Session(None, data=None, new=True, max_age=self.max_age)

    @abc.abstractmethod
    async def load_session(self, request: Request) -> Session:
        """The session for *request* (a new one when none is stored or it is unreadable)."""

    @abc.abstractmethod
    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Store *session* and set the cookie on *response*."""

    def load_cookie(self, request: Request) -> str | None:
        """The session cookie's value in *request*, if any."""
        return request.cookies.get(self._cookie_name)

    def save_cookie(
        self, response: StreamResponse, cookie_data: str, *, max_age: int | None = None
    ) -> None:
        """Set the session cookie to *cookie_data*, or delete it when that is empty."""
        params = self._cookie_params.copy()
        if max_age is not None:
            params["max_age"] = max_age
            expires = time.gmtime(time.time() + max_age)
            params["expires"] = time.strftime("%a, %d-%b-%Y %T GMT", expires)
        if not cookie_data:
            response.del_cookie(
                self._cookie_name, domain=params.get("domain"), path=params.get("path", "/")
            )
        else:
            response.set_cookie(self._cookie_name, cookie_data, **params)


class SimpleCookieStorage(AbstractStorage):
    """The session as plain JSON in the cookie: readable and forgeable, for tests only."""

    async def load_session(self, request: Request) -> Session:
        """The session from the cookie; a new one when there is none or it is not JSON."""
        cookie = self.load_cookie(request)
        if cookie is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        data = self.decode(cookie)
        if not isinstance(data, Mapping):
            return Session(None, data=None, new=True, max_age=self.max_age)
        return Session(None, data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Write the session as JSON into the cookie."""
        self.save_cookie(response, self.encode(session), max_age=session.max_age)
