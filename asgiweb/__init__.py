"""asgiweb: aiohttp.web's programming model as a native ASGI application.

>>> from asgiweb import web
>>> app = web.Application()
"""

from __future__ import annotations

from . import web
from .protocol import HttpVersion10, HttpVersion11
from .web import *  # noqa: F403
from .web import __all__ as _web_all

__version__ = "0.1.0"

__all__ = ("web", "HttpVersion10", "HttpVersion11", "__version__", *_web_all)
