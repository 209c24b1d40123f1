"""``asgiweb port PATH... [--write]``: the command around :func:`asgiweb.porting.port_source`.

Without ``--write`` it prints a unified diff (standard output) and changes
nothing; with ``--write`` it rewrites the files in place. Either way it then
lists, on standard error, each remaining use that has no ASGI equivalent as
``file:line: what; the documented replacement``.

The exit status adds up: 0 nothing left to do; +1 rewrites are pending
(without ``--write``); +2 a path could not be read, parsed or written; +4 uses
are left that need a person.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import sys
import tokenize
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ("EXIT_ERROR", "EXIT_FINDINGS", "EXIT_PENDING", "add_parser", "python_files", "run")

EXIT_PENDING = 1
"""Without ``--write``: some file would be rewritten."""
EXIT_ERROR = 2
"""A path was missing, or a file could not be parsed or written (also: a usage error)."""
EXIT_FINDINGS = 4
"""Some use has no ASGI equivalent and needs a person (listed on standard error)."""

_SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".tox", ".nox", ".venv", "venv", "env", "__pycache__", "node_modules",
     "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages"}
)


def python_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The ``.py`` files of *paths*, folders walked in sorted order (virtualenvs, VCS skipped)."""
    for path in paths:
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    d for d in dirs if d not in _SKIPPED_DIRS and not d.endswith(".egg-info")
                )
                for name in sorted(files):
                    if name.endswith(".py"):
                        yield Path(folder) / name
        else:
            yield path


def _diff_names(path: Path) -> tuple[str, str]:
    """``a/x.py``, ``b/x.py`` for a relative path (``git apply`` reads them); else the path."""
    if path.is_absolute():
        return str(path), str(path)
    return f"a/{path.as_posix()}", f"b/{path.as_posix()}"


def _read(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    return raw.decode(encoding), encoding


def run(paths: Sequence[Path], *, write: bool, out: TextIO, err: TextIO) -> int:
    """Port every Python file under *paths*; print the diff or write; return the exit status."""
    try:
        import libcst
    except ImportError:
        print("asgiweb port needs libcst: pip install 'asgiweb[port]'", file=err)
        return EXIT_ERROR
    from .source import port_source

    status = 0
    rewritten = findings = 0
    for path in paths:
        if not path.exists():
            print(f"asgiweb port: {path}: no such file or folder", file=err)
            status |= EXIT_ERROR
    for path in python_files([p for p in paths if p.exists()]):
        try:
            source, encoding = _read(path)
            result = port_source(source)
        except (OSError, UnicodeDecodeError, SyntaxError, libcst.ParserSyntaxError) as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"asgiweb port: {path}: cannot parse: {message}", file=err)
            status |= EXIT_ERROR
            continue
        if result.changed:
            rewritten += 1
            if write:
                try:
                    path.write_bytes(result.code.encode(encoding))
                except OSError as exc:
                    print(f"asgiweb port: {path}: cannot write: {exc}", file=err)
                    status |= EXIT_ERROR
                    continue
                print(f"rewrote {path}", file=out)
            else:
                status |= EXIT_PENDING
                out.writelines(
                    difflib.unified_diff(
                        source.splitlines(keepends=True),
                        result.code.splitlines(keepends=True),
                        *_diff_names(path),
                    )
                )
        for finding in result.findings:
            findings += 1
            print(finding.format(str(path)), file=err)
    if findings:
        status |= EXIT_FINDINGS
    verb = "rewritten" if write else "to rewrite"
    print(
        f"asgiweb port: {rewritten} file{'s' * (rewritten != 1)} {verb}, {findings} "
        f"use{'s' * (findings != 1)} with no ASGI equivalent",
        file=err,
    )
    return status


def _command(args: argparse.Namespace) -> int:
    return run([Path(p) for p in args.paths], write=args.write, out=sys.stdout, err=sys.stderr)


def add_parser(commands: Any) -> None:
    """Add ``port`` to the ``asgiweb`` command's subparsers."""
    port = commands.add_parser(
        "port",
        help="port an aiohttp.web project's imports to asgiweb",
        description=(
            "Rewrite the aiohttp.web imports (and those of aiohttp.test_utils, pytest-aiohttp, "
            "aiohttp_jinja2, aiohttp_session, aiohttp_security, aiohttp_cors, aiohttp_remotes, "
            "aiohttp_swagger, aiohttp_debugtoolbar, aiojobs.aiohttp) under PATH to asgiweb, "
            "leaving aiohttp's client alone. Prints a diff unless --write; then lists each use "
            "with no ASGI equivalent. Exit status: 0 nothing left, +1 rewrites pending, "
            "+2 a file could not be read or parsed, +4 uses left for a person."
        ),
    )
    port.add_argument("paths", metavar="PATH", nargs="+", help="a .py file or a folder")
    port.add_argument("--write", action="store_true", help="rewrite the files in place")
    port.set_defaults(handler=_command, target="", app_dir=".")
