"""Property-based tests of the input parsers: every fuzz target, briefly.

The same targets run for minutes with ``python -m tests.fuzz <target> --minutes N``
(docs/reliability.md). Here each runs a fixed number of examples, sized so that
the whole module stays within a few seconds.
"""

from __future__ import annotations

import pytest

from .fuzz import TARGETS, runner

EXAMPLES = {
    "header-params": 80,
    "cookies": 80,
    "range": 80,
    "conditionals": 60,
    "path-quoting": 100,
    "urlencoded": 50,
    "multipart": 50,
}


def test_every_target_has_a_budget() -> None:
    assert set(EXAMPLES) == set(TARGETS)


@pytest.mark.parametrize(
    ("name", "index"),
    [(name, i) for name, targets in TARGETS.items() for i in range(len(targets))],
)
def test_property(name: str, index: int) -> None:
    runner(TARGETS[name][index], EXAMPLES[name])()
