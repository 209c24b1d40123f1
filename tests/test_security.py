"""``asgiweb.security`` against aiohttp_security 0.5: the same app, response by response."""

from __future__ import annotations

import base64
import enum
import json
from types import ModuleType
from typing import Any

import aiohttp.web
import aiohttp_security
import aiohttp_session
import aiohttp_session.cookie_storage
import httpx
import pytest
from cryptography import fernet

from asgiweb import security as asgi_security
from asgiweb import session as asgi_session
from asgiweb import web as asgi_web
from asgiweb.session import cookie_storage as asgi_cookie_storage

from .differential import ServeBoth, shape

pytestmark = pytest.mark.filterwarnings("ignore:It is recommended to use web.RequestKey")

KEY = bytes(range(32))
FERNET = fernet.Fernet(base64.urlsafe_b64encode(KEY))
USERS = {"ada": {"read", "admin"}, "bob": {"read"}}


class Perm(enum.Enum):
    admin = "admin"
    read = "read"


def decode(value: str) -> Any:
    """A cookie value: an encrypted session's items, or a plain identity."""
    try:
        return json.loads(FERNET.decrypt(value.encode()).decode()).get("session")
    except fernet.InvalidToken:
        return value


def build(web: ModuleType, security: ModuleType, sessions: ModuleType | None, storage: Any) -> Any:
    """A login/logout app with a session- or cookie-based identity."""

    class Policy(security.AbstractAuthorizationPolicy):  # type: ignore[misc, name-defined]
        async def authorized_userid(self, identity: str) -> str | None:
            return identity if identity in USERS else None

        async def permits(self, identity: str | None, permission: Any, context: Any = None) -> bool:
            name = permission.value if isinstance(permission, enum.Enum) else permission
            if identity is None:
                return bool(name == "public")
            return name in USERS.get(identity, set())

    app = web.Application()
    if sessions is not None:
        sessions.setup(app, storage)
        security.setup(app, security.SessionIdentityPolicy(), Policy())
    else:
        security.setup(app, security.CookiesIdentityPolicy(), Policy())

    async def login(request: Any) -> Any:
        response = web.HTTPFound("/whoami")
        await security.remember(request, response, request.query["user"])
        raise response

    async def login_options(request: Any) -> Any:
        response = web.Response(text="remembered")
        await security.remember(
            request, response, "ada", max_age=None, secure=True, samesite="Strict"
        )
        return response

    async def logout(request: Any) -> Any:
        await security.check_authorized(request)
        response = web.Response(text="logged out")
        await security.forget(request, response)
        return response

    async def whoami(request: Any) -> Any:
        return web.json_response(
            {
                "userid": await security.authorized_userid(request),
                "anonymous": await security.is_anonymous(request),
                "public": await security.permits(request, "public"),
                "admin": await security.permits(request, Perm.admin),
            }
        )

    async def protected(request: Any) -> Any:
        return web.Response(text=await security.check_authorized(request))

    async def admin(request: Any) -> Any:
        await security.check_permission(request, "admin")
        return web.Response(text="admin area")

    async def admin_enum(request: Any) -> Any:
        await security.check_permission(request, Perm.admin)
        return web.Response(text="admin area")

    async def bad_identity(request: Any) -> Any:
        await security.remember(request, web.Response(), "")
        return web.Response()

    async def bad_permission(request: Any) -> Any:
        await security.permits(request, 42)
        return web.Response()

    for path, handler in [
        ("/login", login),
        ("/login-options", login_options),
        ("/logout", logout),
        ("/whoami", whoami),
        ("/protected", protected),
        ("/admin", admin),
        ("/admin-enum", admin_enum),
        ("/bad-identity", bad_identity),
        ("/bad-permission", bad_permission),
    ]:
        app.router.add_get(path, handler)
    return app


PAGES = ["/whoami", "/protected", "/admin", "/admin-enum", "/logout"]


async def compare_flow(pair: Any) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for path in [*PAGES, "/bad-identity", "/bad-permission", "/login-options"]:
            theirs, ours = await pair.both(client, "GET", path)
            assert shape(ours, decode) == shape(theirs, decode), path
        for user in ("ada", "bob", "ghost"):
            theirs, ours = await pair.both(client, "GET", f"/login?user={user}")
            assert shape(ours, decode) == shape(theirs, decode), user
            cookie = ours.headers["set-cookie"].split(";")[0]
            for path in PAGES:
                # each side also reads the cookie the other side wrote
                for base in (pair.theirs, pair.ours):
                    client.cookies.clear()
                    response = await client.get(base + path, headers={"Cookie": cookie})
                    if base == pair.theirs:
                        expected = shape(response, decode)
                    else:
                        assert shape(response, decode) == expected, (user, path)


async def test_session_identity_as_aiohttp_security(serve_both: ServeBoth) -> None:
    pair = await serve_both(
        build(
            aiohttp.web,
            aiohttp_security,
            aiohttp_session,
            aiohttp_session.cookie_storage.EncryptedCookieStorage(KEY, samesite="Lax"),
        ),
        build(
            asgi_web,
            asgi_security,
            asgi_session,
            asgi_cookie_storage.EncryptedCookieStorage(KEY, samesite="Lax"),
        ),
    )
    await compare_flow(pair)


async def test_cookies_identity_as_aiohttp_security(serve_both: ServeBoth) -> None:
    pair = await serve_both(
        build(aiohttp.web, aiohttp_security, None, None),
        build(asgi_web, asgi_security, None, None),
    )
    await compare_flow(pair)


async def test_statuses_and_reasons(client_for: Any) -> None:
    storage = asgi_cookie_storage.EncryptedCookieStorage(KEY)
    client = await client_for(build(asgi_web, asgi_security, asgi_session, storage))
    anonymous = await client.get("/admin")
    assert anonymous.status_code == 401 and anonymous.text == "401: Unauthorized"
    login = await client.get("/login", params={"user": "bob"}, follow_redirects=True)
    assert login.json() == {"userid": "bob", "anonymous": False, "public": False, "admin": False}
    forbidden = await client.get("/admin")
    assert forbidden.status_code == 403
    # ASGI carries no reason phrase: the reason reaches the client in the body, as in aiohttp
    assert forbidden.text == "403: User does not have 'admin' permission"
    enum_forbidden = await client.get("/admin-enum")
    assert enum_forbidden.text == "403: User does not have 'Perm.admin' permission"
    await client.get("/logout")
    assert (await client.get("/protected")).status_code == 401


async def test_without_setup(client_for: Any) -> None:
    app = asgi_web.Application()

    async def handler(request: Any) -> Any:
        return asgi_web.json_response(
            {
                "permits": await asgi_security.permits(request, "x"),
                "userid": await asgi_security.authorized_userid(request),
                "anonymous": await asgi_security.is_anonymous(request),
            }
        )

    async def login(request: Any) -> Any:
        await asgi_security.remember(request, asgi_web.Response(), "ada")
        return asgi_web.Response()

    async def logout(request: Any) -> Any:
        await asgi_security.forget(request, asgi_web.Response())
        return asgi_web.Response()

    app.router.add_get("/", handler)
    app.router.add_get("/login", login)
    app.router.add_get("/logout", logout)
    client = await client_for(app)
    assert (await client.get("/")).json() == {"permits": True, "userid": None, "anonymous": True}
    for path in ("/login", "/logout"):
        response = await client.get(path)
        assert response.status_code == 500
        assert "call aiohttp_security.setup(...) first" in response.text


def test_setup_checks_policy_types() -> None:
    app = asgi_web.Application()
    with pytest.raises(ValueError, match="Identity policy"):
        asgi_security.setup(app, object(), object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Authentication policy"):
        asgi_security.setup(app, asgi_security.CookiesIdentityPolicy(), object())  # type: ignore[arg-type]
