"""Serve one framework's benchmark app: ``python -m benchmarks.serve NAME PORT MIDDLEWARES``.

ASGI apps run under uvicorn with httptools and uvloop, one worker, no access
log; aiohttp runs on its own server with the same settings.
"""

import sys

from .apps import build


def main() -> None:
    name, port, middlewares = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    app = build(name, middlewares)
    if name == "aiohttp":
        import asyncio

        import uvloop
        from aiohttp import web

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
        return
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
