"""``StaticResource``: serve a directory under a URL prefix, safely.

Every request path is checked before the file system is touched: it is
decoded once (by the router), split into segments, and refused (404) if a
segment is ``.`` or ``..``, or holds a backslash or a NUL byte. The file's
real path must then lie inside the (resolved) root; a path that goes through
a symbolic link is refused unless ``follow_symlinks=True``. A directory is
403 unless ``show_index=True``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections.abc import Iterator
from html import escape as html_escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yarl import URL

from .exceptions import HTTPForbidden, HTTPNotFound
from .fileresponse import FileResponse
from .quoting import quote_path, unquote_path_safe
from .response import Response, StreamResponse
from .routing import (
    AbstractRoute,
    ExpectHandler,
    PrefixResource,
    ResolveResult,
    ResourceRoute,
    UrlMappingMatchInfo,
    current_root_path,
)

if TYPE_CHECKING:
    from .request import Request

__all__ = ("StaticResource",)

_REFUSED_SEGMENTS = frozenset({".", ".."})


def safe_relative_path(filename: str) -> Path | None:
    """*filename* as a relative path without any way out of its root, else ``None``."""
    if "\\" in filename or "\x00" in filename:
        return None
    segments = [s for s in filename.split("/") if s]
    if any(s in _REFUSED_SEGMENTS for s in segments):
        return None
    return Path(*segments) if segments else Path()


class StaticResource(PrefixResource):
    """The resource ``app.router.add_static(prefix, directory)`` registers."""

    VERSION_KEY = "v"

    def __init__(
        self,
        prefix: str,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> None:
        super().__init__(prefix, name=name)
        try:
            root = Path(directory).expanduser().resolve(strict=True)
        except FileNotFoundError as error:
            raise ValueError(f"'{directory}' does not exist") from error
        if not root.is_dir():
            raise ValueError(f"'{root}' is not a directory")
        self._directory = root
        self._chunk_size = chunk_size
        self._show_index = show_index
        self._follow_symlinks = follow_symlinks
        self._append_version = append_version
        self._expect_handler = expect_handler
        self._routes = {
            method: ResourceRoute(method, self._handle, self, expect_handler=expect_handler)
            for method in ("GET", "HEAD")
        }
        self._allowed_methods = set(self._routes)
        self._hashes: dict[Path, tuple[int, int, str]] = {}

    @property
    def directory(self) -> Path:
        """The directory served, resolved."""
        return self._directory

    def get_info(self) -> dict[str, Any]:
        return {"directory": self._directory, "prefix": self.canonical, "routes": self._routes}

    def set_options_route(self, handler: Any) -> None:
        """Answer OPTIONS too (CORS preflight helpers use this)."""
        if "OPTIONS" in self._routes:
            raise RuntimeError("OPTIONS route was set already")
        self._routes["OPTIONS"] = ResourceRoute(
            "OPTIONS", handler, self, expect_handler=self._expect_handler
        )
        self._allowed_methods.add("OPTIONS")

    async def resolve(self, request: Request) -> ResolveResult:
        path = request.route_path
        if not self.covers(path):
            return None, set()
        route = self._routes.get(request.method)
        if route is None:
            return None, self._allowed_methods
        filename = unquote_path_safe(path[len(self.canonical) + 1 :])
        return UrlMappingMatchInfo({"filename": filename}, route), self._allowed_methods

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes.values())

    # -- URLs -----------------------------------------------------------------------

    def url_for(  # type: ignore[override]
        self, *, filename: str | os.PathLike[str], append_version: bool | None = None
    ) -> URL:
        """``/prefix/filename``, with ``?v=<hash of the content>`` when versioning is on."""
        if append_version is None:
            append_version = self._append_version
        name = str(filename).lstrip("/")
        url = URL.build(path=current_root_path() + self.canonical, encoded=True) / name
        if append_version:
            version = self._version_of(name)
            if version is not None:
                url = url.with_query({self.VERSION_KEY: version})
        return url

    def _version_of(self, filename: str) -> str | None:
        relative = safe_relative_path(filename)
        if relative is None:
            return None
        path = self._checked(self._directory / relative)
        if path is None:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        cached = self._hashes.get(path)
        if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
            return cached[2]
        digest = hashlib.sha256(path.read_bytes()).digest()
        version = base64.urlsafe_b64encode(digest).decode("ascii")
        self._hashes[path] = (st.st_mtime_ns, st.st_size, version)
        return version

    # -- serving ----------------------------------------------------------------------

    def _checked(self, unresolved: Path) -> Path | None:
        """The real path to open, or ``None`` if it leaves the root or (unless allowed)
        goes through a symbolic link."""
        try:
            resolved = unresolved.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            return None
        if self._follow_symlinks:
            return resolved
        if resolved != unresolved:
            return None  # a symbolic link somewhere on the way
        try:
            resolved.relative_to(self._directory)
        except ValueError:
            return None
        return resolved

    async def _handle(self, request: Request) -> StreamResponse:
        relative = safe_relative_path(request.match_info["filename"])
        if relative is None:
            raise HTTPNotFound()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, self._response_for, request, self._directory / relative
        )

    def _response_for(self, request: Request, unresolved: Path) -> StreamResponse:
        path = self._checked(unresolved)
        if path is None:
            raise HTTPNotFound()
        try:
            is_dir = path.is_dir()
        except PermissionError:
            raise HTTPForbidden() from None
        except OSError:  # a name too long for the file system, a bad file name…
            raise HTTPNotFound() from None
        if is_dir:
            if not self._show_index:
                raise HTTPForbidden()
            try:
                html = self._directory_as_html(path)
            except PermissionError:
                raise HTTPForbidden() from None
            except OSError:
                raise HTTPNotFound() from None
            return Response(text=html, content_type="text/html")
        response = FileResponse(path, chunk_size=self._chunk_size)
        response.open_ahead(request)  # one trip to the worker thread for both steps
        return response

    def _directory_as_html(self, directory: Path) -> str:
        # the root is "Index of /." as in aiohttp (pages and tests compare the title)
        relative = directory.relative_to(self._directory).as_posix()
        index_of = f"Index of /{html_escape(relative)}"
        items = []
        for entry in sorted(directory.iterdir()):
            rel_path = entry.relative_to(self._directory).as_posix()
            url = quote_path(f"{current_root_path()}{self.canonical}/{rel_path}")
            name = f"{entry.name}/" if entry.is_dir() else entry.name
            items.append(f'<li><a href="{html_escape(url)}">{html_escape(name)}</a></li>')
        listing = "<ul>\n{}\n</ul>".format("\n".join(items))
        return (
            f"<html>\n<head>\n<title>{index_of}</title>\n</head>\n"
            f"<body>\n<h1>{index_of}</h1>\n{listing}\n</body>\n</html>"
        )

    def __repr__(self) -> str:
        name = f"'{self.name}'" if self.name is not None else ""
        return f"<StaticResource {name} {self.canonical} -> {self._directory!r}>"
