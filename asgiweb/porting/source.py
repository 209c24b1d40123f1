"""Port the source text of one module: the rewrite, then the findings."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from .findings import Finding, find
from .rewrite import rewrite_module

__all__ = ("PortResult", "port_source")


@dataclass(frozen=True)
class PortResult:
    """The ported text of one module and what it still needs from a person."""

    original: str
    code: str
    findings: list[Finding]

    @property
    def changed(self) -> bool:
        """Whether the port rewrote anything."""
        return self.code != self.original


def port_source(source: str) -> PortResult:
    """Port the Python *source* of one module (raises ``libcst.ParserSyntaxError``).

    >>> port_source("import aiohttp_jinja2\\n").code
    'from asgiweb import templating as aiohttp_jinja2\\n'
    """
    module = cst.parse_module(source)
    new, unmapped = rewrite_module(module)
    return PortResult(source, new.code, find(new, unmapped))
