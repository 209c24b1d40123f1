"""``asgiweb.web`` has every name of ``aiohttp.web.__all__`` (aiohttp 3.14)."""

from __future__ import annotations

import aiohttp.web

from asgiweb import web

# Names another part of the project is still adding; none are left.
PENDING: frozenset[str] = frozenset()


def test_every_aiohttp_web_name_exists() -> None:
    missing = sorted(set(aiohttp.web.__all__) - set(web.__all__) - PENDING)
    assert missing == []
    for name in set(aiohttp.web.__all__) - PENDING:
        assert hasattr(web, name), name


def test_pending_names_are_still_pending() -> None:
    landed = sorted(name for name in PENDING if hasattr(web, name))
    assert landed == [], f"{landed} exist now: remove them from PENDING"
