"""One URL, several representations, chosen by the Accept header.

This is the AcceptChooser of the "Web Server Advanced" guide.

python examples/content_negotiation.py
curl -H 'Accept: application/json' http://127.0.0.1:8080/weather
"""

from __future__ import annotations

from html import escape

from asgiweb import web

FORECAST = {"city": "Lyon", "sky": "sunny", "high": 24}


class AcceptChooser:
    """Route by the Accept header: a second layer of routing inside a handler."""

    def __init__(self) -> None:
        self._accepts: dict[str, web.Handler] = {}

    async def do_route(self, request: web.Request) -> web.StreamResponse:
        for accept in request.headers.getall("ACCEPT", []):
            for media_type in (part.split(";")[0].strip() for part in accept.split(",")):
                acceptor = self._accepts.get(media_type)
                if acceptor is not None:
                    return await acceptor(request)
        raise web.HTTPNotAcceptable(text=f"available: {', '.join(self._accepts)}")

    def reg_acceptor(self, accept: str, handler: web.Handler) -> None:
        self._accepts[accept] = handler


async def as_json(request: web.Request) -> web.Response:
    return web.json_response(FORECAST)


async def as_html(request: web.Request) -> web.Response:
    items = "".join(f"<li>{escape(k)}: {escape(str(v))}</li>" for k, v in FORECAST.items())
    return web.Response(text=f"<ul>{items}</ul>", content_type="text/html")


async def as_text(request: web.Request) -> web.Response:
    return web.Response(text=", ".join(f"{k}={v}" for k, v in FORECAST.items()))


def create_app() -> web.Application:
    chooser = AcceptChooser()
    chooser.reg_acceptor("application/json", as_json)
    chooser.reg_acceptor("text/html", as_html)
    chooser.reg_acceptor("text/plain", as_text)
    app = web.Application()
    app.router.add_get("/weather", chooser.do_route)
    return app


app = create_app()

if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
