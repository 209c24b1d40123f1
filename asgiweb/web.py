"""aiohttp.web's public namespace for asgiweb: ``from asgiweb import web``.

This module only re-exports; every name lives in the module that owns it.
``python -m asgiweb.web [-H host] [-P port] [-U path] module:init_func``
serves an app as ``python -m aiohttp.web`` does (``entrypoints.main``).
"""

from __future__ import annotations

from .accesslog import AbstractAccessLogger, AccessLogger, access_logger
from .app import Application
from .entrypoints import DeferredApp, asgi_factory, main
from .exceptions import *  # noqa: F403
from .exceptions import __all__ as _exceptions_all
from .fileresponse import FileResponse
from .keys import AppKey, RequestKey, ResponseKey
from .middlewares import middleware, normalize_path_middleware
from .mount import MountedASGIResource
from .multipart import BodyPartReader, MultipartReader
from .protocol import ETag, HttpVersion, HttpVersion10, HttpVersion11
from .request import BaseRequest, FileField, Request
from .response import (
    ContentCoding,
    Response,
    StreamResponse,
    json_bytes_response,
    json_response,
)
from .routedef import (
    AbstractRouteDef,
    RouteDef,
    RouteTableDef,
    StaticDef,
    delete,
    get,
    head,
    options,
    patch,
    post,
    put,
    route,
    static,
    view,
)
from .routing import (
    AbstractResource,
    AbstractRoute,
    AbstractView,
    DynamicResource,
    MatchInfoError,
    PlainResource,
    PrefixResource,
    Resource,
    ResourceRoute,
    SystemRoute,
    UrlDispatcher,
    UrlMappingMatchInfo,
    View,
)
from .runner import (
    AppRunner,
    BaseRunner,
    BaseSite,
    GracefulExit,
    NamedPipeSite,
    RequestHandler,
    ServerRunner,
    SockSite,
    TCPSite,
    UnixSite,
    run_app,
)
from .server import Server
from .signals import CleanupContext, CleanupError, Signal
from .static import StaticResource
from .streams import StreamReader
from .subapps import (
    AbstractRuleMatching,
    Domain,
    MaskDomain,
    MatchedSubAppResource,
    PrefixedSubAppResource,
)
from .typedefs import Handler, Middleware
from .websocket import (
    ASGIPingWarning,
    WebSocketError,
    WebSocketReady,
    WebSocketResponse,
    WSCloseCode,
    WSMessage,
    WSMessageTypeError,
    WSMsgType,
)

__all__ = (
    "AbstractAccessLogger",
    "AccessLogger",
    "access_logger",
    "main",
    "DeferredApp",
    "asgi_factory",
    "FileResponse",
    "StaticDef",
    "StaticResource",
    "static",
    "ASGIPingWarning",
    "WebSocketError",
    "WebSocketReady",
    "WebSocketResponse",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "AppRunner",
    "BaseRunner",
    "BaseSite",
    "GracefulExit",
    "NamedPipeSite",
    "RequestHandler",
    "ServerRunner",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "run_app",
    "AbstractResource",
    "AbstractRuleMatching",
    "Domain",
    "MaskDomain",
    "MatchedSubAppResource",
    "MountedASGIResource",
    "PrefixedSubAppResource",
    "RequestKey",
    "ResponseKey",
    "AbstractRoute",
    "AbstractRouteDef",
    "AbstractView",
    "AppKey",
    "Application",
    "BaseRequest",
    "BodyPartReader",
    "CleanupContext",
    "CleanupError",
    "ContentCoding",
    "DynamicResource",
    "ETag",
    "FileField",
    "Handler",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "MatchInfoError",
    "Middleware",
    "MultipartReader",
    "PlainResource",
    "PrefixResource",
    "Request",
    "Resource",
    "ResourceRoute",
    "Response",
    "RouteDef",
    "RouteTableDef",
    "Server",
    "Signal",
    "StreamReader",
    "StreamResponse",
    "SystemRoute",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
    "View",
    "delete",
    "get",
    "head",
    "json_bytes_response",
    "json_response",
    "middleware",
    "normalize_path_middleware",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "view",
    *_exceptions_all,
)


if __name__ == "__main__":  # python -m asgiweb.web
    import sys

    main(sys.argv[1:])
