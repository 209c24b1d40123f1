"""The benchmark apps answer every benchmark case correctly (no timing here).

Only the frameworks of the dev extras are checked (raw ASGI, asgiweb,
Starlette); the others need ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import pytest

from benchmarks.apps import JSON_BODY, SHAPES, build, last_route_path, route_paths
from benchmarks.inprocess import CASES, Case, answer, check, lifespan_startup
from benchmarks.stats import Spread, compare
from benchmarks.ws_echo import inprocess_run

FRAMEWORKS = ["raw ASGI", "asgiweb", "Starlette"]


@pytest.mark.parametrize("name", FRAMEWORKS)
async def test_every_case_is_answered(name: str) -> None:
    apps = {}
    for case in CASES:
        if case.config not in apps:
            apps[case.config] = build(name, *case.config)
            await lifespan_startup(apps[case.config])
        await check(apps[case.config], case)


@pytest.mark.parametrize("name", FRAMEWORKS)
async def test_json_bytes_are_the_same_everywhere(name: str) -> None:
    app = build(name)
    await lifespan_startup(app)
    assert await answer(app, Case("json", "GET", "/json")) == (200, JSON_BODY)


@pytest.mark.parametrize("shape", SHAPES)
async def test_every_route_of_every_shape_is_reached(shape: str) -> None:
    app = build("asgiweb", 0, 12, shape)
    for path in route_paths(12, shape, "x7"):
        assert await answer(app, Case("r", "GET", path)) == (200, b"x7")
    assert last_route_path(12, shape) == route_paths(12, shape, "abc")[-1]
    if shape != "literal":
        assert last_route_path(12, shape).startswith("/abc/")


async def test_websocket_echo_runs() -> None:
    app = build("asgiweb")
    await lifespan_startup(app)
    assert await inprocess_run(app, 50) > 0


def test_spread_and_verdicts() -> None:
    fast = Spread.of([1.0, 1.1, 1.2, 1.3, 1.4])
    slow = Spread.of([2.0, 2.1, 2.2, 2.3, 2.4])
    noisy = Spread.of([0.9, 1.2, 2.2, 3.0, 3.5])
    assert (fast.median, fast.low, fast.high) == pytest.approx((1.2, 1.1, 1.3))
    assert compare(fast, slow, lower_is_better=True) == "better"
    assert compare(fast, slow, lower_is_better=False) == "worse"
    assert compare(fast, noisy, lower_is_better=True) == "alike"


async def test_every_step_of_the_breakdown_ladder_answers_the_same() -> None:
    """The steps of benchmarks/breakdown.py are timed only if each serves the same answer."""
    from benchmarks.breakdown import LADDER, ladder_apps

    apps = ladder_apps()
    assert tuple(apps) == LADDER
    for name in ("raw ASGI", "minimal", "asgiweb"):
        await lifespan_startup(apps[name])
    for name, app in apps.items():
        status, body = await answer(app, CASES[0])
        assert (name, status, body) == (name, 200, b"Hello, World!")


async def test_breakdown_timing_wrapper_reports_and_resets() -> None:
    """The in-server wrapper answers the median time of the calls since its last report."""
    from benchmarks.breakdown import TIMING_PATH, minimal_app, timed

    app = timed(minimal_app())
    await answer(app, CASES[0])
    report = Case("timing", "GET", TIMING_PATH)
    status, body = await answer(app, report)
    assert status == 200 and float(body) > 0
    status, body = await answer(app, report)
    assert float(body) == 0.0


async def test_breakdown_profile_lists_asgiweb_functions() -> None:
    """The call profile counts calls per request and names asgiweb's own functions."""
    from benchmarks.breakdown import profile_calls

    calls, functions = await profile_calls(50)
    assert calls > 1
    assert "app.py:__call__" in functions
    assert all(name.partition(":")[0].endswith(".py") for name in functions)


def test_paired_comparison_sees_through_load_that_moves_both() -> None:
    """Rounds that slow both frameworks alike leave their round-by-round ratio steady."""
    from benchmarks.stats import compare_paired, paired_ratio, verdict_table

    load = [1.0, 2.0, 3.0, 4.0, 5.0]  # each round's slowdown, shared by both
    theirs = Spread.of([10 * f for f in load])
    mine = Spread.of([8 * f for f in load])
    assert compare(mine, theirs, lower_is_better=True) == "alike"  # the IQRs overlap
    verdict, ratio = compare_paired(mine, theirs, lower_is_better=True)
    assert verdict == "better" and round(ratio.median, 6) == 0.8
    assert compare_paired(mine, theirs, lower_is_better=False)[0] == "worse"
    jumbled = Spread.of([8.0, 31.0, 12.0, 45.0, 20.0])  # no steady ratio to the other
    assert compare_paired(jumbled, theirs, lower_is_better=True)[0] == "alike"
    with pytest.raises(ValueError, match="paired samples needed: 2 against 5"):
        paired_ratio(Spread.of([1.0, 2.0]), theirs)
    table = verdict_table(
        {"plaintext": {"asgiweb": mine, "Other": theirs}}, ["Other"], lower_is_better=True
    )
    assert "| plaintext | asgiweb faster (0.80×, 0.80–0.80) |" in table


async def test_breakdown_counts_the_instructions_of_one_request() -> None:
    """The instruction count is per file, the same run after run, and asgiweb runs more."""
    from benchmarks.breakdown import count_instructions, instructions_sentence

    first = await count_instructions()
    assert first == await count_instructions()
    assert set(first["raw ASGI"]) == {"apps.py"} and set(first["minimal"]) == {"breakdown.py"}
    assert "app.py" in first["asgiweb"] and "response.py" in first["asgiweb"]
    totals = {name: sum(per_file.values()) for name, per_file in first.items()}
    assert totals["raw ASGI"] < totals["minimal"] < totals["asgiweb"]
    assert f"asgiweb {totals['asgiweb']} (`app.py` " in instructions_sentence(first)
