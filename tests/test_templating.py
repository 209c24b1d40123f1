"""``asgiweb.templating`` against aiohttp_jinja2 1.6: the same app, response by response."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp.web
import aiohttp_jinja2
import httpx
import jinja2
import pytest

from asgiweb import templating
from asgiweb import web as asgi_web

from .differential import ServeBoth, comparable

# aiohttp_jinja2 itself stores its context under a str key, which aiohttp warns about.
pytestmark = pytest.mark.filterwarnings("ignore:It is recommended to use web.RequestKey")

TEMPLATES = {
    "page.html": "<p>{{ name }}</p><p>{{ who }}</p><a href='{{ url('item', id=7) }}'>i</a>",
    "page.htm": "{{ name }}",
    "page.xml": "<x>{{ name }}</x>",
    "page.jinja2": "{{ name }}",
    "page.txt": "{{ name }}",
    "ctx.html": "{{ request.path }} {{ user }} {{ name }}",
    "static.html": "{{ static('/css/app.css') }}",
    "broken.html": "{{ secret_source_line() }}",
    "syntax.html": "{% if %}secret source{% endif %}",
    "async.html": "{{ name }}!",
}


def build(web: ModuleType, jinja: ModuleType, root: Path, *, processors: bool = False) -> Any:
    """An app exercising every entry point of the templating API."""
    app = web.Application()
    extra: dict[str, Any] = {}
    if processors:

        async def user(request: Any) -> dict[str, Any]:
            return {"user": "ada", "name": "from-processor"}

        extra["context_processors"] = [jinja.request_processor, user]
    jinja.setup(app, loader=jinja2.FileSystemLoader(str(root)), **extra)
    app[jinja.static_root_key] = "/static/"

    @jinja.template("page.html")
    async def page(request: Any) -> Any:
        return {"name": request.query.get("name", "<b>&"), "who": "x"}

    @jinja.template("page.html", status=201, encoding="latin-1")
    async def created(request: Any) -> Any:
        return {"name": "é", "who": "y"}

    @jinja.template("page.html")
    async def passthrough(request: Any) -> Any:
        return web.Response(text="as is", status=202)

    async def by_ext(request: Any) -> Any:
        ext = request.match_info["ext"]
        return jinja.render_template(f"page.{ext}", request, {"name": "<i>"})

    async def as_string(request: Any) -> Any:
        return web.Response(text=jinja.render_string("page.txt", request, {"name": "s"}))

    async def missing(request: Any) -> Any:
        return jinja.render_template("nope.html", request, {})

    async def not_mapping(request: Any) -> Any:
        return jinja.render_template("page.txt", request, ["x"])

    async def broken(request: Any) -> Any:
        return jinja.render_template("broken.html", request, {})

    async def syntax(request: Any) -> Any:
        return jinja.render_template("syntax.html", request, {})

    async def none_context(request: Any) -> Any:
        return jinja.render_template("page.txt", request, None, status=418)

    @jinja.template("ctx.html")
    async def ctx(request: Any) -> Any:
        return {}

    @jinja.template("ctx.html")
    async def ctx_override(request: Any) -> Any:
        return {"name": "from-handler"}

    @jinja.template("static.html")
    async def static(request: Any) -> Any:
        return {}

    class ItemView(web.View):
        @jinja.template("page.html")
        async def get(self) -> Any:
            return {"name": self.request.match_info["id"], "who": "view"}

    class Handlers:
        @jinja.template("page.txt")
        async def method(self, request: Any) -> Any:
            return {"name": "method"}

    app.router.add_get("/", page)
    app.router.add_get("/created", created)
    app.router.add_get("/passthrough", passthrough)
    app.router.add_get("/ext/{ext}", by_ext)
    app.router.add_get("/string", as_string)
    app.router.add_get("/missing", missing)
    app.router.add_get("/not-mapping", not_mapping)
    app.router.add_get("/broken", broken)
    app.router.add_get("/syntax", syntax)
    app.router.add_get("/none", none_context)
    app.router.add_get("/ctx", ctx)
    app.router.add_get("/ctx-override", ctx_override)
    app.router.add_get("/static", static)
    app.router.add_view("/items/{id}", ItemView, name="item")
    app.router.add_get("/method", Handlers().method)
    return app


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    root = tmp_path / "private-templates"
    root.mkdir()
    for name, source in TEMPLATES.items():
        (root / name).write_text(source, encoding="utf-8")
    return root


PATHS = [
    "/",
    "/?name=%3Cscript%3Ealert(1)%3C/script%3E",
    "/created",
    "/passthrough",
    "/ext/html",
    "/ext/htm",
    "/ext/xml",
    "/ext/jinja2",
    "/ext/txt",
    "/string",
    "/missing",
    "/not-mapping",
    "/broken",
    "/syntax",
    "/none",
    "/ctx",
    "/ctx-override",
    "/static",
    "/items/<x>",
    "/method",
]


@pytest.mark.parametrize("processors", [False, True])
async def test_same_responses_as_aiohttp_jinja2(
    serve_both: ServeBoth, template_dir: Path, processors: bool
) -> None:
    pair = await serve_both(
        build(aiohttp.web, aiohttp_jinja2, template_dir, processors=processors),
        build(asgi_web, templating, template_dir, processors=processors),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        for path in PATHS:
            for accept in ("*/*", "text/html"):
                theirs, ours = await pair.both(client, "GET", path, headers={"Accept": accept})
                assert comparable(ours) == comparable(theirs), (path, accept)


async def test_autoescape_for_markup_extensions(client_for: Any, template_dir: Path) -> None:
    client = await client_for(build(asgi_web, templating, template_dir))
    for ext in ("html", "htm", "xml", "jinja2"):
        body = (await client.get(f"/ext/{ext}")).text
        assert "&lt;i&gt;" in body and "<i>" not in body, ext
    hostile = await client.get("/", params={"name": "<script>alert(1)</script>"})
    assert "<script>" not in hostile.text
    assert "&lt;script&gt;" in hostile.text


async def test_errors_never_show_template_path_or_source(
    client_for: Any, template_dir: Path
) -> None:
    client = await client_for(build(asgi_web, templating, template_dir))
    for path in ("/missing", "/broken", "/syntax"):
        for accept in ("*/*", "text/html"):
            response = await client.get(path, headers={"Accept": accept})
            assert response.status_code == 500
            assert str(template_dir) not in response.text
            assert "private-templates" not in response.text
            assert "secret" not in response.text
    missing = await client.get("/missing")
    assert missing.text == "Template 'nope.html' not found"


async def test_status_encoding_and_view(client_for: Any, template_dir: Path) -> None:
    client = await client_for(build(asgi_web, templating, template_dir))
    created = await client.get("/created")
    assert created.status_code == 201
    assert created.headers["Content-Type"] == "text/html; charset=latin-1"
    assert "é".encode("latin-1") in created.content
    view = await client.get("/items/42")
    assert view.status_code == 200 and "<p>42</p>" in view.text
    assert "href='/items/7'" in view.text


async def test_async_environment(client_for: Any, template_dir: Path) -> None:
    app = asgi_web.Application()
    templating.setup(app, loader=jinja2.FileSystemLoader(str(template_dir)), enable_async=True)

    @templating.template("async.html", status=202)
    async def handler(request: Any) -> Any:
        return {"name": "async"}

    async def direct(request: Any) -> Any:
        text = await templating.render_string_async("async.html", request, {"name": "s"})
        return await templating.render_template_async("async.html", request, {"name": text})

    app.router.add_get("/", handler)
    app.router.add_get("/direct", direct)
    client = await client_for(app)
    response = await client.get("/")
    assert (response.status_code, response.text) == (202, "async!")
    assert (await client.get("/direct")).text == "s!!"


async def test_not_set_up_and_helpers_errors(client_for: Any) -> None:
    app = asgi_web.Application()

    async def handler(request: Any) -> Any:
        return templating.render_template("x.html", request, {})

    app.router.add_get("/", handler)
    client = await client_for(app)
    response = await client.get("/")
    assert response.status_code == 500
    assert "call aiohttp_jinja2.setup() first" in response.text
    with pytest.raises(RuntimeError, match="must be called first"):
        templating.get_env(app)

    env_app = asgi_web.Application()
    env = templating.setup(env_app, loader=jinja2.DictLoader({"u.html": "{{ url('r', id=True) }}"}))
    assert templating.get_env(env_app) is env
    env_app.router.add_get("/{id}", handler, name="r")
    with pytest.raises(TypeError, match="should be str or int"):
        env.get_template("u.html").render()
    with pytest.raises(RuntimeError, match="static root url"):
        env.from_string("{{ static('a.css') }}").render()


async def test_filters_and_no_default_helpers() -> None:
    app = asgi_web.Application()
    env = templating.setup(
        app, loader=jinja2.DictLoader({}), filters={"shout": str.upper}, default_helpers=False
    )
    assert env.from_string("{{ 'a' | shout }}").render() == "A"
    assert "url" not in env.globals and env.globals["app"] is app
