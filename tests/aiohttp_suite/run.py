"""Download aiohttp's sdist, run its server-side tests against asgiweb, report the figure.

    python -m tests.aiohttp_suite.run              # the figure: N/M applicable passed
    python -m tests.aiohttp_suite.run --reference  # the same selection against aiohttp itself
    python -m tests.aiohttp_suite.run -- -k static # extra pytest arguments

The sdist is cached under ``$ASGIWEB_SUITE_CACHE`` (default: the user's cache
directory); its files are unpacked into a temporary directory for each run and
never enter this repository.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import rules

AIOHTTP_VERSION = "3.14.5"

MODULES = (
    "test_web_functional.py",
    "test_web_urldispatcher.py",
    "test_web_middleware.py",
    "test_web_exceptions.py",
    "test_web_websocket_functional.py",
    "test_web_sendfile_functional.py",
    "test_web_app.py",
    "test_urldispatch.py",
    "test_route_def.py",
    "test_classbasedview.py",
)

REPO = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Where the sdist is kept between runs."""
    configured = os.environ.get("ASGIWEB_SUITE_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "asgiweb-aiohttp-suite"


def fetch_sdist() -> Path:
    """The aiohttp sdist, downloaded with pip on first use."""
    directory = cache_dir()
    sdist = directory / f"aiohttp-{AIOHTTP_VERSION}.tar.gz"
    if not sdist.exists():
        directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                "--no-binary", ":all:", f"aiohttp=={AIOHTTP_VERSION}", "-d", str(directory),
            ],
            check=True,
        )  # fmt: skip
    return sdist


def unpack_tests(sdist: Path, into: Path) -> Path:
    """Unpack the sdist's ``tests/`` and ``pytest.ini`` into *into*; return the suite root."""
    prefix = f"aiohttp-{AIOHTTP_VERSION}/"
    with tarfile.open(sdist) as archive:
        members = [
            member
            for member in archive.getmembers()
            if member.name.startswith(prefix + "tests/")
            or member.name in (prefix + "pytest.ini", prefix + "README.rst")  # a traversal target
        ]
        archive.extractall(into, members=members, filter="data")
    root = into / prefix
    _point_conftest_at_plugin(root / "tests" / "conftest.py")
    _adapt_ini(root / "pytest.ini")
    return root


def _point_conftest_at_plugin(conftest: Path) -> None:
    text = conftest.read_text(encoding="utf-8")
    old = '"aiohttp.pytest_plugin"'
    if old not in text:
        raise RuntimeError(f"{conftest} no longer loads aiohttp.pytest_plugin; update run.py")
    conftest.write_text(text.replace(old, '"tests.aiohttp_suite.plugin"', 1), encoding="utf-8")


def _adapt_ini(ini: Path) -> None:
    """Drop aiohttp's addopts (xdist, coverage, doctests: this run chooses its own) and the
    warning filters whose category lives in a package not installed here (coverage)."""
    lines = ini.read_text(encoding="utf-8").splitlines()
    kept: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith("addopts"):
            skipping = True
            continue
        if skipping and (not line.strip() or line[0].isspace() or line.startswith("#")):
            continue
        skipping = False
        parts = line.strip().split(":")
        if line.startswith(" ") and len(parts) >= 3 and "." in parts[2]:
            module = parts[2].rsplit(".", 1)[0]
            if importlib.util.find_spec(module.split(".")[0]) is None:
                continue
        kept.append(line)
    ini.write_text("\n".join(kept) + "\n", encoding="utf-8")


@dataclass
class Result:
    """What one run found."""

    outcomes: dict[str, str]
    not_applicable: dict[str, str]
    returncode: int
    messages: dict[str, str] = field(default_factory=dict)
    output: str = ""
    passed: list[str] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)
    better: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for nodeid, outcome in sorted(self.outcomes.items()):
            if outcome == "passed":
                self.passed.append(nodeid)
            elif outcome == "xfailed" and rules.impossible(nodeid):
                self.impossible.append(nodeid)
            elif outcome == "xfailed" and rules.better(nodeid):
                self.better.append(nodeid)
            elif outcome == "xfailed":
                self.known.append(nodeid)
            elif outcome == "xpassed" and rules.known_failure(nodeid):
                self.passed.append(nodeid)  # a listed test whose parametrization passes
            elif outcome == "skipped":
                self.skipped.append(nodeid)
            else:  # failed, error, xpassed (an "impossible" test that passes)
                self.failed.append(nodeid)

    @property
    def applicable(self) -> int:
        """Tests that ran (not set aside by the rules, not skipped by aiohttp's own conditions)."""
        return (
            len(self.passed)
            + len(self.impossible)
            + len(self.better)
            + len(self.known)
            + len(self.failed)
        )

    def figure(self) -> str:
        """``N/M applicable passed`` and the breakdown."""
        return (
            f"{len(self.passed)}/{self.applicable} applicable passed "
            f"({len(self.impossible)} impossible under ASGI/uvicorn, {len(self.better)} where "
            f"asgiweb keeps a better behaviour, {len(self.known)} known "
            f"failures still to fix, {len(self.failed)} unexpected; "
            f"{len(self.not_applicable)} not applicable, {len(self.skipped)} skipped)"
        )


def run(
    *, reference: bool = False, modules: tuple[str, ...] = MODULES, extra: list[str] | None = None
) -> Result:
    """Run the selected aiohttp test modules and collect the outcomes."""
    extra = list(extra or [])
    if any(arg.startswith("tests/") for arg in extra):
        modules = ()  # the caller chose the tests
    sdist = fetch_sdist()
    with tempfile.TemporaryDirectory(prefix="aiohttp-suite-") as tmp:
        root = unpack_tests(sdist, Path(tmp))
        report = Path(tmp) / "report.json"
        env = dict(os.environ)
        env.update(
            PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            ASGIWEB_SUITE_REPORT=str(report),
            ASGIWEB_SUITE_REFERENCE="1" if reference else "0",
        )
        command = [
            sys.executable, "-m", "pytest",
            "-p", "pytest_timeout", "-p", "pytest_mock", "-p", "no:cacheprovider",
            "-q", "-rN", "--tb=line", "--timeout=60", "--aiohttp-fast",
            "-m", "not dev_mode and not autobahn and not internal",
            # A resource leaked by one test is reported when the garbage collector
            # finds it, during whichever test runs then: not that test's failure.
            # (The known leak, FileField's temp files, is in rules.KNOWN_FAILURES.)
            "-W", "ignore::pytest.PytestUnraisableExceptionWarning",
            *(f"tests/{module}" for module in modules), *extra,
        ]  # fmt: skip
        completed = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, check=False
        )
        if not report.exists():
            raise RuntimeError(
                f"the aiohttp suite wrote no report (exit {completed.returncode}):\n"
                + completed.stdout[-5000:]
                + completed.stderr[-5000:]
            )
        data = json.loads(report.read_text(encoding="utf-8"))
    return Result(
        outcomes=data["outcomes"],
        not_applicable=data["not_applicable"],
        messages=data["messages"],
        returncode=completed.returncode,
        output=completed.stdout + completed.stderr,
    )


def main() -> None:
    """Command line: print the figure, the failures and (with -v) the set-aside tests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", action="store_true", help="run against aiohttp itself")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--json", type=Path, help="write the outcomes to this file")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    result = run(reference=args.reference, extra=args.pytest_args)
    if args.json:
        args.json.write_text(
            json.dumps({"outcomes": result.outcomes, "messages": result.messages}, indent=1)
        )
    if args.verbose:
        print(result.output)
        for nodeid, reason in sorted(result.not_applicable.items()):
            print(f"N/A {nodeid}: {reason}")
    for nodeid in result.impossible:
        print(f"impossible {nodeid}: {rules.impossible(nodeid)}")
    for nodeid in result.better:
        print(f"better {nodeid}: {rules.better(nodeid)}")
    for nodeid in result.known:
        print(f"to fix {nodeid}: {rules.known_failure(nodeid)}")
    for nodeid in result.failed:
        print(f"FAILED {nodeid} ({result.outcomes[nodeid]}): {result.messages.get(nodeid, '')}")
    print(result.figure())
    if re.search(r"\berror\b", result.output.splitlines()[-1] if result.output else ""):
        print(result.output[-3000:])


if __name__ == "__main__":
    main()
