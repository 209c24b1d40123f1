"""An exception captured for the error page: frames, source context, locals.

Everything is turned into text when the exception is caught, so the page
can be shown again later without keeping frames (and the objects their
locals point at) alive. Reprs are bounded in size and a ``__repr__`` that
raises is shown as such instead of breaking the page.
"""

from __future__ import annotations

import linecache
import reprlib
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

__all__ = ("CapturedFrame", "CapturedTraceback", "SourceLine", "capture_exception", "safe_repr")

CONTEXT_LINES = 5
MAX_LOCALS = 200
_LIBRARY_MARKERS = ("site-packages", "dist-packages", str(Path(sys.prefix) / "lib"))
_TOOLBAR_DIR = str(Path(__file__).resolve().parent)
_ASGIWEB_DIR = str(Path(__file__).resolve().parent.parent)


class _ShortRepr(reprlib.Repr):
    def repr_instance(self, obj: object, level: int) -> str:
        # reprlib hides a failing __repr__ behind "<X instance at 0x…>": say it failed
        try:
            text = repr(obj)
        except Exception as exc:
            return f"<repr of {type(obj).__name__} object failed: {exc!r}>"
        if len(text) > self.maxother:
            half = (self.maxother - 3) // 2
            text = text[:half] + "..." + text[len(text) - half :]
        return text


_repr = _ShortRepr()
_repr.maxstring = 300
_repr.maxother = 300
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 20
_repr.maxlevel = 3


def safe_repr(value: object) -> str:
    """``repr(value)``, shortened; a failing ``__repr__`` gives a note instead of an error."""
    try:
        return _repr.repr(value)
    except Exception as exc:
        return f"<repr of {type(value).__name__} object failed: {exc!r}>"


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One line of source around a frame's current line."""

    lineno: int
    text: str
    current: bool


@dataclass(slots=True)
class CapturedFrame:
    """One traceback frame as text."""

    filename: str
    lineno: int
    function: str
    source: list[SourceLine]
    locals: list[tuple[str, str]]
    library: bool

    @property
    def current_line(self) -> str:
        """The frame's current line, stripped (empty when the source is unknown)."""
        for line in self.source:
            if line.current:
                return line.text.strip()
        return ""


@dataclass(slots=True)
class CapturedTraceback:
    """An exception as the error page shows it."""

    exception_type: str
    message: str
    frames: list[CapturedFrame]
    plaintext: str
    request: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """``TypeName: message`` in one line."""
        first = self.message.splitlines()[0] if self.message else ""
        return f"{self.exception_type}: {first}" if first else self.exception_type


def _is_library(filename: str) -> bool:
    if filename.startswith(_ASGIWEB_DIR):
        return True
    return any(marker in filename for marker in _LIBRARY_MARKERS)


def _source_context(
    filename: str, lineno: int, module_globals: dict[str, object]
) -> list[SourceLine]:
    linecache.checkcache(filename)
    lines = []
    for number in range(max(1, lineno - CONTEXT_LINES), lineno + CONTEXT_LINES + 1):
        text = linecache.getline(filename, number, module_globals)
        if not text and number > lineno:
            break
        lines.append(SourceLine(number, text.rstrip("\n"), number == lineno))
    return lines


def capture_exception(exc: BaseException, *, with_locals: bool = True) -> CapturedTraceback:
    """Turn *exc* and its traceback into a :class:`CapturedTraceback`.

    The debug toolbar's own frames (its middleware and panel wrappers) are left out.
    """
    frames: list[CapturedFrame] = []
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        code = frame.f_code
        if code.co_filename.startswith(_TOOLBAR_DIR) and tb.tb_next is not None:
            tb = tb.tb_next
            continue
        local_vars: list[tuple[str, str]] = []
        if with_locals:
            for name, value in list(frame.f_locals.items())[:MAX_LOCALS]:
                local_vars.append((name, safe_repr(value)))
        filename = code.co_filename
        frames.append(
            CapturedFrame(
                filename=filename,
                lineno=tb.tb_lineno,
                function=code.co_qualname,
                source=_source_context(filename, tb.tb_lineno, frame.f_globals),
                locals=local_vars,
                library=_is_library(filename),
            )
        )
        tb = tb.tb_next
    try:
        message = str(exc)
    except Exception as error:
        message = f"<str() of the exception failed: {error!r}>"
    return CapturedTraceback(
        exception_type=f"{type(exc).__module__}.{type(exc).__qualname__}"
        if type(exc).__module__ not in ("builtins", "__main__")
        else type(exc).__qualname__,
        message=message,
        frames=frames,
        plaintext="".join(traceback.format_exception(exc)),
    )
