"""A debug toolbar and error page with aiohttp_debugtoolbar's API.

``from asgiweb import debugtoolbar as aiohttp_debugtoolbar`` is the whole
port:

>>> from asgiweb import debugtoolbar
>>> app = web.Application()
>>> debugtoolbar.setup(app)

Clients whose address is in ``hosts`` (loopback by default) then get a
toolbar on every HTML page and an HTML error page with the traceback, the
locals and the request for unhandled exceptions; its pages live under
``/_debugtoolbar``. Needs the ``debugtoolbar`` extra
(``pip install 'asgiweb[debugtoolbar]'``). Never use it in production.
"""

from __future__ import annotations

from . import panels
from .config import APP_KEY, ToolbarState, default_global_panel_names, default_panel_names, setup
from .middleware import middleware, toolbar_middleware_factory
from .panels import DebugPanel

__all__ = (
    "APP_KEY",
    "DebugPanel",
    "ToolbarState",
    "default_global_panel_names",
    "default_panel_names",
    "middleware",
    "panels",
    "setup",
    "toolbar_middleware_factory",
)
