"""How long after a client drops does ``handler_cancellation`` cancel the handler?

Runs an app under uvicorn on 127.0.0.1 (h11 and httptools), drops N raw-socket
requests while their handlers sleep, and reports the delay between the drop
and the handler's ``CancelledError``.

    python -m benchmarks.cancellation_delay --drops 50
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import time

import uvicorn

from asgiweb import web


async def measure(http: str, drops: int) -> list[float]:
    cancelled_at: asyncio.Queue[float] = asyncio.Queue()
    started = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled_at.put_nowait(time.monotonic())
            raise
        return web.Response()

    app = web.Application(handler_cancellation=True)
    app.router.add_get("/", slow)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, http=http, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    delays = []
    try:
        for _ in range(drops):
            started.clear()
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            await started.wait()
            dropped = time.monotonic()
            writer.close()
            delays.append((await asyncio.wait_for(cancelled_at.get(), 5) - dropped) * 1000)
    finally:
        server.should_exit = True
        await task
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--drops", type=int, default=50)
    args = parser.parse_args()
    print("| uvicorn --http | median | p95 | max |")
    print("|---|---:|---:|---:|")
    for http in ("h11", "httptools"):
        delays = sorted(asyncio.run(measure(http, args.drops)))
        p95 = delays[int(len(delays) * 0.95) - 1]
        median = statistics.median(delays)
        print(f"| {http} | {median:.2f} ms | {p95:.2f} ms | {delays[-1]:.2f} ms |")


if __name__ == "__main__":
    main()
