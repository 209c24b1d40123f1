"""Which of aiohttp's tests apply to asgiweb, and which ASGI or uvicorn make impossible.

Every entry names tests by a node-id prefix (``module::test_name``; the
``[pyloop]`` parameter and others follow) and says why.
"""

from __future__ import annotations

# Tests that exercise aiohttp's internals rather than its public web API.
NOT_APPLICABLE: dict[str, str] = {}

# Tests that apply but cannot pass under ASGI or uvicorn; each is in docs/porting.md.
IMPOSSIBLE: dict[str, str] = {}


def _lookup(table: dict[str, str], nodeid: str) -> str | None:
    for prefix, reason in table.items():
        if nodeid == prefix or nodeid.startswith((prefix + "[", prefix + "::")):
            return reason
    return None


def not_applicable(nodeid: str) -> str | None:
    """The reason *nodeid* does not apply to asgiweb, or ``None``."""
    return _lookup(NOT_APPLICABLE, nodeid)


def impossible(nodeid: str) -> str | None:
    """The reason *nodeid* cannot pass under ASGI/uvicorn, or ``None``."""
    return _lookup(IMPOSSIBLE, nodeid)
