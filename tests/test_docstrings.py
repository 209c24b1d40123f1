"""Every public class, function, method and property of the package has a docstring.

Walks every module of ``asgiweb`` (new modules are checked as soon as they
exist) and lists what lacks one. Public means: no leading underscore, defined
in the module itself (not imported), and for members, defined in the class
body itself (an override of a documented method may rely on its base's).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType
from typing import Any

import asgiweb

# Module-level test helpers of the pytest plugin are fixtures; they have docstrings too.
SKIP_MODULES: frozenset[str] = frozenset()


def modules() -> list[ModuleType]:
    found = [asgiweb]
    for info in pkgutil.walk_packages(asgiweb.__path__, "asgiweb."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.name in SKIP_MODULES:
            continue
        found.append(importlib.import_module(info.name))
    return found


def _undocumented_members(cls: type, where: str) -> list[str]:
    missing = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            target: Any = value.fget
        elif inspect.isfunction(value) or type(value).__name__ == "cached_property":
            target = value
        else:
            continue
        if not (getattr(target, "__doc__", None) or "").strip():
            overridden = any(
                (getattr(getattr(base, name, None), "__doc__", None) or "").strip()
                for base in cls.__mro__[1:]
            )
            if not overridden:
                missing.append(f"{where}.{name}")
    return missing


def undocumented(module: ModuleType) -> list[str]:
    missing = []
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        where = f"{module.__name__}.{name}"
        if not (value.__doc__ or "").strip():
            missing.append(where)
        if inspect.isclass(value):
            missing += _undocumented_members(value, where)
    return missing


def test_every_public_name_has_a_docstring() -> None:
    missing = [name for module in modules() for name in undocumented(module)]
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)


def test_the_check_finds_a_missing_docstring() -> None:
    module = ModuleType("asgiweb.example")

    class Documented:
        """Has one."""

        def method(self) -> None:
            """Has one."""

        @property
        def value(self) -> int:
            return 1

    def function() -> None:
        pass

    for item in (Documented, function):
        item.__module__ = module.__name__
        setattr(module, item.__name__, item)
    assert undocumented(module) == ["asgiweb.example.Documented.value", "asgiweb.example.function"]
