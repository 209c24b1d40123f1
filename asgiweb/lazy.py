"""``reify``: a property computed on first access and then stored on the instance.

The descriptor is propcache's ``cached_property`` (a C extension, and the one
aiohttp and yarl use): a non-data descriptor, so after the first access Python
finds the value in the instance ``__dict__`` and never calls it again.

>>> class Request:
...     @reify
...     def query(self) -> dict[str, str]:
...         return parse(self.query_string)
"""

from __future__ import annotations

from propcache.api import cached_property as reify

__all__ = ("reify",)
