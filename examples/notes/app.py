"""Notes: an HTML page and a JSON API documented with OpenAPI, made with ``asgiweb dev``.

From the repository's root::

    python3 -m venv .venv && .venv/bin/pip install -e '.[devtools]'
    cd examples/notes && ../../.venv/bin/asgiweb dev app:app

then open http://127.0.0.1:8080/ (the page, with the debug toolbar on the
right), http://127.0.0.1:8080/docs (the API in Swagger UI) and
http://127.0.0.1:8080/oops (the toolbar's error page). Edit
``templates/index.html`` or ``static/style.css`` and the page reloads by
itself; edit this file and the server restarts, then the page reloads.

``asgiweb dev`` switches the toolbar on; under ``asgiweb run`` or uvicorn the
same app runs without it.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jinja2

from asgiweb import openapi, web
from asgiweb import templating as aiohttp_jinja2

HERE = Path(__file__).resolve().parent

NEW_NOTE: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 500}},
    "required": ["text"],
    "additionalProperties": False,
}
NOTE: dict[str, Any] = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "text": {"type": "string"}},
    "required": ["id", "text"],
}
ERROR: dict[str, Any] = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}


class Notes:
    """The notes, in memory, oldest first."""

    def __init__(self, *texts: str) -> None:
        self.ids = itertools.count(1)
        self.by_id: dict[int, dict[str, Any]] = {}
        for text in texts:
            self.add(text)

    def add(self, text: str) -> dict[str, Any]:
        """Keep a new note; returns it with its id."""
        note = {"id": next(self.ids), "text": text}
        self.by_id[note["id"]] = note
        return note


NOTES = web.AppKey("notes", Notes)
routes = web.RouteTableDef()


def error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    """*status* with the JSON body ``{"error": message}``."""
    return status(text=json.dumps({"error": message}), content_type="application/json")


def note_id(request: web.Request) -> int:
    """The id in the path, if such a note exists (404 otherwise)."""
    found = int(request.match_info["id"])
    if found not in request.app[NOTES].by_id:
        raise error(web.HTTPNotFound, f"no note {found}")
    return found


@routes.get("/", name="index")
@openapi.exclude
@aiohttp_jinja2.template("index.html")
async def index(request: web.Request) -> dict[str, Any]:
    """The page: every note, and a form that adds one through the API."""
    return {"notes": list(request.app[NOTES].by_id.values())}


@routes.get("/oops", name="oops")
@openapi.exclude
async def oops(request: web.Request) -> web.Response:
    """Fails on purpose: under ``asgiweb dev`` the toolbar shows its error page."""
    notes = request.app[NOTES]
    return web.Response(text=f"{len(notes.by_id) / 0} notes per nothing")


@routes.get("/api/notes", name="list_notes")
@openapi.operation(tags=["notes"], responses={200: {"type": "array", "items": NOTE}})
async def list_notes(request: web.Request) -> web.Response:
    """List the notes, oldest first."""
    return web.json_response(list(request.app[NOTES].by_id.values()))


@routes.post("/api/notes", name="add_note")
@openapi.operation(
    tags=["notes"],
    request=NEW_NOTE,
    responses={
        201: NOTE,
        400: ("the body is not JSON", ERROR),
        422: ("the JSON is not a note", ERROR),
    },
)
async def add_note(request: web.Request) -> web.Response:
    """Add a note."""
    try:
        data = await request.json()
    except ValueError:
        raise error(web.HTTPBadRequest, "the body is not JSON") from None
    if not isinstance(data, dict) or set(data) != {"text"}:
        raise error(web.HTTPUnprocessableEntity, 'a note is {"text": "..."}')
    text = data["text"]
    if not isinstance(text, str) or not 1 <= len(text) <= 500:
        raise error(web.HTTPUnprocessableEntity, "text: a string of 1 to 500 characters")
    return web.json_response(request.app[NOTES].add(text), status=201)


@routes.view("/api/notes/{id:\\d{1,9}}", name="note")
class NoteView(web.View):
    """One note."""

    @openapi.operation(tags=["notes"], responses={200: NOTE, 404: ("no such note", ERROR)})
    async def get(self) -> web.Response:
        """Show a note."""
        return web.json_response(self.request.app[NOTES].by_id[note_id(self.request)])

    @openapi.operation(tags=["notes"], responses={204: None, 404: ("no such note", ERROR)})
    async def delete(self) -> web.Response:
        """Delete a note."""
        del self.request.app[NOTES].by_id[note_id(self.request)]
        return web.Response(status=204)


def create_app() -> web.Application:
    """The notes app: the page at /, the API under /api, its documentation at /docs."""
    app = web.Application()
    app[NOTES] = Notes("Try the API at /docs", "Edit templates/index.html and watch")
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"))
    app[aiohttp_jinja2.static_root_key] = "/static"
    app.add_routes(routes)
    app.router.add_static("/static", HERE / "static", name="static")
    openapi.setup(app, title="Notes", version="1.0.0", description="Notes, kept in memory.")
    return app


app = create_app()
