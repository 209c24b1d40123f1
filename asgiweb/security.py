"""Authentication and authorization with aiohttp_security's API.

``from asgiweb import security as aiohttp_security``: an *identity policy*
says who the client claims to be (a session key, a cookie), an
*authorization policy* says what that identity may do.

>>> aiohttp_security.setup(app, SessionIdentityPolicy(), MyAuthorizationPolicy())
>>> async def admin_page(request):
...     await aiohttp_security.check_permission(request, "admin")  # 401 or 403
"""

from __future__ import annotations

import abc
import enum
from typing import TYPE_CHECKING, Any, Final

from .exceptions import HTTPForbidden, HTTPInternalServerError, HTTPUnauthorized
from .keys import AppKey
from .request import Request
from .response import StreamResponse
from .session import get_session

if TYPE_CHECKING:
    from .app import Application

__all__ = (
    "AUTZ_KEY",
    "IDENTITY_KEY",
    "AbstractAuthorizationPolicy",
    "AbstractIdentityPolicy",
    "CookiesIdentityPolicy",
    "SessionIdentityPolicy",
    "authorized_userid",
    "check_authorized",
    "check_permission",
    "forget",
    "is_anonymous",
    "permits",
    "remember",
    "setup",
)


class AbstractIdentityPolicy(abc.ABC):
    """Finds, remembers and forgets the identity a request claims."""

    @abc.abstractmethod
    async def identify(self, request: Request) -> str | None:
        """The identity *request* claims, or ``None``."""

    @abc.abstractmethod
    async def remember(
        self, request: Request, response: StreamResponse, identity: str, **kwargs: Any
    ) -> None:
        """Make later requests claim *identity* (a cookie on *response*, a session entry)."""

    @abc.abstractmethod
    async def forget(self, request: Request, response: StreamResponse) -> None:
        """Make later requests claim no identity."""


class AbstractAuthorizationPolicy(abc.ABC):
    """Maps identities to users and decides what they may do."""

    @abc.abstractmethod
    async def permits(
        self, identity: str | None, permission: str | enum.Enum, context: Any = None
    ) -> bool:
        """Whether *identity* (``None`` for anonymous clients) has *permission*."""

    @abc.abstractmethod
    async def authorized_userid(self, identity: str) -> str | None:
        """The user id behind *identity*, or ``None`` when there is no such user."""


#: Where :func:`setup` keeps the identity policy.
IDENTITY_KEY: Final = AppKey("IDENTITY_KEY", AbstractIdentityPolicy)
#: Where :func:`setup` keeps the authorization policy.
AUTZ_KEY: Final = AppKey("AUTZ_KEY", AbstractAuthorizationPolicy)

_NOT_SET_UP = "Security subsystem is not initialized, call aiohttp_security.setup(...) first"


def _identity_policy(request: Request) -> AbstractIdentityPolicy:
    policy = request.config_dict.get(IDENTITY_KEY)
    if policy is None:
        # the text is both the reason phrase and the body, as in aiohttp_security
        raise HTTPInternalServerError(reason=_NOT_SET_UP, text=_NOT_SET_UP)
    return policy  # type: ignore[no-any-return]


async def remember(
    request: Request, response: StreamResponse, identity: str, **kwargs: Any
) -> None:
    """Remember *identity* through the identity policy (e.g. on login).

    >>> response = web.HTTPFound("/")
    >>> await aiohttp_security.remember(request, response, "ada")
    >>> raise response
    """
    if not identity or not isinstance(identity, str):
        raise ValueError("Identity should be a str value.")
    await _identity_policy(request).remember(request, response, identity, **kwargs)


async def forget(request: Request, response: StreamResponse) -> None:
    """Forget the remembered identity (e.g. on logout)."""
    await _identity_policy(request).forget(request, response)


async def authorized_userid(request: Request) -> str | None:
    """The user id of the request's identity, ``None`` when anonymous or unknown."""
    identity_policy = request.config_dict.get(IDENTITY_KEY)
    autz_policy = request.config_dict.get(AUTZ_KEY)
    if identity_policy is None or autz_policy is None:
        return None
    identity = await identity_policy.identify(request)
    if identity is None:
        return None
    return await autz_policy.authorized_userid(identity)  # type: ignore[no-any-return]


async def permits(request: Request, permission: str | enum.Enum, context: Any = None) -> bool:
    """Whether the request's identity (anonymous included) has *permission*.

    Without :func:`setup`, everything is permitted, as in aiohttp_security.
    """
    if not permission or not isinstance(permission, (str, enum.Enum)):
        raise ValueError("Permission should be a str or enum value.")
    identity_policy = request.config_dict.get(IDENTITY_KEY)
    autz_policy = request.config_dict.get(AUTZ_KEY)
    if identity_policy is None or autz_policy is None:
        return True
    identity = await identity_policy.identify(request)
    return await autz_policy.permits(identity, permission, context)  # type: ignore[no-any-return]


async def is_anonymous(request: Request) -> bool:
    """True when the request claims no identity."""
    identity_policy = request.config_dict.get(IDENTITY_KEY)
    if identity_policy is None:
        return True
    return await identity_policy.identify(request) is None


async def check_authorized(request: Request) -> str:
    """The user id, or ``HTTPUnauthorized`` (401) for an anonymous or unknown identity."""
    userid = await authorized_userid(request)
    if userid is None:
        raise HTTPUnauthorized()
    return userid


async def check_permission(
    request: Request, permission: str | enum.Enum, context: Any = None
) -> None:
    """401 for anonymous clients, 403 for users without *permission*, else nothing."""
    await check_authorized(request)
    if not await permits(request, permission, context):
        raise HTTPForbidden(reason=f"User does not have '{permission}' permission")


def setup(
    app: Application,
    identity_policy: AbstractIdentityPolicy,
    autz_policy: AbstractAuthorizationPolicy,
) -> None:
    """Install the two policies on *app* (they apply to its sub-apps too)."""
    if not isinstance(identity_policy, AbstractIdentityPolicy):
        raise ValueError("Identity policy is not subclass of AbstractIdentityPolicy")
    if not isinstance(autz_policy, AbstractAuthorizationPolicy):
        raise ValueError("Authentication policy is not subclass of AbstractAuthorizationPolicy")
    app[IDENTITY_KEY] = identity_policy
    app[AUTZ_KEY] = autz_policy


class SessionIdentityPolicy(AbstractIdentityPolicy):
    """The identity lives in the session (:mod:`asgiweb.session`) under *session_key*."""

    def __init__(self, session_key: str = "AIOHTTP_SECURITY") -> None:
        self._session_key = session_key

    async def identify(self, request: Request) -> str | None:
        """The identity stored in the session."""
        session = await get_session(request)
        identity: str | None = session.get(self._session_key)
        return identity

    async def remember(
        self, request: Request, response: StreamResponse, identity: str, **kwargs: Any
    ) -> None:
        """Store *identity* in the session."""
        session = await get_session(request)
        session[self._session_key] = identity

    async def forget(self, request: Request, response: StreamResponse) -> None:
        """Remove the identity from the session."""
        session = await get_session(request)
        session.pop(self._session_key, None)


class _Default(enum.Enum):
    MAX_AGE = enum.auto()


class CookiesIdentityPolicy(AbstractIdentityPolicy):
    """The identity in plain text in the ``AIOHTTP_SECURITY`` cookie (30 days).

    The client can write any identity into it: use it for demonstrations, and
    :class:`SessionIdentityPolicy` with an encrypted session otherwise.
    """

    def __init__(self) -> None:
        self._cookie_name = "AIOHTTP_SECURITY"
        self._max_age = 30 * 24 * 3600

    async def identify(self, request: Request) -> str | None:
        """The cookie's value."""
        return request.cookies.get(self._cookie_name)

    async def remember(
        self,
        request: Request,
        response: StreamResponse,
        identity: str,
        max_age: int | _Default | None = _Default.MAX_AGE,
        **kwargs: Any,
    ) -> None:
        """Set the cookie; *kwargs* are ``set_cookie``'s (``secure=True``, ``samesite=``...)."""
        if max_age is _Default.MAX_AGE:
            max_age = self._max_age
        response.set_cookie(self._cookie_name, identity, max_age=max_age, **kwargs)

    async def forget(self, request: Request, response: StreamResponse) -> None:
        """Delete the cookie."""
        response.del_cookie(self._cookie_name)
