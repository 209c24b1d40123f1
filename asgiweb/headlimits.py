"""aiohttp's request-head limits, and the byte counter that enforces them before a parser buffers.

The runner's protocols (``uvicorn_protocols``) feed each chunk a connection
receives to a :class:`HeadCounter` while a request head is being read; the
counter answers with the status and reason to refuse it with, or ``None``.
"""

from __future__ import annotations

__all__ = ("HeadCounter", "HeadLimits")


class HeadLimits:
    """aiohttp's request-head limits: ``max_line_size``, ``max_field_size``, ``max_headers``.

    >>> HeadLimits(max_line_size=8190, max_field_size=8190, max_headers=128).max_head_size
    1056700
    """

    __slots__ = ("max_field_size", "max_head_size", "max_headers", "max_line_size", "quick_size")

    def __init__(self, *, max_line_size: int, max_field_size: int, max_headers: int) -> None:
        for name, value in (
            ("max_line_size", max_line_size),
            ("max_field_size", max_field_size),
            ("max_headers", max_headers),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.max_line_size = max_line_size
        self.max_field_size = max_field_size
        self.max_headers = max_headers
        # Every line may end with CRLF, which the limits do not count.
        self.max_head_size = max_line_size + 2 + max_headers * (max_field_size + 2) + 2
        # A chunk no longer than this cannot hold a line over either limit.
        self.quick_size = min(max_line_size, max_field_size)


class HeadCounter:
    """The head-size state of one connection, fed each chunk before the parser sees it."""

    __slots__ = ("done", "headers", "limits", "line", "lines", "size")

    def __init__(self, limits: HeadLimits) -> None:
        self.limits = limits
        self.reset()

    def reset(self) -> None:
        """Start counting a new request head (the next request on the connection)."""
        self.line = 0  # bytes of the current, unfinished line
        self.lines = 0  # complete lines so far (the request line, then headers)
        self.size = 0  # bytes of this head so far
        self.done = False  # the blank line that ends the head was seen

    def check(self, data: bytes) -> tuple[int, str] | None:
        """Count *data* into the head; return ``(status, reason)`` when a limit is exceeded."""
        limits = self.limits
        if (
            self.size == 0
            and len(data) <= limits.quick_size
            and data.count(b"\n") <= limits.max_headers
        ):
            # The common case: a head that starts here and is shorter than any limit.
            return None
        if self.done:
            return None
        return self._scan(data)

    def chunk_was_head(self, data: bytes) -> None:
        """Record that all of *data* belongs to a head the parser has not finished yet."""
        if self.size == 0:
            # ``check`` took the quick path: count the chunk now.
            self.size = len(data)
            self.lines = data.count(b"\n")
            last = data.rfind(b"\n")
            self.line = len(data) if last < 0 else len(data) - last - 1

    def _scan(self, data: bytes) -> tuple[int, str] | None:
        limits = self.limits
        position = 0
        end = len(data)
        while position < end:
            newline = data.find(b"\n", position)
            stop = end if newline < 0 else newline
            length = self.line + stop - position
            if self.lines == 0:
                if length > limits.max_line_size + 1:  # +1: the CR of CRLF
                    return 400, f"Request line is too long (over {limits.max_line_size} bytes)"
            elif length > limits.max_field_size + 1:
                return 431, f"Header field is too long (over {limits.max_field_size} bytes)"
            if newline < 0:
                self.line = length
                self.size += end - position
                break
            self.size += newline + 1 - position
            position = newline + 1
            self.line = 0
            if length <= 1 and self.lines > 0:  # "" or "\r": the blank line ends the head
                self.done = True
                return None
            if length > 1:
                self.lines += 1
                if self.lines > limits.max_headers + 1:
                    return 431, f"Too many header fields (over {limits.max_headers})"
        if self.size > limits.max_head_size:
            return 431, f"Request head is too large (over {limits.max_head_size} bytes)"
        return None
