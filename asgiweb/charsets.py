"""Decoding request bodies with the charset their ``Content-Type`` names.

The charset comes from the client, so any name can arrive. Python's codec
registry knows text codecs that are not body charsets at all (``undefined``
always fails, ``idna`` and ``punycode`` encode host names, the ``*escape``
codecs read backslash escapes) and byte codecs (``hex``, ``base64``) that
``bytes.decode`` refuses. All of these answer 400 "Unknown charset", and bytes
that are not valid in a known charset answer 400 naming the charset: never
a 500.
"""

from __future__ import annotations

import codecs

from .exceptions import HTTPBadRequest

__all__ = ["body_charset", "decode_body"]

# Canonical codec names (``codecs.lookup(name).name``) that decode text but
# are not charsets a request body may be declared in.
_NOT_BODY_CHARSETS = frozenset(
    {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape"}
)


def body_charset(charset: str) -> str:
    """The codec name for a declared *charset*; 400 when it is not a body charset.

    >>> body_charset("UTF8")
    'utf-8'
    """
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError):
        name = ""
    if not name or name in _NOT_BODY_CHARSETS:
        raise HTTPBadRequest(
            text=f"400: Unknown charset {charset!r} in Content-Type; send utf-8 or name "
            "a standard charset"
        )
    return name


def decode_body(data: bytes | bytearray, charset: str, what: str = "Body") -> str:
    """Decode *data* with the declared *charset*; 400 for an unknown charset or bad bytes.

    *what* names the body in the error message (``"Body"``, ``"Field 'x'"``).

    >>> decode_body(b"caf\\xc3\\xa9", "utf-8")
    'café'
    """
    name = body_charset(charset)
    try:
        return data.decode(name)
    except LookupError:  # a byte codec such as 'hex' or 'base64'
        raise HTTPBadRequest(
            text=f"400: Unknown charset {charset!r} in Content-Type: it is not a text encoding"
        ) from None
    except (UnicodeError, ValueError) as exc:
        raise HTTPBadRequest(text=f"400: {what} is not valid {charset}: {exc}") from None
