"""``asgiweb.session`` against aiohttp_session 2.12: the same app, response by response.

Cookie values cannot be compared byte for byte (Fernet tokens carry a random
IV and a timestamp, Redis keys are random), so each Set-Cookie is compared by
its attributes and by what it decodes to; and a cookie made by one side is
sent to the other, which must read it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import aiohttp.web
import aiohttp_session
import aiohttp_session.cookie_storage
import aiohttp_session.redis_storage
import httpx
import pytest
from cryptography import fernet
from redis import asyncio as aioredis

from asgiweb import session as asgi_session
from asgiweb import web as asgi_web
from asgiweb.session import cookie_storage as asgi_cookie_storage
from asgiweb.session import redis_storage as asgi_redis_storage

from .differential import ServeBoth, shape

# aiohttp_session itself stores its objects under str keys, which aiohttp warns about.
pytestmark = pytest.mark.filterwarnings("ignore:It is recommended to use web.RequestKey")

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
FERNET = fernet.Fernet(base64.urlsafe_b64encode(KEY))


def build(web: ModuleType, sessions: ModuleType, storage: Any) -> Any:
    """Handlers touching every part of the session API."""
    app = web.Application()
    sessions.setup(app, storage)

    async def show(request: Any) -> Any:
        session = await sessions.get_session(request)
        return web.json_response({"new": session.new, "items": dict(session)})

    async def set_items(request: Any) -> Any:
        session = await sessions.get_session(request)
        for key, value in request.query.items():
            session[key] = value
        return web.json_response(dict(session))

    async def login(request: Any) -> Any:
        old = await sessions.get_session(request)
        seen = dict(old)
        session = await sessions.new_session(request)
        session["user"] = request.query.get("user", "ada")
        return web.json_response({"before": seen, "new": session.new})

    async def logout(request: Any) -> Any:
        session = await sessions.get_session(request)
        session.invalidate()
        return web.Response(text="bye")

    async def redirect(request: Any) -> Any:
        session = await sessions.get_session(request)
        session["flash"] = "saved"
        raise web.HTTPFound("/show")

    async def forbidden(request: Any) -> Any:
        session = await sessions.get_session(request)
        session["denied"] = "1"
        raise web.HTTPForbidden(text="no")

    async def remember_me(request: Any) -> Any:
        session = await sessions.get_session(request)
        session.max_age = 600
        session["long"] = "yes"
        return web.Response(text="ok")

    async def mutate(request: Any) -> Any:
        session = await sessions.get_session(request)
        session.setdefault("list", [])  # MutableMapping.setdefault writes: the session changed
        return web.json_response(session["list"])

    async def touch_empty(request: Any) -> Any:
        session = await sessions.get_session(request)
        session.changed()
        return web.Response(text="touched")

    async def read_only(request: Any) -> Any:
        session = await sessions.get_session(request)
        return web.Response(text=str(len(session)))

    async def stream(request: Any) -> Any:
        session = await sessions.get_session(request)
        session["streamed"] = "1"
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"streamed")
        return response

    app.router.add_get("/show", show)
    app.router.add_get("/set", set_items)
    app.router.add_get("/login", login)
    app.router.add_get("/logout", logout)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/forbidden", forbidden)
    app.router.add_get("/remember", remember_me)
    app.router.add_get("/mutate", mutate)
    app.router.add_get("/touch", touch_empty)
    app.router.add_get("/read", read_only)
    app.router.add_get("/stream", stream)
    return app


def decoded_items(plain: str) -> Any:
    data = json.loads(plain)
    return data.get("session") if isinstance(data, dict) else data


def decode_simple(value: str) -> Any:
    return decoded_items(value)


def decode_encrypted(value: str) -> Any:
    return decoded_items(FERNET.decrypt(value.encode()).decode())


STEPS = [
    ("/show", None),
    ("/set?a=1&b=two", None),
    ("/show", "set"),
    ("/read", "set"),
    ("/login?user=grace", "set"),
    ("/logout", "set"),
    ("/redirect", None),
    ("/forbidden", None),
    ("/remember", None),
    ("/mutate", None),
    ("/touch", None),
    ("/stream", None),
]

STORAGE_OPTIONS: list[dict[str, Any]] = [
    {},
    {
        "cookie_name": "SID",
        "domain": "example.com",
        "max_age": 3600,
        "path": "/app",
        "secure": True,
        "httponly": False,
        "samesite": "Strict",
    },
    {"samesite": "Lax", "max_age": 60},
]


async def run_steps(pair: Any, decode: Callable[[str], Any]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        cookies: dict[str, str] = {}
        for path, use in STEPS:
            headers = {"Cookie": cookies["set"]} if use else {}
            theirs, ours = await pair.both(client, "GET", path, headers=headers)
            assert shape(ours, decode) == shape(theirs, decode), path
            if path.startswith("/set"):
                cookie = theirs.headers["set-cookie"].split(";")[0]
                cookies["set"] = cookie
                # and the cookie ours made reads the same on their side, and back
                client.cookies.clear()
                theirs_reads = await client.get(pair.theirs + "/show", headers={"Cookie": cookie})
                ours_cookie = ours.headers["set-cookie"].split(";")[0]
                ours_reads = await client.get(pair.ours + "/show", headers={"Cookie": ours_cookie})
                cross = await client.get(pair.theirs + "/show", headers={"Cookie": ours_cookie})
                assert theirs_reads.json() == ours_reads.json() == cross.json()
                assert cross.json() == {"new": False, "items": {"a": "1", "b": "two"}}


@pytest.mark.parametrize("options", STORAGE_OPTIONS, ids=["defaults", "all-set", "lax"])
async def test_encrypted_cookie_storage_as_aiohttp_session(
    serve_both: ServeBoth, options: dict[str, Any]
) -> None:
    pair = await serve_both(
        build(
            aiohttp.web,
            aiohttp_session,
            aiohttp_session.cookie_storage.EncryptedCookieStorage(KEY, **options),
        ),
        build(asgi_web, asgi_session, asgi_cookie_storage.EncryptedCookieStorage(KEY, **options)),
    )
    await run_steps(pair, decode_encrypted)


async def test_simple_cookie_storage_as_aiohttp_session(serve_both: ServeBoth) -> None:
    pair = await serve_both(
        build(aiohttp.web, aiohttp_session, aiohttp_session.SimpleCookieStorage()),
        build(asgi_web, asgi_session, asgi_session.SimpleCookieStorage()),
    )
    await run_steps(pair, decode_simple)


def base64_storage(sessions: ModuleType, *, aiohttp_style: bool) -> Any:
    """A storage of one's own: the session's JSON, base64-encoded, in the cookie.

    ``aiohttp_style`` writes it as aiohttp_session's storages are written
    (``self._encoder(self._get_session_data(session))``, ``self._decoder``);
    otherwise through asgiweb's ``encode()``/``decode()``.
    """

    class Base64CookieStorage(sessions.AbstractStorage):  # type: ignore[name-defined,misc]
        async def load_session(self, request: Any) -> Any:
            cookie = self.load_cookie(request)
            if cookie is None:
                return sessions.Session(None, data=None, new=True, max_age=self.max_age)
            text = base64.urlsafe_b64decode(cookie.encode()).decode()
            data = self._decoder(text) if aiohttp_style else self.decode(text)
            return sessions.Session(None, data=data, new=False, max_age=self.max_age)

        async def save_session(self, request: Any, response: Any, session: Any) -> None:
            if aiohttp_style:
                text = self._encoder(self._get_session_data(session))
            else:
                text = self.encode(session)
            cookie = base64.urlsafe_b64encode(text.encode()).decode()
            self.save_cookie(response, cookie, max_age=session.max_age)

    return Base64CookieStorage()


def decode_base64(value: str) -> Any:
    return decoded_items(base64.urlsafe_b64decode(value.encode()).decode())


@pytest.mark.parametrize("aiohttp_style", [True, False], ids=["private-names", "encode-decode"])
async def test_own_storage_written_for_aiohttp_session_ports(
    serve_both: ServeBoth, aiohttp_style: bool
) -> None:
    pair = await serve_both(
        build(aiohttp.web, aiohttp_session, base64_storage(aiohttp_session, aiohttp_style=True)),
        build(asgi_web, asgi_session, base64_storage(asgi_session, aiohttp_style=aiohttp_style)),
    )
    await run_steps(pair, decode_base64)


def bad_cookies() -> dict[str, str]:
    good = FERNET.encrypt(json.dumps({"created": int(time.time()), "session": {"u": "x"}}).encode())
    token = good.decode()
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    wrong_key = fernet.Fernet(base64.urlsafe_b64encode(OTHER_KEY)).encrypt(b'{"session": {}}')
    old = int(time.time()) - 7200
    expired_token = FERNET.encrypt_at_time(
        json.dumps({"created": old, "session": {"u": "x"}}).encode(), old
    )
    stale_data = FERNET.encrypt(json.dumps({"created": old, "session": {"u": "x"}}).encode())
    return {
        "tampered": flipped,
        "truncated": token[:-7],
        "wrong-key": wrong_key.decode(),
        "expired-token": expired_token.decode(),
        "expired-data": stale_data.decode(),
        "garbage": "not-a-token",
        "empty": "",
        "quoted": '"abc"',
        "non-ascii": "%C3%A9t%C3%A9",
    }


async def test_unreadable_cookies_give_a_new_empty_session(serve_both: ServeBoth) -> None:
    options = {"max_age": 3600}
    pair = await serve_both(
        build(
            aiohttp.web,
            aiohttp_session,
            aiohttp_session.cookie_storage.EncryptedCookieStorage(KEY, **options),
        ),
        build(asgi_web, asgi_session, asgi_cookie_storage.EncryptedCookieStorage(KEY, **options)),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        for label, value in bad_cookies().items():
            headers = {"Cookie": f"AIOHTTP_SESSION={value}"}
            theirs, ours = await pair.both(client, "GET", "/show", headers=headers)
            assert ours.status_code == 200, label
            assert ours.json()["items"] == {}, label
            # only a cookie too old by its own "created" stamp still counts as not new
            assert ours.json()["new"] is (label != "expired-data"), label
            assert shape(ours, decode_encrypted) == shape(theirs, decode_encrypted), label


async def test_simple_storage_survives_bad_json(client_for: Any) -> None:
    """aiohttp_session answers 500 here; asgiweb starts a new session (docs/sessions.md)."""
    client = await client_for(build(asgi_web, asgi_session, asgi_session.SimpleCookieStorage()))
    for value in ("{not json", "[1,2]", "1", '{"session": 5}', '{"created": "x"}'):
        response = await client.get("/show", headers={"Cookie": f"AIOHTTP_SESSION={value}"})
        assert response.status_code == 200, value
        assert response.json()["items"] == {}, value


async def test_encrypted_storage_key_forms_and_rotation(client_for: Any) -> None:
    as_text = base64.urlsafe_b64encode(KEY).decode()
    new_key = fernet.Fernet(base64.urlsafe_b64encode(OTHER_KEY))
    rotating = fernet.MultiFernet([new_key, FERNET])
    for secret in (KEY, bytearray(KEY), as_text, FERNET, rotating):
        storage = asgi_cookie_storage.EncryptedCookieStorage(secret)
        client = await client_for(build(asgi_web, asgi_session, storage))
        old = FERNET.encrypt(b'{"created": 1, "session": {"k": "v"}}').decode()
        response = await client.get("/show", headers={"Cookie": f"AIOHTTP_SESSION={old}"})
        assert response.json() == {"new": False, "items": {"k": "v"}}, type(secret)
    with pytest.raises(ValueError):
        asgi_cookie_storage.EncryptedCookieStorage(b"short")


async def test_misuse_errors(client_for: Any) -> None:
    app = asgi_web.Application()

    async def handler(request: Any) -> Any:
        await asgi_session.get_session(request)
        return asgi_web.Response()

    app.router.add_get("/", handler)
    client = await client_for(app)
    assert (await client.get("/")).status_code == 500
    with pytest.raises(RuntimeError, match="Expected AbstractStorage"):
        asgi_session.session_middleware(object())  # type: ignore[arg-type]
    session = asgi_session.Session("id", data={"created": 1, "session": {}}, new=False)
    with pytest.raises(RuntimeError, match="not new"):
        session.set_new_identity("other")
    assert not session.new and session.identity == "id" and session.empty
    assert "new:False" in repr(session)


async def test_redis_storage_as_aiohttp_session(serve_both: ServeBoth, redis_url: str) -> None:
    theirs_redis = aioredis.from_url(redis_url)
    ours_redis = aioredis.from_url(redis_url)
    try:
        options = {"max_age": 120, "samesite": "Lax", "cookie_name": "RSID"}
        pair = await serve_both(
            build(
                aiohttp.web,
                aiohttp_session,
                aiohttp_session.redis_storage.RedisStorage(theirs_redis, **options),
            ),
            build(
                asgi_web,
                asgi_session,
                asgi_redis_storage.RedisStorage(ours_redis, **options),
            ),
        )
        async with httpx.AsyncClient(timeout=10) as client:
            theirs, ours = await pair.both(client, "GET", "/set?a=1")
            key = ours.cookies["RSID"]
            assert shape(ours, lambda v: "<key>") == shape(theirs, lambda v: "<key>")
            assert await ours_redis.ttl(f"RSID_{key}") > 100
            # a key saved by ours is read by theirs, and the other way round
            for base, cookie in ((pair.theirs, key), (pair.ours, theirs.cookies["RSID"])):
                read = await client.get(base + "/show", headers={"Cookie": f"RSID={cookie}"})
                assert read.json() == {"new": False, "items": {"a": "1"}}
            # an unknown key: a new empty session on both
            t, o = await pair.both(client, "GET", "/show", headers={"Cookie": "RSID=unknown"})
            assert o.status_code == t.status_code == 200
            assert o.json() == t.json() == {"new": True, "items": {}}
            # a stored value that is not UTF-8 JSON: aiohttp_session answers 500, we start afresh
            await ours_redis.set("RSID_notjson", b"\xff{")
            o = await client.get(pair.ours + "/show", headers={"Cookie": "RSID=notjson"})
            assert o.json() == {"new": False, "items": {}}
            # login replaces the key (session fixation) and keeps nothing from before
            theirs_login, ours_login = await pair.both(
                client, "GET", "/login", headers={"Cookie": f"RSID={key}"}
            )
            new_key = ours_login.cookies["RSID"]
            assert new_key != key and theirs_login.cookies["RSID"] != theirs.cookies["RSID"]
            assert ours_login.json() == theirs_login.json() == {"before": {"a": "1"}, "new": True}
            stored = json.loads(await ours_redis.get(f"RSID_{new_key}"))
            assert stored["session"] == {"user": "ada"}
            # logout empties the record and deletes the cookie, on both
            their_key = theirs_login.cookies["RSID"]
            client.cookies.clear()
            t = await client.get(pair.theirs + "/logout", headers={"Cookie": f"RSID={their_key}"})
            client.cookies.clear()
            o = await client.get(pair.ours + "/logout", headers={"Cookie": f"RSID={new_key}"})
            assert shape(o, lambda v: "<key>") == shape(t, lambda v: "<key>")
            assert json.loads(await ours_redis.get(f"RSID_{new_key}")) == {}
    finally:
        await theirs_redis.aclose()
        await ours_redis.aclose()


def test_redis_storage_refuses_a_non_redis_client() -> None:
    with pytest.raises(TypeError, match=r"Expected redis\.asyncio\.Redis"):
        asgi_redis_storage.RedisStorage(object())  # type: ignore[arg-type]
