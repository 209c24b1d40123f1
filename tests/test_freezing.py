"""What freezing an application refuses, and what the refusal says.

aiohttp's messages stay the start of each message (ported tests match on
them); the rest says when the app froze and what to do instead.
"""

from __future__ import annotations

import aiosignal
import frozenlist
import pytest

from asgiweb import web
from asgiweb.signals import FROZEN_LIST_MESSAGE, CleanupContext, FrozenList, Signal

from .conftest import ClientFactory

WHEN = "The application froze when it started (ASGI lifespan startup, run_app)"


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hi")


@web.middleware
async def passthrough(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    return await handler(request)


async def on_startup(app: web.Application) -> None:
    pass


def test_the_lists_are_frozenlist_and_aiosignal_classes() -> None:
    app = web.Application()
    assert isinstance(app.middlewares, frozenlist.FrozenList)
    for signal in (app.on_startup, app.on_shutdown, app.on_cleanup, app.on_response_prepare):
        assert isinstance(signal, aiosignal.Signal)
    assert isinstance(app.cleanup_ctx, frozenlist.FrozenList)


@pytest.mark.parametrize(
    "change",
    [
        lambda seq, item: seq.append(item),
        lambda seq, item: seq.insert(0, item),
        lambda seq, item: seq.extend([item]),
        lambda seq, item: seq.__setitem__(0, item),
        lambda seq, item: seq.__delitem__(0),
        lambda seq, item: seq.__iadd__([item]),
        lambda seq, item: seq.remove(item),
        lambda seq, item: seq.pop(),
        lambda seq, item: seq.clear(),
        lambda seq, item: seq.reverse(),
    ],
)
@pytest.mark.parametrize("kind", ["FrozenList", "Signal", "CleanupContext"])
def test_every_change_to_a_frozen_list_is_refused_helpfully(kind: str, change: object) -> None:
    seq: FrozenList[object] | Signal[object] | CleanupContext
    seq = {"FrozenList": lambda: FrozenList(), "Signal": lambda: Signal(None)}.get(
        kind, CleanupContext
    )()
    seq.append(on_startup)
    seq.freeze()
    with pytest.raises(RuntimeError) as info:
        change(seq, on_startup)  # type: ignore[operator]
    assert str(info.value) == FROZEN_LIST_MESSAGE
    assert list(seq) == [on_startup]


def test_frozen_list_message_starts_with_aiohttps() -> None:
    assert FROZEN_LIST_MESSAGE.startswith("Cannot modify frozen list.")
    assert WHEN in FROZEN_LIST_MESSAGE


def test_an_unfrozen_list_still_changes() -> None:
    seq: FrozenList[int] = FrozenList([3, 1])
    seq.append(2)
    seq.insert(0, 0)
    seq += [5]
    seq.remove(5)
    assert seq.pop() == 2
    seq.reverse()
    assert list(seq) == [1, 3, 0]
    seq.clear()
    assert not seq


async def test_adding_a_middleware_after_the_first_request(client_for: ClientFactory) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    client = await client_for(app)
    assert (await client.get("/")).text == "hi"
    with pytest.raises(RuntimeError, match=r"^Cannot modify frozen list\. The application froze"):
        app.middlewares.append(passthrough)
    with pytest.raises(RuntimeError, match=r"^Cannot modify frozen list\. The application froze"):
        app.on_startup.append(on_startup)


async def test_adding_a_route_after_startup(client_for: ClientFactory) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    await client_for(app)  # lifespan startup
    with pytest.raises(RuntimeError) as info:
        app.router.add_get("/late", hello)
    message = str(info.value)
    assert message.startswith("Cannot register a resource into frozen router.")
    assert WHEN in message and "add routes before that" in message


async def test_adding_a_subapp_or_mount_after_startup(client_for: ClientFactory) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    await client_for(app)
    with pytest.raises(RuntimeError) as info:
        app.add_subapp("/admin", web.Application())
    assert str(info.value).startswith("Cannot add sub application to frozen application.")
    assert WHEN in str(info.value)
    with pytest.raises(RuntimeError) as info:
        app.mount("/legacy", web.Application())
    assert str(info.value).startswith("Cannot mount an application on a frozen application.")


async def test_adding_a_started_app_as_a_subapp(client_for: ClientFactory) -> None:
    started = web.Application()
    started.router.add_get("/", hello)
    await client_for(started)
    with pytest.raises(RuntimeError) as info:
        web.Application().add_subapp("/s", started)
    assert str(info.value).startswith("Cannot add frozen application")
    assert "add the sub-application before it starts" in str(info.value)


async def test_signal_decorator_form_registers_the_callback(client_for: ClientFactory) -> None:
    """aiosignal's ``@signal`` form, which aiohttp's signals have too."""
    calls: list[str] = []
    app = web.Application()
    app.router.add_get("/", hello)

    @app.on_startup
    async def started(app: web.Application) -> None:
        calls.append("started")

    await client_for(app)
    assert calls == ["started"]
