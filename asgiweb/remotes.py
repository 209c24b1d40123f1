"""The client's real address, scheme and host behind proxies, with aiohttp-remotes' API.

``from asgiweb import remotes as aiohttp_remotes`` is the whole port:

>>> await aiohttp_remotes.setup(app, aiohttp_remotes.XForwardedStrict([["10.0.0.1"]]))

Each tool is a middleware that hands the handler ``request.clone(remote=...,
scheme=..., host=...)``, so ``request.remote``, ``scheme``, ``secure``,
``host`` and ``url`` (and URLs built from it) show the public side.
*Relaxed* tools believe the last ``num`` hops of the headers, whoever sent
them; *strict* tools check every hop against a list of trusted proxies and
answer 400 when a hop is not trusted or the headers do not add up.

Run the ASGI server without its own proxy-header handling (uvicorn:
``--no-proxy-headers``; ``web.run_app`` already does), else the peer these
tools check is the address the server made up, not the real one.
"""

from __future__ import annotations

import abc
import base64
import binascii
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from types import EllipsisType
from typing import TYPE_CHECKING, NoReturn, Protocol

from multidict import CIMultiDictProxy
from yarl import URL

from .exceptions import HTTPBadRequest, HTTPPermanentRedirect, HTTPUnauthorized
from .middlewares import middleware
from .request import Request
from .response import StreamResponse

if TYPE_CHECKING:
    from .app import Application

__all__ = (
    "AllowedHosts",
    "BasicAuth",
    "ForwardedRelaxed",
    "ForwardedStrict",
    "RemoteError",
    "Secure",
    "XForwardedFiltered",
    "XForwardedRelaxed",
    "XForwardedStrict",
    "setup",
)

logger = logging.getLogger("asgiweb.remotes")

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
IPRule = IPAddress | IPNetwork
Hop = Iterable[str | IPAddress | IPNetwork]
Trusted = Sequence[EllipsisType | Sequence[IPRule]]
Handler = Callable[[Request], Awaitable[StreamResponse]]

_TRUSTED_SHAPE = "Trusted list should be a sequence of sets with either addresses or networks."


class RemoteError(Exception):
    """Headers a strict tool refuses; logged on ``asgiweb.remotes``, answered with 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def log(self, request: Request) -> None:
        """Log why *request* was refused."""
        logger.error("%s", self.message, extra={"request": request})


# -- trusted proxies ------------------------------------------------------------------


def _parse_hop(hop: Hop) -> list[IPRule]:
    rules: list[IPRule] = []
    for item in hop:
        if isinstance(item, (IPv4Address, IPv6Address, IPv4Network, IPv6Network)):
            rules.append(item)
            continue
        try:
            rules.append(ip_address(item))
        except ValueError:
            try:
                rules.append(ip_network(item))
            except ValueError:
                raise ValueError(f"{item!r} is not IPv4 or IPv6 address or network")
    return rules


def _parse_trusted(trusted: Sequence[Hop | EllipsisType]) -> Trusted:
    """``[["10.0.0.1"], ["192.168.0.0/16", "fd00::/8"], ...]``: one set per hop, nearest first.

    A trailing ``...`` trusts any hops further out.
    """
    if isinstance(trusted, str) or not isinstance(trusted, Sequence):
        raise TypeError(_TRUSTED_SHAPE)
    parsed: list[EllipsisType | Sequence[IPRule]] = []
    seen_ellipsis = False
    for hop in trusted:
        if hop is ...:
            seen_ellipsis = True
            parsed.append(...)
            continue
        if seen_ellipsis:
            raise ValueError("Ellipsis is allowed only at the end of list")
        if isinstance(hop, str) or not isinstance(hop, Iterable):
            raise TypeError(_TRUSTED_SHAPE)
        parsed.append(_parse_hop(hop))
    return parsed


def _is_trusted(rules: Sequence[IPRule], ip: IPAddress) -> bool:
    for rule in rules:
        if isinstance(rule, (IPv4Address, IPv6Address)):
            if rule == ip:
                return True
        elif ip in rule:
            return True
    return False


def _client_ip(trusted: Trusted, ips: Sequence[IPAddress]) -> IPAddress:
    """The first untrusted address walking out from the peer: the real client.

    *ips* starts with the peer the server saw, then each address the proxies
    added, nearest first. There must be exactly one more than trusted hops.
    """
    if len(trusted) + 1 != len(ips):
        raise RemoteError(
            f"Too many X-Forwarded-For values: {list(map(str, ips))}, "
            f"expected {len(trusted) + 1}"
        )
    for rules, ip in zip(trusted, ips, strict=False):  # ips has one more: the client
        if rules is ...:
            return ip
        if not _is_trusted(rules, ip):
            raise RemoteError(f"Untrusted IP: {ip}, trusted: {[str(r) for r in rules]}")
    return ips[-1]


def _peer_ip(request: Request) -> IPAddress:
    client = request.scope.get("client")
    if not client:
        raise RemoteError("The server did not report the peer's address")
    try:
        return ip_address(client[0])
    except ValueError:
        raise RemoteError(f"The peer's address {client[0]!r} is not an IP address")


def _node_ip(node: str) -> IPAddress:
    """The address in an RFC 7239 node: ``192.0.2.1``, ``192.0.2.1:80``, ``[2001:db8::1]:80``.

    ``unknown`` and obfuscated identifiers (``_hidden``) name no address: a
    strict tool cannot check them.
    """
    host = node
    if node.startswith("["):
        end = node.find("]")
        host = node[1:end] if end > 0 else node
    elif node.count(":") == 1:
        host = node.partition(":")[0]
    try:
        return ip_address(host)
    except ValueError:
        raise RemoteError(f"Forwarded for={node!r} is not an address that can be checked")


# -- the tools ------------------------------------------------------------------------


class Tool(abc.ABC):
    """A remotes tool: ``await tool.setup(app)`` installs it."""

    @abc.abstractmethod
    async def setup(self, app: Application) -> None:
        """Install the tool's middleware (and signals) on *app*."""

    async def raise_error(self, request: Request) -> NoReturn:
        """Refuse *request*: 400 Bad Request."""
        raise HTTPBadRequest()


class _MiddlewareTool(Tool):
    async def setup(self, app: Application) -> None:
        """Append the tool's middleware to *app*."""
        app.middlewares.append(self.middleware)

    @abc.abstractmethod
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """The middleware."""


def _clone(request: Request, overrides: dict[str, str]) -> Request:
    if not overrides:
        return request
    clone = request.clone(
        remote=overrides.get("remote"), scheme=overrides.get("scheme"), host=overrides.get("host")
    )
    return clone  # type: ignore[return-value]  # a clone of a Request is a Request


class _TrustedHops:
    """The strict tools' set-up: the trusted proxies, hop by hop, and the paths let through."""

    def __init__(
        self, trusted: Sequence[Hop | EllipsisType], *, white_paths: Iterable[str] = ()
    ) -> None:
        self._trusted = _parse_trusted(trusted)
        self._white_paths = frozenset(white_paths)


def _proto_and_host(hop: Mapping[str, str], overrides: dict[str, str]) -> None:
    """A ``Forwarded`` hop's ``proto`` and ``host``, as the scheme and host to use."""
    proto = hop.get("proto")
    if proto is not None:
        overrides["scheme"] = proto
    host = hop.get("host")
    if host is not None:
        overrides["host"] = host


class ForwardedRelaxed(_MiddlewareTool):
    """Believe the last *num* hops of ``Forwarded`` (RFC 7239), whoever sent them.

    ``for`` becomes ``request.remote`` as written (``_hidden``, ``[2001:db8::1]:80``),
    ``proto`` the scheme and ``host`` the host.
    """

    def __init__(self, num: int = 1) -> None:
        self._num = num

    @middleware
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """Clone the request with the forwarded values."""
        overrides: dict[str, str] = {}
        for hop in reversed(request.forwarded[-self._num :]):
            for_ = hop.get("for")
            if for_:
                overrides["remote"] = for_
            _proto_and_host(hop, overrides)
        return await handler(_clone(request, overrides))


class ForwardedStrict(_TrustedHops, _MiddlewareTool):
    """Use ``Forwarded`` only when every hop came through a trusted proxy, else 400.

    *trusted* lists the proxies hop by hop, nearest first:
    ``[["10.0.0.1"], ["2001:db8::/32"], ...]``. Requests to *white_paths*
    (health checks) pass untouched.
    """

    @middleware
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """Check the hops and clone the request with the outermost values."""
        if request.path in self._white_paths:
            return await handler(request)
        try:
            forwarded = request.forwarded
            if len(self._trusted) != len(forwarded):
                raise RemoteError(
                    f"Too many Forwarded values: {len(forwarded)}, expected {len(self._trusted)}"
                )
            ips = [_peer_ip(request)]
            overrides: dict[str, str] = {}
            for hop in reversed(forwarded):
                for_ = hop.get("for")
                if for_:
                    ips.append(_node_ip(for_))
                _proto_and_host(hop, overrides)
            # after all hops (aiohttp-remotes checks inside the loop, so two or more
            # trusted hops can never pass there)
            overrides["remote"] = str(_client_ip(self._trusted, ips))
        except RemoteError as exc:
            exc.log(request)
            await self.raise_error(request)
        return await handler(_clone(request, overrides))


class _XForwarded(_MiddlewareTool):
    @staticmethod
    def _single(headers: CIMultiDictProxy[str], name: str) -> list[str]:
        values = headers.getall(name, [])
        if not values:
            return []
        if len(values) > 1:
            raise RemoteError(f"Too many headers for {name}")
        return [v.strip() for v in values[0].split(",")]

    def get_forwarded_for(self, headers: CIMultiDictProxy[str]) -> list[IPAddress]:
        """The addresses in ``X-Forwarded-For``; 400 when one is not an address."""
        ips: list[IPAddress] = []
        for value in self._single(headers, "X-Forwarded-For"):
            try:
                ips.append(ip_address(value))
            except ValueError:
                raise HTTPBadRequest(reason="Invalid X-Forwarded-For header")
        return ips

    def get_forwarded_proto(self, headers: CIMultiDictProxy[str]) -> list[str]:
        """The schemes in ``X-Forwarded-Proto``."""
        return self._single(headers, "X-Forwarded-Proto")

    def get_forwarded_host(self, headers: CIMultiDictProxy[str]) -> list[str]:
        """The hosts in ``X-Forwarded-Host``."""
        return self._single(headers, "X-Forwarded-Host")


class XForwardedRelaxed(_XForwarded):
    """Believe the *num*-th last value of ``X-Forwarded-For``/``-Proto``/``-Host``.

    A header with fewer than *num* values is ignored (aiohttp-remotes answers 500).
    """

    def __init__(self, num: int = 1) -> None:
        self._num = num

    @middleware
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """Clone the request with the forwarded values."""
        try:
            headers = request.headers
            overrides: dict[str, str] = {}
            num = self._num
            # fewer values than proxies: the header did not come through them all; ignore it
            forwarded_for = self.get_forwarded_for(headers)
            if len(forwarded_for) >= num:
                overrides["remote"] = str(forwarded_for[-num])
            proto = self.get_forwarded_proto(headers)
            if len(proto) >= num:
                overrides["scheme"] = proto[-num]
            host = self.get_forwarded_host(headers)
            if len(host) >= num:
                overrides["host"] = host[-num]
        except RemoteError as exc:
            exc.log(request)
            await self.raise_error(request)
        return await handler(_clone(request, overrides))


class XForwardedFiltered(_XForwarded):
    """Skip the trusted proxies in ``X-Forwarded-For``; the first other address is the client."""

    def __init__(self, trusted: Hop) -> None:
        if isinstance(trusted, str) or not isinstance(trusted, Collection):
            raise TypeError("Trusted list should be a set of addresses or networks.")
        self._trusted = _parse_hop(trusted)

    @middleware
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """Clone the request with the values of the first untrusted hop."""
        try:
            headers = request.headers
            hops = list(reversed(self.get_forwarded_for(headers)))
            if not hops:
                return await handler(request)
            overrides: dict[str, str] = {}
            index = -1
            for position, ip in enumerate(hops):
                if not _is_trusted(self._trusted, ip):
                    index = position
                    break
            overrides["remote"] = str(hops[index])
            proto = list(reversed(self.get_forwarded_proto(headers)))
            if proto:
                overrides["scheme"] = proto[index if index < len(proto) else -1]
            host = list(reversed(self.get_forwarded_host(headers)))
            if host:
                overrides["host"] = host[index if index < len(host) else -1]
        except RemoteError as exc:
            exc.log(request)
            await self.raise_error(request)
        return await handler(_clone(request, overrides))


class XForwardedStrict(_TrustedHops, _XForwarded):
    """Use ``X-Forwarded-*`` only when each hop is a trusted proxy, else 400.

    *trusted* lists the proxies hop by hop, nearest first, as for
    :class:`ForwardedStrict`.
    """

    @middleware
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """Check the hops and clone the request with the client's values."""
        if request.path in self._white_paths:
            return await handler(request)
        try:
            headers = request.headers
            ips = [_peer_ip(request), *reversed(self.get_forwarded_for(headers))]
            overrides = {"remote": str(_client_ip(self._trusted, ips))}
            proto = self.get_forwarded_proto(headers)
            if proto:
                if len(proto) > len(self._trusted):
                    raise RemoteError(
                        f"Too many X-Forwarded-Proto values: {proto}, "
                        f"expected {len(self._trusted)}"
                    )
                overrides["scheme"] = proto[0]
            host = list(reversed(self.get_forwarded_host(headers)))
            if host:
                if len(host) > len(self._trusted):
                    raise RemoteError(
                        f"Too many X-Forwarded-Host values: {host}, expected {len(self._trusted)}"
                    )
                overrides["host"] = host[0]
        except RemoteError as exc:
            exc.log(request)
            await self.raise_error(request)
        return await handler(_clone(request, overrides))


class Secure(Tool):
    """HTTPS only: plain-HTTP requests are redirected (308) or refused (400).

    Responses get ``X-Frame-Options``, ``Strict-Transport-Security``,
    ``X-Content-Type-Options`` and ``X-XSS-Protection`` unless the handler set
    them (pass ``None`` to leave one out). Install it after a forwarded tool
    so that it sees the public scheme.
    """

    def __init__(
        self,
        *,
        redirect: bool = True,
        redirect_url: str | URL | None = None,
        x_frame: str | None = "DENY",
        sts: str | None = "max-age=31536000; includeSubDomains",
        cto: str | None = "nosniff",
        xss: str | None = "1; mode=block",
        white_paths: Iterable[str] = (),
    ) -> None:
        self._redirect = redirect
        url = None
        if redirect_url is not None:
            url = URL(redirect_url)
            if url.scheme != "https":
                raise ValueError(f"Redirection url {url} should have HTTPS scheme")
            if url.origin() != url:
                raise ValueError(
                    f"Redirection url {url} should have no path, query and fragment parts"
                )
        self._redirect_url = url
        self._headers = [
            (name, value)
            for name, value in (
                ("X-Frame-Options", x_frame),
                ("Strict-Transport-Security", sts),
                ("X-Content-Type-Options", cto),
                ("X-XSS-Protection", xss),
            )
            if value is not None
        ]
        self._white_paths = frozenset(white_paths)

    async def setup(self, app: Application) -> None:
        """Install the header signal and the redirecting middleware."""
        app.on_response_prepare.append(self.on_response_prepare)
        app.middlewares.append(self.middleware)

    async def on_response_prepare(self, request: Request, response: StreamResponse) -> None:
        """Add the security headers the response does not have yet."""
        for name, value in self._headers:
            response.headers.setdefault(name, value)

    @middleware
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """Redirect or refuse requests that did not arrive over HTTPS."""
        if request.path not in self._white_paths and not request.secure:
            if not self._redirect:
                logger.error("Not secure URL %(url)s", {"url": request.url})
                await self.raise_error(request)
            if self._redirect_url is not None:
                target = self._redirect_url.join(request.url.relative())
            else:
                target = request.url.with_scheme("https").with_port(None)
            raise HTTPPermanentRedirect(target)
        return await handler(request)


class AllowedHosts(Tool):
    """Answer 400 unless ``request.host`` is one of *allowed_hosts* (``"*"``: any)."""

    def __init__(
        self, allowed_hosts: Iterable[str] = ("*",), *, white_paths: Iterable[str] = ()
    ) -> None:
        hosts = frozenset(allowed_hosts)
        self._any = "*" in hosts
        self._allowed_hosts = hosts
        self._white_paths = frozenset(white_paths)

    async def setup(self, app: Application) -> None:
        """Append the middleware to *app*."""
        app.middlewares.append(self.middleware)

    @middleware
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """Refuse requests for other hosts."""
        if (
            not self._any
            and request.path not in self._white_paths
            and request.host not in self._allowed_hosts
        ):
            await self.raise_error(request)
        return await handler(request)


class BasicAuth(Tool):
    """One user name and password for the whole site, else 401 with ``WWW-Authenticate``."""

    def __init__(
        self, username: str, password: str, realm: str, *, white_paths: Iterable[str] = ()
    ) -> None:
        self._username = username
        self._password = password
        self._realm = realm
        self._white_paths = frozenset(white_paths)

    async def setup(self, app: Application) -> None:
        """Append the middleware to *app*."""
        app.middlewares.append(self.middleware)

    async def raise_error(self, request: Request) -> NoReturn:
        """401 asking for Basic credentials."""
        raise HTTPUnauthorized(headers={"WWW-Authenticate": f"Basic realm={self._realm}"})

    def _credentials_ok(self, header: str | None) -> bool:
        if header is None or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.decodebytes(header[6:].encode("utf-8")).decode("utf-8")
        except (UnicodeError, binascii.Error):
            return False
        username, sep, password = decoded.partition(":")
        return bool(sep) and username == self._username and password == self._password

    @middleware
    async def middleware(self, request: Request, handler: Handler) -> StreamResponse:
        """Refuse requests without the right credentials."""
        if request.path not in self._white_paths and not self._credentials_ok(
            request.headers.get("Authorization")
        ):
            await self.raise_error(request)
        return await handler(request)


class _Installable(Protocol):
    async def setup(self, app: Application) -> None: ...


async def setup(app: Application, *tools: _Installable) -> None:
    """Install *tools* on *app*, in order (put a forwarded tool before ``Secure``)."""
    for tool in tools:
        await tool.setup(app)


