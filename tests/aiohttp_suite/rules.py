"""Which of aiohttp's tests apply to asgiweb, and which ASGI or uvicorn make impossible.

A test is *not applicable* when it checks aiohttp's internals rather than the
behaviour an application sees: its source matches one of ``SOURCE_RULES``
(read from the test function, nested handlers included), or it is listed in
``NOT_APPLICABLE``. Those are deselected and do not count.

A test is *impossible* when it applies but cannot pass under ASGI or uvicorn;
each is listed in ``IMPOSSIBLE`` with the reason, runs as a strict xfail (so a
fix shows up as XPASS and must be removed from the list), and is described in
docs/porting.md with the workaround.

Entries name tests as ``module.py::test_name``; every parametrization of the
test is meant.
"""

from __future__ import annotations

import os
import re

MOCKED_REQUEST = (
    "builds its Request with aiohttp.test_utils.make_mocked_request, on aiohttp's mocked "
    "protocol, transport and payload writer; asgiweb requests come from an ASGI scope"
)
PRIVATE = "reads or sets private attributes of aiohttp objects (a leading underscore)"
PATCHES_AIOHTTP = "patches aiohttp's internal modules or its protocol object"
WRITER = (
    "drives aiohttp's protocol, writer or transport objects directly "
    "(request.writer, request.protocol.<method>, request.transport.<method>)"
)
SERVER_OPTION = "passes an option of aiohttp's own HTTP server, which uvicorn replaces"
GUNICORN = (
    "aiohttp's gunicorn worker calls app() to get the app; an ASGI application's __call__ "
    "is the ASGI entry point (scope, receive, send)"
)

SOURCE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bmake_mocked_request\b"), MOCKED_REQUEST),
    (
        re.compile(r"(mock|mocker)\.patch(\.object)?\(\s*(\"aiohttp\.|'aiohttp\.|request\.|web_)"),
        PATCHES_AIOHTTP,
    ),
    # obj._name, but not self._name / cls._name inside classes the test defines
    (re.compile(r"(?<![\w.])(?!self\b|cls\b)[A-Za-z]\w*(\.\w+)*\._[a-z]\w*"), PRIVATE),
    (
        re.compile(r"request\.writer|\.protocol\.|request\._protocol|\.transport\.(?!get_extra)"),
        WRITER,
    ),
)

AIOHTTP_NAMES = "compares with aiohttp's own module paths or logger objects (aiohttp.web...)"
AIOHTTP_ENUM = (
    "checks a server-side message's type by identity against aiohttp's own enum "
    "(msg.type is aiohttp.WSMsgType.TEXT); the client's messages use that enum too"
)

NOT_APPLICABLE: dict[str, str] = {
    "test_web_app.py::test_app_call": GUNICORN,
    "test_web_app.py::test_app_ctor": AIOHTTP_NAMES + ": app.logger is aiohttp.log.web_logger",
    "test_web_app.py::test_appkey_repr_concrete": AIOHTTP_NAMES
    + ": the repr of web.Request's type is 'aiohttp.web_request.Request'",
    "test_web_exceptions.py::test_HTTPOk": MOCKED_REQUEST + " (through a fixture)",
    "test_web_exceptions.py::test_HTTPFound": MOCKED_REQUEST + " (through a fixture)",
    "test_web_exceptions.py::test_HTTPMethodNotAllowed": MOCKED_REQUEST + " (through a fixture)",
    "test_web_websocket_functional.py::test_receive_text_as_bytes_server_side": AIOHTTP_ENUM,
    "test_web_websocket_functional.py::test_receive_text_as_bytes_server_iteration": AIOHTTP_ENUM,
    "test_web_websocket_functional.py::test_server_decode_text_default_true": AIOHTTP_ENUM,
    "test_web_websocket_functional.py::test_websocket_prepare_timeout_from_issue_reproducer": (
        AIOHTTP_ENUM
    ),
    "test_web_functional.py::test_unread_compressed_body_drain_is_bounded": PATCHES_AIOHTTP
    + ": watches aiohttp's StreamReader.readany while its server drains an unread body",
    "test_web_functional.py::test_requests_count": SERVER_OPTION
    + ": counts requests on aiohttp's low-level Server behind the runner (runner.server)",
    "test_web_sendfile_functional.py::test_static_file_huge_cancel": WRITER
    + ": closes request.transport under the response",
    "test_web_sendfile_functional.py::test_static_file_huge_error": WRITER
    + ": makes request.transport fail under the response",
    "test_web_functional.py::test_handler_returns_none": SERVER_OPTION + " (logger=)",
    "test_web_functional.py::test_handler_returns_not_response": SERVER_OPTION + " (logger=)",
    "test_web_functional.py::test_large_header_allowed": SERVER_OPTION + " (max_field_size=)",
    "test_web_functional.py::test_upgrade_tail_is_byte_limited": SERVER_OPTION
    + " (read_bufsize= on the server, for bytes after an Upgrade)",
    "test_web_functional.py::test_upgrade_tail_resumes_reading_after_websocket_prepare": (
        SERVER_OPTION + " (read_bufsize= on the server, for bytes after an Upgrade)"
    ),
}

# -- impossible under ASGI / uvicorn ------------------------------------------------

HTTP10 = (
    "the server writes the status line: uvicorn answers an HTTP/1.0 request with "
    "'HTTP/1.1 ...' (aiohttp echoes HTTP/1.0)"
)
DATE = "the server writes the Date header: uvicorn replaces the one the app sets"
CHUNKED_101 = (
    "a plain HTTP response with status 101 and no Content-Length: uvicorn frames it "
    "with Transfer-Encoding: chunked"
)
PING = (
    "ASGI has no ping/pong messages: the app can neither send a PING/PONG frame nor "
    "receive one; the server answers pings and sends its own (--ws-ping-interval)"
)
CLOSE_1006 = (
    "the close handshake belongs to the server: uvicorn reports 1000 where aiohttp "
    "reports 1006 ABNORMAL_CLOSURE for a peer that never answers the close"
)
UPGRADE = (
    "uvicorn takes every request with 'Upgrade: websocket' for a WebSocket handshake: "
    "the app cannot decline it and carry on with plain HTTP on the same connection "
    "(pipelined requests after it, its body)"
)
PIPELINING = "HTTP/1.1 pipelining and its flow control belong to the server (uvicorn)"

IMPOSSIBLE: dict[str, str] = {
    "test_web_functional.py::test_http10_keep_alive_default": HTTP10,
    "test_web_functional.py::test_http10_keep_alive_with_headers": HTTP10,
    "test_web_functional.py::test_http10_keep_alive_with_headers_close": HTTP10,
    "test_web_functional.py::test_custom_date_header": DATE,
    "test_web_functional.py::test_no_body_for_1xx_204_304_responses[pyloop-version0-101]": (
        CHUNKED_101
    ),
    "test_web_functional.py::test_no_body_for_1xx_204_304_responses[pyloop-version1-101]": (
        CHUNKED_101
    ),
    "test_web_websocket_functional.py::test_ping": PING,
    "test_web_websocket_functional.py::test_pong": PING,
    "test_web_websocket_functional.py::test_heartbeat": PING,
    "test_web_websocket_functional.py::test_heartbeat_failure_ends_receive": PING,
    "test_web_websocket_functional.py::test_heartbeat_no_pong": PING,
    "test_web_websocket_functional.py::test_heartbeat_no_pong_receive_many_messages": PING,
    "test_web_websocket_functional.py::test_heartbeat_no_pong_send_many_messages": PING,
    "test_web_websocket_functional.py::test_receive_being_cancelled_keeps_connection_open": PING,
    "test_web_websocket_functional.py::test_receive_timeout_keeps_connection_open": PING,
    "test_web_websocket_functional.py::test_abnormal_closure_when_client_does_not_close": (
        CLOSE_1006
    ),
    "test_web_websocket_functional.py::test_abnormal_closure_when_server_does_not_receive": (
        CLOSE_1006
    ),
    "test_web_functional.py::test_declined_websocket_upgrade_reads_body": UPGRADE,
    "test_web_functional.py::test_bad_pipelined_data_behind_declined_upgrade_answers_400": UPGRADE,
    "test_web_functional.py::test_http1_pipelined_behind_declined_upgrade_served_once": UPGRADE,
    "test_web_websocket_functional.py::test_pipelined_request_after_failed_websocket_upgrade": (
        UPGRADE
    ),
    "test_web_websocket_functional.py::test_pipelined_request_after_two_declined_upgrades": (
        UPGRADE
    ),
    "test_web_websocket_functional.py::test_pipelined_request_after_declined_upgrade_behind_burst": (  # noqa: E501
        UPGRADE
    ),
    "test_web_websocket_functional.py::test_partial_pipelined_request_after_failed_websocket_upgrade": (  # noqa: E501
        UPGRADE
    ),
    "test_web_websocket_functional.py::test_websocket_frames_pipelined_behind_request_burst": (
        UPGRADE
    ),
    "test_web_functional.py::test_http1_pipelined_requests_are_count_limited": PIPELINING,
    "test_web_functional.py::test_response_101_204_no_content_length_http11[pyloop-101]": (
        CHUNKED_101
    ),
}

# -- applicable tests that still fail (what is left, and whose it is) ---------------
# They run as (non-strict) xfails and count as failures in the figure.

ROOT = (
    "file permissions: the suite runs as root here, where every file is readable "
    "(aiohttp fails these as root too)"
)

KNOWN_FAILURES: dict[str, str] = {}

# -- applicable tests where asgiweb keeps a better behaviour than aiohttp's -----------
# Also run as strict xfails; each is in docs/porting.md.

BETTER: dict[str, str] = {
    "test_web_functional.py::test_large_header": (
        "a header field over the 8 KiB limit gets 431 Request Header Fields Too Large "
        "(RFC 6585), the status that names the problem, where aiohttp answers 400"
    ),
    "test_web_exceptions.py::test_terminal_classes_has_status_code": (
        "web.BadJSONBody and web.RequestPayloadError are HTTPBadRequest subclasses, so two "
        "exported HTTPException classes share status 400: malformed input is a 400 where "
        "aiohttp answers 500 (docs/porting.md, 'Errors are 400s, not 500s')"
    ),
}

if hasattr(os, "geteuid") and os.geteuid() == 0:
    for _name in ("directory", "file"):
        _test = f"test_web_urldispatcher.py::test_static_{_name}_without_read_permission"
        NOT_APPLICABLE[_test] = ROOT

# Tests that wait for something that never comes get a short timeout.
HANGS = frozenset(
    {
        "test_web_websocket_functional.py::test_pong",
        "test_web_websocket_functional.py::test_receive_being_cancelled_keeps_connection_open",
        "test_web_websocket_functional.py::test_receive_timeout_keeps_connection_open",
        "test_web_functional.py::test_http1_pipelined_behind_declined_upgrade_served_once",
        "test_web_websocket_functional.py::test_websocket_frames_pipelined_behind_request_burst",
    }
)


def _key(nodeid: str) -> tuple[str, str]:
    """``tests/mod.py::test_x[param]`` → (``mod.py::test_x[param]``, ``mod.py::test_x``)."""
    short = nodeid.split("/")[-1]
    return short, short.split("[")[0]


def _lookup(table: dict[str, str], nodeid: str) -> str | None:
    short, bare = _key(nodeid)
    return table.get(short) or table.get(bare)


def not_applicable(nodeid: str, source: str = "") -> str | None:
    """The reason *nodeid* (whose function source is *source*) does not apply, or ``None``."""
    reason = _lookup(NOT_APPLICABLE, nodeid)
    if reason is not None:
        return reason
    for pattern, why in SOURCE_RULES:
        match = pattern.search(source)
        if match:
            return f"{why}: {match.group(0)!r}"
    return None


def impossible(nodeid: str) -> str | None:
    """The reason *nodeid* cannot pass under ASGI/uvicorn, or ``None``."""
    return _lookup(IMPOSSIBLE, nodeid)


def better(nodeid: str) -> str | None:
    """Why asgiweb deliberately fails *nodeid* (aiohttp's behaviour is a bug), or ``None``."""
    return _lookup(BETTER, nodeid)


def known_failure(nodeid: str) -> str | None:
    """What is left to do for the applicable test *nodeid* to pass, or ``None``."""
    return _lookup(KNOWN_FAILURES, nodeid)


def hangs(nodeid: str) -> bool:
    """Whether the failing test *nodeid* waits forever (it gets a short timeout)."""
    return _key(nodeid)[1] in HANGS
