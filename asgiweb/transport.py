"""``request.transport`` and ``request.protocol``: what aiohttp code asks of them, from the scope.

Under ASGI the server owns the socket, so there is no asyncio transport or
protocol to hand out. Code ported from aiohttp mostly asks them two things:
the addresses (``request.transport.get_extra_info("peername")``) and the
server's logger (``request.protocol.logger``); those work. Nothing here writes
to the socket.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connection import Connection
    from .typedefs import Scope

server_logger = logging.getLogger("asgiweb.server")


def scope_extra_info(scope: Scope, name: str, default: Any = None) -> Any:
    """``get_extra_info(name)`` answered from an ASGI scope.

    ``peername`` is ``scope["client"]``, ``sockname`` is ``scope["server"]``;
    with the ASGI TLS extension, ``peercert`` is the client's certificate (PEM).
    ``sslcontext`` and anything else is *default*: the SSL context stays in the
    server.
    """
    if name == "peername":
        return scope.get("client") or default
    if name == "sockname":
        return scope.get("server") or default
    if name == "peercert":
        tls = (scope.get("extensions") or {}).get("tls")
        chain = tls.get("client_cert_chain") if tls else None
        return chain[0] if chain else default
    return default


class ScopeTransport:
    """A read-only stand-in for the request's transport.

    >>> host, port = request.transport.get_extra_info("peername")
    >>> if request.transport.is_closing(): ...  # the client has gone
    """

    __slots__ = ("_connection", "_scope")

    def __init__(self, scope: Scope, connection: Connection) -> None:
        self._scope = scope
        self._connection = connection

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``peername``, ``sockname``, ``peercert`` (TLS extension) from the scope;
        ``sslcontext`` and anything else: *default* (the server holds the SSL context)."""
        return scope_extra_info(self._scope, name, default)

    def is_closing(self) -> bool:
        """Whether the client is known to have disconnected."""
        return self._connection.client_gone

    def __repr__(self) -> str:
        return f"<ScopeTransport peername={self.get_extra_info('peername')!r}>"


class ScopeProtocol:
    """A stand-in for aiohttp's ``RequestHandler``: ``logger`` and ``transport``.

    >>> request.protocol.logger.warning("slow client %s", request.remote)
    """

    __slots__ = ("transport",)

    logger = server_logger

    def __init__(self, transport: ScopeTransport) -> None:
        self.transport = transport

    def __repr__(self) -> str:
        return f"<ScopeProtocol {self.transport!r}>"


__all__ = ("ScopeProtocol", "ScopeTransport", "scope_extra_info")
