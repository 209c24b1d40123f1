"""JSON Schemas for OpenAPI documents: from dicts, msgspec types and pydantic models.

A JSON Schema dict is used as given. A msgspec ``Struct`` (or a type built
from them, such as ``list[Pet]``) goes through ``msgspec.json.schema_components``;
a pydantic model (or ``list[Model]``, a dataclass, a ``TypedDict``…) through
pydantic's ``TypeAdapter``. Neither package is required: each is imported only
when a type needs it. Named models land in ``components/schemas`` and the
operations refer to them with ``$ref``.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Iterable
from typing import Any, Literal, TypeAlias

__all__ = ("SchemaLike", "SchemaRegistry", "check_schema_like")

#: What an operation may give as a body's schema: a JSON Schema dict, or a type.
SchemaLike: TypeAlias = "dict[str, Any] | type[Any] | Any"

REF_TEMPLATE = "#/components/schemas/{name}"
Mode = Literal["validation", "serialization"]


def _walk(tp: Any) -> Iterable[Any]:
    yield tp
    for arg in typing.get_args(tp):
        yield from _walk(arg)


def _is_msgspec_type(tp: Any) -> bool:
    msgspec = sys.modules.get("msgspec")
    if msgspec is None:
        return False
    return any(isinstance(t, type) and issubclass(t, msgspec.Struct) for t in _walk(tp))


def _is_pydantic_type(tp: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    if pydantic is None:
        return False
    return any(isinstance(t, type) and issubclass(t, pydantic.BaseModel) for t in _walk(tp))


def _library_for(tp: Any) -> str | None:
    if _is_msgspec_type(tp):
        return "msgspec"
    if _is_pydantic_type(tp):
        return "pydantic"
    for name in ("pydantic", "msgspec"):  # plain types: any library that is installed
        try:
            __import__(name)
        except ImportError:
            continue
        return name
    return None


def check_schema_like(value: Any, what: str) -> None:
    """Raise :class:`TypeError` unless *value* can become a JSON Schema.

    Called when an operation is declared, so a bad annotation fails at import
    time rather than when the document is first asked for.
    """
    if isinstance(value, dict):
        return
    if isinstance(value, (str, bytes, int, float, list, tuple)) or value is None:
        raise TypeError(
            f"{what}: {value!r} is no schema; give a JSON Schema dict, a msgspec Struct "
            "or a pydantic model"
        )
    if _library_for(value) is None:
        raise TypeError(
            f"{what}: {value!r} needs msgspec or pydantic to become a JSON Schema "
            "(pip install msgspec), or give a JSON Schema dict"
        )


class SchemaRegistry:
    """Collects the schemas of one document; :meth:`resolve` fills in the types' schemas.

    ``schema(value, mode)`` returns a placeholder dict at once; after every
    operation is built, :meth:`resolve` replaces each placeholder's contents
    with the type's schema (``$ref`` to a component for named models), so that
    each library turns all of its types into one set of components at once.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Any, Mode, dict[str, Any]]] = []
        self.components: dict[str, Any] = {}

    def schema(self, value: Any, mode: Mode) -> dict[str, Any]:
        """A schema for *value* (a dict is copied; a type is resolved later)."""
        if isinstance(value, dict):
            return dict(value)
        placeholder: dict[str, Any] = {}
        self._pending.append((value, mode, placeholder))
        return placeholder

    def resolve(self) -> None:
        """Turn every pending type into its schema, adding named models to components."""
        by_library: dict[str, list[tuple[Any, Mode, dict[str, Any]]]] = {}
        for entry in self._pending:
            library = _library_for(entry[0])
            if library is None:
                raise TypeError(f"{entry[0]!r} needs msgspec or pydantic to become a schema")
            by_library.setdefault(library, []).append(entry)
        if "msgspec" in by_library:
            self._resolve_msgspec(by_library["msgspec"])
        if "pydantic" in by_library:
            self._resolve_pydantic(by_library["pydantic"])
        self._pending.clear()

    def _add_components(self, schemas: dict[str, Any], library: str) -> None:
        for name, schema in schemas.items():
            known = self.components.get(name)
            if known is not None and known != schema:
                raise ValueError(
                    f"two different schemas are named {name!r} ({library} models of the same "
                    "name from different modules?); rename one of the models"
                )
            self.components[name] = schema

    def _resolve_msgspec(self, entries: list[tuple[Any, Mode, dict[str, Any]]]) -> None:
        import msgspec

        types = [tp for tp, _, _ in entries]
        schemas, components = msgspec.json.schema_components(types, ref_template=REF_TEMPLATE)
        self._add_components(components, "msgspec")
        for (_, _, placeholder), schema in zip(entries, schemas, strict=True):
            placeholder.update(schema)

    def _resolve_pydantic(self, entries: list[tuple[Any, Mode, dict[str, Any]]]) -> None:
        from pydantic import TypeAdapter

        inputs = [(index, mode, TypeAdapter(tp)) for index, (tp, mode, _) in enumerate(entries)]
        schemas, definitions = TypeAdapter.json_schemas(
            inputs, ref_template=REF_TEMPLATE.replace("{name}", "{model}")
        )
        self._add_components(definitions.get("$defs", {}), "pydantic")
        for index, (_, mode, placeholder) in enumerate(entries):
            placeholder.update(schemas[(index, mode)])
