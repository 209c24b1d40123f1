"""A small pets API documented with asgiweb.swagger (aiohttp-swagger's API).

Run it, then open http://127.0.0.1:8000/api/doc for Swagger UI
(the document itself is at /api/doc/swagger.json)::

    asgiweb run examples.swagger_pets:create_app --port 8000

Each handler's docstring holds prose, a ``---`` line, then its Swagger 2.0
operation in YAML.
"""

from __future__ import annotations

from asgiweb import web
from asgiweb.swagger import setup_swagger

PETS = web.AppKey("pets", dict)

PET = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["cat", "dog", "fish"]},
    },
}


async def list_pets(request: web.Request) -> web.Response:
    """Every pet.

    ---
    summary: List the pets
    tags: [pets]
    produces: [application/json]
    responses:
      "200":
        description: the pets
        schema:
          type: array
          items: {$ref: "#/definitions/Pet"}
    """
    return web.json_response(list(request.app[PETS].values()))


async def create_pet(request: web.Request) -> web.Response:
    """Add a pet.

    ---
    summary: Add a pet
    tags: [pets]
    consumes: [application/json]
    produces: [application/json]
    parameters:
      - in: body
        name: pet
        required: true
        schema: {$ref: "#/definitions/Pet"}
    responses:
      "201":
        description: the pet, with its id
        schema: {$ref: "#/definitions/Pet"}
      "400":
        description: the body is not a pet
    """
    body = await request.json()
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise web.HTTPBadRequest(text="a pet needs a name (a string)")
    pets = request.app[PETS]
    pet = {"id": len(pets) + 1, "name": body["name"], "kind": body.get("kind", "cat")}
    pets[pet["id"]] = pet
    return web.json_response(pet, status=201)


class PetView(web.View):
    """One pet: GET and DELETE, each documented on its method."""

    def _pet_id(self) -> int:
        return int(self.request.match_info["id"])

    async def get(self) -> web.Response:
        """
        ---
        summary: Fetch one pet
        tags: [pets]
        produces: [application/json]
        parameters:
          - {name: id, in: path, required: true, type: integer}
        responses:
          "200":
            description: the pet
            schema: {$ref: "#/definitions/Pet"}
          "404":
            description: no such pet
        """
        pet = self.request.app[PETS].get(self._pet_id())
        if pet is None:
            raise web.HTTPNotFound(text="no such pet")
        return web.json_response(pet)

    async def delete(self) -> web.Response:
        """
        ---
        summary: Remove a pet
        tags: [pets]
        parameters:
          - {name: id, in: path, required: true, type: integer}
        responses:
          "204":
            description: removed
        """
        self.request.app[PETS].pop(self._pet_id(), None)
        return web.Response(status=204)


def create_app() -> web.Application:
    """The pets API with its Swagger document and UI under /api/doc."""
    app = web.Application()
    app[PETS] = {}
    app.router.add_get("/pets", list_pets, allow_head=False)
    app.router.add_post("/pets", create_pet)
    app.router.add_view("/pets/{id:\\d+}", PetView)
    setup_swagger(
        app,
        title="Pets",
        api_version="1.0.0",
        description="A small pets API.",
        definitions={"Pet": PET},
    )
    return app
