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


def test_every_aiohttp_hdrs_name_exists_with_the_same_value() -> None:
    """``asgiweb.hdrs`` has each constant of ``aiohttp.hdrs``, equal to aiohttp's."""
    import aiohttp.hdrs

    from asgiweb import hdrs

    names = [name for name in dir(aiohttp.hdrs) if name.isupper()]
    assert len(names) > 100
    missing = [name for name in names if not hasattr(hdrs, name)]
    assert missing == []
    different = [name for name in names if getattr(hdrs, name) != getattr(aiohttp.hdrs, name)]
    assert different == []
