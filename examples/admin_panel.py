"""A shop with an admin panel as a sub-application.

    .venv/bin/python examples/admin_panel.py      # http://127.0.0.1:8080/ and /admin/

The admin sub-app has its own middleware (a token check), its own routes and
its own startup signal; its URLs are reversed with the /admin prefix.
"""

from __future__ import annotations

from html import escape

from asgiweb import web

PRODUCTS = web.AppKey("products", dict[int, str])
ADMIN_TOKEN = web.AppKey("admin_token", str)


async def shop_index(request: web.Request) -> web.Response:
    items = "".join(f"<li>{escape(name)}</li>" for name in request.app[PRODUCTS].values())
    admin_url = request.app[ADMIN].router["dashboard"].url_for()
    return web.Response(
        text=f"<h1>Shop</h1><ul>{items}</ul><a href='{admin_url}'>admin</a>",
        content_type="text/html",
    )


@web.middleware
async def require_token(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    if request.headers.get("X-Admin-Token") != request.config_dict[ADMIN_TOKEN]:
        raise web.HTTPUnauthorized(text="admin token required")
    return await handler(request)


async def dashboard(request: web.Request) -> web.Response:
    products = request.config_dict[PRODUCTS]
    return web.json_response(
        {
            "products": len(products),
            "edit": [str(request.app.router["product"].url_for(id=str(i))) for i in products],
        }
    )


async def rename_product(request: web.Request) -> web.Response:
    products = request.config_dict[PRODUCTS]
    product_id = int(request.match_info["id"])
    if product_id not in products:
        raise web.HTTPNotFound(text=f"no product {product_id}")
    data = await request.post()
    name = str(data.get("name", "")).strip()
    if not name:
        raise web.HTTPBadRequest(text="name is required")
    products[product_id] = name
    return web.json_response({"id": product_id, "name": name})


async def admin_started(app: web.Application) -> None:
    app.logger.info("admin panel ready")


ADMIN = web.AppKey("admin", web.Application)


def create_app(token: str = "change-me") -> web.Application:
    admin = web.Application(middlewares=[require_token])
    admin.router.add_get("/", dashboard, name="dashboard")
    admin.router.add_post("/products/{id:\\d+}", rename_product, name="product")
    admin.on_startup.append(admin_started)

    app = web.Application()
    app[PRODUCTS] = {1: "Teapot", 2: "Kettle"}
    app[ADMIN_TOKEN] = token
    app[ADMIN] = admin
    app.router.add_get("/", shop_index)
    app.add_subapp("/admin", admin)
    return app


app = create_app()

if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
