"""aiohttp.abc's server-side names: ``from asgiweb.abc import AbstractAccessLogger``.

This module only re-exports. aiohttp.abc's client names (``AbstractResolver``,
``AbstractCookieJar``) and its router internals (``AbstractRouter``,
``AbstractMatchInfo``, ``AbstractStreamWriter``) have no asgiweb counterpart.
"""

from __future__ import annotations

from .accesslog import AbstractAccessLogger
from .routing import AbstractView

__all__ = ("AbstractAccessLogger", "AbstractView")
