"""``request.transport`` / ``request.protocol``: what aiohttp code asks of them, over uvicorn."""

from __future__ import annotations

import logging
from typing import Any

from asgiweb import web

from .conftest import ServerFactory


async def test_transport_and_protocol_answer_from_the_scope(live_server: ServerFactory) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        transport = request.transport
        seen["peername"] = transport.get_extra_info("peername")
        seen["sockname"] = transport.get_extra_info("sockname")
        seen["sslcontext"] = transport.get_extra_info("sslcontext")
        seen["peercert"] = transport.get_extra_info("peercert", "none")
        seen["closing"] = transport.is_closing()
        seen["logger"] = request.protocol.logger
        seen["protocol transport"] = request.protocol.transport.get_extra_info("peername")
        seen["client_max_size"] = request.client_max_size
        return web.Response(text="ok")

    app = web.Application(client_max_size=4096)
    app.router.add_get("/", handler)
    server = await live_server(app)
    async with server.client() as client:
        response = await client.get("/")
    assert response.text == "ok"
    host, port = seen["peername"]
    assert host == "127.0.0.1" and port > 0
    assert seen["sockname"] == ("127.0.0.1", server.port)
    assert seen["sslcontext"] is None
    assert seen["peercert"] == "none"
    assert seen["closing"] is False
    assert isinstance(seen["logger"], logging.Logger)
    assert seen["protocol transport"] == seen["peername"]
    assert seen["client_max_size"] == 4096


async def test_peercert_comes_from_the_asgi_tls_extension() -> None:
    from asgiweb.transport import scope_extra_info

    scope = {"extensions": {"tls": {"client_cert_chain": ["-----BEGIN CERTIFICATE-----..."]}}}
    assert scope_extra_info(scope, "peercert") == "-----BEGIN CERTIFICATE-----..."
    assert scope_extra_info({}, "peercert", "x") == "x"
    assert scope_extra_info({}, "peername") is None
