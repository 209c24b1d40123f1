"""Serve one framework's benchmark app.

``python -m benchmarks.serve NAME PORT [MIDDLEWARES [ROUTES [SHAPE]]]``

Every app gets the same settings: ASGI apps run under uvicorn with httptools
and uvloop, one worker, no access log; aiohttp runs on its own server with
uvloop and no access log.
"""

import sys
from typing import Any

from .apps import ROUTES, build


def main() -> None:
    name, port = sys.argv[1], int(sys.argv[2])
    middlewares = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    routes = int(sys.argv[4]) if len(sys.argv) > 4 else ROUTES
    shape = sys.argv[5] if len(sys.argv) > 5 else "literal"
    app = build(name, middlewares, routes, shape)
    if name == "aiohttp":
        import asyncio

        import uvloop
        from aiohttp import web

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
        return
    run_uvicorn(app, port)


def run_uvicorn(app: Any, port: int) -> None:
    """Serve *app* as every ASGI app here is served: httptools, uvloop, no access log."""
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
