"""The logging records emitted while a request is handled, for the logging panel.

A handler sits on the root logger only while at least one request shown by
the toolbar is in flight. A context variable says which request a record
belongs to, so records from concurrent requests, and from tasks a request
starts, land in the right list. Each request keeps at most
:data:`MAX_RECORDS_PER_REQUEST` records.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ("CapturedRecord", "LogCapture", "MAX_RECORDS_PER_REQUEST")

MAX_RECORDS_PER_REQUEST = 1000


@dataclass(frozen=True, slots=True)
class CapturedRecord:
    """One logging record, reduced to text (no reference to the objects logged)."""

    created: float
    level: str
    levelno: int
    logger: str
    message: str
    pathname: str
    lineno: int

    @property
    def time(self) -> str:
        """The record's local time, with milliseconds."""
        local = time.localtime(self.created)
        return time.strftime("%H:%M:%S", local) + f".{int(self.created * 1000) % 1000:03d}"


class _RequestLogHandler(logging.Handler):
    def __init__(self, current: ContextVar[deque[CapturedRecord] | None]) -> None:
        super().__init__(logging.NOTSET)
        self._current = current

    def emit(self, record: logging.LogRecord) -> None:
        records = self._current.get()
        if records is not None:
            try:
                message = record.getMessage()
            except Exception as exc:  # a bad format string: show it rather than fail
                message = f"{record.msg!r} % {record.args!r} ({exc!r})"
            if record.exc_info and record.exc_info[1] is not None:
                message += f"\n{record.exc_info[0].__name__ if record.exc_info[0] else ''}: "
                message += str(record.exc_info[1])
            records.append(
                CapturedRecord(
                    record.created,
                    record.levelname,
                    record.levelno,
                    record.name,
                    message,
                    record.pathname,
                    record.lineno,
                )
            )
        # Being a handler on the root logger hides logging's last-resort
        # stderr output; give the record to it when nobody else handles it.
        last_resort = logging.lastResort
        if (
            last_resort is not None
            and record.levelno >= last_resort.level
            and not self._handled_elsewhere(record)
        ):
            last_resort.handle(record)

    def _handled_elsewhere(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(handler is not self for handler in logger.handlers):
                return True
            if not logger.propagate:
                return False
            logger = logger.parent
        return False


class LogCapture:
    """Collects the records of each request run inside :meth:`capture`.

    >>> capture = LogCapture()
    >>> with capture.capture() as records:
    ...     logging.getLogger("app").warning("hello")
    >>> records[0].message
    'hello'
    """

    def __init__(self) -> None:
        self._current: ContextVar[deque[CapturedRecord] | None] = ContextVar(
            "asgiweb_debugtoolbar_records", default=None
        )
        self._handler = _RequestLogHandler(self._current)
        self._in_flight = 0

    @contextlib.contextmanager
    def capture(self) -> Iterator[deque[CapturedRecord]]:
        """Collect the records emitted in this context until the block ends."""
        records: deque[CapturedRecord] = deque(maxlen=MAX_RECORDS_PER_REQUEST)
        token = self._current.set(records)
        self._in_flight += 1
        if self._in_flight == 1:
            logging.getLogger().addHandler(self._handler)
        try:
            yield records
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                logging.getLogger().removeHandler(self._handler)
            self._current.reset(token)
