"""``asgiweb port``: every import form, the add-ons, the findings, the command, its exit codes."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("libcst")

from asgiweb.porting import port_source
from asgiweb.porting.command import EXIT_ERROR, EXIT_FINDINGS, EXIT_PENDING
from asgiweb.porting.findings import RULES

from .differential import ServeBoth

DOCS = Path(__file__).resolve().parent.parent / "docs"


def ported(source: str) -> str:
    """Port *source*; check that a second run changes nothing."""
    code = port_source(textwrap.dedent(source)).code
    assert port_source(code).code == code, "the port is not idempotent"
    return code


def same(source: str, expected: str) -> None:
    assert ported(source) == textwrap.dedent(expected)


# -- the import forms -----------------------------------------------------------------------


def test_from_aiohttp_import_web() -> None:
    same("from aiohttp import web\n", "from asgiweb import web\n")


def test_from_aiohttp_import_web_as_alias() -> None:
    same("from aiohttp import web as aioweb\n", "from asgiweb import web as aioweb\n")


def test_client_names_stay_on_aiohttp() -> None:
    same(
        "from aiohttp import web, ClientSession  # both\n",
        "from aiohttp import ClientSession  # both\nfrom asgiweb import web\n",
    )


def test_parenthesized_import_keeps_its_layout() -> None:
    same(
        """\
        from aiohttp import (
            ClientSession,  # the client
            hdrs,
            web,
        )
        """,
        """\
        from aiohttp import (
            ClientSession,  # the client
        )
        from asgiweb import (
            hdrs,
            web,
        )
        """,
    )


def test_from_aiohttp_web_import_names_with_aliases() -> None:
    same(
        "from aiohttp.web import Response as R, json_response\n",
        "from asgiweb.web import Response as R, json_response\n",
    )


def test_from_aiohttp_web_star() -> None:
    same("from aiohttp.web import *\n", "from asgiweb.web import *\n")


def test_web_implementation_modules_map_to_asgiweb_web() -> None:
    same(
        """\
        from aiohttp.web_request import Request
        from aiohttp.web_exceptions import HTTPFound
        from aiohttp.web_urldispatcher import UrlDispatcher
        from aiohttp import web_response
        """,
        """\
        from asgiweb.web import Request
        from asgiweb.web import HTTPFound
        from asgiweb.web import UrlDispatcher
        from asgiweb import web as web_response
        """,
    )


def test_import_aiohttp_web_rewrites_attribute_chains() -> None:
    same(
        """\
        import aiohttp.web

        app = aiohttp.web.Application()
        app.router.add_get("/", aiohttp.web.Response)
        """,
        """\
        import asgiweb.web

        app = asgiweb.web.Application()
        app.router.add_get("/", asgiweb.web.Response)
        """,
    )


def test_import_aiohttp_web_as_web() -> None:
    same("import aiohttp.web as web\n", "from asgiweb import web\n")


def test_import_aiohttp_then_attribute_use_keeps_the_client() -> None:
    same(
        """\
        import aiohttp

        app = aiohttp.web.Application()
        session = aiohttp.ClientSession()
        name = aiohttp.hdrs.CONTENT_TYPE
        """,
        """\
        import aiohttp
        import asgiweb.web
        import asgiweb.hdrs

        app = asgiweb.web.Application()
        session = aiohttp.ClientSession()
        name = asgiweb.hdrs.CONTENT_TYPE
        """,
    )


def test_import_aiohttp_used_only_for_the_server_is_replaced() -> None:
    same(
        """\
        import aiohttp

        app = aiohttp.web.Application()
        """,
        """\
        import asgiweb.web

        app = asgiweb.web.Application()
        """,
    )


def test_import_aiohttp_web_while_the_client_uses_aiohttp() -> None:
    same(
        """\
        import aiohttp.web

        app = aiohttp.web.Application()
        session = aiohttp.ClientSession()
        """,
        """\
        import aiohttp
        import asgiweb.web

        app = asgiweb.web.Application()
        session = aiohttp.ClientSession()
        """,
    )


def test_imports_inside_functions_and_on_one_line() -> None:
    same(
        """\
        def make():
            import os; from aiohttp import web
            return web.Application()
        """,
        """\
        def make():
            import os; from asgiweb import web
            return web.Application()
        """,
    )


def test_comments_and_formatting_elsewhere_are_kept() -> None:
    source = """\
        # a comment
        from aiohttp import web  # the server


        async def handler(request):   # odd   spacing
            return web.Response(text = "x")  # keep
        """
    assert ported(source) == textwrap.dedent(source).replace("from aiohttp", "from asgiweb")


def test_hdrs_test_utils_and_pytest_plugin() -> None:
    same(
        """\
        from aiohttp import hdrs
        from aiohttp.hdrs import CONTENT_TYPE
        from aiohttp.test_utils import AioHTTPTestCase, TestClient, TestServer, make_mocked_request
        from aiohttp.pytest_plugin import aiohttp_client
        pytest_plugins = "aiohttp.pytest_plugin"
        """,
        """\
        from asgiweb import hdrs
        from asgiweb.hdrs import CONTENT_TYPE
        from asgiweb.test_utils import AioHTTPTestCase, TestClient, TestServer, make_mocked_request
        from asgiweb.pytest_plugin import aiohttp_client
        pytest_plugins = "asgiweb.pytest_plugin"
        """,
    )


def test_pytest_plugins_lists_and_pytest_aiohttp() -> None:
    same(
        "pytest_plugins = ['pytest_aiohttp', \"other.plugin\"]\nimport pytest_aiohttp\n",
        "pytest_plugins = ['asgiweb.pytest_plugin', \"other.plugin\"]\n"
        "from asgiweb import pytest_plugin as pytest_aiohttp\n",
    )


def test_typedefs_move_and_client_types_stay() -> None:
    same(
        "from aiohttp.typedefs import Handler, StrOrURL\n",
        "from aiohttp.typedefs import StrOrURL\nfrom asgiweb.typedefs import Handler\n",
    )
    assert port_source("from aiohttp.typedefs import Handler, StrOrURL\n").findings == []


def test_shared_names_move_only_without_client_code() -> None:
    same("from aiohttp import WSMsgType, web\n",
         "from asgiweb.web import WSMsgType\nfrom asgiweb import web\n")
    same("from aiohttp import ClientSession, WSMsgType, web\n",
         "from aiohttp import ClientSession, WSMsgType\nfrom asgiweb import web\n")


def test_unrelated_and_relative_imports_are_untouched() -> None:
    source = "from . import web\nfrom .aiohttp import web as w\nimport aiohttpx\nimport os.path\n"
    assert ported(source) == source


# -- the add-ons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import aiohttp_jinja2\n", "from asgiweb import templating as aiohttp_jinja2\n"),
        ("from aiohttp_jinja2 import template, setup\n",
         "from asgiweb.templating import template, setup\n"),
        ("import aiohttp_session\n", "from asgiweb import session as aiohttp_session\n"),
        ("from aiohttp_session import setup, get_session\n",
         "from asgiweb.session import setup, get_session\n"),
        ("from aiohttp_session.cookie_storage import EncryptedCookieStorage\n",
         "from asgiweb.session.cookie_storage import EncryptedCookieStorage\n"),
        ("from aiohttp_session.redis_storage import RedisStorage\n",
         "from asgiweb.session.redis_storage import RedisStorage\n"),
        ("from aiohttp_session import redis_storage\n",
         "from asgiweb.session import redis_storage\n"),
        ("from aiohttp_security import remember, forget, setup as setup_security\n",
         "from asgiweb.security import remember, forget, setup as setup_security\n"),
        ("from aiohttp_security.abc import AbstractAuthorizationPolicy\n",
         "from asgiweb.security import AbstractAuthorizationPolicy\n"),
        ("import aiohttp_cors\n", "from asgiweb import cors as aiohttp_cors\n"),
        ("from aiohttp_remotes import XForwardedRelaxed, setup\n",
         "from asgiweb.remotes import XForwardedRelaxed, setup\n"),
        ("import aiohttp_swagger\n", "from asgiweb import swagger as aiohttp_swagger\n"),
        ("from aiohttp_swagger import setup_swagger\n",
         "from asgiweb.swagger import setup_swagger\n"),
        ("import aiohttp_debugtoolbar\n",
         "from asgiweb import debugtoolbar as aiohttp_debugtoolbar\n"),
        ("from aiojobs.aiohttp import setup, spawn, atomic\n",
         "from asgiweb.jobs import setup, spawn, atomic\n"),
        ("import aiojobs.aiohttp as aiojobs_aiohttp\n",
         "from asgiweb import jobs as aiojobs_aiohttp\n"),
        ("from aiojobs import aiohttp as jobs\n", "from asgiweb import jobs\n"),
    ],
)
def test_add_on_imports(source: str, expected: str) -> None:
    same(source, expected)


def test_dotted_add_on_import_rewrites_its_chains() -> None:
    same(
        """\
        import aiohttp_session.redis_storage

        storage = aiohttp_session.redis_storage.RedisStorage(pool)
        session = aiohttp_session.get_session
        """,
        """\
        import asgiweb.session.redis_storage

        storage = asgiweb.session.redis_storage.RedisStorage(pool)
        session = asgiweb.session.get_session
        """,
    )


def test_ported_code_imports_and_runs() -> None:
    code = ported(
        """\
        import aiohttp
        from aiohttp import web, hdrs
        from aiohttp.test_utils import make_mocked_request

        async def handler(request: web.Request) -> web.Response:
            return web.Response(text=request.headers[hdrs.HOST])

        app = aiohttp.web.Application()
        app.router.add_get("/", handler)
        """
    )
    namespace: dict[str, object] = {}
    exec(compile(code, "ported.py", "exec"), namespace)
    assert type(namespace["app"]).__module__.startswith("asgiweb")


# -- what is left for a person --------------------------------------------------------------


def findings(source: str) -> list[str]:
    return [f.what for f in port_source(textwrap.dedent(source)).findings]


def test_names_asgiweb_does_not_have_are_reported_and_left_on_aiohttp() -> None:
    source = "from aiohttp_security import JWTIdentityPolicy, remember\n"
    result = port_source(source)
    assert result.code == (
        "from aiohttp_security import JWTIdentityPolicy\nfrom asgiweb.security import remember\n"
    )
    [finding] = result.findings
    assert finding.line == 1
    assert "JWTIdentityPolicy" in finding.what
    assert "SessionIdentityPolicy" in finding.replacement
    assert finding.format("app.py").startswith("app.py:1: `aiohttp_security.JWTIdentityPolicy`")


def test_attribute_missing_from_asgiweb_is_reported() -> None:
    assert findings("from aiohttp import web\nweb.NoSuchThing\nweb.Response\n") == [
        "`asgiweb.web` has no `NoSuchThing`"
    ]


def test_runner_options_with_no_meaning() -> None:
    found = findings(
        """\
        from aiohttp import web
        web.run_app(app, access_log_format="%a", port=8000)
        runner = web.AppRunner(app, lingering_time=3, logger=log)
        web.TCPSite(runner, "0.0.0.0", 8080, backlog=128)
        """
    )
    assert sorted(found) == sorted(
        RULES["runner-option"].what.format(name=n) for n in ("lingering_time", "logger")
    )


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ("site = web.NamedPipeSite(runner, r'\\\\.\\pipe\\x')", "named-pipe"),
        ("web.RequestHandler(manager, loop=loop)", "request-handler"),
        ("server = web.Server(handler, request_factory=make)", "request-factory"),
        ("server = web.Server(handler)\nawait loop.create_server(server, '127.0.0.1', 8080)",
         "lowlevel-server"),
        ("request.transport.write(b'HTTP/1.1 100 Continue\\r\\n\\r\\n')", "transport-write"),
        ("request.protocol.shutdown()", "protocol"),
        ("names = request.raw_headers", "raw-headers"),
        ("writer = await response.prepare(request)", "prepare-writer"),
        ("return web.Response(text='x', reason='Made')", "reason"),
        ("raise web.HTTPForbidden(reason='no')", "reason"),
        ("response.set_status(200, 'Fine')", "reason"),
        ("ws = web.WebSocketResponse(heartbeat=30)", "ws-option"),
        ("ws = web.WebSocketResponse()\nawait ws.ping()", "ws-ping"),
        ("app = web.Application(handler_args={'max_field_size': 1})", "handler-args"),
        ("worker_class = 'aiohttp.GunicornWebWorker'", "gunicorn-worker"),
        ("except web.PayloadAccessError: pass", "payload-access"),
    ],
)
def test_each_rule_is_found(source: str, key: str) -> None:
    code = "from aiohttp import web\n"
    if source.startswith("except"):
        code += f"try:\n    pass\n{source}\n"
    else:
        code += "async def f():\n" + textwrap.indent(source, "    ") + "\n"
    result = port_source(code)
    rule = RULES[key]
    assert [f.replacement for f in result.findings] == [rule.replacement], result.findings
    assert result.findings[0].line >= 2


def test_what_works_is_not_reported() -> None:
    assert findings(
        """\
        from aiohttp import web
        async def handler(request):
            peer = request.transport.get_extra_info("peername")
            app = web.Application(handler_args={"auto_decompress": False})
            ws = web.WebSocketResponse(max_msg_size=1024)
            await redis.ping()
            statement = await connection.prepare("SELECT 1")
            self.transport.write(b"raw")
            web.run_app(app, host="0.0.0.0", port=8000, shutdown_timeout=5)
            return web.Response(text=request.protocol.transport and "x")
        """
    ) == []


def test_every_rule_points_to_a_section_of_porting_md() -> None:
    page = (DOCS / "porting.md").read_text()
    headings = {line.lstrip("#").strip() for line in page.splitlines() if line.startswith("#")}
    assert {rule.section for rule in RULES.values()} <= headings


# -- the command ----------------------------------------------------------------------------


def asgiweb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asgiweb", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(
        "from aiohttp import web\n\napp = web.Application()\n"
    )
    (tmp_path / "app" / "client.py").write_text("import aiohttp\n\nS = aiohttp.ClientSession\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("from aiohttp import web\n")
    return tmp_path


def test_command_prints_a_diff_and_changes_nothing(project: Path) -> None:
    before = (project / "app" / "main.py").read_text()
    result = asgiweb("port", ".", cwd=project)
    assert result.returncode == EXIT_PENDING, result.stderr
    assert result.stdout.splitlines()[:2] == ["--- a/app/main.py", "+++ b/app/main.py"]
    assert "-from aiohttp import web\n+from asgiweb import web\n" in result.stdout
    assert "client.py" not in result.stdout and ".venv" not in result.stdout
    assert (project / "app" / "main.py").read_text() == before
    assert "1 file to rewrite, 0 uses with no ASGI equivalent" in result.stderr
    # the diff applies as it is
    subprocess.run(["git", "apply", "-"], input=result.stdout, text=True, cwd=project, check=True)
    assert (project / "app" / "main.py").read_text().startswith("from asgiweb import web")


def test_command_writes_then_finds_nothing_to_do(project: Path) -> None:
    result = asgiweb("port", "--write", "app", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "rewrote app/main.py\n"
    assert (project / "app" / "main.py").read_text().startswith("from asgiweb import web\n")
    assert (project / "app" / "client.py").read_text().startswith("import aiohttp\n")
    again = asgiweb("port", "app", cwd=project)
    assert (again.returncode, again.stdout) == (0, "")


def test_command_lists_what_needs_a_person(project: Path) -> None:
    (project / "app" / "site.py").write_text(
        "from asgiweb import web\n\n"
        "SITE = web.NamedPipeSite(runner, PATH)\n"
        "web.run_app(app, logger=None)\n"
    )
    result = asgiweb("port", "--write", "app", cwd=project)
    assert result.returncode == EXIT_FINDINGS, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("app/site.py:")]
    assert lines[0].startswith("app/site.py:3: `web.NamedPipeSite` cannot listen")
    assert lines[1].startswith("app/site.py:4: `logger=` has no meaning")
    assert all('(docs/porting.md, "Running the app")' in line for line in lines)


def test_command_errors(project: Path) -> None:
    (project / "app" / "broken.py").write_text("from aiohttp import web\ndef (:\n")
    result = asgiweb("port", "app", "missing.py", cwd=project)
    assert result.returncode == EXIT_PENDING | EXIT_ERROR
    assert "missing.py: no such file or folder" in result.stderr
    assert "app/broken.py: cannot parse" in result.stderr
    assert asgiweb("port", cwd=project).returncode == 2  # PATH is required
    assert "--write" in asgiweb("port", "--help", cwd=project).stdout


def test_command_keeps_the_file_encoding(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nfrom aiohttp import web\nNAME = 'caf\xe9'\n"
    (tmp_path / "old.py").write_bytes(source.encode("latin-1"))
    assert asgiweb("port", "--write", "old.py", cwd=tmp_path).returncode == 0
    assert (tmp_path / "old.py").read_bytes() == source.replace("aiohttp", "asgiweb").encode(
        "latin-1"
    )


def test_command_without_libcst_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io

    from asgiweb.porting.command import run

    monkeypatch.setitem(sys.modules, "libcst", None)
    err = io.StringIO()
    assert run([tmp_path], write=False, out=io.StringIO(), err=err) == EXIT_ERROR
    assert "pip install 'asgiweb[port]'" in err.getvalue()


# -- a ported app with every add-on answers as the original does on aiohttp ----------------

ADDON_APP = '''\
import jinja2

import aiohttp_cors
import aiohttp_jinja2
import aiohttp_security
import aiohttp_session
from aiohttp import web
from aiohttp_remotes import XForwardedRelaxed
from aiohttp_remotes import setup as setup_remotes
from aiohttp_security import AbstractAuthorizationPolicy, SessionIdentityPolicy, remember
from aiohttp_session import SimpleCookieStorage, get_session
from aiojobs.aiohttp import atomic
from aiojobs.aiohttp import setup as setup_jobs


class Policy(AbstractAuthorizationPolicy):
    async def authorized_userid(self, identity):
        return identity if identity == "ann" else None

    async def permits(self, identity, permission, context=None):
        return identity == "ann" and permission == "read"


@aiohttp_jinja2.template("page.html")
async def page(request):
    session = await get_session(request)
    session["visits"] = session.get("visits", 0) + 1
    user = await aiohttp_security.authorized_userid(request)
    return {"visits": session["visits"], "user": user, "remote": request.remote,
            "scheme": request.scheme}


async def login(request):
    response = web.HTTPFound("/")
    await remember(request, response, "ann")
    raise response


async def private(request):
    await aiohttp_security.check_permission(request, "read")
    return web.Response(text="secret")


@atomic
async def echo(request):
    return web.json_response(dict(await request.post()))


async def api(request):
    return web.json_response({"api": True})


async def make_app():
    app = web.Application()
    await setup_remotes(app, XForwardedRelaxed())  # first: the others see its clone
    aiohttp_session.setup(app, SimpleCookieStorage())
    aiohttp_security.setup(app, SessionIdentityPolicy(), Policy())
    aiohttp_jinja2.setup(app, loader=jinja2.DictLoader(
        {"page.html": "visits={{ visits }} user={{ user }} remote={{ remote }} {{ scheme }}"}))
    setup_jobs(app)
    app.router.add_get("/", page)
    app.router.add_get("/login", login)
    app.router.add_get("/private", private)
    app.router.add_post("/echo", echo)
    cors = aiohttp_cors.setup(app, defaults={
        "https://a.example": aiohttp_cors.ResourceOptions(allow_headers="*", max_age=60)})
    cors.add(app.router.add_get("/api", api))
    return app
'''


async def test_ported_add_on_app_answers_as_on_aiohttp(serve_both: ServeBoth) -> None:
    import json

    import httpx

    from .differential import shape

    code = ported(ADDON_APP)
    imported = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert {m.split(".")[0] for m in imported} == {"jinja2", "asgiweb"}, imported
    theirs: dict[str, Any] = {}
    ours: dict[str, Any] = {}
    exec(compile(ADDON_APP, "original.py", "exec"), theirs)
    exec(compile(code, "ported.py", "exec"), ours)
    assert type(ours["web"].Application()).__module__.startswith("asgiweb")
    pair = await serve_both(await theirs["make_app"](), await ours["make_app"]())

    def session(value: str) -> Any:
        data = json.loads(value)
        data.pop("created", None)
        return data

    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/", {}),
        ("GET", "/private", {}),
        ("GET", "/", {"headers": {"X-Forwarded-For": "203.0.113.9",
                                  "X-Forwarded-Proto": "https"}}),
        ("GET", "/login", {}),
        ("GET", "/", {}),
        ("GET", "/private", {}),
        ("POST", "/echo", {"data": {"a": "1", "b": "two"}}),
        ("OPTIONS", "/api", {"headers": {"Origin": "https://a.example",
                                         "Access-Control-Request-Method": "GET"}}),
        ("OPTIONS", "/api", {"headers": {"Origin": "https://b.example",
                                         "Access-Control-Request-Method": "GET"}}),
    ]
    shapes = {}
    for name, base in (("aiohttp", pair.theirs), ("asgiweb", pair.ours)):
        async with httpx.AsyncClient(base_url=base) as client:
            answers = []
            for method, path, options in requests:
                response = await client.request(method, path, **options)
                status, headers, body, cookies = shape(response, session)
                # asgiweb.cors adds `Vary: Origin` to every response of a CORS resource
                # (docs/porting.md, "The aiohttp add-ons")
                headers = [h for h in headers if h[0] != "vary"]
                answers.append((status, headers, body, cookies))
            shapes[name] = answers
    assert shapes["asgiweb"] == shapes["aiohttp"]
    statuses = [answer[0] for answer in shapes["aiohttp"]]
    assert statuses == [200, 401, 200, 302, 200, 200, 200, 200, 403]


def test_modules_with_client_names_move_name_by_name_only() -> None:
    same(
        """\
        from aiohttp import abc
        import aiohttp.abc
        from aiohttp.abc import AbstractView, AbstractResolver

        class Jar(abc.AbstractCookieJar): ...
        class Resolver(aiohttp.abc.AbstractResolver): ...
        """,
        """\
        from aiohttp import abc
        import aiohttp.abc
        from aiohttp.abc import AbstractResolver
        from asgiweb.abc import AbstractView

        class Jar(abc.AbstractCookieJar): ...
        class Resolver(aiohttp.abc.AbstractResolver): ...
        """,
    )


def test_add_on_submodules_and_what_is_not_provided() -> None:
    same(
        """\
        from aiohttp_cors.mixin import CorsViewMixin
        from aiohttp_remotes.x_forwarded import XForwardedStrict
        from aiohttp_session.nacl_storage import NaClCookieStorage
        from aiohttp_security.jwt_identity import JWTIdentityPolicy
        import aiohttp_session.nacl_storage
        """,
        """\
        from asgiweb.cors import CorsViewMixin
        from asgiweb.remotes import XForwardedStrict
        from aiohttp_session.nacl_storage import NaClCookieStorage
        from aiohttp_security.jwt_identity import JWTIdentityPolicy
        import aiohttp_session.nacl_storage
        """,
    )
    found = port_source("from aiohttp_session.nacl_storage import NaClCookieStorage\n").findings
    assert [f.replacement for f in found] == [
        "use `EncryptedCookieStorage` (Fernet) or `RedisStorage`"
    ]


def test_abstract_access_logger_moves_to_asgiweb_abc() -> None:
    same(
        """\
        from aiohttp.abc import AbstractAccessLogger, AbstractRouter
        from aiohttp import web

        class JSONLogger(AbstractAccessLogger): ...
        web.run_app(app, access_log_class=JSONLogger, access_log_format="%a")
        """,
        """\
        from aiohttp.abc import AbstractRouter
        from asgiweb.abc import AbstractAccessLogger
        from asgiweb import web

        class JSONLogger(AbstractAccessLogger): ...
        web.run_app(app, access_log_class=JSONLogger, access_log_format="%a")
        """,
    )
    found = findings(
        """\
        from aiohttp.abc import AbstractAccessLogger, AbstractRouter
        from aiohttp import web
        web.run_app(app, access_log_class=C, access_log_format="%a")
        """
    )
    assert [what for what in found if "access_log" in what] == []
    assert [what for what in found if "AbstractRouter" in what] != []
