"""The access log in aiohttp's format: ``AbstractAccessLogger`` and ``AccessLogger``.

The runner (``run_app``, ``AppRunner``) hands the application an access
logger; the application calls its ``log(request, response, time)`` once per
request, after the response went out, and uvicorn's own access line stays
off. Under a server you start yourself (``uvicorn module:app``) the
application logs nothing and the server writes its own lines.

Formats use aiohttp's directives (Apache's, abridged)::

    %%       a percent sign
    %a       the client's address (request.remote)
    %t       when the request started, [01/Dec/2026:21:19:07 +0000]
    %P       the process id, <1234>
    %r       the request line, GET /path?q=1 HTTP/1.1
    %s       the response status
    %b       the response body size in bytes
    %T       seconds taken, rounded; %Tf with six decimals; %D in microseconds
    %{Name}i a request header, %{Name}o a response header ("-" when absent)

Control characters in what the client or the handler controls (the request
line and header values) are written escaped (``\\x0a``), so that no value
can start a log line of its own.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from .request import BaseRequest
from .response import StreamResponse

__all__ = ("AbstractAccessLogger", "AccessLogger", "access_logger")

#: The logger the runner writes access lines to unless given another (aiohttp's
#: ``aiohttp.access``).
access_logger = logging.getLogger("asgiweb.access")

# One directive: %{Name}i / %{Name}o / %{Name}e, a letter (Tf before T), or %%.
_DIRECTIVE = re.compile(r"%(?:\{([A-Za-z0-9\-_]+)\}([A-Za-z])|(Tf|[A-Za-z%])|$)")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")

# What a format cannot say, each with the reason given in the ValueError.
_UNSUPPORTED = {
    "e": "environment variables (%{NAME}e) are not supported, as in aiohttp 3.14, "
    "which raises on them too",
    "O": "%O (bytes sent including headers) is not supported, as in aiohttp 3.14",
}

_Value = str | int
_Field = Callable[[BaseRequest, StreamResponse, float], _Value]


def _escaped_char(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape(value: str) -> str:
    """*value* with its control characters written as ``\\xNN`` (``\\uNNNN`` above 0xff)."""
    return _CONTROL.sub(_escaped_char, value)


def _remote(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return request.remote or "-"


def _start_time(request: BaseRequest, response: StreamResponse, time: float) -> str:
    started = datetime.datetime.now().astimezone() - datetime.timedelta(seconds=time)
    return started.strftime("[%d/%b/%Y:%H:%M:%S %z]")


def _process(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return f"<{os.getpid()}>"


def _request_line(request: BaseRequest, response: StreamResponse, time: float) -> str:
    version = request.version
    line = f"{request.method} {request.path_qs} HTTP/{version.major}.{version.minor}"
    return _escape(line)


def _status(request: BaseRequest, response: StreamResponse, time: float) -> int:
    return response.status


def _size(request: BaseRequest, response: StreamResponse, time: float) -> int:
    return response.body_length


def _seconds(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return str(round(time))


def _seconds_fraction(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return f"{time:06f}"


def _microseconds(request: BaseRequest, response: StreamResponse, time: float) -> str:
    return str(round(time * 1_000_000))


def _request_header(name: str) -> _Field:
    def field(request: BaseRequest, response: StreamResponse, time: float) -> str:
        return _escape(request.headers.get(name, "-"))

    return field


def _response_header(name: str) -> _Field:
    def field(request: BaseRequest, response: StreamResponse, time: float) -> str:
        return _escape(response.headers.get(name, "-"))

    return field


# letter -> (the key in the log record's extra, the field)
_FIELDS: dict[str, tuple[str, _Field]] = {
    "a": ("remote_address", _remote),
    "t": ("request_start_time", _start_time),
    "P": ("process_id", _process),
    "r": ("first_request_line", _request_line),
    "s": ("response_status", _status),
    "b": ("response_size", _size),
    "T": ("request_time", _seconds),
    "Tf": ("request_time_frac", _seconds_fraction),
    "D": ("request_time_micro", _microseconds),
}
_HEADER_FIELDS = {
    "i": ("request_header", _request_header),
    "o": ("response_header", _response_header),
}


class AbstractAccessLogger(ABC):
    """The interface of an access logger: subclass it and write :meth:`log`.

    The runner builds it as ``cls(logger, log_format)``:

    >>> class JSONAccessLogger(AbstractAccessLogger):
    ...     def log(self, request, response, time):
    ...         self.logger.info(json.dumps({"path": request.path, "status": response.status}))
    >>> web.run_app(app, access_log_class=JSONAccessLogger)
    """

    __slots__ = ("log_format", "logger")

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger
        self.log_format = log_format

    @abstractmethod
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Write one line for *request*, answered with *response* in *time* seconds."""

    @property
    def enabled(self) -> bool:
        """Whether to call :meth:`log` at all (``False`` skips the work per request)."""
        return self.logger.isEnabledFor(logging.INFO)


class AccessLogger(AbstractAccessLogger):
    """Write an Apache-style line per request in *log_format* (see the module docs).

    >>> AccessLogger(logging.getLogger("asgiweb.access"), '%a "%r" %s %Tf')

    Each record also carries the values in ``extra`` (``record.response_status``,
    ``record.request_header["User-Agent"]``, ...), for structured handlers.
    A format with an unsupported directive raises ``ValueError``.
    """

    __slots__ = ("_fields", "_template")

    #: aiohttp's default format, the Apache "combined" log without the user fields.
    LOG_FORMAT = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'

    def __init__(self, logger: logging.Logger, log_format: str = LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        self._template, self._fields = _compile(log_format)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Format and write the line; a failure is logged, never raised."""
        try:
            values: list[_Value] = []
            extra: dict[str, Any] = {}
            for key, name, field in self._fields:
                value = field(request, response, time)
                values.append(value)
                if name is None:
                    extra[key] = value
                else:
                    extra.setdefault(key, {})[name] = value
            self.logger.info(self._template % tuple(values), extra=extra)
        except Exception:
            self.logger.exception("Error in logging")


def _compile(log_format: str) -> tuple[str, list[tuple[str, str | None, _Field]]]:
    """*log_format* as a ``%s`` template and the fields that fill it, in order."""
    parts: list[str] = []
    fields: list[tuple[str, str | None, _Field]] = []
    position = 0
    for match in _DIRECTIVE.finditer(log_format):
        name, kind, letter = match.groups()
        text = match[0]
        parts.append(log_format[position : match.start()].replace("%", "%%"))
        position = match.end()
        if name is None and letter is None:
            raise ValueError(
                f"access log format {log_format!r} ends with a lone '%': "
                "write '%%' for a percent sign"
            )
        if letter == "%":
            parts.append("%%")
            continue
        directive = kind if name is not None else letter
        if directive in _UNSUPPORTED:
            raise ValueError(
                f"access log format {log_format!r}: {text!r}: {_UNSUPPORTED[directive]}"
            )
        if name is not None and kind in _HEADER_FIELDS:
            key, make = _HEADER_FIELDS[kind]
            fields.append((key, name, make(name)))
        elif letter in _FIELDS:
            key, field = _FIELDS[letter]
            fields.append((key, None, field))
        else:
            # as aiohttp: what is no directive is written as it stands
            parts.append(text.replace("%", "%%"))
            continue
        parts.append("%s")
    parts.append(log_format[position:].replace("%", "%%"))
    return "".join(parts), fields
