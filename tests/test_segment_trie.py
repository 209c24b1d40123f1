"""The segment trie against the plain answer: each pattern's full regular expression, in order."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgiweb.segment_trie import PLAIN_VARIABLE, Piece, SegmentTrie, regex_stays_in_segment

REGEXES = [
    PLAIN_VARIABLE,
    r"\d+",
    "[ab]+",
    "a|b",
    ".*",
    ".+",
    r"\d+/\d+",
    "[^/]+",
    r"(?=a)\w+",
    "b?",
    r"[^a]*",
    r"\w+(?<!b)",
]
LITERALS = ["/", "/a", "/b/", "a", ".", "/12", "//", "-"]


@st.composite
def patterns(draw: st.DrawFn) -> list[Piece]:
    pieces: list[Piece] = [("/", None)]
    for index in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            pieces.append((draw(st.sampled_from(LITERALS)), None))
        else:
            pieces.append((f"v{index}", draw(st.sampled_from(REGEXES))))
    return pieces


def full_regex(pieces: list[Piece]) -> re.Pattern[str]:
    return re.compile(
        "".join(
            re.escape(text) if regex is None else f"(?P<{text}>{regex})" for text, regex in pieces
        )
    )


paths = st.lists(
    st.sampled_from(["", "a", "b", "ab", "12", "3", "a.b", "-", "a-b", "ba", "{x}", "a%2Fb"]),
    max_size=5,
).map(lambda segments: "/" + "/".join(segments))


@settings(max_examples=300, deadline=None)
@given(table=st.lists(patterns(), min_size=1, max_size=25), probes=st.lists(paths, max_size=10))
def test_search_finds_what_each_regex_finds(table: list[list[Piece]], probes: list[str]) -> None:
    trie = SegmentTrie()
    for key, pieces in reversed(list(enumerate(table))):  # any insertion order
        trie.add(key, pieces)
    assert len(trie) == len(table)
    compiled = [full_regex(pieces) for pieces in table]
    for path in probes:
        expected = []
        for key, regex in enumerate(compiled):
            match = regex.fullmatch(path)
            if match is not None:
                expected.append((key, match.groupdict()))
        assert trie.search(path) == expected, (path, table)


@pytest.mark.parametrize(
    ("regex", "local"),
    [
        (r"\d+", True),
        ("[a-z]+", True),
        ("[^/]+", True),
        (PLAIN_VARIABLE, True),
        (r"\w+", True),
        ("(?:ab)+|c", True),
        (r"(?i:[A-Z])+", True),
        (".*", False),
        (".+", False),
        ("[^a]", False),
        (r"\W", False),
        (r"\S+", False),
        (r"\D", False),
        ("[!-z]", False),
        (r"\d+/\d+", False),
        ("(?=a)a", False),
        ("a(?<=a)", False),
        ("^a", False),
        ("a$", False),
        (r"(a)\1", False),
        ("(", False),
    ],
)
def test_regex_stays_in_segment(regex: str, local: bool) -> None:
    assert regex_stays_in_segment(regex) is local


def test_same_segment_regex_shares_one_branch() -> None:
    trie = SegmentTrie()
    for i in range(100):
        trie.add(i, [("/", None), ("id", r"\d+"), (f"/item{i}", None)])
    assert trie.search("/42/item99") == [(99, {"id": "42"})]
    assert trie.search("/x/item99") == []
