"""No asgiweb module reaches into another module's private (``_name``) attributes.

What one module needs from another it asks for through a public method or
attribute (docs/architecture.md, "Who owns what"). This test reads every
module under ``asgiweb/`` with :mod:`ast` and fails on each place that does
otherwise:

1. ``obj._name`` (read, write or delete) where ``obj`` is not ``self`` or
   ``cls`` and the module itself defines no ``_name`` (as a method, a class
   body name, a ``self._name`` assignment, a slot or a module-level name):
   the name belongs to some other module's objects.
2. ``self._name`` or ``cls._name`` — read, written, or defined again in the
   class body — in a class whose base class, defined in *another* asgiweb
   module, owns ``_name``: a subclass uses its base's public interface too.
3. ``from .module import _name``: a private name imported from another of
   our modules.
4. ``getattr``/``setattr``/``hasattr``/``delattr`` with a literal ``"_name"``,
   under rule 1.

Dunder names are not private. Modules from outside asgiweb are not ours to
police (``sys._getframe``, for one, is documented API), so ``x._name`` on a
module imported from elsewhere passes. The check goes by names, not types:
an object of another module whose private name this module also defines
slips through, which the review of each change has to catch.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "asgiweb"

#: ``(module path relative to asgiweb/, attribute name)`` → why it is allowed.
ALLOWED: dict[tuple[str, str], str] = {}

#: underscore names that are public API of the standard library's types
PUBLIC_UNDERSCORE_NAMES = {
    # namedtuple's documented methods and attribute
    "_replace": "namedtuple API",
    "_asdict": "namedtuple API",
    "_make": "namedtuple API",
    "_fields": "namedtuple API",
}

ACCESS_FUNCTIONS = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(path: Path) -> str:
    """``asgiweb.session.cookie_storage`` for ``asgiweb/session/cookie_storage.py``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def absolute_import(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` in *module* names."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@dataclass
class ClassInfo:
    """A class: where it is, its base expressions, the private names it owns and uses."""

    module: str
    node: ast.ClassDef
    owned: set[str] = field(default_factory=set)
    used: list[tuple[int, str]] = field(default_factory=list)  # self._x, cls._x, body names


@dataclass
class Module:
    """One parsed module and what the checks need to know about it."""

    path: Path
    name: str
    defined: set[str] = field(default_factory=set)
    imported_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias → (mod, name)
    imported_modules: dict[str, str] = field(default_factory=dict)  # alias → module
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    private_imports: list[tuple[int, str, str]] = field(default_factory=list)  # line, mod, name
    accesses: list[tuple[int, ast.expr, str, ast.AST]] = field(default_factory=list)


def class_body_names(info: ClassInfo) -> None:
    """The names a class body defines: methods, nested classes, assignments, slots."""
    for stmt in info.node.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            info.owned.add(stmt.name)
            info.used.append((stmt.lineno, stmt.name))
        elif isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        for target in targets:
            if isinstance(target, ast.Name):
                info.owned.add(target.id)
                info.used.append((stmt.lineno, target.id))
                if target.id == "__slots__":
                    for const in ast.walk(stmt):
                        if isinstance(const, ast.Constant) and isinstance(const.value, str):
                            info.owned.add(const.value)


def parse_module(path: Path, name: str) -> Module:
    """Everything the checks need from one module, in one pass over its tree."""
    mod = Module(path, name)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    stack: list[tuple[ast.AST, ClassInfo | None]] = [(tree, None)]
    while stack:
        node, cls = stack.pop()
        if isinstance(node, ast.ClassDef):
            cls = ClassInfo(name, node)
            class_body_names(cls)
            mod.classes[node.name] = cls
            mod.defined.add(node.name)
            mod.defined |= cls.owned
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mod.defined.add(node.name)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                mod.defined.add(node.id)
        elif isinstance(node, ast.arg):
            mod.defined.add(node.arg)
        elif isinstance(node, ast.ImportFrom):
            source = absolute_import(name, node, is_package)
            for alias in node.names:
                mod.imported_names[alias.asname or alias.name] = (source, alias.name)
                if source.split(".")[0] == "asgiweb" and is_private(alias.name):
                    mod.private_imports.append((node.lineno, source, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                mod.imported_modules[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.Attribute):
            if is_private(node.attr):
                value = node.value
                if isinstance(value, ast.Name) and value.id in ("self", "cls"):
                    if cls is not None:
                        if isinstance(node.ctx, (ast.Store, ast.Del)):
                            cls.owned.add(node.attr)
                            mod.defined.add(node.attr)
                        cls.used.append((node.lineno, node.attr))
                else:
                    mod.accesses.append((node.lineno, value, node.attr, node))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ACCESS_FUNCTIONS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and is_private(node.args[1].value)
            and not (isinstance(node.args[0], ast.Name) and node.args[0].id in ("self", "cls"))
        ):
            mod.accesses.append((node.lineno, node.args[0], node.args[1].value, node))
        for child in ast.iter_child_nodes(node):
            stack.append((child, cls))
    return mod


@functools.cache
def parse_cached(path: Path, mtime_ns: int) -> Module:
    return parse_module(path, module_name(path))


def parse_package(package: Path) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted(package.rglob("*.py")):
        mod = parse_cached(path, path.stat().st_mtime_ns)
        modules[mod.name] = mod
    return modules


def resolve_base(modules: dict[str, Module], mod: Module, base: ast.expr) -> ClassInfo | None:
    """The asgiweb class a base-class expression names, if it is one of ours."""
    if isinstance(base, ast.Subscript):  # Generic[T], MutableMapping[str, Any]
        base = base.value
    if isinstance(base, ast.Name):
        if base.id in mod.classes:
            return mod.classes[base.id]
        if base.id in mod.imported_names:
            source, name = mod.imported_names[base.id]
            target = modules.get(source)
            if target is not None:
                return target.classes.get(name)
            # ``from . import module`` then ``module.Class`` is handled below
        return None
    if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        alias = base.value.id
        source = mod.imported_modules.get(alias)
        if source is None and alias in mod.imported_names:
            package, name = mod.imported_names[alias]
            source = f"{package}.{name}"
        target = modules.get(source or "")
        if target is not None:
            return target.classes.get(base.attr)
    return None


def foreign_owned(modules: dict[str, Module], info: ClassInfo) -> dict[str, str]:
    """Private names owned by *info*'s base classes in other asgiweb modules → owner."""
    owners: dict[str, str] = {}
    seen: set[int] = set()
    stack = [(modules[info.module], info)]
    while stack:
        mod, current = stack.pop()
        for base in current.node.bases:
            parent = resolve_base(modules, mod, base)
            if parent is None or id(parent) in seen:
                continue
            seen.add(id(parent))
            if parent.module != info.module:
                for name in parent.owned:
                    if is_private(name):
                        owners.setdefault(name, f"{parent.module}.{parent.node.name}")
            stack.append((modules[parent.module], parent))
    return owners


def violations(modules: dict[str, Module]) -> list[str]:
    """Every cross-module private access in *modules*, as ``path:line: what`` lines."""
    found: list[str] = []

    def report(mod: Module, line: int, what: str, name: str) -> None:
        relative = mod.path.relative_to(PACKAGE).as_posix()
        if (relative, name) not in ALLOWED:
            found.append(f"asgiweb/{relative}:{line}: {what}")

    for mod in modules.values():
        # rule 2: subclasses and their bases' private names
        for info in mod.classes.values():
            owners = foreign_owned(modules, info)
            for line, name in info.used:
                if name in owners:
                    report(mod, line, f"{info.node.name} uses {owners[name]}'s {name}", name)
        # rule 3: private names imported from our other modules
        for line, source, name in mod.private_imports:
            report(mod, line, f"imports {source}.{name}", name)
        # rules 1 and 4: obj._name on something that is not self, cls or a foreign module
        for line, obj, name, where in mod.accesses:
            if name in PUBLIC_UNDERSCORE_NAMES or name in mod.defined:
                continue
            if isinstance(obj, ast.Name):
                source = mod.imported_modules.get(obj.id)
                if source is not None and source.split(".")[0] != "asgiweb":
                    continue  # another project's module
            report(mod, line, f"{ast.unparse(where)} reaches into another module", name)
    return sorted(found)


def test_no_module_reaches_into_another_modules_private_names() -> None:
    found = violations(parse_package(PACKAGE))
    assert not found, "cross-module private access:\n" + "\n".join(found)


def test_allow_list_entries_are_still_needed() -> None:
    for (relative, name), reason in ALLOWED.items():
        assert reason, f"{relative}: {name} is allowed without a reason"
        assert (PACKAGE / relative).exists(), f"{relative} no longer exists"
        assert name in (PACKAGE / relative).read_text(encoding="utf-8"), (
            f"{relative} no longer uses {name}: drop it from ALLOWED"
        )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from .response import StreamResponse\n"
            "class Sub(StreamResponse):\n"
            "    _watch_disconnect = False\n"
            "    def go(self):\n"
            "        self._compression = False\n",
            [
                "Sub uses asgiweb.response.StreamResponse's _watch_disconnect",
                "Sub uses asgiweb.response.StreamResponse's _compression",
            ],
        ),
        (
            "def f(ws):\n    ws._autoclose = True\n",
            ["ws._autoclose reaches into another module"],
        ),
        (
            "def f(ws):\n    return getattr(ws, '_receive_timeout')\n",
            ["getattr(ws, '_receive_timeout') reaches into another module"],
        ),
        ("from .routing import _quote_path\n", ["imports asgiweb.routing._quote_path"]),
        (
            "class Own:\n"
            "    def __init__(self):\n"
            "        self._x = 1\n"
            "    def __eq__(self, other):\n"
            "        return self._x == other._x\n"
            "import sys\n"
            "frame = sys._getframe(1)\n",
            [],
        ),
    ],
    ids=["subclass", "attribute", "getattr", "import", "allowed"],
)
def test_the_check_catches_each_kind(source: str, expected: list[str], tmp_path: Path) -> None:
    """Each rule, on a module planted beside the package's own."""
    planted = PACKAGE / "planted.py"
    path = tmp_path / "planted.py"
    path.write_text(source, encoding="utf-8")
    modules = dict(parse_package(PACKAGE))
    modules["asgiweb.planted"] = replace(parse_module(path, "asgiweb.planted"), path=planted)
    found = [line.split(": ", 1)[1] for line in violations(modules) if "planted.py" in line]
    assert sorted(found) == sorted(expected)
