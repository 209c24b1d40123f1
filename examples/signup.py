"""Work that must not be lost when a client hangs up: ``python examples/signup.py``.

Handlers are cancelled when their client disconnects (``handler_cancellation``).
``POST /signup`` saves the account with ``@jobs.atomic`` (a dropped client
cannot interrupt it, and the form is read before the job waits for a slot,
so it is never lost) and sends the welcome e-mail as a background job; at
shutdown, jobs still running or waiting get ``wait_timeout`` seconds to finish
before they are cancelled (and the count of cancelled ones is logged).
``GET /report`` is an expensive read that is simply cancelled if nobody waits.
"""

from __future__ import annotations

import asyncio

from asgiweb import jobs, web

ACCOUNTS = web.AppKey("accounts", dict[str, str])
OUTBOX = web.AppKey("outbox", list[str])


async def send_welcome_email(app: web.Application, email: str) -> None:
    await asyncio.sleep(0.05)  # stands for an SMTP conversation
    app[OUTBOX].append(email)


@jobs.atomic
async def signup(request: web.Request) -> web.Response:
    form = await request.post()
    email = str(form.get("email", "")).strip()
    if "@" not in email:
        raise web.HTTPBadRequest(text="a valid email is required")
    await asyncio.sleep(0.05)  # stands for two writes that belong together
    request.app[ACCOUNTS][email] = str(form.get("name", ""))
    await jobs.spawn(request, send_welcome_email(request.app, email))
    return web.json_response({"created": email}, status=201)


async def report(request: web.Request) -> web.Response:
    await asyncio.sleep(1.0)  # an expensive query: cancelled if the client leaves
    return web.json_response({"accounts": len(request.app[ACCOUNTS])})


def create_app() -> web.Application:
    app = web.Application(handler_cancellation=True)
    jobs.setup(app, limit=100, wait_timeout=30)
    app[ACCOUNTS] = {}
    app[OUTBOX] = []
    app.router.add_post("/signup", signup)
    app.router.add_get("/report", report)
    return app


app = create_app()

if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
