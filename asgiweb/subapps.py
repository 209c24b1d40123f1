"""Resources that route into nested applications: by path prefix or by domain."""

from __future__ import annotations

import abc
import fnmatch
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from yarl import URL

from .exceptions import HTTPMethodNotAllowed
from .routing import AbstractRoute, PrefixResource, ResolveResult

if TYPE_CHECKING:
    from .app import Application
    from .request import Request


def _allowed_methods(match_info: Any) -> set[str]:
    exc = match_info.http_exception
    return exc.allowed_methods if isinstance(exc, HTTPMethodNotAllowed) else set()


class PrefixedSubAppResource(PrefixResource):
    """``app.add_subapp("/admin", admin)``: every path under the prefix goes to *admin*.

    The sub-app's own resources get the prefix too, so their ``url_for``
    returns the full path.
    """

    def __init__(self, prefix: str, app: Application) -> None:
        super().__init__(prefix)
        self._app = app
        self._add_prefix_to_resources(prefix)

    @property
    def app(self) -> Application:
        """The sub-application."""
        return self._app

    def add_prefix(self, prefix: str) -> None:
        super().add_prefix(prefix)
        self._add_prefix_to_resources(prefix)

    def _add_prefix_to_resources(self, prefix: str) -> None:
        router = self._app.router
        for resource in router.resources():
            router.unindex_resource(resource)
            resource.add_prefix(prefix)
            router.index_resource(resource)

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not supported by sub-application root")

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "prefix": self.canonical}

    async def resolve(self, request: Request) -> ResolveResult:
        match_info = await self._app.router.resolve(request)
        match_info.add_app(self._app)
        return match_info, _allowed_methods(match_info)

    def __len__(self) -> int:
        return len(self._app.router.routes())

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._app.router.routes())

    def __repr__(self) -> str:
        return f"<PrefixedSubAppResource {self.canonical} -> {self._app!r}>"


class AbstractRuleMatching(abc.ABC):
    """A condition on the request that selects a sub-application."""

    @abc.abstractmethod
    async def match(self, request: Request) -> bool:
        """Whether *request* satisfies the rule."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Introspection data."""

    @property
    @abc.abstractmethod
    def canonical(self) -> str:
        """A string describing the rule."""


class Domain(AbstractRuleMatching):
    """Match the ``Host`` header against one domain (and port, if given)."""

    re_part = re.compile(r"(?!-)[a-z\d-]{1,63}(?<!-)")

    def __init__(self, domain: str) -> None:
        self._domain = self.validation(domain)

    @property
    def canonical(self) -> str:
        return self._domain

    def validation(self, domain: str) -> str:
        """*domain* lower-cased and checked; ``ValueError`` if it is no host name."""
        if not isinstance(domain, str):
            raise TypeError("Domain must be str")
        domain = domain.rstrip(".").lower()
        if not domain:
            raise ValueError("Domain cannot be empty")
        if "://" in domain:
            raise ValueError(f"Scheme not supported in domain {domain!r}")
        try:
            url = URL("http://" + domain)
        except ValueError as exc:
            raise ValueError(f"Domain {domain!r} not valid: {exc}") from None
        host = url.raw_host or ""
        if not host or not all(self.re_part.fullmatch(x) for x in host.split(".")):
            raise ValueError(f"Domain {domain!r} not valid")
        if url.port == 80:
            return host
        return f"{host}:{url.port}"

    async def match(self, request: Request) -> bool:
        host = request.headers.get("Host")
        if not host:
            return False
        return self.match_domain(host)

    def match_domain(self, host: str) -> bool:
        """Whether the request's ``Host`` is this domain."""
        host = host.lower()
        return host == self._domain or host.partition(":")[0] == self._domain

    def get_info(self) -> dict[str, Any]:
        return {"domain": self._domain}


class MaskDomain(Domain):
    """Match the ``Host`` header against a mask such as ``*.example.com``."""

    re_part = re.compile(r"(?!-)[a-z\d\*-]{1,63}(?<!-)")

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        self._pattern = self._domain.replace(".", r"\.").replace("*", "[^:]*") + "(:.*)?"
        host_mask, _, self._port = self._domain.partition(":")
        self._mask = re.compile(fnmatch.translate(host_mask), re.I)

    @property
    def canonical(self) -> str:
        return self._pattern

    def match_domain(self, host: str) -> bool:
        hostname, _, port = host.partition(":")
        if self._port and port != self._port:
            return False
        return self._mask.match(hostname) is not None


class MatchedSubAppResource(PrefixedSubAppResource):
    """``app.add_domain("api.example.com", api)``: requests matching a rule go to *api*."""

    matches_any_path = True  # the router tries it before the prefix index

    def __init__(self, rule: AbstractRuleMatching, app: Application) -> None:
        PrefixResource.__init__(self, "")
        self._app = app
        self._rule = rule

    @property
    def canonical(self) -> str:
        return self._rule.canonical

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "rule": self._rule}

    async def resolve(self, request: Request) -> ResolveResult:
        if not await self._rule.match(request):
            return None, set()
        return await super().resolve(request)

    def __repr__(self) -> str:
        return f"<MatchedSubAppResource -> {self._app!r}>"
