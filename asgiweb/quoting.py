"""Percent-encoding of URL paths, as the router and static files need it.

``quote_path`` encodes a decoded path for a URL; ``requote_path`` does the
same but keeps existing ``%XX`` escapes; ``unquote_path_safe`` undoes the two
escapes a routing path keeps (``%2F`` and ``%25``, see aiohttp's ``path_safe``).
"""

from __future__ import annotations

from yarl import URL


def quote_path(value: str) -> str:
    """Percent-encode a decoded path: ``quote_path("/a b")`` is ``"/a%20b"``."""
    return URL.build(path=value, encoded=False).raw_path


def requote_path(value: str) -> str:
    """Like :func:`quote_path`, leaving the ``%`` of existing escapes alone."""
    result = quote_path(value)
    if "%" in value:
        result = result.replace("%25", "%")
    return result


def unquote_path_safe(value: str) -> str:
    """Decode the ``%2F`` and ``%25`` a routing path keeps: ``"a%2Fb"`` is ``"a/b"``."""
    if "%" not in value:
        return value
    return value.replace("%2F", "/").replace("%25", "%")


__all__ = ("quote_path", "requote_path", "unquote_path_safe")
