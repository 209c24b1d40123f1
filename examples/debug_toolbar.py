"""The debug toolbar and error page: ``uvicorn --app-dir examples debug_toolbar:app --port 8080``.

Open http://127.0.0.1:8080/ and click "Debug toolbar" on the right; submit
the form to see it in the Request Vars panel, visit /orders/7 for a handler
that logs, and /orders/7/invoice for one that fails: the error page shows
the traceback with the local variables and the request. (Or run it with
``asgiweb dev --app-dir examples debug_toolbar:app``, which switches the toolbar on
by itself.) Only clients on 127.0.0.1 / ::1 see any of it.
"""

from __future__ import annotations

import logging
from html import escape

from asgiweb import debugtoolbar, web

log = logging.getLogger("shop")
ORDERS = {7: {"item": "teapot", "quantity": 2, "unit_price": "12.50"}}


def page(title: str, body: str) -> web.Response:
    return web.Response(
        text=f"<!DOCTYPE html><html><head><title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>",
        content_type="text/html",
    )


async def index(request: web.Request) -> web.Response:
    name = request.query.get("name", "")
    greeting = f"<p>Hello, {escape(name)}!</p>" if name else ""
    return page(
        "Shop",
        f"{greeting}<form method='get'><input name='name'><button>Greet</button></form>"
        "<ul><li><a href='/orders/7'>order 7</a></li>"
        "<li><a href='/orders/7/invoice'>invoice of order 7 (fails)</a></li>"
        "<li><a href='/api/status'>JSON status (no toolbar)</a></li></ul>",
    )


async def order(request: web.Request) -> web.Response:
    order_id = int(request.match_info["order_id"])
    found = ORDERS.get(order_id)
    if found is None:
        raise web.HTTPNotFound(text=f"no order {order_id}")
    log.warning("order %d looked at", order_id)
    return page(f"Order {order_id}", f"<p>{found['quantity']} × {escape(found['item'])}</p>")


async def invoice(request: web.Request) -> web.Response:
    found = ORDERS[int(request.match_info["order_id"])]
    total = found["quantity"] * found["unit_price"]  # a str: repeats it, no arithmetic
    return page("Invoice", f"<p>Total: {total + 1}</p>")  # TypeError


async def status(request: web.Request) -> web.Response:
    return web.json_response({"orders": len(ORDERS)})


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get(r"/orders/{order_id:\d+}", order, name="order")
    app.router.add_get(r"/orders/{order_id:\d+}/invoice", invoice, name="invoice")
    api = web.Application()
    api.router.add_get("/status", status)
    app.add_subapp("/api", api)
    debugtoolbar.setup(app, intercept_redirects=False)
    return app


app = create_app()

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=8080)
