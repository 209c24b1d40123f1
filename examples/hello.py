"""The hello app: ``uvicorn --app-dir examples hello:app --port 8080``."""

from __future__ import annotations

from asgiweb import web

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world\n")


@routes.get("/hello/{name}", name="greet")
async def greet(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return web.json_response({"greeting": f"Hello, {name}", "self": str(request.url)})


@routes.post("/echo")
async def echo(request: web.Request) -> web.Response:
    data = await request.post() if request.content_type.endswith("form-urlencoded") else None
    if data is not None:
        return web.json_response(dict(data))
    return web.Response(body=await request.read(), content_type=request.content_type)


@routes.view("/items/{id:\\d+}")
class ItemView(web.View):
    async def get(self) -> web.Response:
        return web.json_response({"id": int(self.request.match_info["id"])})

    async def delete(self) -> web.Response:
        raise web.HTTPNoContent()


@web.middleware
async def server_timing(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers["X-Powered-By"] = "asgiweb"
    return response


def create_app() -> web.Application:
    app = web.Application(middlewares=[web.normalize_path_middleware(), server_timing])
    app.add_routes(routes)
    return app


app = create_app()
