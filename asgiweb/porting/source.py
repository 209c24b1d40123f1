"""Port the source text of one module: the rewrite, then the findings."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from .findings import Finding, find
from .modules import ROOTS
from .rewrite import rewrite_module

__all__ = ("PortResult", "port_source")


# A file that names none of these has nothing to port and nothing to report.
_MENTIONS = re.compile("|".join(sorted({*ROOTS, "asgiweb", "GunicornWebWorker"})))


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
    if not _MENTIONS.search(source):
        return PortResult(source, source, [])  # nothing of aiohttp's server here: skip the parse
    module = cst.parse_module(source)
    new, unmapped = rewrite_module(module)
    if "asgiweb" not in new.code and not unmapped:
        return PortResult(source, new.code, [])
    return PortResult(source, new.code, find(new, unmapped))
