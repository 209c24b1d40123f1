"""A trie of route patterns by path segment: every pattern that matches a path, flat in table size.

The router keeps aiohttp's order (longest literal prefix first, then
registration order), and within one prefix it used to try each resource's
regular expression in turn: with a variable first segment (``/{id}/item{i}``)
every route shares the prefix ``/`` and the scan grows with the table. This
trie replaces that scan. Patterns are split at the ``/`` between segments, and
one node per segment holds:

- literal children in a dict (``users``), one lookup;
- one child for the plain variable ``{name}`` (any non-empty segment without
  ``{`` or ``}``, the same set aiohttp's ``[^{}/]+`` accepts), shared by every
  pattern whatever it calls the variable;
- children for segments with a regular expression (``item{i}``,
  ``{id:\\d+}``) that provably never matches a ``/``, one ``fullmatch`` each;
- *tails*: a pattern whose regular expression may cross a ``/``
  (``{path:.*}``, ``{x:\\d+/\\d+}``) or looks around is matched, from that
  segment to the end of the path, by its own regular expression.

:meth:`SegmentTrie.search` walks every branch the path's segments allow and
returns each matching pattern's key with its variables, in key order. Its cost
depends on the path and on how many patterns share its segments, not on how
many patterns the trie holds. A segment-local expression is matched on the
segment alone; that gives the same result as matching the whole pattern
because no part can consume a ``/``, so the literal ``/`` separators pin the
segment boundaries (lookarounds and anchors, which could see past a segment,
go to the tails).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

try:  # the regular-expression parser: re._parser on 3.11+, sre_parse before
    from re import _parser as _sre_parse  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef,unused-ignore]

#: One piece of a pattern: ``(text, None)`` for literal text (quoted as the path
#: is), ``(name, regex)`` for a variable; ``{name}`` has the regex ``[^{}/]+``.
Piece = tuple[str, "str | None"]

#: The regular expression of a plain ``{name}`` variable (aiohttp's).
PLAIN_VARIABLE: Final = "[^{}/]+"
_SLASH: Final = ord("/")


def _set_may_contain_slash(items: Any) -> bool:
    """Whether a parsed character set (``[...]``) accepts ``/``."""
    negate = False
    hit = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or arg == _SLASH
        elif name == "RANGE":
            hit = hit or arg[0] <= _SLASH <= arg[1]
        elif name == "CATEGORY":
            hit = hit or str(arg).startswith("CATEGORY_NOT_") or "NOT" in str(arg)
        else:
            return True  # something unforeseen: assume the worst
    return hit != negate


def _stays_in_segment(parsed: Any) -> bool:
    """Whether no match of the parsed expression can contain ``/`` or look outside itself."""
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            if arg == _SLASH:
                return False
        elif name == "NOT_LITERAL":
            if arg != _SLASH:
                return False
        elif name == "IN":
            if _set_may_contain_slash(arg):
                return False
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if not _stays_in_segment(arg[2]):
                return False
        elif name == "SUBPATTERN":
            if not _stays_in_segment(arg[3]):
                return False
        elif name == "ATOMIC_GROUP":
            if not _stays_in_segment(arg):
                return False
        elif name == "BRANCH":
            if not all(_stays_in_segment(branch) for branch in arg[1]):
                return False
        else:  # ANY, anchors, lookarounds, back references, conditionals
            return False
    return True


def regex_stays_in_segment(regex: str) -> bool:
    """Whether every match of *regex* lies inside one path segment (conservative).

    >>> regex_stays_in_segment(r"\\d+"), regex_stays_in_segment(".*")
    (True, False)
    """
    try:
        parsed = _sre_parse.parse(regex)
    except Exception:
        return False
    return _stays_in_segment(parsed)


def _split_segments(pieces: Sequence[Piece]) -> list[list[Piece]]:
    """The pattern cut at every literal ``/``: one list of pieces per segment."""
    segments: list[list[Piece]] = [[]]
    for text, regex in pieces:
        if regex is not None:
            segments[-1].append((text, regex))
            continue
        first, *rest = text.split("/")
        if first:
            segments[-1].append((first, None))
        for part in rest:
            segments.append([(part, None)] if part else [])
    return segments


def _segment_regex(pieces: Sequence[Piece]) -> str:
    return "".join(
        re.escape(text) if regex is None else f"(?P<{text}>{regex})" for text, regex in pieces
    )


class _Entry:
    """A pattern that ends at a node: its key and the names of its captures in order."""

    __slots__ = ("key", "names", "single")

    def __init__(self, key: int, names: tuple[str | None, ...]) -> None:
        self.key = key
        self.names = names  # a name per plain variable, None per regex capture (a dict)
        self.single = names[0] if len(names) == 1 else None  # the common one-variable case

    def values(self, captures: tuple[Any, ...]) -> dict[str, str]:
        """The pattern's variables from the values captured along the walk."""
        single = self.single
        if single is not None:
            return {single: captures[0]}
        result: dict[str, str] = {}
        for name, value in zip(self.names, captures, strict=True):
            if name is None:
                result.update(value)
            else:
                result[name] = value
        return result


class _Node:
    __slots__ = ("ends", "literal", "regex", "tails", "variable")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.variable: _Node | None = None
        self.regex: list[tuple[re.Pattern[str], _Node]] = []
        self.tails: list[tuple[re.Pattern[str], _Entry]] = []
        self.ends: list[_Entry] = []


class SegmentTrie:
    """Route patterns by segment; :meth:`search` gives every match in key order.

    >>> trie = SegmentTrie()
    >>> trie.add(1, [("/", None), ("id", r"\\d+"), ("/item", None)])
    >>> trie.add(0, [("/", None), ("id", PLAIN_VARIABLE), ("/item", None)])
    >>> trie.search("/42/item")
    [(0, {'id': '42'}), (1, {'id': '42'})]
    """

    def __init__(self) -> None:
        self._root = _Node()
        self._regexes: dict[str, re.Pattern[str]] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def _compile(self, pattern: str) -> re.Pattern[str]:
        compiled = self._regexes.get(pattern)
        if compiled is None:
            compiled = self._regexes[pattern] = re.compile(pattern)
        return compiled

    def add(self, key: int, pieces: Sequence[Piece]) -> None:
        """Add a pattern under *key* (keys order the results; add them in any order).

        *pieces* alternate literal text and variables: ``("/users/", None)``,
        then ``("id", "[^{}/]+")`` for ``{id}`` or ``("id", r"\\d+")`` for ``{id:\\d+}``.
        """
        node = self._root
        names: list[str | None] = []
        segments = _split_segments(pieces)
        for index, segment in enumerate(segments):
            regexes = [regex for _, regex in segment if regex is not None]
            if not regexes:
                node = node.literal.setdefault("".join(t for t, _ in segment), _Node())
            elif len(segment) == 1 and regexes[0] == PLAIN_VARIABLE:
                names.append(segment[0][0])
                if node.variable is None:
                    node.variable = _Node()
                node = node.variable
            elif all(regex_stays_in_segment(regex) for regex in regexes):
                compiled = self._compile(_segment_regex(segment))
                names.append(None)
                for known, child in node.regex:
                    if known is compiled:
                        node = child
                        break
                else:
                    child = _Node()
                    node.regex.append((compiled, child))
                    node = child
            else:
                rest = "/".join(_segment_regex(s) for s in segments[index:])
                names.append(None)
                node.tails.append((self._compile(rest), _Entry(key, tuple(names))))
                self._size += 1
                return
        node.ends.append(_Entry(key, tuple(names)))
        self._size += 1

    def search(self, path: str) -> list[tuple[int, dict[str, str]]]:
        """``(key, variables)`` of every pattern matching *path*, lowest key first."""
        found: list[tuple[int, dict[str, str]]] = []
        _walk(self._root, path, path.split("/"), 0, (), found)
        if len(found) > 1:
            found.sort(key=_first)
        return found


def _first(item: tuple[int, dict[str, str]]) -> int:
    return item[0]


def _walk(
    node: _Node,
    path: str,
    segments: list[str],
    index: int,
    captures: tuple[Any, ...],
    found: list[tuple[int, dict[str, str]]],
) -> None:
    """Collect the matches below *node*; follows a single way on in a loop, not a call."""
    end = len(segments)
    while True:
        if index == end:
            for entry in node.ends:
                found.append((entry.key, entry.values(captures)))
            return
        if node.tails:
            position = sum(map(len, segments[:index])) + index
            for regex, entry in node.tails:
                match = regex.fullmatch(path, position)
                if match is not None:
                    found.append((entry.key, entry.values((*captures, match.groupdict()))))
        segment = segments[index]
        index += 1
        for regex, child in node.regex:
            match = regex.fullmatch(segment)
            if match is not None:
                _walk(child, path, segments, index, (*captures, match.groupdict()), found)
        literal = node.literal.get(segment)
        variable = node.variable
        if variable is not None and (not segment or "{" in segment or "}" in segment):
            variable = None
        if literal is not None:
            if variable is not None:
                _walk(variable, path, segments, index, (*captures, segment), found)
            node = literal
        elif variable is not None:
            node = variable
            captures = (*captures, segment)
        else:
            return
