"""``Application``: the ASGI entry point, its state, signals and middleware chains."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
import warnings
from collections.abc import (
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    MutableMapping,
)
from contextlib import asynccontextmanager
from functools import partial
from html import escape as html_escape
from http import HTTPStatus
from types import EllipsisType
from typing import Any, TypeVar, overload

from .accesslog import AbstractAccessLogger
from .exceptions import HTTPException, NotAppKeyWarning
from .jobs import read_body_before, reads_body_first
from .keys import AppKey
from .lifespan import cleanup as lifespan_cleanup
from .lifespan import run_lifespan
from .lifespan import shutdown as lifespan_shutdown
from .lifespan import startup as lifespan_startup
from .middlewares import build_chain, build_legacy_chain, middleware_stack
from .mount import MountedASGIResource
from .protocol import host_header_problem
from .request import BaseRequest, Request
from .response import Response, StreamResponse
from .routing import (
    AbstractRoute,
    UrlDispatcher,
    UrlMappingMatchInfo,
    enter_root_path,
    exit_root_path,
)
from .signals import CleanupContext, FrozenList, Signal
from .streams import DEFAULT_READ_BUFSIZE, ClientDisconnectedError
from .subapps import Domain, MaskDomain, MatchedSubAppResource, PrefixedSubAppResource
from .typedefs import ASGIApp, Handler, Middleware, Receive, Scope, Send
from .websocket import denial_sender

_T = TypeVar("_T")
_U = TypeVar("_U")
_R = TypeVar("_R")

server_logger = logging.getLogger("asgiweb.server")
web_logger = logging.getLogger("asgiweb.web")


async def _refuse_before_routing(send: Send, problem: str) -> None:
    """Answer 400 to a request that is malformed at the HTTP level, before any app code."""
    body = f"400: {problem}".encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


_FROZEN_APP_HELP = (
    "The application froze when it started (ASGI lifespan startup, run_app) or when it "
    "handled its first request; add sub-applications and mounts before that, where the "
    "application is built."
)
# a route and its handler wrapped in its middlewares, as the plain-path table holds them
_Dispatch = tuple[AbstractRoute, Handler]


async def _send_to_subapp(signal_name: str, subapp: Application, app: Application) -> None:
    """Deliver a parent's startup/shutdown/cleanup signal to a sub-app, with the sub-app."""
    await getattr(subapp, signal_name).send(subapp)


async def _send_prepare_signals(request: BaseRequest, response: StreamResponse) -> None:
    """The connection's prepare hook: ``on_response_prepare`` of each app, outermost first.

    Set once the request is routed (a response to a request that could not be
    routed runs no signals, as in aiohttp).
    """
    assert isinstance(request, Request)
    for app in request.match_info.apps:
        signal = app.on_response_prepare
        if signal:
            await signal.send(request, response)


def _loop_debug() -> bool:
    try:
        return asyncio.get_running_loop().get_debug()
    except RuntimeError:  # no running loop
        return False


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
        router: UrlDispatcher | None = None,
        middlewares: Iterable[Middleware] = (),
        handler_args: dict[str, Any] | None = None,
        client_max_size: int = 1024**2,
        client_max_fields: int = 1000,
        debug: bool | EllipsisType = ...,
        handler_cancellation: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if router is None:
            router = UrlDispatcher()
        else:
            warnings.warn("router argument is deprecated", DeprecationWarning, stacklevel=2)
        if loop is not None:
            warnings.warn("loop argument is deprecated", DeprecationWarning, stacklevel=2)
        self._loop = loop
        self.logger = logger
        self._router = router
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
        self._on_response_prepare: Signal[Request, StreamResponse] = Signal(self)
        self._on_startup: Signal[Application] = Signal(self)
        self._on_shutdown: Signal[Application] = Signal(self)
        self._on_cleanup: Signal[Application] = Signal(self)
        self._cleanup_ctx = CleanupContext()
        self._on_startup.append(self._cleanup_ctx.enter_contexts)
        self._on_cleanup.append(self._cleanup_ctx.exit_contexts)
        self._middleware_stack: tuple[tuple[Middleware, bool], ...] = ()
        self._has_legacy_middlewares = False
        self._error_handler: Handler = _raise_match_error
        self._error_chains: dict[tuple[Application, ...], Handler] = {}
        # each route's handler in its middlewares, built when the app freezes
        self._route_chains: dict[AbstractRoute, Handler] = {}
        self._lifespan_steps: set[str] = set()  # "startup", "shutdown", "cleanup" once run
        self._fast_routing = False
        self._plain_routes: dict[str, tuple[dict[str, _Dispatch], _Dispatch | None]] = {}
        self._has_prepare_hooks = True
        self._has_middlewares = True
        self._apps_tuple: tuple[Application, ...] = (self,)
        self._access_logger: AbstractAccessLogger | None = None

    def __init_subclass__(cls) -> None:
        warnings.warn(
            f"Inheritance class {cls.__name__} from web.Application is discouraged",
            DeprecationWarning,
            stacklevel=3,
        )

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
                f"It is recommended to use web.AppKey instances for keys (got {key!r}).\n"
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
    def auto_decompress(self) -> bool:
        """``handler_args={"auto_decompress": False}`` hands compressed request bodies over
        as sent, as aiohttp does; by default they are decoded."""
        if self._handler_args:
            return bool(self._handler_args.get("auto_decompress", True))
        return True

    @property
    def read_bufsize(self) -> int:
        """``handler_args={"read_bufsize": n}`` (64 KiB by default), as
        ``request.content.get_read_buffer_limits()`` reports it."""
        if self._handler_args:
            return int(self._handler_args.get("read_bufsize", DEFAULT_READ_BUFSIZE))
        return DEFAULT_READ_BUFSIZE

    @property
    def router(self) -> UrlDispatcher:
        """The application's :class:`UrlDispatcher`: ``app.router.add_get(...)``."""
        return self._router

    @property
    def middlewares(self) -> FrozenList[Middleware]:
        """The middlewares, outermost first; a list until the app freezes."""
        return self._middlewares

    @property
    def debug(self) -> bool:
        """Whether error pages include tracebacks.

        Unless given to the constructor it follows asyncio's debug mode, as in aiohttp:
        the app takes the loop's ``get_debug()`` when it freezes (``PYTHONASYNCIODEBUG=1``,
        ``python -X dev`` or ``asgiweb dev`` turn it on).
        """
        if isinstance(self._debug, bool):
            return self._debug
        return _loop_debug()

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """Deprecated, as in aiohttp: the ``loop=`` argument, else the running loop, else None."""
        warnings.warn("loop property is deprecated", DeprecationWarning, stacklevel=2)
        if self._loop is not None:
            return self._loop
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def make_handler(self, **kwargs: Any) -> Application:
        """Deprecated, as in aiohttp: freeze the app and return it (it is the ASGI handler).

        aiohttp returns a protocol factory for ``loop.create_server()``; an asgiweb
        application is served by an ASGI server instead (``web.AppRunner``, uvicorn).
        """
        warnings.warn(
            "Application.make_handler(...) is deprecated, use AppRunner API instead",
            DeprecationWarning,
            stacklevel=2,
        )
        self.freeze()
        return self

    # -- lifecycle --------------------------------------------------------------

    async def startup(self) -> None:
        """Run ``on_startup`` (entering ``cleanup_ctx``) for this app and its sub-apps, once.

        Servers do this through the ASGI lifespan protocol; call it yourself where
        nobody sends lifespan events, e.g. when mounted in Starlette or FastAPI
        (see :meth:`lifespan_context`).
        """
        await lifespan_startup(self)

    async def shutdown(self) -> None:
        """Run ``on_shutdown`` once; call it before :meth:`cleanup`."""
        await lifespan_shutdown(self)

    async def cleanup(self) -> None:
        """Run ``on_cleanup`` once (exiting ``cleanup_ctx`` in reverse), after :meth:`shutdown`.

        After a failed :meth:`startup` it exits the contexts that were entered.
        """
        await lifespan_cleanup(self)

    @asynccontextmanager
    async def lifespan_context(self, outer_app: object = None) -> AsyncIterator[None]:
        """Run this app's signals around a block: startup on enter, shutdown and cleanup on exit.

        Starlette's and FastAPI's ``Mount`` never pass lifespan events to a mounted
        app; give them this as their ``lifespan`` (it accepts and ignores their app):

        >>> outer = Starlette(routes=[Mount("/shop", app=shop)], lifespan=shop.lifespan_context)

        If startup fails, the ``cleanup_ctx`` entries already entered are exited
        and the error propagates (the outer server then refuses to start).
        """
        try:
            await self.startup()
        except BaseException:
            await self.cleanup()
            raise
        try:
            yield
        finally:
            try:
                await self.shutdown()
            finally:
                await self.cleanup()

    @property
    def on_response_prepare(self) -> Signal[Request, StreamResponse]:
        """``async def cb(request, response)``: run before each response's headers go out."""
        return self._on_response_prepare

    @property
    def on_startup(self) -> Signal[Application]:
        """``async def cb(app)``: run once at startup (ASGI lifespan or ``run_app``)."""
        return self._on_startup

    @property
    def on_shutdown(self) -> Signal[Application]:
        """``async def cb(app)``: run once at shutdown, before connections are drained."""
        return self._on_shutdown

    @property
    def on_cleanup(self) -> Signal[Application]:
        """``async def cb(app)``: run once after shutdown, when connections are closed."""
        return self._on_cleanup

    @property
    def cleanup_ctx(self) -> CleanupContext:
        """Async generators run to their ``yield`` at startup and resumed at cleanup."""
        return self._cleanup_ctx

    def add_routes(self, routes: Iterable[Any]) -> list[AbstractRoute]:
        """Shortcut for ``app.router.add_routes(routes)``."""
        return self.router.add_routes(routes)

    def add_subapp(self, prefix: str, subapp: Application) -> PrefixedSubAppResource:
        """Serve *subapp* under *prefix*; its routes, signals and middlewares join this app's.

        >>> admin = web.Application()
        >>> admin.router.add_get("/", dashboard, name="dashboard")
        >>> app.add_subapp("/admin", admin)
        >>> admin.router["dashboard"].url_for()
        URL('/admin/')
        """
        if not isinstance(prefix, str):
            raise TypeError(f"Prefix must be str, got {prefix!r}")
        prefix = prefix.rstrip("/")
        if not prefix:
            raise ValueError("Prefix cannot be empty")
        return self._add_subapp(partial(PrefixedSubAppResource, prefix, subapp), subapp)

    def add_domain(self, domain: str, subapp: Application) -> MatchedSubAppResource:
        """Serve *subapp* for requests whose ``Host`` is *domain* (``*`` masks allowed)."""
        if not isinstance(domain, str):
            raise TypeError("Domain must be str")
        rule: Domain = MaskDomain(domain) if "*" in domain else Domain(domain)
        return self._add_subapp(partial(MatchedSubAppResource, rule, subapp), subapp)

    def _add_subapp(self, factory: Callable[[], _R], subapp: Application) -> _R:
        if self._frozen:
            raise RuntimeError(
                "Cannot add sub application to frozen application. " + _FROZEN_APP_HELP
            )
        if subapp._frozen:
            raise RuntimeError(
                "Cannot add frozen application: it has started or handled a request, so its "
                "routes are fixed; add the sub-application before it starts."
            )
        if subapp._pre_frozen:
            raise RuntimeError(f"{subapp!r} is already a sub-application of another application")
        resource = factory()
        self.router.register_resource(resource)  # type: ignore[arg-type]
        for name in ("on_startup", "on_shutdown", "on_cleanup"):
            getattr(self, name).append(partial(_send_to_subapp, name, subapp))
        self._subapps.append(subapp)
        subapp.pre_freeze()
        return resource

    def mount(self, prefix: str, app: ASGIApp, *, name: str | None = None) -> MountedASGIResource:
        """Serve any ASGI application (Starlette, FastAPI, another asgiweb app…) under *prefix*.

        The mounted app sees ``root_path`` extended by *prefix* and receives this
        app's lifespan startup and shutdown.
        """
        if self._frozen:
            raise RuntimeError(
                "Cannot mount an application on a frozen application. " + _FROZEN_APP_HELP
            )
        if not callable(app):
            raise TypeError(f"mount() needs an ASGI application, got {app!r}")
        prefix = prefix.rstrip("/")
        if not prefix.startswith("/"):
            raise ValueError(f"Mount prefix must start with '/' and not be '/', got {prefix!r}")
        resource = MountedASGIResource(prefix, app, name=name)
        self.router.register_resource(resource)
        self.cleanup_ctx.append(resource.lifespan)
        return resource

    # -- freezing ---------------------------------------------------------------

    @property
    def pre_frozen(self) -> bool:
        """True once the router, middlewares and signals are frozen."""
        return self._pre_frozen

    @property
    def frozen(self) -> bool:
        """True once the app tree is frozen and every route's middleware chain built."""
        return self._frozen

    def pre_freeze(self) -> None:
        """Freeze the router, middlewares and signals of this app and its sub-apps."""
        if self._pre_frozen:
            return
        self._pre_frozen = True
        if not isinstance(self._debug, bool):
            self._debug = _loop_debug()
        self._middlewares.freeze()
        self._router.freeze()
        for signal in (self._on_response_prepare, self._on_startup, self._on_shutdown):
            signal.freeze()
        self._on_cleanup.freeze()
        self._cleanup_ctx.freeze()
        self._middleware_stack = middleware_stack(self._middlewares)
        for subapp in self._subapps:
            subapp.pre_freeze()

    def freeze(self) -> None:
        """Freeze the app tree and build every route's middleware chain once."""
        if self._frozen:
            return
        self._freeze_tree()
        chains: dict[AbstractRoute, Handler] = {}
        self._prepare_dispatch((), chains)
        self._route_chains = chains
        # path -> (method -> (route, chain), the "*" route's (route, chain)): one lookup
        # finds a plain path's route and its middleware chain
        self._plain_routes = {}
        if self._fast_routing:
            for plain_path, (by_method, any_route) in self._router.plain_routes().items():
                self._plain_routes[plain_path] = (
                    {method: (route, chains[route]) for method, route in by_method.items()},
                    None if any_route is None else (any_route, chains[any_route]),
                )

    def _freeze_tree(self) -> None:
        self.pre_freeze()
        self._frozen = True
        for subapp in self._subapps:
            subapp._freeze_tree()

    def _prepare_dispatch(
        self, parents: tuple[Application, ...], chains: dict[AbstractRoute, Handler]
    ) -> None:
        """Build the middleware chain of every route into *chains*, with the apps around it."""
        apps = (*parents, self)
        # a custom router (router=, any object with resolve()) may have no resources()
        resources = self._router.resources() if isinstance(self._router, UrlDispatcher) else ()
        for resource in resources:
            if isinstance(resource, PrefixedSubAppResource):
                continue
            for route in resource:
                chain = build_chain(route.handler, apps)
                if reads_body_first(route.handler):
                    # @jobs.atomic: the body is read before middlewares can make it wait
                    chain = read_body_before(chain)
                chains[route] = chain
        for subapp in self._subapps:
            subapp._prepare_dispatch(apps, chains)
        tree = list(self.iter_apps())
        self._error_handler = build_chain(_raise_match_error, (self,))
        self._error_chains = {}
        self._has_legacy_middlewares = any(
            not new for app in tree for _, new in app.middleware_stack
        )
        self._has_middlewares = any(app._middlewares for app in tree)
        self._has_prepare_hooks = any(app.on_response_prepare for app in tree)
        self._fast_routing = (
            type(self._router) is UrlDispatcher and self._router.only_builtin_resources
        )

    def iter_apps(self) -> Iterator[Application]:
        """This application and its sub-applications, depth first."""
        yield self
        for subapp in self._subapps:
            yield from subapp.iter_apps()

    @property
    def middleware_stack(self) -> tuple[tuple[Middleware, bool], ...]:
        """The middlewares as frozen by :meth:`pre_freeze`: ``(middleware, is_new_style)`` pairs.

        Empty before the app is frozen; new-style means marked ``@web.middleware``.
        """
        return self._middleware_stack

    def claim_lifespan_step(self, step: str) -> bool:
        """Record that lifespan *step* ("startup", "shutdown", "cleanup") runs now.

        False when it has run already: each step runs once per application,
        whether the ASGI lifespan protocol or ``run_app`` drives it.
        """
        if step in self._lifespan_steps:
            return False
        self._lifespan_steps.add(step)
        return True

    def enable_handler_cancellation(self) -> None:
        """Cancel handlers whose client disconnects (``handler_cancellation=True``)."""
        self._handler_cancellation = True

    def set_access_logger(self, access_logger: AbstractAccessLogger | None) -> None:
        """Log each request this application answers with *access_logger* (``None``: stop).

        The runner (``run_app``, ``AppRunner``) calls it with the logger its
        ``access_log``, ``access_log_class`` and ``access_log_format`` describe;
        under a server you start yourself the application logs nothing.

        >>> app.set_access_logger(web.AccessLogger(logging.getLogger("asgiweb.access")))
        """
        self._access_logger = access_logger

    def _log_access(
        self,
        access_logger: AbstractAccessLogger,
        request: Request,
        response: StreamResponse,
        start: float,
    ) -> None:
        """Write *request*'s access line; a logger that raises is logged, as aiohttp does."""
        try:
            if access_logger.enabled:
                access_logger.log(request, response, time.perf_counter() - start)
        except Exception:
            server_logger.exception("Unhandled exception")

    def _error_chain(self, apps: tuple[Application, ...]) -> Handler:
        chain = self._error_chains.get(apps)
        if chain is None:
            chain = self._error_chains[apps] = build_chain(_raise_match_error, apps)
        return chain

    # -- ASGI ---------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry: HTTP requests and WebSocket handshakes go through the router."""
        kind = scope["type"]
        websocket_send: Send | None = None
        if kind != "http":
            if kind == "lifespan":
                await run_lifespan(self, scope, receive, send)
                return
            if kind != "websocket":
                raise ValueError(f"asgiweb cannot handle ASGI scope type {kind!r}")
            websocket_send = send
            send = denial_sender(scope, send)
        access_logger = self._access_logger
        if access_logger is not None:
            start = time.perf_counter()
        # One pass over the headers: the Host check (under any server) and Expect.
        hosts = 0
        expect = False
        for name, _ in scope["headers"]:
            if name == b"host":
                hosts += 1
            elif name == b"expect":
                expect = True
        if hosts != 1:
            problem = host_header_problem(hosts, scope.get("http_version", "1.1"))
            if problem is not None:
                await _refuse_before_routing(send, problem)
                return
        if not self._frozen:
            self._freeze_on_first_request()
        path: str | None = scope["path"]
        root_path = scope.get("root_path")
        if root_path or b"%" in (scope.get("raw_path") or b""):
            path = None  # the request works the routing path out itself
        request = Request(
            scope, receive, send, self._client_max_size, self._client_max_fields, path
        )
        connection = request.connection
        if websocket_send is not None:
            connection.websocket_send = websocket_send
        # url_for() includes the mount prefix while this request is handled
        token = enter_root_path(root_path) if root_path else None
        try:
            # Routing and the handler, inline (one coroutine frame less per request);
            # what they raise becomes the response to send.
            response: Any
            try:
                handler: Handler | None = None
                if self._fast_routing:
                    if path is None:
                        path = request.route_path
                    method = request.method
                    plain = self._plain_routes.get(path)
                    entry = None if plain is None else plain[0].get(method, plain[1])
                    if entry is not None:
                        route, handler = entry
                        match_info = UrlMappingMatchInfo.resolved(route, self._apps_tuple, self)
                    else:
                        match_info = self._router.resolve_path(path, method)
                        match_info.bind(self._apps_tuple, self)
                else:
                    match_info = await self._router.resolve(request)
                    match_info.add_app(self)
                    match_info.freeze()
                request.match_info = match_info
                if self._has_prepare_hooks:
                    connection.prepare_hook = _send_prepare_signals
                response = None
                if expect:
                    response = await match_info.expect_handler(request)
                if response is None:
                    if self._has_legacy_middlewares:
                        error = match_info.http_exception if match_info.is_error else None
                        handler = match_info.handler if error is None else _raise_match_error
                        handler = await build_legacy_chain(handler, match_info.apps)
                    elif handler is None:
                        handler = self._chain_of(match_info)
                    if not (
                        self._handler_cancellation
                        and websocket_send is None
                        and not match_info.route.reads_asgi_receive
                    ):
                        response = await handler(request)
                    else:
                        watcher = connection.watch_disconnect(request, asyncio.current_task())
                        try:
                            response = await handler(request)
                        finally:
                            watcher.stop()
            except HTTPException as exc:
                response = exc
            except ClientDisconnectedError:
                server_logger.debug("Client disconnected while %r was handled", request)
                return
            except asyncio.TimeoutError:
                if connection.response_started:
                    raise
                server_logger.debug("Request handler timed out.", exc_info=True)
                response = self._error_response(request, 504)
            except Exception as exc:
                if connection.client_gone and isinstance(exc, ConnectionResetError):
                    server_logger.debug("Client of %r disconnected during the response", request)
                    return
                if connection.response_started:
                    # Too late for an error page: let the server abort the response.
                    raise
                response = self._error_response(request, 500, exc)
            if type(response) is not Response:  # the common case needs no ABC check
                if not isinstance(response, StreamResponse):
                    response = self._not_a_response(request, response)
                elif response.__http_exception__ and getattr(response, "__traceback__", 1) is None:
                    # returned, never raised (a raised one carries its traceback)
                    warnings.warn(
                        "returning HTTPException object is deprecated (#2415) and will be "
                        "removed, please raise the exception instead",
                        DeprecationWarning,
                        stacklevel=1,
                    )
            try:
                await response.deliver(request)
            except Exception as exc:
                response = await self._send_failed(request, response, exc)
            if access_logger is not None:
                self._log_access(access_logger, request, response, start)
        except asyncio.CancelledError:
            if not connection.handler_cancelled:
                raise
            # handler_cancellation: the client left, so nobody is waiting for an answer
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            server_logger.debug("Handler of %r cancelled: the client disconnected", request)
        finally:
            if connection.watcher is not None:
                connection.watcher.stop()
            request.close_uploads()
            if token is not None:
                exit_root_path(token)

    def _freeze_on_first_request(self) -> None:
        self.freeze()
        if "startup" not in self._lifespan_steps and any(
            len(app.on_startup) > 1 or app.cleanup_ctx for app in self.iter_apps()
        ):
            server_logger.warning(
                "The application has on_startup/cleanup_ctx handlers but the server sent no "
                "ASGI lifespan startup, so they never ran. Run it with lifespan enabled "
                "(uvicorn --lifespan on) or through web.run_app()."
            )

    def _chain_of(self, match_info: UrlMappingMatchInfo) -> Handler:
        """The handler to call for a routed request: its route's chain, or the error's."""
        if match_info.is_error:
            error = match_info.http_exception
            assert error is not None
            if not self._has_middlewares:
                raise error
            apps = match_info.apps
            return self._error_handler if len(apps) == 1 else self._error_chain(apps)
        route = match_info.route
        return self._route_chains.get(route) or build_chain(route.handler, match_info.apps)

    def _not_a_response(self, request: Request, answer: Any) -> Response:
        """The handler returned *answer*, which is no response: log it, answer 500."""
        server_logger.error(
            "Web-handler should return a response instance, got %r (handler %r)",
            answer,
            request.match_info.handler,
        )
        return self._error_response(request, 500)

    async def _send_failed(
        self, request: Request, response: StreamResponse, exc: Exception
    ) -> StreamResponse:
        """Sending *response* raised *exc*: answer 500 if nothing was sent yet.

        Returns the response the client got (or was getting when it left).
        """
        if request.connection.client_gone and isinstance(exc, ConnectionResetError):
            server_logger.debug("Client of %r disconnected during the response", request)
            return response
        if request.connection.response_started:
            raise exc
        error = self._error_response(request, 500, exc)
        await error.deliver(request)
        return error

    def _error_response(
        self, request: Request, status: int, exc: BaseException | None = None
    ) -> Response:
        """aiohttp's error page: plain text, or HTML when the client accepts it.

        Only a 500 has a body; another status (504 for a handler that timed out)
        is an empty ``text/plain`` response, as in aiohttp.
        """
        if exc is not None:
            server_logger.error("Error handling request from %s", request.remote, exc_info=exc)
        if status != 500:
            response = Response(status=status, content_type="text/plain")
            response.force_close()
            return response
        phrase = HTTPStatus(status).phrase
        title = f"{status} {phrase}"
        message = HTTPStatus(status).description
        tb = None
        if self.debug and exc is not None:
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


__all__ = ("Application",)
