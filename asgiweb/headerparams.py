"""One parser for ``value; name=value; …`` headers: Content-Type, Content-Disposition.

:func:`parse_header_params` splits such a header into its lower-cased first
value and a dict of parameters. It understands

- quoted strings, with ``;`` inside them and ``\\"``/``\\\\`` escapes
  (RFC 9110 §5.6.4); other backslashes are kept, so a Windows path that a
  browser sends unescaped (``filename="C:\\dir\\a.txt"``) survives, and a
  value whose escapes would run past its closing quote (a browser's
  ``name="a\\"``) is read literally;
- extended values ``name*=charset'lang'%XX…`` (RFC 8187, the successor of
  RFC 5987) and continuations ``name*0=…; name*1*=…`` (RFC 2231); the decoded
  value also replaces the plain ``name``, as RFC 6266 §4.3 asks, and an
  undecodable one (unknown charset, bad bytes) is ignored;
- raw UTF-8 in quoted values, which is what browsers and httpx send in
  multipart ``filename`` and ``name`` (the caller decodes the header bytes).

Why it is written here: the two libraries that parse this shape were read
and measured against it. The standard library (``email.message.Message``
with ``get_params``, which aiohttp uses for Content-Type behind a cache)
took 120 µs for one Content-Disposition and over 1 ms for one Content-Type
with the HTTP policy, where this module takes a few µs; python-multipart's
``parse_options_header`` returns bytes through a latin-1 round trip (the
source of the 500 on ``报告.pdf``) and drops every extended parameter.
Before this module asgiweb had three parsers (``protocol.parse_content_type``,
python-multipart's, and the multipart reader's own RFC 5987 step), each with
its own bugs (``;`` inside quotes split a value).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

__all__ = ["decode_extended_value", "parse_header_params"]

# One ``; name[=value]`` item: a quoted value (possibly unterminated, then it
# runs to the end) or a bare one up to the next ``;``.
_PARAM_RE = re.compile(r'\s*;\s*([^\s;=]+)\s*(?:=\s*("(?:[^"\\]|\\.)*(?:"|\\?$)|[^;]*))?')
_UNESCAPE_RE = re.compile(r'\\([\\"])')
_CONTINUATION_RE = re.compile(r"^(.+?)\*(\d{1,3})(\*?)$")
_CLEAN_END_RE = re.compile(r"\s*(?:;|$)")
_LITERAL_END_RE = re.compile(r'"(?=\s*(?:;|$))')


def decode_extended_value(value: str) -> str | None:
    """Decode an RFC 8187 ``charset'lang'%XX`` value; ``None`` when it cannot be decoded.

    >>> decode_extended_value("UTF-8''%E2%82%AC%20rates")
    '€ rates'
    """
    charset, sep, rest = value.partition("'")
    _lang, sep2, encoded = rest.partition("'")
    if not sep or not sep2:
        return None
    return _decode(charset, encoded)


def _decode(charset: str, encoded: str) -> str | None:
    try:
        raw = unquote_to_bytes(encoded)
        return raw.decode(charset.strip() or "utf-8")
    except (LookupError, UnicodeError, ValueError):
        return None


def _value(raw: str) -> str:
    if raw.startswith('"'):
        body = raw[1:-1] if len(raw) > 1 and raw.endswith('"') else raw[1:]
        return _UNESCAPE_RE.sub(r"\1", body)
    return raw.rstrip()


def parse_header_params(header: str) -> tuple[str, dict[str, str]]:
    """Split ``value; name=value; …`` into the lower-cased value and its parameters.

    Parameter names are lower-cased; the first occurrence of a name wins;
    an extended ``name*`` parameter (or a ``name*0``… continuation) is decoded
    and stored under both ``name*`` and ``name``.

    >>> parse_header_params('form-data; name="f"; filename*=UTF-8\\'\\'%E2%82%AC.txt')
    ('form-data', {'name': 'f', 'filename*': '€.txt', 'filename': '€.txt'})
    """
    head, sep, rest = header.partition(";")
    params: dict[str, str] = {}
    if not sep:
        return head.strip().lower(), params
    extended: dict[str, str] = {}
    continued: dict[str, dict[int, tuple[str, bool]]] = {}
    pos = 0
    rest = ";" + rest
    end = len(rest)
    while pos < end:
        match = _PARAM_RE.match(rest, pos)
        if match is None or match.end() == pos:
            # Not a parameter (a stray '=' or quote): skip to the next ';'.
            nxt = rest.find(";", pos + 1)
            if nxt < 0:
                break
            pos = nxt
            continue
        pos = match.end()
        name = match.group(1).lower()
        raw = match.group(2)
        if raw is None:
            continue  # a name without '=' is not a parameter
        if raw.startswith('"') and not _CLEAN_END_RE.match(rest, pos):
            # Read as a quoted string, the value swallowed text up to a later
            # quote. Browsers do not escape '\\' in multipart names (they send
            # '"' as %22), so name="a\\" ends at the first quote that is
            # followed by ';' or the end: take the backslashes literally.
            literal = _LITERAL_END_RE.search(rest, match.start(2) + 1)
            if literal is not None:
                params.setdefault(name, rest[match.start(2) + 1 : literal.start()])
                pos = literal.end()
                continue
        part = _CONTINUATION_RE.match(name)
        if part is not None:
            base, index, star = part.groups()
            continued.setdefault(base, {}).setdefault(int(index), (raw, bool(star)))
        elif name.endswith("*"):
            decoded = decode_extended_value(raw.strip())
            if decoded is not None:
                extended.setdefault(name[:-1], decoded)
        else:
            params.setdefault(name, _value(raw))
    for base, pieces in continued.items():
        joined = _join_continuation(pieces)
        if joined is not None:
            extended.setdefault(base, joined)
    for base, decoded in extended.items():
        params[base + "*"] = decoded
        params[base] = decoded
    return head.strip().lower(), params


def _join_continuation(pieces: dict[int, tuple[str, bool]]) -> str | None:
    """Join RFC 2231 ``name*0``, ``name*1``… in order; ``None`` if a piece is missing."""
    if 0 not in pieces:
        return None
    charset = ""
    encoded: list[str] = []
    plain: list[str] = []
    any_extended = False
    for index in range(len(pieces)):
        if index not in pieces:
            return None
        raw, is_extended = pieces[index]
        if is_extended:
            any_extended = True
            if index == 0:
                charset, sep, rest = raw.strip().partition("'")
                _lang, sep2, raw = rest.partition("'")
                if not sep or not sep2:
                    return None
            encoded.append(raw.strip())
        else:
            # A plain piece is literal text: percent-encode it so that the
            # join decodes in one go when other pieces are extended.
            text = _value(raw)
            try:
                data = text.encode(charset or "utf-8")
            except (LookupError, UnicodeError):
                return None
            encoded.append("".join(f"%{b:02X}" for b in data))
            plain.append(text)
    if not any_extended:
        return "".join(plain)
    return _decode(charset or "utf-8", "".join(encoded))
