"""Decoders for compressed request bodies (``Content-Encoding: gzip``, ``deflate``, ``br``).

``request.read()``, ``text()``, ``json()``, ``post()``, ``multipart()`` and
``request.content`` all see the decoded body, as in aiohttp. Output is
produced in bounded pieces (:data:`PIECE` bytes at most per step), so a small
"zip bomb" costs no more memory than ``client_max_size``, which counts decoded
bytes. A body that does not decode raises :class:`RequestPayloadError` (400).
``br`` needs the ``brotli`` package (the ``brotli`` extra); without it, and
for ``zstd``, the request is refused with 400, as aiohttp does. Any other
value (``identity``, a list of codings, an unknown name) leaves the body as
it is, as aiohttp does.
"""

from __future__ import annotations

import zlib
from typing import Any

from .exceptions import HTTPBadRequest, RequestPayloadError

__all__ = ["PIECE", "BodyDecoder", "decoder_for"]

PIECE = 64 * 1024  # the most decoded bytes produced per step

try:  # optional: the brotli extra
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None


class BodyDecoder:
    """Decodes one request body: ``feed(data)``, then ``read()`` until it gives ``b""``."""

    __slots__ = ("_coding", "_input", "_obj", "_started")

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._input = b""
        self._started = False
        self._obj: Any = None

    def _make(self, first: bytes) -> Any:
        if self._coding == "br":
            assert _brotli is not None
            return _brotli.Decompressor()
        if self._coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped (RFC 9110 §8.4.1.2), but some
        # clients send a raw deflate stream: tell them apart by the header.
        zlib_header = (
            len(first) >= 2 and (first[0] & 0x0F) == 8 and (first[0] << 8 | first[1]) % 31 == 0
        )
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> None:
        """Add compressed bytes (call :meth:`read` until it is empty before feeding more)."""
        if self._obj is None:
            self._obj = self._make(data)
        self._input += data

    def read(self) -> bytes:
        """The next decoded piece (at most :data:`PIECE` bytes); ``b""`` when input ran out."""
        if self._obj is None:
            return b""
        try:
            if self._coding == "br":
                return self._read_brotli(self._obj)
            return self._read_zlib()
        except (zlib.error, ValueError) as exc:
            raise RequestPayloadError(
                f"400: Request body is not valid {self._coding} data: {exc}"
            ) from None
        except Exception as exc:  # brotli.error
            if _brotli is not None and isinstance(exc, _brotli.error):
                message = f"400: Request body is not valid br data: {exc}"
                raise RequestPayloadError(message) from None
            raise

    def _read_zlib(self) -> bytes:
        while True:
            obj = self._obj
            data, self._input = self._input, b""
            out: bytes = obj.decompress(data, PIECE)
            self._input = obj.unconsumed_tail
            if not obj.eof:
                return out
            rest = obj.unused_data + self._input
            self._input = b""
            if not rest.strip(b"\x00"):
                return out
            if self._coding != "gzip":
                raise RequestPayloadError(
                    f"400: Request body has data after the end of its {self._coding} stream"
                )
            # gzip allows several members one after the other (RFC 1952 §2.2)
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self._input = rest
            if out:
                return out

    def _read_brotli(self, obj: Any) -> bytes:
        if not hasattr(obj, "can_accept_more_data"):  # brotli < 1.2: no output limit
            data, self._input = self._input, b""
            out: bytes = obj.process(data)
            return out
        if obj.can_accept_more_data():
            data, self._input = self._input, b""
        else:
            data = b""
        out = obj.process(data, output_buffer_limit=PIECE)
        return out

    def finish(self) -> None:
        """Check, at the end of the body, that the compressed stream was complete."""
        obj = self._obj
        if obj is None:
            return  # an empty body is an empty body
        done = obj.is_finished() if self._coding == "br" else obj.eof
        if not done:
            raise RequestPayloadError(f"400: Request body ends inside its {self._coding} stream")


def decoder_for(content_encoding: str | None) -> BodyDecoder | None:
    """The decoder for a request's ``Content-Encoding``; ``None`` to leave the body as is."""
    if content_encoding is None:
        return None
    coding = content_encoding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return BodyDecoder("gzip")
    if coding == "deflate":
        return BodyDecoder("deflate")
    if coding == "br":
        if _brotli is None:
            raise HTTPBadRequest(
                text="400: Can not decode Content-Encoding br: install the brotli package "
                "(pip install 'asgiweb[brotli]')"
            )
        return BodyDecoder("br")
    if coding == "zstd":
        raise HTTPBadRequest(text="400: Can not decode Content-Encoding zstd: not supported")
    return None
