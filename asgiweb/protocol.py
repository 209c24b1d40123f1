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
    """Parse an ``If-Match``/``If-None-Match`` value; stop at the first malformed item."""
    if header is None:
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


_FORWARDED_PAIR_RE = re.compile(
    r"\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*"
    r'("(?:[^"\\]|\\.)*"|[!#$%&\'*+.^_`|~0-9A-Za-z:\[\]-]*)\s*(;|,|$)'
)


def parse_forwarded(values: list[str]) -> tuple[dict[str, str], ...]:
    """Parse ``Forwarded`` header values (RFC 7239) into one dict per proxy hop.

    A hop whose syntax is broken is kept up to the broken pair, as aiohttp does.
    """
    hops: list[dict[str, str]] = []
    for value in values:
        current: dict[str, str] = {}
        hops.append(current)
        pos = 0
        while pos < len(value):
            match = _FORWARDED_PAIR_RE.match(value, pos)
            if match is None:
                # skip to the next hop
                comma = value.find(",", pos)
                if comma < 0:
                    break
                pos = comma + 1
                current = {}
                hops.append(current)
                continue
            name, raw, sep = match.groups()
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            current.setdefault(name.lower(), raw)
            pos = match.end()
            if sep == ",":
                current = {}
                hops.append(current)
    return tuple(hop for hop in hops if hop)
