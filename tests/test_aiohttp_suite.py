"""aiohttp 3.14's own server tests, run against asgiweb on uvicorn: the porting yardstick.

Downloads the aiohttp sdist (cached; never stored in this repository), runs
its server-side test modules through ``tests/aiohttp_suite`` and checks the
figure: every applicable test passes, except the ones ASGI or uvicorn make
impossible, which are listed with their reasons in ``tests/aiohttp_suite/rules.py``
and docs/porting.md.

It takes a few minutes, so it runs when ``ASGIWEB_AIOHTTP_SUITE=1`` (CI sets
it, in a step of its own); ``python -m tests.aiohttp_suite.run`` prints the
figure and every failure.
"""

from __future__ import annotations

import os

import pytest

from .aiohttp_suite import rules, run

pytestmark = pytest.mark.skipif(
    os.environ.get("ASGIWEB_AIOHTTP_SUITE") != "1",
    reason="the aiohttp suite runs with ASGIWEB_AIOHTTP_SUITE=1 (CI's own step)",
)


@pytest.mark.timeout(900)
def test_aiohttp_suite_applicable_tests_pass() -> None:
    result = run.run()
    print(result.figure())
    failures = {nodeid: result.messages.get(nodeid, "") for nodeid in result.failed}
    assert failures == {}, result.figure()
    # every "impossible" test ran and failed for its stated reason
    assert all(rules.impossible(nodeid) for nodeid in result.impossible)
    assert result.applicable > 600, result.figure()
