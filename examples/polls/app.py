"""Polls: templates, sessions, login and permissions, a CORS JSON API, behind a proxy.

The same shape as aiohttp-demos' polls, on asgiweb's add-ons::

    python examples/polls/app.py            # http://127.0.0.1:8080, ada/lovelace or grace/hopper

Behind nginx on 10.0.0.1 that sets ``X-Forwarded-For``, ``-Proto`` and
``-Host``, pass ``trusted_proxies=[["10.0.0.1"]]`` (``POLLS_TRUSTED_PROXY``):
the app then sees the client's address and builds its links with the public
origin. ``POLLS_API_ORIGINS`` lists the sites whose scripts may read the
JSON API (comma-separated).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from asgiweb import cors as aiohttp_cors
from asgiweb import remotes as aiohttp_remotes
from asgiweb import security as aiohttp_security
from asgiweb import session as aiohttp_session
from asgiweb import templating as aiohttp_jinja2
from asgiweb import web
from asgiweb.session.cookie_storage import EncryptedCookieStorage

HERE = Path(__file__).resolve().parent


@dataclass
class Choice:
    id: int
    text: str
    votes: int = 0


@dataclass
class Question:
    id: int
    text: str
    choices: list[Choice] = field(default_factory=list)
    voters: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.text,
            "choices": [{"id": c.id, "text": c.text, "votes": c.votes} for c in self.choices],
        }


@dataclass(frozen=True)
class User:
    name: str
    salt: bytes
    password_hash: bytes
    permissions: frozenset[str]


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000)


def make_user(name: str, password: str, *permissions: str) -> User:
    salt = os.urandom(16)
    return User(name, salt, hash_password(password, salt), frozenset(permissions))


QUESTIONS = web.AppKey("questions", dict[int, Question])
USERS = web.AppKey("users", dict[str, User])


def sample_questions() -> dict[int, Question]:
    return {
        1: Question(1, "What's new?", [Choice(1, "Not much"), Choice(2, "The sky")]),
        2: Question(2, "Tabs or spaces?", [Choice(1, "Tabs"), Choice(2, "Spaces")]),
    }


class UserAuthorizationPolicy(aiohttp_security.AbstractAuthorizationPolicy):
    """Users and their permissions from the app's user table."""

    def __init__(self, users: dict[str, User]) -> None:
        self._users = users

    async def authorized_userid(self, identity: str) -> str | None:
        return identity if identity in self._users else None

    async def permits(self, identity: str | None, permission: Any, context: Any = None) -> bool:
        user = self._users.get(identity or "")
        return user is not None and permission in user.permissions


def check_credentials(users: dict[str, User], name: str, password: str) -> bool:
    user = users.get(name)
    if user is None:
        hash_password(password, b"0" * 16)  # same work whether or not the user exists
        return False
    return hmac.compare_digest(user.password_hash, hash_password(password, user.salt))


def get_question(request: web.Request) -> Question:
    try:
        return request.app[QUESTIONS][int(request.match_info["id"])]
    except (KeyError, ValueError):
        raise web.HTTPNotFound(text="No such poll")


def safe_next(target: str | None) -> str:
    """Only a local path, so the login form cannot send anyone to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


async def current_user(request: web.Request) -> dict[str, Any]:
    """Context processor: every template knows who is signed in."""
    return {"user": await aiohttp_security.authorized_userid(request)}


@aiohttp_jinja2.template("index.html")
async def index(request: web.Request) -> dict[str, Any]:
    return {"questions": list(request.app[QUESTIONS].values()), "canonical": request.url}


@aiohttp_jinja2.template("detail.html")
async def poll(request: web.Request) -> dict[str, Any]:
    return {"question": get_question(request), "error": None}


async def vote(request: web.Request) -> web.StreamResponse:
    question = get_question(request)
    if await aiohttp_security.is_anonymous(request):
        raise web.HTTPFound(f"/login?next=/poll/{question.id}")
    await aiohttp_security.check_permission(request, "vote")
    userid = await aiohttp_security.authorized_userid(request)
    form = await request.post()
    try:
        choice = next(c for c in question.choices if str(c.id) == form.get("choice"))
    except StopIteration:
        return aiohttp_jinja2.render_template(
            "detail.html",
            request,
            {"question": question, "error": "You didn't select a choice."},
            status=400,
        )
    if userid not in question.voters:
        choice.votes += 1
        question.voters.add(str(userid))
    raise web.HTTPFound(str(request.app.router["results"].url_for(id=str(question.id))))


@aiohttp_jinja2.template("results.html")
async def results(request: web.Request) -> dict[str, Any]:
    return {"question": get_question(request)}


@aiohttp_jinja2.template("login.html")
async def login_form(request: web.Request) -> dict[str, Any]:
    return {"error": None, "next": safe_next(request.query.get("next"))}


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    name = str(form.get("login", ""))
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    if not check_credentials(request.app[USERS], name, password):
        return aiohttp_jinja2.render_template(
            "login.html",
            request,
            {"error": "Invalid username or password", "next": target},
            status=401,
        )
    await aiohttp_session.new_session(request)  # nothing from before login survives it
    response = web.HTTPFound(target)
    await aiohttp_security.remember(request, response, name)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    response = web.HTTPFound("/")
    await aiohttp_security.forget(request, response)
    raise response


async def admin(request: web.Request) -> web.Response:
    await aiohttp_security.check_permission(request, "admin")
    voters = sorted({v for q in request.app[QUESTIONS].values() for v in q.voters})
    return web.json_response({"voters": voters})


async def api_polls(request: web.Request) -> web.Response:
    polls = [q.as_json() for q in request.app[QUESTIONS].values()]
    return web.json_response(polls, headers={"X-Total-Count": str(len(polls))})


async def api_poll(request: web.Request) -> web.Response:
    return web.json_response(get_question(request).as_json())


async def create_app(
    *,
    secret_key: bytes | None = None,
    trusted_proxies: Sequence[Sequence[str]] | None = None,
    api_origins: Sequence[str] = (),
    secure_cookies: bool = False,
) -> web.Application:
    """The polls app; *secret_key* is 32 bytes (random when not given)."""
    app = web.Application()
    app[QUESTIONS] = sample_questions()
    app[USERS] = {
        "ada": make_user("ada", "lovelace", "vote", "admin"),
        "grace": make_user("grace", "hopper", "vote"),
    }
    if trusted_proxies:
        # first, so that everything after it sees the client and the public origin
        await aiohttp_remotes.setup(app, aiohttp_remotes.XForwardedStrict(trusted_proxies))
    storage = EncryptedCookieStorage(
        secret_key or os.urandom(32),
        cookie_name="POLLS_SESSION",
        max_age=3600,
        samesite="Lax",
        secure=secure_cookies or None,
    )
    aiohttp_session.setup(app, storage)
    aiohttp_security.setup(
        app, aiohttp_security.SessionIdentityPolicy(), UserAuthorizationPolicy(app[USERS])
    )
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        context_processors=[aiohttp_jinja2.request_processor, current_user],
    )
    app.router.add_get("/", index, name="index")
    app.router.add_get("/poll/{id}", poll, name="poll")
    app.router.add_post("/poll/{id}/vote", vote, name="vote")
    app.router.add_get("/poll/{id}/results", results, name="results")
    app.router.add_get("/login", login_form, name="login")
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout, name="logout")
    app.router.add_get("/admin", admin)
    cors = aiohttp_cors.setup(
        app,
        defaults={
            origin: aiohttp_cors.ResourceOptions(expose_headers=("X-Total-Count",), max_age=600)
            for origin in api_origins
        },
    )
    cors.add(app.router.add_get("/api/polls", api_polls))
    cors.add(app.router.add_get("/api/polls/{id}", api_poll))
    return app


def main() -> None:
    proxy = os.environ.get("POLLS_TRUSTED_PROXY")
    secret = os.environ.get("POLLS_SECRET")
    origins = [o for o in os.environ.get("POLLS_API_ORIGINS", "").split(",") if o]
    web.run_app(
        create_app(
            secret_key=base64.urlsafe_b64decode(secret) if secret else None,
            trusted_proxies=[[proxy]] if proxy else None,
            api_origins=origins,
        ),
        host="127.0.0.1",
        port=8080,
    )


if __name__ == "__main__":
    main()
