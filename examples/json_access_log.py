"""An access log of one JSON object per request, through ``run_app``.

    python examples/json_access_log.py        # then: curl http://127.0.0.1:8080/hello

``run_app`` hands every request, its response and the time taken to the
``access_log_class`` given; this one writes them as JSON lines (to stderr
here), which log shippers read without a parsing rule. See "The access log"
in docs/deployment.md.
"""

from __future__ import annotations

import json
import logging

from asgiweb import web
from asgiweb.abc import AbstractAccessLogger


class JSONAccessLogger(AbstractAccessLogger):
    """One JSON object per request: who asked what, the answer and how long it took."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Write the request's line (the runner calls it once the response went out)."""
        self.logger.info(
            json.dumps(
                {
                    "remote": request.remote,
                    "method": request.method,
                    "path": request.path,
                    "query": request.query_string,
                    "status": response.status,
                    "bytes": response.body_length,
                    "user_agent": request.headers.get("User-Agent"),
                    "ms": round(time * 1000, 3),
                }
            )
        )


async def hello(request: web.Request) -> web.Response:
    """Greet whoever is named in ``?name=`` (or the world)."""
    return web.Response(text=f"Hello, {request.query.get('name', 'world')}\n")


def create_app() -> web.Application:
    """The app: ``GET /hello``."""
    app = web.Application()
    app.router.add_get("/hello", hello)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    web.run_app(create_app(), host="127.0.0.1", port=8080, access_log_class=JSONAccessLogger)
