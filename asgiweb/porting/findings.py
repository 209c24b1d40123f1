"""Uses of aiohttp's server that have no ASGI equivalent, found in ported code.

Each :class:`Rule` names one difference that docs/porting.md documents, with
the replacement it documents; :func:`find` reports every place a ported module
relies on one, as ``file:line: what, and the documented replacement``.
Detection works on the ported code, where names resolve to asgiweb
(``web.TCPSite`` is ``asgiweb.web.TCPSite`` wherever ``web`` came from).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .modules import MODULES, names_of
from .rewrite import Unmapped, dotted_name

__all__ = ("RULES", "Finding", "Rule", "find")


@dataclass(frozen=True)
class Rule:
    """One aiohttp behaviour that ASGI cannot express, and what to do instead."""

    what: str
    replacement: str
    section: str
    """The heading of docs/porting.md that documents it."""


@dataclass(frozen=True, order=True)
class Finding:
    """One use of a :class:`Rule` in a file."""

    line: int
    what: str
    replacement: str
    section: str

    def format(self, path: str) -> str:
        """``path:line: what; replacement (docs/porting.md, "section")``."""
        return (
            f"{path}:{self.line}: {self.what}; {self.replacement} "
            f'(docs/porting.md, "{self.section}")'
        )


_SERVER = "The server is not ours"
_RUNNING = "Running the app"
_WEBSOCKETS = "WebSockets"
_OPTIONS = "Application options"
_ADDONS = "The aiohttp add-ons"
_NAMES = "Names that exist for compatibility"
_TESTING = "Testing"

RULES: dict[str, Rule] = {
    "runner-option": Rule(
        "`{name}=` has no meaning on an ASGI server and is ignored",
        "uvicorn reads and parses requests: configure its limits instead",
        _RUNNING,
    ),
    "named-pipe": Rule(
        "`web.NamedPipeSite` cannot listen (uvicorn has no Windows named pipes)",
        "serve on a `TCPSite` or `UnixSite`",
        _RUNNING,
    ),
    "request-handler": Rule(
        "`web.RequestHandler` (aiohttp's connection protocol) cannot be built: the ASGI server "
        "owns connections",
        "pass `keepalive_timeout`, `max_line_size`, `max_field_size`, `max_headers` to the runner",
        _RUNNING,
    ),
    "request-factory": Rule(
        "`web.Server(request_factory=...)` is refused",
        "read what you need from `request.scope` in the handler",
        _TESTING,
    ),
    "lowlevel-server": Rule(
        "`loop.create_server(web.Server(...))` uses the server as an asyncio protocol factory; "
        "asgiweb's `web.Server` is an ASGI app",
        "serve it with `web.ServerRunner(server)` and a `web.TCPSite`, or `uvicorn module:server`",
        _RUNNING,
    ),
    "transport-write": Rule(
        "`request.transport.{name}()` would act on the socket, which the ASGI server owns",
        "answer with a response; for `Expect: 100-continue` drop the write and return `None` "
        "(the server sends `100 Continue`)",
        _SERVER,
    ),
    "protocol": Rule(
        "`request.protocol.{name}` is part of aiohttp's connection protocol",
        "only `request.protocol.logger` and `.transport` exist; keep-alive and shutdown belong "
        "to the server",
        _SERVER,
    ),
    "raw-headers": Rule(
        "`request.raw_headers` has lower-case names under ASGI",
        "compare header names case-insensitively, or use `request.headers`",
        _SERVER,
    ),
    "prepare-writer": Rule(
        "the result of `prepare()` is aiohttp's payload writer; asgiweb returns `None`",
        "write with `await response.write(data)`",
        _SERVER,
    ),
    "reason": Rule(
        "a custom reason phrase does not reach the client (ASGI's `http.response.start` has none)",
        "put the text in the body or a header; `response.reason` still holds it",
        _SERVER,
    ),
    "ws-ping": Rule(
        "`ws.{name}()` sends nothing: ASGI has no ping message (`web.ASGIPingWarning`)",
        "let the server send keep-alive pings (`--ws-ping-interval`, `--ws-ping-timeout`)",
        _WEBSOCKETS,
    ),
    "ws-option": Rule(
        "`WebSocketResponse({name}=...)` is the server's business under ASGI",
        "heartbeats and pings: the server's `--ws-ping-interval`; compression: negotiated by "
        "the server",
        _WEBSOCKETS,
    ),
    "handler-args": Rule(
        "`handler_args` configures aiohttp's own protocol; only `auto_decompress` and "
        "`read_bufsize` keep a meaning",
        "set server limits on the runner or the ASGI server",
        _OPTIONS,
    ),
    "gunicorn-worker": Rule(
        "aiohttp's gunicorn worker (`aiohttp.GunicornWebWorker`) runs aiohttp's server",
        "use uvicorn's worker: `gunicorn 'module:create_app()' -k uvicorn_worker.UvicornWorker`",
        _OPTIONS,
    ),
    "payload-access": Rule(
        "`web.PayloadAccessError` is never raised by asgiweb",
        "nothing to catch: the server has the body, or has dropped it, once the response is sent",
        _NAMES,
    ),
    "missing-name": Rule(
        "`{module}` has no `{name}`",
        "see the module's page in docs/ for what it provides",
        _ADDONS,
    ),
}
"""Every difference :func:`find` reports, by key."""

# Add-on names asgiweb leaves out on purpose, with the documented replacement.
_NOT_PROVIDED = {
    "JWTIdentityPolicy": "use `SessionIdentityPolicy` or `CookiesIdentityPolicy`, or write an "
    "`AbstractIdentityPolicy` that checks the token",
    "memcached_storage": "use `EncryptedCookieStorage` or `RedisStorage`",
    "nacl_storage": "use `EncryptedCookieStorage` (Fernet) or `RedisStorage`",
    "MemcachedStorage": "use `EncryptedCookieStorage` or `RedisStorage`",
    "NaClCookieStorage": "use `EncryptedCookieStorage` (Fernet) or `RedisStorage`",
    "Cloudflare": "use `XForwardedFiltered` with Cloudflare's published networks",
}

_RUNNER_CALLABLES = frozenset(
    {
        "asgiweb.web.run_app",
        "asgiweb.web.AppRunner",
        "asgiweb.web.ServerRunner",
        "asgiweb.web.Server",
        "asgiweb.web.Application.make_handler",
    }
)
_RUNNER_IGNORED = (
    "lingering_time",
    "read_bufsize",
    "auto_decompress",
    "timeout_ceil_threshold",
    "logger",
)
_TRANSPORT_ACTIONS = frozenset(
    {"write", "writelines", "close", "abort", "write_eof", "pause_reading", "resume_reading",
     "set_write_buffer_limits"}
)
_PROTOCOL_KEPT = frozenset({"logger", "transport"})
_RESPONSE_CLASSES = frozenset({"Response", "StreamResponse", "json_response", "FileResponse"})
_TARGET_MODULES = sorted(set(MODULES.values()), key=len, reverse=True)
_GUNICORN_STRINGS = frozenset({"aiohttp.GunicornWebWorker", "aiohttp.GunicornUVLoopWebWorker",
                               "aiohttp.worker.GunicornWebWorker",
                               "aiohttp.worker.GunicornUVLoopWebWorker"})


def _finding(line: int, key: str, **names: str) -> Finding:
    rule = RULES[key]
    return Finding(line, rule.what.format(**names), rule.replacement, rule.section)


class _Bindings(cst.CSTVisitor):
    """Local name → the qualified name its imports give it (``web`` → ``asgiweb.web``).

    Scopes are not told apart: a report is a pointer for a person, and libcst's
    full scope analysis would cost more than the rewrite itself.
    """

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, str] = {}

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            dotted = dotted_name(alias.name)
            if dotted is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.names[alias.asname.name.value] = dotted
            else:
                root = dotted.split(".")[0]
                self.names[root] = root
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return False
        module = dotted_name(node.module)
        for alias in node.names:
            name = dotted_name(alias.name)
            if module is None or name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.names[local] = f"{module}.{name}"
        return False


class _Finder(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, bindings: dict[str, str]) -> None:
        super().__init__()
        self._bindings = bindings
        self.found: set[Finding] = set()
        self._servers: set[str] = set()  # names bound to web.Server(...)
        self._websockets: set[str] = set()  # names bound to web.WebSocketResponse(...)

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def _names(self, node: cst.BaseExpression) -> set[str]:
        dotted = dotted_name(node)
        if dotted is None:
            return set()
        head, dot, rest = dotted.partition(".")
        if head not in self._bindings:
            return set()
        return {self._bindings[head] + dot + rest}

    def _add(self, node: cst.CSTNode, key: str, **names: str) -> None:
        self.found.add(_finding(self._line(node), key, **names))

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if isinstance(value, cst.Call):
            called = self._names(value.func)
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    if "asgiweb.web.Server" in called:
                        self._servers.add(target.target.value)
                    if "asgiweb.web.WebSocketResponse" in called:
                        self._websockets.add(target.target.value)
        if (
            isinstance(value, cst.Await)
            and isinstance(value.expression, cst.Call)
            and _is_method_call(value.expression, "prepare")
            and value.expression.args
            and _looks_like_request(value.expression.args[0].value)
        ):
            self._add(node, "prepare-writer")  # `writer = await resp.prepare(request)`

    def visit_Call(self, node: cst.Call) -> None:
        names = self._names(node.func)
        keywords = {arg.keyword.value: arg for arg in node.args if arg.keyword is not None}
        if names & _RUNNER_CALLABLES or any(n.endswith("Site") for n in names if
                                             n.startswith("asgiweb.web.")):
            for option in _RUNNER_IGNORED:
                if option in keywords:
                    self._add(node, "runner-option", name=option)
        if "asgiweb.web.NamedPipeSite" in names:
            self._add(node, "named-pipe")
        if "asgiweb.web.RequestHandler" in names:
            self._add(node, "request-handler")
        if "asgiweb.web.Server" in names and "request_factory" in keywords:
            self._add(node, "request-factory")
        if (
            "asgiweb.web.Application" in names
            and "handler_args" in keywords
            and _handler_args_ignored(keywords["handler_args"].value)
        ):
            self._add(node, "handler-args")
        if "asgiweb.web.WebSocketResponse" in names:
            for option in ("heartbeat", "autoping", "compress"):
                if option in keywords:
                    self._add(node, "ws-option", name=option)
        if "reason" in keywords and any(
            n.rpartition(".")[2] in _RESPONSE_CLASSES or n.startswith("asgiweb.web.HTTP")
            for n in names
        ):
            self._add(node, "reason")
        if isinstance(node.func, cst.Attribute):
            self._method_call(node, node.func)

    def _method_call(self, node: cst.Call, func: cst.Attribute) -> None:
        method = func.attr.value
        owner = func.value
        transport = (
            isinstance(owner, cst.Attribute)
            and owner.attr.value == "transport"
            and _looks_like_request(owner.value)
        )
        if transport and method in _TRANSPORT_ACTIONS:
            self._add(node, "transport-write", name=method)
        if method == "set_status" and len(node.args) >= 2:
            self._add(node, "reason")
        if method in ("ping", "pong") and isinstance(owner, cst.Name) and (
            owner.value in self._websockets
        ):
            self._add(node, "ws-ping", name=method)
        if method == "create_server" and node.args:
            first = node.args[0].value
            if (isinstance(first, cst.Name) and first.value in self._servers) or (
                isinstance(first, cst.Call) and "asgiweb.web.Server" in self._names(first.func)
            ):
                self._add(node, "lowlevel-server")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        owner = node.value
        if (
            isinstance(owner, cst.Attribute)
            and owner.attr.value == "protocol"
            and attr not in _PROTOCOL_KEPT
            and _looks_like_request(owner.value)
        ):
            self._add(node, "protocol", name=attr)
        if attr == "raw_headers" and _looks_like_request(owner):
            self._add(node, "raw-headers")
        for name in self._names(node):
            self._check_name(node, name)

    def visit_Name(self, node: cst.Name) -> None:
        for name in self._names(node):
            if name in _GUNICORN_STRINGS:
                self._add(node, "gunicorn-worker")
            if name == "asgiweb.web.PayloadAccessError" and node.value == "PayloadAccessError":
                self._add(node, "payload-access")

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if node.evaluated_value in _GUNICORN_STRINGS:
            self._add(node, "gunicorn-worker")

    def _check_name(self, node: cst.Attribute, qualified: str) -> None:
        for module in _TARGET_MODULES:
            if not qualified.startswith(module + "."):
                continue
            name = qualified[len(module) + 1 :].split(".")[0]
            if qualified != f"{module}.{name}" or node.attr.value != name:
                return
            if name == "PayloadAccessError":
                self._add(node, "payload-access")
                return
            known = names_of(module)
            if known is not None and name not in known:
                self.found.add(_missing(self._line(node), module, name))
            return


def _looks_like_request(node: cst.BaseExpression) -> bool:
    """``request.x``, ``self.request.x``, ``req.x``: an object named like a request."""
    name = node.attr.value if isinstance(node, cst.Attribute) else getattr(node, "value", "")
    return isinstance(name, str) and ("request" in name.lower() or name in ("req", "r"))


def _is_method_call(node: cst.BaseExpression, method: str) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == method
    )


def _handler_args_ignored(value: cst.BaseExpression) -> bool:
    if not isinstance(value, cst.Dict):
        return False
    for element in value.elements:
        if (
            isinstance(element, cst.DictElement)
            and isinstance(element.key, cst.SimpleString)
            and element.key.evaluated_value not in ("auto_decompress", "read_bufsize")
        ):
            return True
    return False


def _missing(line: int, module: str, name: str) -> Finding:
    if name in _NOT_PROVIDED:
        return Finding(
            line, f"`{module}` has no `{name}` (not provided)", _NOT_PROVIDED[name], _ADDONS
        )
    finding = _finding(line, "missing-name", module=module, name=name)
    if module == "asgiweb.web":
        return Finding(
            finding.line,
            finding.what,
            "it is internal to aiohttp (asgiweb.web has every name of aiohttp.web.__all__): "
            "use the public API",
            _NAMES,
        )
    return finding


def find(module: cst.Module, unmapped: Iterable[Unmapped] = ()) -> list[Finding]:
    """Every use in ported *module* that has no ASGI equivalent, in line order."""
    bindings = _Bindings()
    module.visit(bindings)
    finder = _Finder(bindings.names)
    MetadataWrapper(module, unsafe_skip_copy=True).visit(finder)
    found = set(finder.found)
    for item in unmapped:
        target = MODULES[item.module]
        finding = _missing(item.line, target, item.name)
        found.add(
            Finding(
                finding.line,
                f"`{item.module}.{item.name}` has no counterpart in `{target}` and was left on "
                f"aiohttp",
                finding.replacement,
                finding.section,
            )
        )
    return sorted(found)


def rules_sections() -> Sequence[str]:
    """The docs/porting.md headings the rules point to."""
    return sorted({rule.section for rule in RULES.values()})
