"""Which aiohttp module (or add-on) each asgiweb module stands in for, and the names they share.

``MODULES`` maps every server-side module a ported project may import to the
asgiweb module that mirrors its API. ``names_of`` answers whether an asgiweb
module has a given name, so that a name with no counterpart stays on its
aiohttp import and is reported instead of breaking the import.
"""

from __future__ import annotations

import importlib
from functools import cache

__all__ = (
    "CLIENT_NAMES",
    "CLIENT_SHARED_NAMES",
    "MODULES",
    "NAME_ONLY",
    "PYTEST_PLUGINS",
    "ROOTS",
    "names_of",
    "target_of",
)

# aiohttp.web and its implementation modules: their public names are asgiweb.web's.
_WEB_MODULES = (
    "aiohttp.web",
    "aiohttp.web_app",
    "aiohttp.web_exceptions",
    "aiohttp.web_fileresponse",
    "aiohttp.web_log",
    "aiohttp.web_middlewares",
    "aiohttp.web_protocol",
    "aiohttp.web_request",
    "aiohttp.web_response",
    "aiohttp.web_routedef",
    "aiohttp.web_runner",
    "aiohttp.web_server",
    "aiohttp.web_urldispatcher",
    "aiohttp.web_ws",
)

MODULES: dict[str, str] = {
    **dict.fromkeys(_WEB_MODULES, "asgiweb.web"),
    "aiohttp.hdrs": "asgiweb.hdrs",
    "aiohttp.typedefs": "asgiweb.typedefs",
    "aiohttp.abc": "asgiweb.abc",
    "aiohttp.test_utils": "asgiweb.test_utils",
    "aiohttp.pytest_plugin": "asgiweb.pytest_plugin",
    "pytest_aiohttp": "asgiweb.pytest_plugin",
    "aiohttp_jinja2": "asgiweb.templating",
    "aiohttp_session": "asgiweb.session",
    "aiohttp_session.cookie_storage": "asgiweb.session.cookie_storage",
    "aiohttp_session.redis_storage": "asgiweb.session.redis_storage",
    "aiohttp_session.memcached_storage": "asgiweb.session",  # not provided: reported
    "aiohttp_session.nacl_storage": "asgiweb.session",  # not provided: reported
    "aiohttp_security": "asgiweb.security",
    "aiohttp_security.abc": "asgiweb.security",
    "aiohttp_security.api": "asgiweb.security",
    "aiohttp_security.cookies_identity": "asgiweb.security",
    "aiohttp_security.session_identity": "asgiweb.security",
    "aiohttp_security.jwt_identity": "asgiweb.security",  # not provided: reported
    "aiohttp_cors": "asgiweb.cors",
    **dict.fromkeys(
        (
            "aiohttp_cors.abc",
            "aiohttp_cors.cors_config",
            "aiohttp_cors.mixin",
            "aiohttp_cors.preflight_handler",
            "aiohttp_cors.resource_options",
        ),
        "asgiweb.cors",
    ),
    "aiohttp_remotes": "asgiweb.remotes",
    **dict.fromkeys(
        (
            "aiohttp_remotes.allowed_hosts",
            "aiohttp_remotes.basic_auth",
            "aiohttp_remotes.cloudflare",  # not provided: reported
            "aiohttp_remotes.exceptions",
            "aiohttp_remotes.forwarded",
            "aiohttp_remotes.secure",
            "aiohttp_remotes.x_forwarded",
        ),
        "asgiweb.remotes",
    ),
    "aiohttp_jinja2.helpers": "asgiweb.templating",
    "aiohttp_swagger": "asgiweb.swagger",
    "aiohttp_swagger.helpers": "asgiweb.swagger",
    "aiohttp_debugtoolbar": "asgiweb.debugtoolbar",
    "aiojobs.aiohttp": "asgiweb.jobs",
}
"""aiohttp module or add-on → the asgiweb module with its API."""

CLIENT_NAMES: dict[str, frozenset[str] | None] = {
    "aiohttp.typedefs": None,
    "aiohttp.abc": frozenset(
        {"AbstractResolver", "AbstractCookieJar", "ResolveResult", "ClearCookiePredicate"}
    ),
}
"""Modules of ``MODULES`` that hold client names too (``None``: any name asgiweb lacks).

Such a name stays on its aiohttp import without being reported.
"""

NAME_ONLY = frozenset(
    {
        *CLIENT_NAMES,
        "aiohttp_session.memcached_storage",
        "aiohttp_session.nacl_storage",
        "aiohttp_security.jwt_identity",
        "aiohttp_remotes.cloudflare",
    }
)
"""Modules of ``MODULES`` that move name by name only: imported whole, they stay.

asgiweb has their names in a module that also holds others (or not at all),
so ``import aiohttp.abc`` cannot become one asgiweb import.
"""

ROOTS = frozenset(name.split(".")[0] for name in MODULES)
"""Top-level names under which some module of ``MODULES`` lives."""

PYTEST_PLUGINS: dict[str, str] = {
    "aiohttp.pytest_plugin": "asgiweb.pytest_plugin",
    "pytest_aiohttp": "asgiweb.pytest_plugin",
    "pytest_aiohttp.pytest_plugin": "asgiweb.pytest_plugin",
}
"""Plugin names a ``pytest_plugins`` variable may list, and their asgiweb plugin."""

CLIENT_SHARED_NAMES = frozenset(
    {
        "WSMsgType",
        "WSCloseCode",
        "WSMessage",
        "HttpVersion",
        "HttpVersion10",
        "HttpVersion11",
    }
)
"""Names of the ``aiohttp`` package that server code uses too.

They move to ``asgiweb.web`` only in a file that uses none of aiohttp's
client: there the values compare equal to aiohttp's, so client code that
tests ``msg.type is aiohttp.WSMsgType.TEXT`` keeps aiohttp's own.
"""


def target_of(module: str) -> str | None:
    """The asgiweb module for an aiohttp *module*, or ``None`` if it stays as it is.

    >>> target_of("aiohttp.web_request")
    'asgiweb.web'
    """
    return MODULES.get(module)


@cache
def names_of(module: str) -> frozenset[str] | None:
    """The public names of asgiweb *module*, or ``None`` if it cannot be imported here.

    A module that needs an extra that is not installed (``asgiweb.templating``
    without jinja2) cannot be checked; every name is then taken as present.
    """
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return None
    exported = getattr(loaded, "__all__", None)
    names = set(exported) if exported is not None else set()
    names.update(name for name in vars(loaded) if not name.startswith("_"))
    return frozenset(names)
