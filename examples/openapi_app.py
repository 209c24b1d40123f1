"""A small pets API documented with OpenAPI 3.1.

Run it with ``asgiweb run --app-dir examples openapi_app:app`` and open
http://127.0.0.1:8080/docs.

The document at /openapi.json comes from the route table, the handlers'
docstrings and the ``@openapi.operation`` schemas (plain JSON Schema dicts
here, so the example needs nothing beyond ``pip install 'asgiweb[openapi]'``).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from asgiweb import openapi, web

MAX_PETS = 1000

NEW_PET: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 50},
        "tag": {"type": "string", "maxLength": 20},
    },
    "required": ["name"],
    "additionalProperties": False,
}
PET: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "tag": {"type": ["string", "null"]},
    },
    "required": ["id", "name", "tag"],
}
ERROR: dict[str, Any] = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
}


class Store:
    """The pets, in memory."""

    def __init__(self) -> None:
        self.pets: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)


STORE = web.AppKey("store", Store)
routes = web.RouteTableDef()


def error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    """*status* with a JSON body ``{"error": message}``."""
    return status(text=json.dumps({"error": message}), content_type="application/json")


@web.middleware
async def json_errors(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """Every error as ``{"error": ...}`` JSON, the router's 404 and 405 included."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        message = (exc.text or exc.reason).removeprefix(f"{exc.status}: ")
        response = web.json_response({"error": message}, status=exc.status)
        if "Allow" in exc.headers:  # a 405 says which methods are
            response.headers["Allow"] = exc.headers["Allow"]
        return response


def pet_id(request: web.Request) -> int:
    """The id of the pet the path names; 404 if there is none."""
    pet = int(request.match_info["id"])
    if pet not in request.app[STORE].pets:
        raise error(web.HTTPNotFound, f"no pet {pet}")
    return pet


@routes.get("/pets", name="list_pets")
@openapi.operation(
    tags=["pets"],
    parameters=[LIMIT],
    responses={200: {"type": "array", "items": PET}, 400: ("a bad limit", ERROR)},
)
async def list_pets(request: web.Request) -> web.Response:
    """List the pets.

    At most `limit` of them, oldest first.
    """
    try:
        limit = int(request.query.get("limit", "20"))
    except ValueError:
        raise error(web.HTTPBadRequest, "limit must be an integer") from None
    if not 1 <= limit <= 100:
        raise error(web.HTTPBadRequest, "limit must be between 1 and 100")
    pets = list(request.app[STORE].pets.values())[:limit]
    return web.json_response(pets)


@routes.post("/pets", name="add_pet")
@openapi.operation(
    tags=["pets"],
    request=NEW_PET,
    responses={
        201: PET,
        400: ("the body is not JSON", ERROR),
        413: ("the body is too large", ERROR),
        422: ("the JSON is not a pet", ERROR),
        507: ("the store is full", ERROR),
    },
)
async def add_pet(request: web.Request) -> web.Response:
    """Add a pet."""
    data = await request.json()  # malformed JSON: 400
    if not isinstance(data, dict) or set(data) - {"name", "tag"}:
        raise error(web.HTTPUnprocessableEntity, "a pet has a name and maybe a tag")
    name, tag = data.get("name"), data.get("tag")
    if not isinstance(name, str) or not 1 <= len(name) <= 50:
        raise error(web.HTTPUnprocessableEntity, "name: a string of 1 to 50 characters")
    if "tag" in data and (not isinstance(tag, str) or len(tag) > 20):
        raise error(web.HTTPUnprocessableEntity, "tag: a string of at most 20 characters")
    store = request.app[STORE]
    if len(store.pets) >= MAX_PETS:
        raise error(web.HTTPInsufficientStorage, "the store is full")
    pet = {"id": next(store.ids), "name": name, "tag": tag}
    store.pets[pet["id"]] = pet
    return web.json_response(pet, status=201)


@routes.view("/pets/{id:\\d{1,9}}", name="pet")
class PetView(web.View):
    """One pet."""

    @openapi.operation(tags=["pets"], responses={200: PET, 404: ("no such pet", ERROR)})
    async def get(self) -> web.Response:
        """Show a pet."""
        return web.json_response(self.request.app[STORE].pets[pet_id(self.request)])

    @openapi.operation(tags=["pets"], responses={204: None, 404: ("no such pet", ERROR)})
    async def delete(self) -> web.Response:
        """Remove a pet."""
        del self.request.app[STORE].pets[pet_id(self.request)]
        return web.Response(status=204)


async def stats(request: web.Request) -> web.Response:
    """Count the pets."""
    return web.json_response({"pets": len(request.config_dict[STORE].pets)})


@openapi.exclude
async def health(request: web.Request) -> web.Response:
    """For load balancers; not part of the API."""
    return web.Response(text="ok")


def create_app() -> web.Application:
    """The pets API with its document at /openapi.json and Swagger UI at /docs."""
    app = web.Application(middlewares=[json_errors])
    app[STORE] = Store()
    app.add_routes(routes)
    app.router.add_get("/healthz", health)
    admin = web.Application()
    admin.router.add_get(
        "/stats",
        openapi.operation(
            tags=["admin"],
            responses={200: {"type": "object", "properties": {"pets": {"type": "integer"}}}},
        )(stats),
        name="stats",
    )
    app.add_subapp("/admin", admin)
    openapi.setup(
        app,
        title="Pets",
        version="1.0.0",
        description="Adopt a pet: the example API of asgiweb's OpenAPI support.",
    )
    return app


app = create_app()
