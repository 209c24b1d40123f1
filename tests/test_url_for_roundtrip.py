"""Route patterns and ``url_for`` round trip, and build the same URLs as aiohttp."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp.test_utils
import aiohttp.web
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from asgiweb import web

# a variable's pattern and the values it is given (values that survive quoting)
SAFE = "abcXYZ019-._~%é &+=:@"
VARIABLES: dict[str, st.SearchStrategy[str]] = {
    "{%s}": st.text(SAFE, min_size=1, max_size=8),
    r"{%s:\d+}": st.from_regex(r"\d{1,6}", fullmatch=True),
    "{%s:[a-z]+}": st.from_regex("[a-z]{1,6}", fullmatch=True),
    "{%s:.*}": st.lists(st.text(SAFE, min_size=1, max_size=5), max_size=3).map("/".join),
    "{%s:.+}": st.lists(st.text(SAFE, min_size=1, max_size=5), min_size=1, max_size=3).map(
        "/".join
    ),
    r"{%s:\d+/\d+}": st.tuples(st.integers(0, 999), st.integers(0, 999)).map(
        lambda pair: f"{pair[0]}/{pair[1]}"
    ),
}
# aiohttp never matches a dynamic route with a non-ASCII literal ("/café/{x}": the
# pattern holds the quoted text, the path the decoded one); asgiweb does the same, so
# such literals are left out here (tests/test_routing_differential.py compares them).
LITERALS = ["users", "a.b", "files", "x-y"]


@st.composite
def pattern_and_values(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    parts = []
    values: dict[str, str] = {}
    for index in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(LITERALS)))
            continue
        template = draw(st.sampled_from(sorted(VARIABLES)))
        name = f"v{index}"
        prefix = draw(st.sampled_from(["", "p-"]))
        parts.append(prefix + template % name)
        values[name] = draw(VARIABLES[template])
    if not values:
        parts.append("{last}")
        values["last"] = draw(VARIABLES["{%s}"])
    return "/" + "/".join(parts), values


def spanning(path: str) -> list[str]:
    """The variables of *path* whose values may contain '/'."""
    return [
        name
        for name, regex in re.findall(r"\{(\w+):([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", path)
        if "/" in regex or "." in regex
    ]


async def handler(request: Any) -> Any:
    raise AssertionError("never called")


async def aiohttp_resolve(app: aiohttp.web.Application, url: str) -> dict[str, str]:
    request = aiohttp.test_utils.make_mocked_request("GET", url, app=app)
    return dict(await app.router.resolve(request))


@settings(max_examples=60, deadline=None)
@given(case=pattern_and_values())
def test_url_for_round_trips_and_matches_aiohttp(case: tuple[str, dict[str, str]]) -> None:
    path, values = case
    app = web.Application()
    resource = app.router.add_get(path, handler, name="r").resource
    assert resource is not None
    url = resource.url_for(**values)

    reference = aiohttp.web.Application()
    reference_resource = reference.router.add_get(path, handler, name="r").resource
    assert reference_resource is not None
    assert str(url) == str(reference_resource.url_for(**values))

    match_info = app.router.resolve_path(url.path_safe, "GET")
    assert match_info.route.resource is resource
    resolved = dict(match_info)
    assert asyncio.run(aiohttp_resolve(reference, str(url))) == resolved
    # two variables that may hold a '/' can split a path more than one way:
    # then the values come back in the regex's (greedy) split, which builds the same
    # path (yarl may quote a ':' differently for the other split, as under aiohttp)
    assert resource.url_for(**resolved).path == url.path
    if sum(name in values for name in spanning(path)) <= 1:
        assert resolved == values


@settings(max_examples=30, deadline=None)
@given(case=pattern_and_values(), prefix=st.sampled_from(["/api", "/v1/sub"]))
def test_url_for_in_a_subapp_includes_the_prefix(
    case: tuple[str, dict[str, str]], prefix: str
) -> None:
    path, values = case
    sub = web.Application()
    resource = sub.router.add_get(path, handler, name="r").resource
    assert resource is not None
    app = web.Application()
    app.add_subapp(prefix, sub)
    url = resource.url_for(**values)
    assert url.raw_path.startswith(prefix + "/")
    match_info = sub.router.resolve_path(URL(str(url)).path_safe, "GET")
    assert match_info.route.resource is resource
    assert resource.url_for(**match_info).path == url.path
    if sum(name in values for name in spanning(path)) <= 1:
        assert dict(match_info) == values
