"""``EncryptedCookieStorage``: the session as JSON encrypted with Fernet in the cookie.

Needs the ``session`` extra (``pip install 'asgiweb[session]'``, for cryptography).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import fernet

from ..request import Request
from ..response import StreamResponse
from . import AbstractStorage, Session, log

__all__ = ("EncryptedCookieStorage",)


class EncryptedCookieStorage(AbstractStorage):
    """Sessions kept in the client's cookie, encrypted and authenticated with Fernet.

    *secret_key* is 32 raw bytes, a url-safe base64 Fernet key (``str``), or a
    ``Fernet`` instance (``MultiFernet`` for key rotation). With ``max_age``
    a cookie older than that is refused by Fernet's own timestamp too.

    >>> storage = EncryptedCookieStorage(os.urandom(32), max_age=3600, samesite="Lax")
    """

    def __init__(
        self,
        secret_key: str | bytes | bytearray | fernet.Fernet | fernet.MultiFernet,
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
        if isinstance(secret_key, (fernet.Fernet, fernet.MultiFernet)):
            self._fernet = secret_key
        else:
            if isinstance(secret_key, (bytes, bytearray)):
                secret_key = base64.urlsafe_b64encode(secret_key)
            self._fernet = fernet.Fernet(secret_key)

    async def load_session(self, request: Request) -> Session:
        """Decrypt the cookie; anything unreadable gives a new empty session."""
        cookie = self.load_cookie(request)
        if cookie is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        try:
            plain = self._fernet.decrypt(cookie.encode("utf-8"), ttl=self.max_age)
            data = self.decode(plain.decode("utf-8"))
        except (fernet.InvalidToken, UnicodeError):
            data = None
        if not isinstance(data, Mapping):
            log.warning("Cannot decrypt cookie value, create a new fresh session")
            return Session(None, data=None, new=True, max_age=self.max_age)
        return Session(None, data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Encrypt the session into the cookie; an empty session deletes the cookie."""
        if session.empty:
            self.save_cookie(response, "", max_age=session.max_age)
            return
        plain = self.encode(session).encode("utf-8")
        token = self._fernet.encrypt(plain).decode("utf-8")
        self.save_cookie(response, token, max_age=session.max_age)
