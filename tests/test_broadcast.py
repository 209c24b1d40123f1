"""asgiweb.broadcast: the in-memory backend, and Redis across processes and restarts."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from asgiweb import broadcast, web
from asgiweb.broadcast import (
    Broadcast,
    BroadcastUnavailableError,
    Event,
    SubscriberLaggedError,
)
from asgiweb.broadcast_redis import RedisBackend

from .conftest import ClientFactory
from .redis_process import RedisProcess

REPO = Path(__file__).resolve().parent.parent


async def next_event(subscriber: broadcast.Subscriber, timeout: float = 5) -> Event:
    return await asyncio.wait_for(subscriber.get(), timeout)


# -- in one process -----------------------------------------------------------------


async def test_memory_delivers_to_every_subscriber_of_the_channel_only() -> None:
    async with (
        Broadcast() as hub,
        hub.subscribe(channel="a") as one,
        hub.subscribe(channel="a") as two,
        hub.subscribe(channel="b") as other,
    ):
        await hub.publish(channel="a", message="hello")
        assert await next_event(one) == Event("a", "hello")
        assert await next_event(two) == Event("a", "hello")
        await hub.publish(channel="b", message="x")
        assert (await next_event(other)).message == "x"
        assert one.pending == two.pending == 0  # nothing else was queued for "a"


async def test_iteration_ends_when_the_subscription_ends() -> None:
    async with Broadcast("memory://") as hub:
        received: list[str] = []

        async def consume() -> None:
            async with hub.subscribe(channel="c") as subscriber:
                ready.set()
                async for event in subscriber:
                    received.append(event.message)
                    if event.message == "last":
                        break

        ready = asyncio.Event()
        task = asyncio.create_task(consume())
        await ready.wait()
        for text in ("1", "2", "last", "never"):
            await hub.publish(channel="c", message=text)
        await asyncio.wait_for(task, 5)
        assert received == ["1", "2", "last"]


async def test_disconnect_ends_every_subscriber() -> None:
    hub = Broadcast()
    await hub.connect()
    async with hub.subscribe(channel="c") as subscriber:
        waiting = asyncio.create_task(subscriber.get())
        await asyncio.sleep(0)
        await hub.disconnect()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(waiting, 5)


async def test_publish_and_subscribe_need_a_connection() -> None:
    hub = Broadcast()
    with pytest.raises(BroadcastUnavailableError, match="not connected"):
        await hub.publish(channel="c", message="lost?")
    with pytest.raises(BroadcastUnavailableError, match="not connected"):
        async with hub.subscribe(channel="c"):
            pass


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="unsupported broadcast URL 'kafka://x'"):
        Broadcast("kafka://x")
    with pytest.raises(ValueError, match="max_queue must be at least 1, got 0"):
        Broadcast(max_queue=0)
    with pytest.raises(ValueError, match="on_overflow must be"):
        Broadcast(on_overflow="block")  # type: ignore[arg-type]


async def test_slow_subscriber_drops_oldest_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "asgiweb.broadcast")
    async with Broadcast(max_queue=3) as hub, hub.subscribe(channel="c") as subscriber:
        for i in range(10):
            await hub.publish(channel="c", message=str(i))
        assert subscriber.dropped == 7
        assert [(await next_event(subscriber)).message for _ in range(3)] == ["7", "8", "9"]
    warnings = [r for r in caplog.records if "cannot keep up" in r.getMessage()]
    assert len(warnings) == 1


async def test_slow_subscriber_can_be_cut_off_instead() -> None:
    async with (
        Broadcast(max_queue=2, on_overflow="raise") as hub,
        hub.subscribe(channel="c") as subscriber,
    ):
        for i in range(3):
            await hub.publish(channel="c", message=str(i))
        with pytest.raises(SubscriberLaggedError, match="more than 2 events behind"):
            await next_event(subscriber)


async def test_memory_stays_bounded_for_a_stuck_subscriber() -> None:
    async with Broadcast(max_queue=100) as hub, hub.subscribe(channel="c") as subscriber:
        for i in range(20_000):
            await hub.publish(channel="c", message=f"message {i}")
        assert subscriber.pending == 100
        assert subscriber.dropped == 19_900


async def test_setup_connects_for_the_life_of_the_app(client_for: ClientFactory) -> None:
    app = web.Application()
    hub = broadcast.setup(app)
    assert app[broadcast.BROADCAST] is hub

    async def handler(request: web.Request) -> web.Response:
        async with request.app[broadcast.BROADCAST].subscribe(channel="n") as subscriber:
            await request.app[broadcast.BROADCAST].publish(channel="n", message="pong")
            event = await subscriber.get()
        return web.Response(text=event.message)

    app.router.add_get("/", handler)
    client = await client_for(app)
    response = await client.get("/")
    assert response.text == "pong"


async def test_setup_fails_startup_when_redis_is_unreachable(tmp_path: Path) -> None:
    port = RedisProcess(tmp_path).port  # nothing listens there
    hub = Broadcast(f"redis://127.0.0.1:{port}/0")
    with pytest.raises(BroadcastUnavailableError, match=f"cannot connect to Redis at .*:{port}"):
        await hub.connect()


# -- over a real redis-server ---------------------------------------------------------


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis_hub(redis_process: RedisProcess) -> AsyncIterator[Broadcast]:
    async with Broadcast(redis_process.url) as hub:
        yield hub


async def test_redis_round_trip(redis_hub: Broadcast) -> None:
    async with redis_hub.subscribe(channel="room") as subscriber:
        await redis_hub.publish(channel="room", message="héllo ✓")
        assert await next_event(subscriber) == Event("room", "héllo ✓")


async def test_redis_unsubscribe_stops_delivery(redis_hub: Broadcast) -> None:
    async with redis_hub.subscribe(channel="keep") as keep:
        async with redis_hub.subscribe(channel="drop"):
            pass
        await redis_hub.publish(channel="drop", message="nobody")
        await redis_hub.publish(channel="keep", message="somebody")
        assert (await next_event(keep)).message == "somebody"


PUBLISHER = textwrap.dedent(
    """
    import asyncio, sys
    from asgiweb.broadcast import Broadcast

    async def main(url, name, count):
        async with Broadcast(url) as hub:
            for i in range(count):
                await hub.publish(channel="numbers", message=f"{name}:{i}")

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


async def test_two_processes_deliver_every_message_in_order(redis_hub: Broadcast) -> None:
    """1,000 messages from two other processes: none lost, each publisher's order kept."""
    count = 500
    async with redis_hub.subscribe(channel="numbers") as subscriber:
        publishers = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", PUBLISHER, redis_hub.url, name, str(count), cwd=REPO
            )
            for name in ("p1", "p2")
        ]
        received: dict[str, list[int]] = {"p1": [], "p2": []}
        for _ in range(2 * count):
            event = await next_event(subscriber, timeout=20)
            name, _, number = event.message.partition(":")
            received[name].append(int(number))
        for proc in publishers:
            assert await proc.wait() == 0
    assert received == {"p1": list(range(count)), "p2": list(range(count))}


async def test_redis_restart_reconnects_and_restores_subscriptions(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "asgiweb.broadcast")
    server = RedisProcess(tmp_path)
    server.start()
    backend = RedisBackend(server.url, connect_timeout=1, reconnect_max=0.3)
    try:
        async with Broadcast(backend=backend) as hub, hub.subscribe(channel="c") as subscriber:
            await hub.publish(channel="c", message="before")
            assert (await next_event(subscriber)).message == "before"

            server.stop()
            for _ in range(100):
                if any("lost Redis" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0.05)
            assert any("lost Redis" in r.getMessage() for r in caplog.records)
            with pytest.raises(BroadcastUnavailableError, match="the message was not sent"):
                await hub.publish(channel="c", message="while down")

            server.start()
            for _ in range(200):  # the listener retries every 0.3 s at most
                if any("is back" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0.05)
            assert any("subscription(s) restored" in r.getMessage() for r in caplog.records)
            await hub.publish(channel="c", message="after")
            assert (await next_event(subscriber)).message == "after"
            assert subscriber.pending == 0  # "while down" never arrived
    finally:
        server.stop()


async def test_subscribing_while_redis_is_down_takes_effect_when_it_returns(
    tmp_path: Path,
) -> None:
    server = RedisProcess(tmp_path)
    server.start()
    backend = RedisBackend(server.url, connect_timeout=0.5, reconnect_max=0.3)
    try:
        async with Broadcast(backend=backend) as hub:
            server.stop()
            await asyncio.sleep(0.2)
            async with hub.subscribe(channel="late") as subscriber:
                server.start()
                for _ in range(100):
                    try:
                        await hub.publish(channel="late", message="arrived")
                        event = await next_event(subscriber, timeout=0.3)
                        break
                    except (BroadcastUnavailableError, asyncio.TimeoutError):
                        await asyncio.sleep(0.1)
                assert event.message == "arrived"
    finally:
        server.stop()


# -- the chat example over Redis, two server processes --------------------------------


async def test_chat_example_two_servers_share_one_room(redis_process: RedisProcess) -> None:
    import aiohttp

    from .redis_process import free_port

    ports = [free_port(), free_port()]
    env_url = {"CHAT_BROADCAST_URL": redis_process.url}
    servers = [
        subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "--app-dir", str(REPO / "examples" / "chat"),
                "app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            ],
            cwd=REPO,
            env={**__import__("os").environ, **env_url},
        )
        for port in ports
    ]
    try:
        async with aiohttp.ClientSession() as session:
            for port in ports:
                for _ in range(200):
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)
            alice = await session.ws_connect(f"ws://127.0.0.1:{ports[0]}/ws?name=alice")
            bob = await session.ws_connect(f"ws://127.0.0.1:{ports[1]}/ws?name=bob")

            async def until(ws: aiohttp.ClientWebSocketResponse, want: dict[str, str]) -> None:
                while True:
                    message = json.loads((await ws.receive(timeout=10)).data)
                    if all(message.get(k) == v for k, v in want.items()):
                        return

            await until(alice, {"kind": "joined", "name": "bob"})  # across servers
            await alice.send_str("hello from server one")
            await until(bob, {"kind": "message", "name": "alice", "text": "hello from server one"})
            await bob.send_str("hi back")
            await until(alice, {"kind": "message", "name": "bob", "text": "hi back"})
            await alice.close()
            await bob.close()
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
