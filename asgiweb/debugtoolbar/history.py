"""The bounded history of the requests the toolbar has seen.

Each entry holds what the panels gathered, already reduced to plain data,
and the error page when the request failed. The oldest entry goes when
``max_request_history`` is reached, so memory stays bounded however long
the server runs.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .panels import DebugPanel
    from .tracebacks import CapturedTraceback

__all__ = ("RequestHistory", "ToolbarRecord")


@dataclass(slots=True)
class ToolbarRecord:
    """What the toolbar keeps about one request."""

    method: str
    path: str
    panels: list[DebugPanel]
    global_panels: list[DebugPanel]
    status: int = 200
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    started: float = field(default_factory=time.time)
    traceback: CapturedTraceback | None = None
    error_page: str | None = None


class RequestHistory:
    """The last *max_size* :class:`ToolbarRecord` objects, newest first.

    >>> history = RequestHistory(100)
    >>> history.put(record)
    >>> history.get(record.id) is record
    True
    """

    def __init__(self, max_size: int) -> None:
        if max_size < 1:
            raise ValueError(f"max_request_history must be at least 1, got {max_size!r}")
        self.max_size = max_size
        self._records: OrderedDict[str, ToolbarRecord] = OrderedDict()

    def put(self, record: ToolbarRecord) -> None:
        """Add *record*, dropping the oldest one beyond the limit."""
        self._records[record.id] = record
        self._records.move_to_end(record.id, last=False)
        while len(self._records) > self.max_size:
            self._records.popitem(last=True)

    def get(self, request_id: str) -> ToolbarRecord | None:
        """The record of *request_id*, or ``None`` if unknown or dropped."""
        return self._records.get(request_id)

    def last(self, count: int) -> list[ToolbarRecord]:
        """The *count* newest records, newest first."""
        result: list[ToolbarRecord] = []
        for record in self._records.values():
            if len(result) >= count:
                break
            result.append(record)
        return result

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[ToolbarRecord]:
        return iter(list(self._records.values()))
