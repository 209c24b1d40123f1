"""``asgiweb port``: port an aiohttp.web project to asgiweb, mechanically.

>>> from asgiweb.porting import port_source
>>> print(port_source("from aiohttp import web, ClientSession\\n").code, end="")
from aiohttp import ClientSession
from asgiweb import web

:mod:`.rewrite` changes the imports only, keeping every comment and the
layout; :mod:`.findings` lists what is left that ASGI cannot express, with the
replacement docs/porting.md gives; :mod:`.command` is ``asgiweb port PATH
[--write]``. Needs libcst (the ``port`` extra), imported on first use so that
the ``asgiweb`` command works without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .findings import Finding as Finding
    from .source import PortResult as PortResult
    from .source import port_source as port_source

__all__ = ("Finding", "PortResult", "port_source")

_HOMES = {"Finding": ".findings", "PortResult": ".source", "port_source": ".source"}


def __getattr__(name: str) -> Any:
    """``port_source``, ``PortResult`` and ``Finding``, imported (with libcst) on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name], __name__), name)
