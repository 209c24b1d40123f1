"""asgiweb: aiohttp.web's programming model as a native ASGI application.

>>> from asgiweb import web
>>> app = web.Application()

The names of ``asgiweb.web`` are also the package's. ``asgiweb.web`` is
imported on first use rather than here, so that ``python -m asgiweb.web``
runs it as a fresh ``__main__`` without a warning (as ``python -m aiohttp.web``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

from .protocol import HttpVersion10 as HttpVersion10
from .protocol import HttpVersion11 as HttpVersion11

if TYPE_CHECKING:
    from . import web as web
    from .web import *  # noqa: F403

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """A name of ``asgiweb.web`` (importing it on first use), or ``web`` itself."""
    web_module = sys.modules.get(f"{__name__}.web")
    if web_module is None or not hasattr(web_module, "__all__"):
        if name != "web" and (
            (name.startswith("__") and name != "__all__")
            or importlib.util.find_spec(f"{__name__}.{name}") is not None
        ):
            # A submodule being imported (``from . import hdrs``): not ours to answer.
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        web_module = importlib.import_module(".web", __name__)
    names = globals()
    names["web"] = web_module
    names.update((each, getattr(web_module, each)) for each in web_module.__all__)
    names["__all__"] = ("web", "HttpVersion10", "HttpVersion11", "__version__", *web_module.__all__)
    try:
        return names[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
