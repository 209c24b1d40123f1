"""A real pytest-aiohttp test suite, ported by changing imports only, runs on asgiweb.

aiohttp-jinja2 1.6 ships its tests in its sdist: they use ``aiohttp_client``,
``make_mocked_request``, sub-applications and ``resp.status``/``resp.text()``.
The sdist is downloaded from PyPI at test time (nothing of it is kept in this
repository), its ``aiohttp``/``aiohttp_jinja2`` imports are pointed at
``asgiweb.web``/``asgiweb.templating``, and pytest runs it in a project of its
own with ``asyncio_mode = auto`` and ``filterwarnings = error``, with the
fixtures of asgiweb's installed plugin.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SDIST = "aiohttp-jinja2==1.6"

# The only lines changed: the imports.
IMPORTS = {
    "from aiohttp import web": "from asgiweb import web",
    "import aiohttp_jinja2": "from asgiweb import templating as aiohttp_jinja2",
    "from aiohttp.test_utils import make_mocked_request": (
        "from asgiweb.test_utils import make_mocked_request"
    ),
}

# Failures that are not the test client's: each names what differs.
KNOWN_DIFFERENCES = {
    # asgiweb.templating runs only the innermost app's context processors for a
    # sub-application's request; aiohttp_jinja2 merges the outer app's too.
    "tests.test_context_processors::test_nested_context_processors",
}

NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio")

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
testpaths = tests
"""


def download_tests(where: Path) -> Path:
    """The sdist's tests/ directory, with its imports changed."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--dest",
            str(where),
            SDIST,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot download {SDIST} from PyPI: {result.stderr}")
        pytest.skip(f"cannot download {SDIST} from PyPI (offline?)")
    [archive] = where.glob("*.tar.gz")
    project = where / "project"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/tests/" in m.name and m.isfile()]
        for member in members:
            member.name = member.name.split("/", 1)[1]
        tar.extractall(project, members=members, filter="data")
    changed = 0
    for path in (project / "tests").glob("*.py"):
        lines = path.read_text().splitlines(keepends=True)
        for i, line in enumerate(lines):
            replacement = IMPORTS.get(line.rstrip("\n"))
            if replacement is not None:
                lines[i] = replacement + "\n"
                changed += 1
        path.write_text("".join(lines))
    assert changed >= len(IMPORTS), "the sdist's imports changed; update IMPORTS"
    (project / "pytest.ini").write_text(INI)
    return project


def test_aiohttp_jinja2_suite_passes_with_imports_changed(tmp_path: Path) -> None:
    project = download_tests(tmp_path)
    report = tmp_path / "report.xml"
    result = subprocess.run(
        # (plugins the suite does not use are left out, for a faster start)
        [sys.executable, "-m", "pytest", "-q", f"--junitxml={report}", *NO_PLUGINS],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    cases = ET.parse(report).getroot().iter("testcase")
    outcomes: dict[str, str] = {}
    for case in cases:
        name = f"{case.get('classname')}::{case.get('name')}"
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[name] = "failed" if failed else "passed"
    failed = {name for name, outcome in outcomes.items() if outcome == "failed"}
    passed = len(outcomes) - len(failed)
    print(f"{SDIST}: {passed}/{len(outcomes)} passed")
    assert len(outcomes) >= 30, result.stdout[-3000:]
    assert failed <= KNOWN_DIFFERENCES, result.stdout[-5000:]
