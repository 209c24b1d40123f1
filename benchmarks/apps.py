"""The same small application written for each framework that is benchmarked.

Every app answers the same requests with the same body bytes:

- ``GET /plaintext``            -> ``Hello, World!`` (text/plain)
- ``GET /json``                 -> ``{"message":"Hello, World!"}`` (compact JSON in every app)
- N dynamic routes, the id echoed back as text; their shape is one of
  ``literal`` (``/route{i}/{id}``), ``leading`` (``/{id}/route{i}``) or
  ``mixed`` (the two alternating, the last one leading)
- ``POST /echo``                -> the request body (application/octet-stream)
- ``/ws-echo`` (WebSocket)      -> every text message sent back (raw ASGI, asgiweb,
  Starlette and aiohttp only)

``build(name, middlewares=5)`` returns the same app wrapped in five
pass-through middlewares written the way each framework recommends.
"""

# No "from __future__ import annotations": BlackSheep and Litestar read the
# handlers' annotations at run time.
import json
from collections.abc import Callable
from typing import Any

ROUTES = 100
PLAINTEXT = b"Hello, World!"
MESSAGE = {"message": "Hello, World!"}
JSON_BODY = b'{"message":"Hello, World!"}'
SHAPES = ("literal", "leading", "mixed")

Builder = Callable[[int, int, str], Any]


def compact_dumps(value: Any) -> str:
    """JSON without spaces, as Starlette, BlackSheep, FastAPI and Litestar send it."""
    return json.dumps(value, separators=(",", ":"))


def route_paths(routes: int, shape: str, variable: str = "{id}") -> list[str]:
    """The dynamic routes of a table of *shape* (see the module docstring)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown route shape {shape!r}, expected one of {SHAPES}")
    paths = []
    for i in range(routes):
        leading = shape == "leading" or (shape == "mixed" and (routes - 1 - i) % 2 == 0)
        paths.append(f"/{variable}/route{i}" if leading else f"/route{i}/{variable}")
    return paths


def last_route_path(routes: int, shape: str, ident: str = "abc") -> str:
    """A request path that reaches the last dynamic route of the table."""
    return route_paths(routes, shape, ident)[-1]


async def answer_lifespan(receive: Any, send: Any) -> None:
    """Complete every ASGI lifespan event, until shutdown (raw ASGI apps have no state)."""
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return


def raw_asgi(middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    """Hand-written ASGI: the floor every framework is measured against."""
    text_headers = [(b"content-type", b"text/plain; charset=utf-8")]
    json_headers = [(b"content-type", b"application/json")]

    async def respond(send: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    return
                await send({"type": "websocket.send", "text": message.get("text")})
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        path = scope["path"]
        if path == "/plaintext":
            await respond(send, PLAINTEXT, text_headers)
        elif path == "/json":
            await respond(send, compact_dumps(MESSAGE).encode(), json_headers)
        elif path == "/echo":
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            await respond(send, body, [(b"content-type", b"application/octet-stream")])
        elif path.count("/") == 2:  # a dynamic route: /route{i}/{id} or /{id}/route{i}
            _, first, second = path.split("/")
            ident = second if first.startswith("route") else first
            await respond(send, ident.encode(), text_headers)
        else:
            await respond(send, b"Not Found", text_headers)

    for _ in range(middlewares):
        app = _raw_passthrough(app)
    return app


def _raw_passthrough(inner: Any) -> Any:
    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        await inner(scope, receive, send)

    return middleware


def aiohttp_style_app(
    web: Any, middlewares: int = 0, routes: int = ROUTES, shape: str = "literal"
) -> Any:
    """The app in aiohttp.web's API: the same source serves asgiweb and aiohttp."""

    async def plaintext(request: Any) -> Any:
        return web.Response(text="Hello, World!")

    async def as_json(request: Any) -> Any:
        return web.json_response(MESSAGE, dumps=compact_dumps)

    async def dynamic(request: Any) -> Any:
        return web.Response(text=request.match_info["id"])

    async def echo(request: Any) -> Any:
        return web.Response(body=await request.read(), content_type="application/octet-stream")

    async def ws_echo(request: Any) -> Any:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data)
        return ws

    @web.middleware
    async def passthrough(request: Any, handler: Any) -> Any:
        return await handler(request)

    app = web.Application(middlewares=[passthrough] * middlewares)
    app.router.add_get("/ws-echo", ws_echo)
    app.router.add_get("/plaintext", plaintext)
    app.router.add_get("/json", as_json)
    app.router.add_post("/echo", echo)
    for path in route_paths(routes, shape):
        app.router.add_get(path, dynamic)
    return app


def asgiweb_app(middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    from asgiweb import web

    return aiohttp_style_app(web, middlewares, routes, shape)


def starlette_app(middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def plaintext(request: Request) -> Response:
        return PlainTextResponse("Hello, World!")

    async def as_json(request: Request) -> Response:
        return JSONResponse(MESSAGE)

    async def dynamic(request: Request) -> Response:
        return PlainTextResponse(request.path_params["id"])

    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    async def ws_echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    table = [
        WebSocketRoute("/ws-echo", ws_echo),
        Route("/plaintext", plaintext),
        Route("/json", as_json),
        Route("/echo", echo, methods=["POST"]),
        *(Route(path, dynamic) for path in route_paths(routes, shape)),
    ]
    stack = [Middleware(_StarlettePassthrough) for _ in range(middlewares)]
    return Starlette(routes=table, middleware=stack)


class _StarlettePassthrough:
    """Starlette's recommended form: a pure ASGI middleware class."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def fastapi_app(middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    from fastapi import FastAPI, Request
    from fastapi.responses import PlainTextResponse, Response

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/plaintext", response_class=PlainTextResponse)
    async def plaintext() -> str:
        return "Hello, World!"

    @app.get("/json")
    async def as_json() -> dict[str, str]:
        return MESSAGE

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    async def dynamic(id: str) -> PlainTextResponse:
        return PlainTextResponse(id)

    for path in route_paths(routes, shape):
        app.add_api_route(path, dynamic, methods=["GET"])
    for _ in range(middlewares):
        app.add_middleware(_StarlettePassthrough)
    return app


def blacksheep_app(middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    from blacksheep import Application, Content, Request, Response, json, text
    from blacksheep.server.routing import Router

    # a router of its own: apps built in one process would otherwise share the default one
    app = Application(show_error_details=False, router=Router())
    get = app.router.get

    @get("/plaintext")
    async def plaintext() -> Response:
        return text("Hello, World!")

    @get("/json")
    async def as_json() -> Response:
        return json(MESSAGE)

    @app.router.post("/echo")
    async def echo(request: Request) -> Response:
        body = await request.read() or b""
        return Response(200, content=Content(b"application/octet-stream", body))

    async def dynamic(id: str) -> Response:
        return text(id)

    for path in route_paths(routes, shape):
        app.router.add_get(path, dynamic)

    async def passthrough(request: Request, handler: Any) -> Response:
        return await handler(request)

    for _ in range(middlewares):
        app.middlewares.append(passthrough)
    return app


def falcon_app(middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    import falcon
    import falcon.asgi
    import falcon.media

    class Plaintext:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = "Hello, World!"

    class Json:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.media = MESSAGE

    class Echo:
        async def on_post(self, req: Any, resp: Any) -> None:
            resp.content_type = "application/octet-stream"
            resp.data = await req.stream.read()

    class Dynamic:
        async def on_get(self, req: Any, resp: Any, id: str) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = id

    class Passthrough:
        async def process_request(self, req: Any, resp: Any) -> None:
            pass

    app = falcon.asgi.App(middleware=[Passthrough() for _ in range(middlewares)])
    compact = falcon.media.JSONHandler(dumps=compact_dumps)
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = compact
    app.add_route("/plaintext", Plaintext())
    app.add_route("/json", Json())
    app.add_route("/echo", Echo())
    dynamic = Dynamic()
    for path in route_paths(routes, shape):
        app.add_route(path, dynamic)
    return app


def litestar_app(middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    from litestar import Litestar, MediaType, Request, Response, get, post

    @get("/plaintext", media_type=MediaType.TEXT)
    async def plaintext() -> str:
        return "Hello, World!"

    @get("/json")
    async def as_json() -> dict[str, str]:
        return MESSAGE

    @post("/echo", status_code=200)
    async def echo(request: Request[Any, Any, Any]) -> Response[bytes]:
        return Response(await request.body(), media_type="application/octet-stream")

    def make_dynamic(i: int, path: str) -> Any:
        @get(path, media_type=MediaType.TEXT, name=f"route{i}")
        async def dynamic(id: str) -> str:
            return id

        return dynamic

    def passthrough(app: Any) -> Any:
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            await app(scope, receive, send)

        return middleware

    return Litestar(
        route_handlers=[
            plaintext,
            as_json,
            echo,
            *(make_dynamic(i, p) for i, p in enumerate(route_paths(routes, shape, "{id:str}"))),
        ],
        middleware=[passthrough] * middlewares,
        openapi_config=None,
        debug=False,
    )


def aiohttp_app(middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    """aiohttp on its own server (end-to-end only: it is not an ASGI app)."""
    from aiohttp import web

    return aiohttp_style_app(web, middlewares, routes, shape)


ASGI_FRAMEWORKS: dict[str, Builder] = {
    "raw ASGI": raw_asgi,
    "asgiweb": asgiweb_app,
    "Starlette": starlette_app,
    "BlackSheep": blacksheep_app,
    "Falcon": falcon_app,
    "FastAPI": fastapi_app,
    "Litestar": litestar_app,
}


def build(name: str, middlewares: int = 0, routes: int = ROUTES, shape: str = "literal") -> Any:
    """The app of framework *name* (a key of ``ASGI_FRAMEWORKS`` or ``"aiohttp"``)."""
    if name == "aiohttp":
        return aiohttp_app(middlewares, routes, shape)
    return ASGI_FRAMEWORKS[name](middlewares, routes, shape)
