"""Every ```python block in docs/ runs: each page's blocks in order, in one namespace.

Blocks fenced as ```python-norun are only compiled (shell-dependent or partial
snippets).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```(python|python-norun)\n(.*?)^```", re.DOTALL | re.MULTILINE)
PAGES = sorted(DOCS.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_examples_run(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    blocks = BLOCK.findall(page.read_text())
    for kind, source in blocks:
        code = compile(source, f"{page.name}", "exec")
        if kind == "python":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                exec(code, namespace)


def test_docs_exist_for_the_foundation() -> None:
    names = {p.name for p in PAGES}
    assert {
        "getting-started.md",
        "routing.md",
        "requests-and-responses.md",
        "middlewares.md",
        "porting.md",
    } <= names
