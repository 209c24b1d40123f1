"""The import rewrite: aiohttp's server-side modules and add-ons → the asgiweb modules.

Every import form is handled, and the rest of the file is left as written
(libcst keeps formatting and comments):

* ``from aiohttp import web`` → ``from asgiweb import web``; in
  ``from aiohttp import ClientSession, web`` only ``web`` moves, to a second
  statement, and the client names stay on aiohttp;
* ``from aiohttp.web import X as Y``, ``from aiohttp.web_request import X``
  → ``from asgiweb.web import ...`` (a name asgiweb lacks stays on its aiohttp
  import and is reported);
* ``import aiohttp.web`` (and ``import aiohttp`` used as ``aiohttp.web.X``)
  → ``import asgiweb.web`` with every ``aiohttp.web.X`` spelled
  ``asgiweb.web.X``; ``import aiohttp`` stays while the client uses it;
* ``import aiohttp_jinja2`` → ``from asgiweb import templating as
  aiohttp_jinja2``, so the rest of the file needs no change;
* ``pytest_plugins = "aiohttp.pytest_plugin"`` (or ``"pytest_aiohttp"``) →
  ``"asgiweb.pytest_plugin"``.

Rewritten code imports only asgiweb names, so a second run changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from .modules import CLIENT_NAMES, CLIENT_SHARED_NAMES, NAME_ONLY, PYTEST_PLUGINS, ROOTS, names_of
from .modules import MODULES as NAME_MODULES

# Modules that move as a whole (`import aiohttp.web`, `from aiohttp import hdrs`,
# `aiohttp.web.X`); the others (aiohttp.abc, ...) move name by name only.
MODULES = {k: v for k, v in NAME_MODULES.items() if k not in NAME_ONLY}

__all__ = ("Unmapped", "dotted_name", "rewrite_module")


@dataclass(frozen=True)
class Unmapped:
    """A name imported from a server-side aiohttp module that asgiweb does not have."""

    line: int
    module: str
    name: str


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes; None for any other expression."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def _expression(dotted: str) -> cst.Attribute | cst.Name:
    head, *rest = dotted.split(".")
    node: cst.Attribute | cst.Name = cst.Name(head)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _has_name(module: str, name: str) -> bool:
    names = names_of(module)
    return names is None or name in names


def _is_client_name(module: str, name: str) -> bool:
    if module not in CLIENT_NAMES:
        return False
    names = CLIENT_NAMES[module]
    return not _has_name(NAME_MODULES[module], name) if names is None else name in names


def _split(target: str) -> tuple[str, str]:
    parent, _, last = target.rpartition(".")
    return parent, last


@dataclass
class _Survey:
    """What the first pass learnt about the file."""

    chain_roots: set[str] = field(default_factory=set)
    """Roots imported plainly (``import aiohttp``, ``import aiohttp.web``): their attribute
    chains are rewritten."""
    chain_targets: dict[str, list[str]] = field(default_factory=dict)
    """Root → asgiweb modules its rewritten chains need imported."""
    needs_root: set[str] = field(default_factory=set)
    """Roots still used for something asgiweb does not replace (aiohttp's client)."""
    kept_binding: set[str] = field(default_factory=set)
    """Roots bound by a plain import that stays as it is."""
    plain_imports: set[str] = field(default_factory=set)
    """Every ``import X`` (no alias) already in the file."""
    client: bool = False
    """Whether the file uses anything of aiohttp beyond its server side."""


class _SurveyVisitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (ParentNodeProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.survey = _Survey()
        self._plain_roots: dict[str, list[str]] = {}
        self._uses: list[tuple[str, list[str], str | None]] = []

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            root = name.split(".")[0]
            if alias.asname is None:
                self.survey.plain_imports.add(name)
                self._plain_roots.setdefault(root, []).append(name)
            if root == "aiohttp" and name not in MODULES and name != "aiohttp":
                self.survey.client = True
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or node.module is None:
            return False
        module = dotted_name(node.module) or ""
        if module == "aiohttp" and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name = dotted_name(alias.name) or ""
                if f"aiohttp.{name}" not in MODULES and name not in CLIENT_SHARED_NAMES:
                    self.survey.client = True
        elif (module.split(".")[0] == "aiohttp" and module not in NAME_MODULES) or (
            module in CLIENT_NAMES
            and not isinstance(node.names, cst.ImportStar)
            and any(_is_client_name(module, dotted_name(a.name) or "") for a in node.names)
        ):
            self.survey.client = True
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value not in ROOTS:
            return
        parent = self.get_metadata(ParentNodeProvider, node)
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return  # `x.aiohttp`: not the module
        chain: list[str] = [node.value]
        current: cst.CSTNode = node
        mapped: str | None = MODULES.get(node.value)
        while isinstance(parent, cst.Attribute) and parent.value is current:
            chain.append(parent.attr.value)
            if ".".join(chain) in MODULES:
                mapped = MODULES[".".join(chain)]
            current = parent
            parent = self.get_metadata(ParentNodeProvider, current)
        self._uses.append((node.value, chain, mapped))

    def finish(self) -> _Survey:
        survey = self.survey
        for root, names in self._plain_roots.items():
            if root in ROOTS and any("." in name or name not in MODULES for name in names):
                survey.chain_roots.add(root)
            if any(name not in MODULES for name in names):
                survey.kept_binding.add(root)
        for root, chain, mapped in self._uses:
            if root not in survey.chain_roots:
                continue
            if mapped is not None and _chain_maps(chain):
                targets = survey.chain_targets.setdefault(root, [])
                target = _chain_target(chain)
                if target not in targets:
                    targets.append(target)
            else:
                survey.needs_root.add(root)
                if root == "aiohttp" and (len(chain) < 2 or chain[1] not in CLIENT_SHARED_NAMES):
                    survey.client = True
        return survey


def _longest_module(chain: Sequence[str]) -> int:
    """How many leading parts of *chain* name a module of ``MODULES`` (0 if none)."""
    for size in range(len(chain), 0, -1):
        if ".".join(chain[:size]) in MODULES:
            return size
    return 0


def _chain_maps(chain: Sequence[str]) -> bool:
    size = _longest_module(chain)
    if size == 0:
        return False
    if size == len(chain):
        return True
    return _has_name(MODULES[".".join(chain[:size])], chain[size])


def _chain_target(chain: Sequence[str]) -> str:
    return MODULES[".".join(chain[: _longest_module(chain)])]


class _Rewriter(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, survey: _Survey) -> None:
        super().__init__()
        self.survey = survey
        self.unmapped: list[Unmapped] = []
        self._roots_done: set[str] = set()
        self._targets_emitted: set[str] = set(survey.plain_imports)

    # -- attribute chains: aiohttp.web.X → asgiweb.web.X ---------------------------------

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        dotted = dotted_name(updated_node)
        if dotted is None:
            return updated_node
        chain = dotted.split(".")
        if chain[0] not in self.survey.chain_roots:
            return updated_node
        if dotted in MODULES:
            return _expression(MODULES[dotted]).with_changes(
                lpar=updated_node.lpar, rpar=updated_node.rpar
            )
        if len(chain) == 2 and chain[0] in MODULES and _chain_maps(chain):
            return updated_node.with_changes(value=_expression(MODULES[chain[0]]))
        return updated_node

    # -- pytest_plugins = "aiohttp.pytest_plugin" ----------------------------------------

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        targets = updated_node.targets
        if len(targets) != 1 or not isinstance(targets[0].target, cst.Name):
            return updated_node
        if targets[0].target.value != "pytest_plugins":
            return updated_node
        value = updated_node.value
        if isinstance(value, cst.SimpleString):
            return updated_node.with_changes(value=_plugin_string(value))
        if isinstance(value, (cst.List, cst.Tuple)):
            elements = [
                element.with_changes(value=_plugin_string(element.value))
                if isinstance(element.value, cst.SimpleString)
                else element
                for element in value.elements
            ]
            return updated_node.with_changes(value=value.with_changes(elements=elements))
        return updated_node

    # -- import statements --------------------------------------------------------------

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        line = self.get_metadata(PositionProvider, original_node).start.line
        body, changed = self._rewrite_body(updated_node.body, line)
        if not changed:
            return updated_node
        if not body:
            return cst.RemoveFromParent()  # type: ignore[return-value]
        if len(updated_node.body) > 1 or len(body) == 1:
            return updated_node.with_changes(body=_semicolons(body))
        lines = [cst.SimpleStatementLine(body=[statement]) for statement in body]
        lines[0] = lines[0].with_changes(
            leading_lines=updated_node.leading_lines,
            trailing_whitespace=updated_node.trailing_whitespace,
        )
        return cst.FlattenSentinel(lines)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        line = self.get_metadata(PositionProvider, original_node).start.line
        body, changed = self._rewrite_body(updated_node.body, line)
        if not changed:
            return updated_node
        return updated_node.with_changes(body=_semicolons(body or [cst.Pass()]))

    def _rewrite_body(
        self, body: Sequence[cst.BaseSmallStatement], line: int
    ) -> tuple[list[cst.BaseSmallStatement], bool]:
        out: list[cst.BaseSmallStatement] = []
        changed = False
        for statement in body:
            if isinstance(statement, cst.Import):
                new = self._rewrite_import(statement)
            elif isinstance(statement, cst.ImportFrom):
                new = self._rewrite_from(statement, line)
            else:
                new = [statement]
            changed = changed or new != [statement]
            out.extend(new)
        return out, changed

    def _rewrite_import(self, node: cst.Import) -> list[cst.BaseSmallStatement]:
        kept: list[cst.ImportAlias] = []
        before: list[cst.BaseSmallStatement] = []
        after: list[cst.BaseSmallStatement] = []
        changed = False
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            root = name.split(".")[0]
            if alias.asname is not None:
                alias_name = cst.ensure_type(alias.asname.name, cst.Name).value
                if name in MODULES:
                    after.append(_from_import(MODULES[name], alias_name))
                    changed = True
                else:
                    kept.append(alias)
                continue
            if root not in ROOTS:
                kept.append(alias)
                continue
            if root not in self.survey.chain_roots:
                # `import aiohttp_jinja2`: the module keeps its local name
                after.append(_from_import(MODULES[name], name))
                changed = True
                continue
            if name in MODULES:
                changed = True
            elif (
                name == root
                and root not in self.survey.needs_root
                and self.survey.chain_targets.get(root)
            ):
                changed = True  # `import aiohttp` used only as `aiohttp.web`: replaced
            else:
                kept.append(alias)  # `import aiohttp` (the client) or `import aiohttp.abc`
            targets = [MODULES[name]] if name in MODULES else []
            if root not in self._roots_done:
                self._roots_done.add(root)
                if (
                    name in MODULES
                    and root in self.survey.needs_root
                    and root not in self.survey.kept_binding
                ):
                    before.append(cst.Import(names=[cst.ImportAlias(name=cst.Name(root))]))
                targets += self.survey.chain_targets.get(root, [])
            for target in targets:
                if not any(
                    done == target or done.startswith(target + ".")
                    for done in self._targets_emitted
                ):
                    self._targets_emitted.add(target)
                    after.append(cst.Import(names=[cst.ImportAlias(name=_expression(target))]))
                    changed = True
        if not changed:
            return [node]
        result = before
        if kept:
            result.append(node.with_changes(names=_with_commas(kept, node.names[-1].comma)))
        return result + after

    def _rewrite_from(self, node: cst.ImportFrom, line: int) -> list[cst.BaseSmallStatement]:
        if node.relative or node.module is None:
            return [node]
        module = dotted_name(node.module) or ""
        if isinstance(node.names, cst.ImportStar):
            if module in MODULES:
                return [node.with_changes(module=_expression(MODULES[module]))]
            return [node]
        kept: list[cst.ImportAlias] = []
        groups: dict[str, list[cst.ImportAlias]] = {}
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            submodule = f"{module}.{name}"
            if submodule in MODULES:
                parent, last = _split(MODULES[submodule])
                local = cst.ensure_type(alias.asname.name, cst.Name).value if alias.asname else name
                groups.setdefault(parent, []).append(
                    alias.with_changes(
                        name=cst.Name(last),
                        asname=None if local == last else cst.AsName(name=cst.Name(local)),
                    )
                )
            elif module in NAME_MODULES:
                if _has_name(NAME_MODULES[module], name):
                    groups.setdefault(NAME_MODULES[module], []).append(alias)
                else:
                    kept.append(alias)
                    if not _is_client_name(module, name):
                        self.unmapped.append(Unmapped(line, module, name))
            elif (
                module == "aiohttp"
                and name in CLIENT_SHARED_NAMES
                and not self.survey.client
                and _has_name("asgiweb.web", name)
            ):
                groups.setdefault("asgiweb.web", []).append(alias)
            else:
                kept.append(alias)
        if not groups:
            return [node]
        last_comma = node.names[-1].comma
        result: list[cst.BaseSmallStatement] = []
        if kept:
            result.append(node.with_changes(names=_with_commas(kept, last_comma)))
        for target, aliases in groups.items():
            names = _with_commas(aliases, last_comma)
            result.append(node.with_changes(module=_expression(target), names=names))
        return result


def _plugin_string(node: cst.BaseExpression) -> cst.BaseExpression:
    if not isinstance(node, cst.SimpleString):
        return node
    value = node.evaluated_value
    if not isinstance(value, str) or value not in PYTEST_PLUGINS:
        return node
    return node.with_changes(value=f"{node.prefix}{node.quote}{PYTEST_PLUGINS[value]}{node.quote}")


def _from_import(target: str, local: str) -> cst.ImportFrom:
    parent, last = _split(target)
    return cst.ImportFrom(
        module=_expression(parent),
        names=[
            cst.ImportAlias(
                name=cst.Name(last),
                asname=None if local == last else cst.AsName(name=cst.Name(local)),
            )
        ],
    )


def _with_commas(
    aliases: Sequence[cst.ImportAlias], last_comma: cst.Comma | cst.MaybeSentinel
) -> list[cst.ImportAlias]:
    out = []
    for index, alias in enumerate(aliases):
        if index == len(aliases) - 1:
            if isinstance(alias.comma, cst.Comma) and isinstance(last_comma, cst.Comma):
                out.append(alias.with_changes(comma=_closing(alias.comma, last_comma)))
            else:
                out.append(alias.with_changes(comma=last_comma))
        elif isinstance(alias.comma, cst.MaybeSentinel):
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            out.append(alias.with_changes(comma=comma))
        else:
            out.append(alias)
    return out


def _closing(own: cst.Comma, last: cst.Comma) -> cst.Comma:
    """*own* comma (and its comment) ending the list as the original last comma did."""
    mine, theirs = own.whitespace_after, last.whitespace_after
    if isinstance(mine, cst.ParenthesizedWhitespace) and isinstance(
        theirs, cst.ParenthesizedWhitespace
    ):
        return own.with_changes(
            whitespace_after=mine.with_changes(indent=theirs.indent, last_line=theirs.last_line)
        )
    return last


def _semicolons(body: Sequence[cst.BaseSmallStatement]) -> list[cst.BaseSmallStatement]:
    out = []
    for index, statement in enumerate(body):
        semicolon: cst.Semicolon | cst.MaybeSentinel = (
            cst.MaybeSentinel.DEFAULT
            if index == len(body) - 1
            else cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" "))
        )
        out.append(statement.with_changes(semicolon=semicolon))
    return out


def rewrite_module(module: cst.Module) -> tuple[cst.Module, list[Unmapped]]:
    """Rewrite the aiohttp server-side imports of *module*; also return the names left behind."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    survey_visitor = _SurveyVisitor()
    wrapper.visit(survey_visitor)
    rewriter = _Rewriter(survey_visitor.finish())
    new = wrapper.visit(rewriter)
    return new, rewriter.unmapped
