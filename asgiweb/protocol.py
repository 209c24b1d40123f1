"""HTTP protocol values shared by requests and responses.

HTTP versions, entity tags, dates, content types, reason phrases and the
header-value checks that keep responses free of header injection.
"""

from __future__ import annotations

import datetime
import re
from email.utils import parsedate
from http import HTTPStatus
from typing import NamedTuple

from .headerparams import parse_header_params


class HttpVersion(NamedTuple):
    """An HTTP version, compared as a tuple: ``HttpVersion(1, 1) > (1, 0)``."""

    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)
HttpVersion20 = HttpVersion(2, 0)

HTTP_VERSIONS = {
    "1.0": HttpVersion10,
    "1.1": HttpVersion11,
    "2": HttpVersion20,
    "2.0": HttpVersion20,
}

REASON_PHRASES: dict[int, str] = {s.value: s.phrase for s in HTTPStatus}

METHOD_RE = re.compile(r"^[0-9A-Za-z!#\$%&'\*\+\-\.\^_`\|~]+$")

ETAG_ANY = "*"
_ETAGC = r"[!\x23-\x7E\x80-\xff]+"
_ETAGC_RE = re.compile(_ETAGC)
_LIST_QUOTED_ETAG_RE = re.compile(rf'((W/)?"({_ETAGC})")(?:\s*,\s*|$)|(.)')


class ETag(NamedTuple):
    """An entity tag: ``ETag(value="abc", is_weak=False)``."""

    value: str
    is_weak: bool = False


def validate_etag_value(value: str) -> None:
    """Raise ``ValueError`` unless *value* may stand between the quotes of an ETag."""
    if value != ETAG_ANY and not _ETAGC_RE.fullmatch(value):
        raise ValueError(f"Value {value!r} is not a valid etag. Maybe it contains '\"'?")


def parse_etags(header: str | None) -> tuple[ETag, ...] | None:
    """Parse an ``If-Match``/``If-None-Match`` value; stop at the first malformed item.

    An absent or empty header is ``None`` (no condition), as in aiohttp.
    """
    if not header:
        return None
    if header == ETAG_ANY:
        return (ETag(ETAG_ANY),)
    tags = []
    for match in _LIST_QUOTED_ETAG_RE.finditer(header):
        weak, value, garbage = match.group(2, 3, 4)
        if garbage:
            break
        tags.append(ETag(value=value, is_weak=bool(weak)))
    return tuple(tags)


def parse_http_date(value: str | None) -> datetime.datetime | None:
    """Parse an HTTP date into an aware UTC datetime; ``None`` when it is not one."""
    if value is None:
        return None
    parts = parsedate(value)
    if parts is None:
        return None
    try:
        return datetime.datetime(*parts[:6], tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split a ``Content-Type`` value into a lower-case media type and its parameters."""
    return parse_header_params(value)


def host_header_problem(host_count: int, http_version: str) -> str | None:
    """Why a request with *host_count* ``Host`` headers is refused, else ``None``.

    Two ``Host`` headers, or none in HTTP/1.1 (RFC 9112 §3.2), are refused by
    h11 and aiohttp but let through by httptools; asgiweb checks under every
    server. HTTP/2 and HTTP/3 carry ``:authority`` instead, and HTTP/1.0 may
    omit it.
    """
    if host_count == 1:
        return None
    if host_count > 1:
        return "Duplicate Host header"
    if http_version == "1.1":
        return "Missing Host header: HTTP/1.1 requests must carry one"
    return None


def must_be_empty_body(method: str, status: int) -> bool:
    """Whether a response to *method* with *status* must not carry a body.

    HEAD, 1xx, 204, 304, and a 2xx answer to CONNECT (the connection becomes a
    tunnel: RFC 9110 §9.3.6).
    """
    return (
        method == "HEAD"
        or status in (204, 304)
        or 100 <= status < 200
        or (200 <= status < 300 and method == "CONNECT")
    )


def should_remove_content_length(method: str, status: int) -> bool:
    """Whether a ``Content-Length`` header is forbidden for this response."""
    return (
        status in (204, 304) or 100 <= status < 200 or (200 <= status < 300 and method == "CONNECT")
    )


_TCHAR = r"!#$%&'*+\-.^_`|~0-9A-Za-z"
# name=value, the value a token or a quoted string, then an optional ":port" as aiohttp allows
_FORWARDED_PAIR_RE = re.compile(
    rf'([{_TCHAR}]+)=([{_TCHAR}]+|"(?:\\[\t !-~]|[\t !#-~])*")(:\d{{1,4}})?'
)
_QUOTED_PAIR_RE = re.compile(r"\\([\t !-~])")


def parse_forwarded(values: list[str]) -> tuple[dict[str, str], ...]:
    """Parse ``Forwarded`` header values (RFC 7239) into one dict per proxy hop.

    Each comma starts a hop, empty ones included (a strict proxy check counts
    them); a quoted value is unescaped; a later pair with the same name wins;
    spaces and tabs are allowed around pairs; after bad syntax the rest of
    the hop is skipped. That is what aiohttp's ``request.forwarded`` does.
    """
    hops: list[dict[str, str]] = []
    for value in values:
        hop: dict[str, str] = {}
        hops.append(hop)
        pos, end = 0, len(value)
        after_pair = False
        while 0 <= pos < end:
            match = _FORWARDED_PAIR_RE.match(value, pos)
            if match is not None:
                if after_pair:  # two pairs without a ";": skip to the next hop
                    pos = value.find(",", pos)
                    continue
                name, raw, port = match.groups()
                if raw[0] == '"':
                    raw = _QUOTED_PAIR_RE.sub(r"\1", raw[1:-1])
                hop[name.lower()] = raw + port if port else raw
                pos = match.end()
                after_pair = True
                continue
            char = value[pos]
            if char == ",":
                hop = {}
                hops.append(hop)
                after_pair = False
                pos += 1
            elif char == ";":
                after_pair = False
                pos += 1
            elif char in " \t":
                pos += 1
            else:
                pos = value.find(",", pos)
    return tuple(hops)
