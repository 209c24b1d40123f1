"""``Application``: the ASGI entry point, its state, signals and middleware chains."""

from __future__ import annotations

import asyncio
import logging
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial, update_wrapper
from html import escape as html_escape
from http import HTTPStatus
from typing import Any, Generic, TypeVar, cast, overload

from .exceptions import HTTPException, NotAppKeyWarning
from .lifespan import run_lifespan
from .middlewares import is_new_style, middleware
from .request import Request
from .response import Response, StreamResponse
from .routing import AbstractRoute, UrlDispatcher
from .signals import FrozenList, Signal
from .streams import ClientDisconnectedError
from .typedefs import Handler, Middleware, Receive, Scope, Send

_T = TypeVar("_T")
_U = TypeVar("_U")

server_logger = logging.getLogger("asgiweb.server")
web_logger = logging.getLogger("asgiweb.web")

CleanupContextCallable = Callable[["Application"], Any]


class AppKey(Generic[_T]):
    """A typed key for application state: ``DB = web.AppKey("db", Database)``."""

    __slots__ = ("__orig_class__", "_name", "_t")

    def __init__(self, name: str, t: type[_T] | None = None) -> None:
        self._name = name
        self._t = t

    @property
    def name(self) -> str:
        return self._name

    def __lt__(self, other: object) -> bool:
        if isinstance(other, AppKey):
            return self._name < other._name
        return True

    def __repr__(self) -> str:
        t = self._t
        if t is None:
            t_repr = "<<Unknown>>"
        elif isinstance(t, type):
            t_repr = (
                t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
            )
        else:
            t_repr = repr(t)
        return f"<AppKey({self._name}, type={t_repr})>"


class CleanupContext(FrozenList[CleanupContextCallable]):
    """``app.cleanup_ctx``: async generators entered at startup, exited at cleanup."""

    def __init__(self) -> None:
        super().__init__()
        self._exits: list[AbstractAsyncContextManager[None]] = []

    async def _on_startup(self, app: Application) -> None:
        for callback in self:
            ctx = callback(app)
            if not isinstance(ctx, AbstractAsyncContextManager):
                ctx = asynccontextmanager(callback)(app)
            await ctx.__aenter__()
            self._exits.append(ctx)

    async def _on_cleanup(self, app: Application) -> None:
        errors: list[BaseException] = []
        for ctx in reversed(self._exits):
            try:
                await ctx.__aexit__(None, None, None)
            except (Exception, asyncio.CancelledError) as exc:
                errors.append(exc)
        self._exits.clear()
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise CleanupError("Multiple errors on cleanup stage", errors)


class CleanupError(RuntimeError):
    """Several cleanup callbacks failed; ``exceptions`` lists them."""

    @property
    def exceptions(self) -> list[BaseException]:
        return cast(list[BaseException], self.args[1])


async def _raise_match_error(request: Request) -> StreamResponse:
    exc = request.match_info.http_exception
    assert exc is not None
    raise exc


class Application(MutableMapping[Any, Any]):
    """An aiohttp-style web application that is also an ASGI 3 callable.

    >>> app = web.Application()
    >>> app.router.add_get("/", hello)
    >>> # uvicorn module:app, or web.run_app(app)
    """

    def __init__(
        self,
        *,
        logger: logging.Logger = web_logger,
        middlewares: Iterable[Middleware] = (),
        handler_args: dict[str, Any] | None = None,
        client_max_size: int = 1024**2,
        client_max_fields: int = 1000,
        debug: bool = False,
        handler_cancellation: bool = False,
    ) -> None:
        self.logger = logger
        self._router = UrlDispatcher()
        self._middlewares: FrozenList[Middleware] = FrozenList(middlewares)
        self._handler_args = handler_args
        self._client_max_size = client_max_size
        self._client_max_fields = client_max_fields
        self._debug = debug
        self._handler_cancellation = handler_cancellation
        self._state: dict[Any, Any] = {}
        self._frozen = False
        self._pre_frozen = False
        self._subapps: list[Application] = []
        self._on_response_prepare = Signal(self)
        self._on_startup = Signal(self)
        self._on_shutdown = Signal(self)
        self._on_cleanup = Signal(self)
        self._cleanup_ctx = CleanupContext()
        self._on_startup.append(self._cleanup_ctx._on_startup)
        self._on_cleanup.append(self._cleanup_ctx._on_cleanup)
        self._middleware_stack: tuple[tuple[Middleware, bool], ...] = ()
        self._has_legacy_middlewares = False
        self._error_handler: Handler = _raise_match_error
        self._startup_done = False
        self._fast_routing = False
        self._has_prepare_hooks = True
        self._has_middlewares = True
        self._apps_tuple: tuple[Application, ...] = (self,)
        self._shutdown_done = False
        self._cleanup_done = False

    # -- state: a MutableMapping ---------------------------------------------

    @overload
    def __getitem__(self, key: AppKey[_T]) -> _T: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: Any) -> Any:
        return self._state[key]

    def _check_frozen(self) -> None:
        if self._frozen:
            warnings.warn(
                "Changing state of started or joined application is deprecated",
                DeprecationWarning,
                stacklevel=3,
            )

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_frozen()
        if not isinstance(key, AppKey):
            warnings.warn(
                "It is recommended to use web.AppKey instances for keys.\n"
                "https://docs.aiohttp.org/en/stable/web_advanced.html#application-s-config",
                category=NotAppKeyWarning,
                stacklevel=2,
            )
        self._state[key] = value

    def __delitem__(self, key: Any) -> None:
        self._check_frozen()
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._state)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __bool__(self) -> bool:
        return True

    @overload
    def get(self, key: AppKey[_T], default: None = ...) -> _T | None: ...

    @overload
    def get(self, key: AppKey[_T], default: _U) -> _T | _U: ...

    @overload
    def get(self, key: str, default: Any = ...) -> Any: ...

    def get(self, key: Any, default: Any = None) -> Any:
        return self._state.get(key, default)

    def __repr__(self) -> str:
        return f"<Application 0x{id(self):x}>"

    # -- configuration ----------------------------------------------------------

    @property
    def router(self) -> UrlDispatcher:
        return self._router

    @property
    def middlewares(self) -> FrozenList[Middleware]:
        return self._middlewares

    @property
    def debug(self) -> bool:
        return self._debug

    @property
    def on_response_prepare(self) -> Signal:
        return self._on_response_prepare

    @property
    def on_startup(self) -> Signal:
        return self._on_startup

    @property
    def on_shutdown(self) -> Signal:
        return self._on_shutdown

    @property
    def on_cleanup(self) -> Signal:
        return self._on_cleanup

    @property
    def cleanup_ctx(self) -> CleanupContext:
        return self._cleanup_ctx

    def add_routes(self, routes: Iterable[Any]) -> list[AbstractRoute]:
        """Shortcut for ``app.router.add_routes(routes)``."""
        return self.router.add_routes(routes)

    # -- freezing ---------------------------------------------------------------

    @property
    def pre_frozen(self) -> bool:
        return self._pre_frozen

    @property
    def frozen(self) -> bool:
        return self._frozen

    def pre_freeze(self) -> None:
        """Freeze the router, middlewares and signals of this app and its sub-apps."""
        if self._pre_frozen:
            return
        self._pre_frozen = True
        self._middlewares.freeze()
        self._router.freeze()
        for signal in (self._on_response_prepare, self._on_startup, self._on_shutdown):
            signal.freeze()
        self._on_cleanup.freeze()
        self._cleanup_ctx.freeze()
        stack = []
        for m in reversed(self._middlewares):
            if is_new_style(m):
                stack.append((m, True))
            else:
                warnings.warn(
                    f'old-style middleware "{m!r}" deprecated, see #2252',
                    DeprecationWarning,
                    stacklevel=2,
                )
                stack.append((m, False))
        self._middleware_stack = tuple(stack)
        self._has_legacy_middlewares = not all(new for _, new in stack)
        for subapp in self._subapps:
            subapp.pre_freeze()

    def freeze(self) -> None:
        """Freeze the app tree and build every route's middleware chain once."""
        if self._frozen:
            return
        self.pre_freeze()
        self._frozen = True
        for subapp in self._subapps:
            subapp.freeze()
        self._build_chains()

    def _build_chains(self) -> None:
        for resource in self._router.resources():
            for route in resource:
                route._chain = self._chain_for(route.handler, (self,))
        self._error_handler = self._chain_for(_raise_match_error, (self,))
        self._fast_routing = (
            type(self._router) is UrlDispatcher and self._router.only_builtin_resources
        )
        self._has_prepare_hooks = any(app.on_response_prepare for app in self._iter_apps())
        self._has_middlewares = any(app.middlewares for app in self._iter_apps())

    def _chain_for(self, handler: Handler, apps: tuple[Application, ...]) -> Handler:
        """Wrap *handler* in the new-style middlewares of *apps* (outermost first)."""
        with_apps = len(apps) > 1
        for app in reversed(apps):
            for m, _new in app._middleware_stack:
                handler = _wrap(m, handler)
            if with_apps and app._middleware_stack:
                handler = _wrap(_set_current_app(app), handler)
        return handler

    async def _legacy_chain(self, handler: Handler, apps: tuple[Application, ...]) -> Handler:
        """Build a chain that includes old-style factories (awaited per request)."""
        for app in reversed(apps):
            for m, new_style in app._middleware_stack:
                if new_style:
                    handler = _wrap(m, handler)
                else:
                    factory: Any = m
                    handler = await factory(app, handler)
            if len(apps) > 1 and app._middleware_stack:
                handler = _wrap(_set_current_app(app), handler)
        return handler

    # -- ASGI ---------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._handle_http(scope, receive, send)
        elif kind == "lifespan":
            await run_lifespan(self, scope, receive, send)
        elif kind == "websocket":
            await self._handle_websocket(scope, receive, send)
        else:
            raise ValueError(f"asgiweb cannot handle ASGI scope type {kind!r}")

    def _freeze_on_first_request(self) -> None:
        self.freeze()
        if not self._startup_done and any(
            len(app.on_startup) > 1 or app.cleanup_ctx for app in self._iter_apps()
        ):
            server_logger.warning(
                "The application has on_startup/cleanup_ctx handlers but the server sent no "
                "ASGI lifespan startup, so they never ran. Run it with lifespan enabled "
                "(uvicorn --lifespan on) or through web.run_app()."
            )

    def _iter_apps(self) -> Iterator[Application]:
        yield self
        for subapp in self._subapps:
            yield from subapp._iter_apps()

    async def _handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._frozen:
            self._freeze_on_first_request()
        path: str | None = scope["path"]
        if scope.get("root_path") or b"%" in (scope.get("raw_path") or b""):
            path = None  # the request works the routing path out itself
        request = Request(
            scope,
            receive,
            send,
            client_max_size=self._client_max_size,
            client_max_fields=self._client_max_fields,
            route_path=path,
        )
        if not self._has_prepare_hooks:
            request._has_prepare_hooks = False
        try:
            if self._fast_routing:
                match_info = self._router.resolve_path(
                    path if path is not None else request._route(), request.method
                )
                match_info._apps = self._apps_tuple
                match_info._current_app = self
                match_info._frozen = True
            else:
                match_info = await self._router.resolve(request)
                match_info.add_app(self)
                match_info.freeze()
            request._match_info = match_info
            for name, _ in scope["headers"]:
                if name == b"expect":
                    answer = await match_info.expect_handler(request)
                    if answer is not None:
                        await self._finish(request, answer)
                        return
                    break
            error = match_info.http_exception if match_info.is_error else None
            if self._has_legacy_middlewares:
                handler = match_info.handler if error is None else _raise_match_error
                handler = await self._legacy_chain(handler, match_info.apps)
            elif error is not None:
                if not self._has_middlewares:
                    raise error
                handler = self._error_handler
            else:
                route = match_info.route
                handler = route._chain or self._chain_for(route.handler, match_info.apps)
            response = await handler(request)
        except HTTPException as exc:
            response = exc
        except asyncio.CancelledError:
            raise
        except ClientDisconnectedError:
            server_logger.debug("Client disconnected while %r was handled", request)
            return
        except asyncio.TimeoutError:
            if request._response_started:
                raise
            server_logger.debug("Request handler timed out.", exc_info=True)
            response = self._error_response(request, 504)
        except Exception as exc:
            if request._response_started:
                # Too late for an error page: let the server abort the response.
                raise
            response = self._error_response(request, 500, exc)
        await self._finish(request, response)

    async def _finish(self, request: Request, response: Any) -> None:
        try:
            one_go = response._sends_in_one_go
        except AttributeError:
            server_logger.error(
                "Web-handler should return a response instance, got %r (handler %r)",
                response,
                request._match_info.handler if request._match_info else None,
            )
            response = self._error_response(request, 500)
            one_go = True
        try:
            if one_go and not response._started and not response._eof_sent:
                await response._send_in_one_go(request)
                return
            if not response.prepared:
                await response.prepare(request)
            await response.write_eof()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if request._response_started:
                raise
            error = self._error_response(request, 500, exc)
            await error._send_in_one_go(request)

    def _error_response(
        self, request: Request, status: int, exc: BaseException | None = None
    ) -> Response:
        """aiohttp's error page: plain text, or HTML when the client accepts it."""
        if exc is not None:
            server_logger.error("Error handling request from %s", request.remote, exc_info=exc)
        phrase = HTTPStatus(status).phrase
        title = f"{status} {phrase}"
        message = HTTPStatus(status).description
        tb = None
        if self._debug and exc is not None:
            tb = "".join(traceback.format_exception(exc))
        if "text/html" in request.headers.get("Accept", ""):
            if tb:
                message = f"<h2>Traceback:</h2>\n<pre>{html_escape(tb)}</pre>"
            text = (
                f"<html><head><title>{title}</title></head><body>\n"
                f"<h1>{title}</h1>\n{message}\n</body></html>\n"
            )
            content_type = "text/html"
        else:
            text = title + "\n\n" + (tb or message)
            content_type = "text/plain"
        response = Response(status=status, text=text, content_type=content_type)
        response.force_close()
        return response

    async def _handle_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 1003})


def _wrap(middleware: Middleware, handler: Handler) -> Handler:
    """``handler`` wrapped by a new-style middleware, called as ``m(request, handler=...)``."""
    wrapped: Any = partial(cast(Any, middleware), handler=handler)
    return cast(Handler, update_wrapper(wrapped, handler))


def _set_current_app(app: Application) -> Middleware:
    @middleware
    async def set_current_app(request: Request, handler: Handler) -> StreamResponse:
        match_info = request.match_info
        previous = match_info.current_app
        match_info.current_app = app
        try:
            return await handler(request)
        finally:
            match_info.current_app = previous

    return set_current_app


__all__ = ("Application", "AppKey", "CleanupContext", "CleanupError")
