"""What pyproject.toml declares matches what the code needs."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_python_floor_is_311_and_the_tools_check_it() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    # asyncio.timeout and Task.uncancel need 3.11
    assert meta["project"]["requires-python"] == ">=3.11"
    assert meta["tool"]["mypy"]["python_version"] == "3.11"
    assert meta["tool"]["ruff"]["target-version"] == "py311"
    assert sys.version_info >= (3, 11)


def test_code_uses_311_apis_so_the_floor_is_real() -> None:
    used = set()
    for path in (ROOT / "asgiweb").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("timeout", "uncancel"):
                used.add(node.attr)
    assert used & {"timeout", "uncancel"}


def test_every_subpackage_goes_into_the_wheel() -> None:
    # an explicit `packages = ["asgiweb"]` left asgiweb.session out of the wheel
    from setuptools import find_packages

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = meta["tool"]["setuptools"]["packages"]["find"]
    packages = set(find_packages(str(ROOT), include=found["include"]))
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "asgiweb").rglob("__init__.py")
    }
    assert on_disk <= packages
    assert {"asgiweb", "asgiweb.session", "asgiweb.debugtoolbar", "asgiweb.porting"} <= packages
