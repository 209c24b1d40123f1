"""Type aliases for the ASGI interface, handlers and middlewares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from .request import Request
    from .response import StreamResponse

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

Handler: TypeAlias = Callable[["Request"], Awaitable["StreamResponse"]]
Middleware: TypeAlias = Callable[["Request", Handler], Awaitable["StreamResponse"]]
