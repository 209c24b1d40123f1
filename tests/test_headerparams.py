"""The one ``value; name=value; …`` parser: examples, properties, aiohttp's answers."""

from __future__ import annotations

import warnings
from urllib.parse import quote

import pytest
from aiohttp.multipart import parse_content_disposition
from hypothesis import given, settings
from hypothesis import strategies as st

from asgiweb.headerparams import decode_extended_value, parse_header_params
from asgiweb.protocol import parse_content_type

# RFC 9110 token characters, without '*' (it marks extended parameters)
TOKEN_CHARS = "!#$%&'+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
tokens = st.text(TOKEN_CHARS, min_size=1, max_size=12)
values = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), max_size=30
)  # any printable text, ';' '"' '\' and non-ASCII included


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("text/plain", ("text/plain", {})),
        ('Text/HTML; Charset="UTF-8"', ("text/html", {"charset": "UTF-8"})),
        ('multipart/form-data; boundary="a;b"', ("multipart/form-data", {"boundary": "a;b"})),
        ('form-data; filename="报告.pdf"', ("form-data", {"filename": "报告.pdf"})),
        ('form-data; name="a\\"b"', ("form-data", {"name": 'a"b'})),
        ('form-data; filename="C:\\dir\\x.txt"', ("form-data", {"filename": "C:\\dir\\x.txt"})),
        ("a; b = 2 ;;", ("a", {"b": "2"})),
        ("a; flag; b=1", ("a", {"b": "1"})),
        ('a; b="unterminated; c=1', ("a", {"b": "unterminated; c=1"})),
        ("a; b=1; B=2", ("a", {"b": "1"})),
        # a browser does not escape '\\': the value ends at the quote before ';'
        ('form-data; name="\\"; filename="0"', ("form-data", {"name": "\\", "filename": "0"})),
        ('form-data; name="C:\\dir\\"', ("form-data", {"name": "C:\\dir\\"})),
        ("form-data; filename*=bogus''%FF", ("form-data", {})),
        ("form-data; filename*=no-quotes", ("form-data", {})),
    ],
)
def test_examples(header: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_header_params(header) == expected


def test_extended_value_wins_over_plain() -> None:
    header = "form-data; name=\"f\"; filename=\"x.txt\"; filename*=UTF-8''%E2%82%AC.txt"
    _, params = parse_header_params(header)
    assert params["filename"] == params["filename*"] == "€.txt"
    header = "attachment; filename*=iso-8859-1'en'r%E9sum%E9.pdf"
    assert parse_header_params(header)[1]["filename"] == "résumé.pdf"


def test_rfc2231_continuations() -> None:
    header = "attachment; filename*0*=UTF-8''%E2%82; filename*1*=%AC; filename*2=\".txt\""
    assert parse_header_params(header)[1]["filename"] == "€.txt"
    header = 'attachment; filename*0="a"; filename*1="b;c"'
    assert parse_header_params(header)[1]["filename"] == "ab;c"
    # a missing piece: the continuation is ignored
    header = 'attachment; filename="plain"; filename*0="a"; filename*2="c"'
    assert parse_header_params(header)[1]["filename"] == "plain"


def test_decode_extended_value() -> None:
    assert decode_extended_value("UTF-8''%E2%82%AC") == "€"
    assert decode_extended_value("''%E2%82%AC") == "€"  # no charset: UTF-8
    assert decode_extended_value("utf-8''%FF") is None
    assert decode_extended_value("undefined''abc") is None
    assert decode_extended_value("no quotes") is None


def test_content_type_uses_it() -> None:
    assert parse_content_type('text/plain; charset="a;b"') == ("text/plain", {"charset": "a;b"})


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(tokens.map(str.lower), values, max_size=5), tokens)
def test_quoted_parameters_round_trip(params: dict[str, str], kind: str) -> None:
    header = kind + "".join(f"; {name}={quoted(value)}" for name, value in params.items())
    assert parse_header_params(header) == (kind.lower(), {k.lower(): v for k, v in params.items()})


@settings(max_examples=100, deadline=None)
@given(values.filter(bool))
def test_extended_filename_round_trips(name: str) -> None:
    header = f"form-data; name=\"f\"; filename*=UTF-8''{quote(name, safe='')}"
    assert parse_header_params(header)[1]["filename"] == name


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_never_raises(header: str) -> None:
    kind, params = parse_header_params(header)
    assert kind == kind.lower()
    assert all(name == name.lower() for name in params)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        tokens.filter(lambda t: "'" not in t),
        st.text(
            st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='\\/"'),
            max_size=20,
        ),
        max_size=4,
    )
)
def test_content_disposition_as_aiohttp(params: dict[str, str]) -> None:
    header = "form-data" + "".join(f"; {name}={quoted(value)}" for name, value in params.items())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = parse_content_disposition(header)
    ours = parse_header_params(header)
    if theirs == (None, {}) and any(value.count(";") >= 2 for value in params.values()):
        # aiohttp bug: it refuses a quoted value holding two or more ";" (e.g. name=";;",
        # name="a;b;c") as a bad
        # header; the value is well-formed (RFC 6266), so we keep it (docs/porting.md)
        assert ours == ("form-data", {k.lower(): v for k, v in params.items()})
    else:
        assert ours == theirs
