"""Fuzz targets for asgiweb's input parsers, driven by hypothesis.

Each target pairs a strategy (well-formed input built to round-trip, and
mangled or random input) with a check: the parser agrees with aiohttp 3.14
or gives back what was encoded, and bad input answers 400/413, never a 500
or an exception. ``tests/test_properties.py`` runs every target briefly in
the suite; this module runs them for as long as you like:

    python -m tests.fuzz multipart --minutes 5
    python -m tests.fuzz all --minutes 2
    python -m tests.fuzz --list

A failure prints hypothesis's minimal failing example and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import json
import logging
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp.test_utils import make_mocked_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from asgiweb import web
from asgiweb.headerparams import parse_header_params
from asgiweb.quoting import quote_path, requote_path
from asgiweb.request import BaseRequest
from asgiweb.static import safe_relative_path

# -- running an app without a server ------------------------------------------------

_loop: asyncio.AbstractEventLoop | None = None


def run(coro: Any) -> Any:
    """Run *coro* on one event loop kept for the whole fuzzing run."""
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
    return _loop.run_until_complete(coro)


async def call(
    app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> tuple[int, bytes]:
    """POST *chunks* as one body (one ASGI message per chunk); the status and body.

    One chunk is sent with a ``Content-Length``, several as a chunked body.
    """
    if len(chunks) == 1:
        framing = (b"content-length", str(len(chunks[0])).encode())
    else:
        framing = (b"transfer-encoding", b"chunked")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"fuzz"), framing, *headers],
    }
    pending = list(chunks) or [b""]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def form_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        data = await request.post()
        out = []
        for name, value in data.items():
            if isinstance(value, web.FileField):
                out.append([name, value.filename, value.file.read().hex()])
            elif isinstance(value, bytes):
                out.append([name, None, value.hex()])
            else:
                out.append([name, None, value])
        return web.json_response(out)

    app = web.Application(client_max_size=64 * 1024)
    app.router.add_post("/", echo)
    return app


FORM_APP = form_app()


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    """*body* cut at the given offsets (any order, any value)."""
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    return [body[a:b] for a, b in itertools.pairwise(points)] or [b""]


def request_with(headers: dict[str, str]) -> BaseRequest:
    async def nothing() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    raw = [(k.lower().encode(), v.encode("utf-8", "surrogateescape")) for k, v in headers.items()]
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": "/", "headers": raw}
    return BaseRequest(scope, nothing, nothing)  # type: ignore[arg-type]


def outcome(fn: Callable[[], Any]) -> Any:
    """What *fn* returns, or the name of the exception type it raises."""
    try:
        return fn()
    except Exception as exc:
        return type(exc).__name__


# -- strategies ---------------------------------------------------------------------

TOKEN = "!#$%&'+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
tokens = st.text(TOKEN, min_size=1, max_size=10)
printable = st.characters(blacklist_categories=("Cs", "Cc"))
names = st.text(printable, min_size=1, max_size=12)
cookie_octets = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters='";\\,'),
    max_size=12,
)


@st.composite
def header_params(draw: st.DrawFn) -> tuple[str, dict[str, str] | None]:
    """A well-formed header with known parameters, or random text (expected ``None``)."""
    if draw(st.booleans()):
        return draw(st.text(max_size=80)), None
    # names differ case-insensitively (the parser lower-cases them)
    lowered = tokens.map(str.lower)
    params = draw(st.dictionaries(lowered, st.text(printable, max_size=20), max_size=5))
    items = []
    for name, value in params.items():
        if draw(st.booleans()):
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            items.append(f'{name}="{escaped}"')
        else:
            items.append(f"{name}*=UTF-8''{quote(value, safe='')}")
    return "form-data; " + "; ".join(items), {k.lower(): v for k, v in params.items()}


@st.composite
def cookie_headers(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(tokens, cookie_octets, st.booleans()), max_size=6))
    parts = []
    for name, value, quoted in pairs:
        if quoted:
            ascii_text = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
            inner = draw(st.text(ascii_text, max_size=10))
            value = '"' + inner.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{name}={value}")
    return draw(st.sampled_from(["; ", ";", " ; "])).join(parts)


range_headers = st.one_of(
    st.builds(
        lambda a, b, unit: f"{unit}={a}-{b}",
        st.one_of(st.just(""), st.integers(0, 10**6).map(str)),
        st.one_of(st.just(""), st.integers(0, 10**6).map(str)),
        st.sampled_from(["bytes", "Bytes", "lines", "bytes "]),
    ),
    st.text("bytes=0123456789-, ", max_size=20),
)

etag_values = st.text(st.characters(min_codepoint=0x23, max_codepoint=0x7E), min_size=1, max_size=8)
etag_lists = st.one_of(
    st.just("*"),
    st.lists(st.tuples(st.booleans(), etag_values), min_size=1, max_size=4).map(
        lambda tags: ", ".join(f'{"W/" if weak else ""}"{v}"' for weak, v in tags)
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
)
http_dates = st.one_of(
    st.datetimes(
        min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(2100, 1, 1)
    ).map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    st.text(max_size=30),
)


@st.composite
def forms(draw: st.DrawFn) -> tuple[list[tuple[str, str | None, bytes, str | None]], list[int]]:
    """Multipart fields (name, filename or None, data, text content type) and body cuts."""
    fields = draw(
        st.lists(
            st.tuples(
                names,
                st.one_of(st.none(), names),
                st.binary(max_size=300),
                st.sampled_from([None, "application/octet-stream"]),
            ),
            max_size=5,
        )
    )
    return fields, draw(st.lists(st.integers(0, 10**6), max_size=8))


def browser_escape(text: str) -> str:
    """What browsers put between the quotes of a multipart name: '"' as %22, CR/LF as %0D/%0A."""
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(fields: list[tuple[str, str | None, bytes, str | None]]) -> bytes:
    """Encode as browsers do: raw UTF-8 names, escaped with :func:`browser_escape`."""

    def esc(text: str) -> bytes:
        return browser_escape(text).encode()

    out = b""
    for name, filename, data, ctype in fields:
        out += b'--fuzzb0undary\r\nContent-Disposition: form-data; name="' + esc(name) + b'"'
        if filename is not None:
            out += b'; filename="' + esc(filename) + b'"'
        out += b"\r\n"
        if ctype is not None:
            out += b"Content-Type: " + ctype.encode() + b"\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + b"--fuzzb0undary--\r\n"


MULTIPART = [(b"content-type", b"multipart/form-data; boundary=fuzzb0undary")]

# -- checks ------------------------------------------------------------------------


def check_header_params(example: tuple[str, dict[str, str] | None]) -> None:
    header, expected = example
    kind, params = parse_header_params(header)
    assert kind == kind.lower()
    if expected is not None:
        got = {k: v for k, v in params.items() if not k.endswith("*")}
        assert got == expected, (header, params)


def check_cookies(header: str) -> None:
    ours = dict(request_with({"Cookie": header}).cookies)
    theirs = dict(make_mocked_request("GET", "/", headers={"Cookie": header}).cookies)
    assert ours == theirs, header


def check_range(header: str) -> None:
    ours = outcome(lambda: request_with({"Range": header}).http_range)
    theirs = outcome(lambda: make_mocked_request("GET", "/", headers={"Range": header}).http_range)
    assert ours == theirs, header


def tags(etags: Any) -> list[tuple[str, bool]] | None:
    return None if etags is None else [(t.value, t.is_weak) for t in etags]


def check_conditionals(example: tuple[str, str]) -> None:
    etags, date = example
    headers = {
        "If-Match": etags,
        "If-None-Match": etags,
        "If-Modified-Since": date,
        "If-Unmodified-Since": date,
        "If-Range": date,
    }
    ours = request_with(headers)
    theirs = make_mocked_request("GET", "/", headers=headers)
    for name in ("if_match", "if_none_match"):
        a = outcome(lambda n=name: tags(getattr(ours, n)))
        b = outcome(lambda n=name: tags(getattr(theirs, n)))
        assert a == b, (name, etags)
    for name in ("if_modified_since", "if_unmodified_since", "if_range"):
        assert getattr(ours, name) == getattr(theirs, name), (name, date)


def check_path_quoting(path: str) -> None:
    path = "/" + path.replace("\x00", "")
    quoted = quote_path(path)
    assert quoted.isascii()
    assert URL.build(path=quoted, encoded=True).path == path
    assert requote_path(quoted) == quoted
    relative = safe_relative_path(path)
    if relative is not None:
        assert not relative.is_absolute()
        assert ".." not in relative.parts and "." not in relative.parts


def check_urlencoded(example: tuple[list[tuple[str, str]], list[int]]) -> None:
    pairs, cuts = example
    body = urlencode(pairs).encode()
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    status, answer = run(call(FORM_APP, headers, split(body, cuts)))
    assert status == 200, answer
    assert [tuple(item) for item in json.loads(answer)] == [(k, None, v) for k, v in pairs]


def check_urlencoded_garbage(example: tuple[bytes, str]) -> None:
    body, charset = example
    headers = [(b"content-type", f"application/x-www-form-urlencoded; charset={charset}".encode())]
    status, answer = run(call(FORM_APP, headers, [body]))
    assert status in (200, 400, 413), (status, answer)


Fields = list[tuple[str, str | None, bytes, str | None]]


def check_multipart(example: tuple[Fields, list[int]]) -> None:
    fields, cuts = example
    body = encode_multipart(fields)
    status, answer = run(call(FORM_APP, MULTIPART, split(body, cuts)))
    if len(body) > 64 * 1024:
        assert status == 413
        return
    expected = []
    for raw_name, raw_filename, data, ctype in fields:
        # what the server sees: the browser's escapes are not undone (nor by aiohttp)
        name = browser_escape(raw_name)
        filename = None if raw_filename is None else browser_escape(raw_filename)
        if filename:
            expected.append([name, filename, data.hex()])
        elif ctype is None:
            try:
                expected.append([name, None, data.decode("utf-8")])
            except UnicodeDecodeError:
                assert status == 400 and b"is not valid utf-8" in answer, answer
                return
        else:
            expected.append([name, None, data.hex()])
    assert status == 200, answer
    assert json.loads(answer) == expected


def check_multipart_mangled(example: tuple[bytes, list[int], list[int]]) -> None:
    body, flips, cuts = example
    data = bytearray(body)
    for flip in flips:
        if data:
            data[flip % len(data)] ^= 0xFF & (flip >> 8 or 1)
    status, answer = run(call(FORM_APP, MULTIPART, split(bytes(data), cuts)))
    assert status in (200, 400, 413), (status, answer)


mangled_bodies = st.tuples(
    forms().map(lambda f: encode_multipart(f[0])),
    st.lists(st.integers(0, 2**16), max_size=4),
    st.lists(st.integers(0, 10**6), max_size=4),
)

# -- the targets ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One parser: a strategy and the check each example must pass."""

    strategy: st.SearchStrategy[Any]
    check: Callable[[Any], None]


TARGETS: dict[str, list[Target]] = {
    "header-params": [Target(header_params(), check_header_params)],
    "cookies": [Target(cookie_headers(), check_cookies)],
    "range": [Target(range_headers, check_range)],
    "conditionals": [Target(st.tuples(etag_lists, http_dates), check_conditionals)],
    "path-quoting": [Target(st.text(max_size=60), check_path_quoting)],
    "urlencoded": [
        Target(
            st.tuples(st.lists(st.tuples(names, st.text(printable, max_size=20)), max_size=6),
                      st.lists(st.integers(0, 10**6), max_size=6)),
            check_urlencoded,
        ),
        Target(
            st.tuples(
                st.binary(max_size=200),
                st.sampled_from(["utf-8", "latin-1", "idna", "undefined", "utf-16", "nope"]),
            ),
            check_urlencoded_garbage,
        ),
    ],
    "multipart": [
        Target(forms(), check_multipart),
        Target(mangled_bodies, check_multipart_mangled),
    ],
}


def runner(target: Target, max_examples: int) -> Callable[[], None]:
    """A hypothesis test of *target* with *max_examples* examples (no deadline, no database)."""

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(target.strategy)
    def test(example: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            target.check(example)

    return test


def fuzz(name: str, seconds: float) -> int:
    """Run the targets of *name* in batches until *seconds* have passed; examples run."""
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for target in TARGETS[name]:
            runner(target, 500)()
            done += 500
    return done


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("target", nargs="?", help="a target name, or 'all'")
    parser.add_argument("--minutes", type=float, default=1.0, help="per target (default 1)")
    parser.add_argument("--list", action="store_true", help="list the targets")
    args = parser.parse_args()
    if args.list or not args.target:
        print("\n".join(TARGETS))
        return
    # the multipart parser logs each malformed body it is fed
    logging.getLogger("python_multipart").setLevel(logging.ERROR)
    chosen = list(TARGETS) if args.target == "all" else [args.target]
    for name in chosen:
        if name not in TARGETS:
            sys.exit(f"unknown target {name!r}; one of: {', '.join(TARGETS)}, all")
        start = time.monotonic()
        count = fuzz(name, args.minutes * 60)
        print(f"{name}: {count} examples in {time.monotonic() - start:.0f} s, no failure")


if __name__ == "__main__":
    main()
