"""The `Healer` without a cluster (dry-run mode sends nothing): pacing on an injected clock,
the suppression hook, one record per drifted value, configs against flags, fights."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubedrift.cluster.connection import ClusterTarget
from kubedrift.controller import desired as desired_state
from kubedrift.controller.heal import Healer, HealOptions, HealSinks
from kubedrift.desired.heal import HealSettings
from kubedrift.model import Category, Finding, ObjectRef, Severity
from kubedrift.remediate.heal import HealMode, field_key
from kubedrift.store.actions import ActionRecord
from support.aio import settle, synchronously


class Clock:
    """A monotonic clock that only moves when the healer sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def desired(name: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": "ml"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"a": "1"}}


def live(name: str, value: str, rv: str = "7") -> dict[str, Any]:
    obj = desired(name)
    obj["data"] = {"a": value}
    obj["metadata"] = {**obj["metadata"], "resourceVersion": rv}
    return obj


def finding(name: str, value: str, manager: str = "kubectl-edit") -> Finding:
    return Finding(
        category=Category.OBJECT,
        severity=Severity.MEDIUM,
        object=ObjectRef("v1", "ConfigMap", "ml", name),
        path="/data/a",
        desired="1",
        live=value,
        rule="field-changed",
        message="changed",
        manager=manager,
    )


def no_rediff(live: dict[str, Any] | None) -> tuple[Finding, ...]:
    raise AssertionError("a dry run never reads the object again")


class Recorded:
    """The sinks' view: rows recorded (with the fake time they were), alerts, counts."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rows: list[tuple[float, ActionRecord]] = []
        self.alerts: list[Any] = []
        self.counts: list[str] = []

    async def record(self, rows: Sequence[ActionRecord]) -> None:
        self.rows += [(self.clock.now, r) for r in rows]

    def sinks(self) -> HealSinks:
        return HealSinks(self.record, self.alerts.extend, self.counts.append)


def healer(clock: Clock, options: HealOptions) -> tuple[Healer, Recorded]:
    seen = Recorded(clock)
    made = Healer(
        options,
        cluster="unit",
        target=ClusterTarget(),
        sinks=seen.sinks(),
        clock=clock,
        sleep=clock.sleep,
    )
    return made, seen


def observe(h: Healer, name: str, value: str, **kw: str) -> tuple[Finding, ...]:
    return h.observe(desired(name), live(name, value), (finding(name, value, **kw),), no_rediff)


@synchronously
async def test_at_most_max_per_minute_on_the_injected_clock() -> None:
    clock = Clock()
    h, seen = healer(clock, HealOptions(settings=HealSettings(max_per_minute=2)))
    for i in range(5):
        observe(h, f"c{i}", "9")
    task = asyncio.create_task(h.run())
    try:
        await settle(lambda: len(seen.rows) == 5)
    finally:
        task.cancel()
    assert [t for t, _ in seen.rows] == [0.0, 30.0, 60.0, 90.0, 120.0]
    assert clock.slept == [30.0] * 4
    assert [r.result for _, r in seen.rows] == ["planned"] * 5
    assert all(r.dry_run and r.actor == "kubedrift-heal" for _, r in seen.rows)
    assert seen.counts == ["planned"] * 5
    assert [a.finding.rule for a in seen.alerts] == ["heal"] * 5


@synchronously
async def test_a_suppressed_finding_is_never_healed() -> None:
    clock = Clock()
    skip = HealOptions(
        skip=lambda f: "suppressed until 2026-12-31" if f.object.name == "c0" else None
    )
    h, seen = healer(clock, skip)
    observe(h, "c0", "9")
    observe(h, "c1", "9")
    task = asyncio.create_task(h.run())
    try:
        await settle(lambda: len(seen.rows) == 1)
        for _ in range(50):
            await asyncio.sleep(0)
    finally:
        task.cancel()
    assert [r.object.name for _, r in seen.rows] == ["c1"]


@synchronously
async def test_a_dry_run_tells_each_drifted_value_once() -> None:
    clock = Clock()
    h, seen = healer(clock, HealOptions(settings=HealSettings(max_per_minute=600)))
    task = asyncio.create_task(h.run())
    try:
        observe(h, "c0", "9")
        await settle(lambda: len(seen.rows) == 1)
        observe(h, "c0", "9")  # another event, the same drift
        observe(h, "c0", "10")  # a new value
        await settle(lambda: len(seen.rows) == 2)
        h.observe(desired("c0"), live("c0", "1"), (), no_rediff)  # resolved
        observe(h, "c0", "10")  # drifted again, to a value told before: a new episode
        await settle(lambda: len(seen.rows) == 3)
    finally:
        task.cancel()
    assert [r.changes[0]["from"] for _, r in seen.rows] == ["9", "10", "10"]


def test_flags_win_over_the_configs_heal_block() -> None:
    clock = Clock()
    flags = HealSettings(kinds=("ConfigMap",))
    h, _ = healer(clock, HealOptions(settings=flags))
    h.use_config(HealSettings(kinds=("Deployment",), namespaces=("other",)))
    assert h.policy.kinds == ("ConfigMap",)
    assert h.policy.namespaces == ("other",)
    observe(h, "c0", "9")
    assert not h._pending  # namespace ml is not healed: the config's scope holds
    h.use_config(None)
    observe(h, "c0", "9")
    assert h._pending


def test_trusted_managers_are_not_queued() -> None:
    h, _ = healer(Clock(), HealOptions())
    observe(h, "c0", "9", manager="cluster-autoscaler")
    assert not h._pending


def test_observe_returns_the_fight_finding_while_healing_is_stopped() -> None:
    clock = Clock()
    h, seen = healer(clock, HealOptions(mode=HealMode.APPLY, settings=HealSettings(fight_rounds=2)))
    key = field_key(finding("c0", "9"))
    for _ in range(2):  # two reverts of ours, each undone by `fighter`
        h.fights.reverted(key, clock.now)
        clock.now += 1
        extra = observe(h, "c0", "9", manager="fighter")
    (fight,) = extra
    assert (fight.rule, fight.manager) == ("heal-fight", "fighter")
    assert not h._pending  # stopped: nothing queued
    assert observe(h, "c0", "9", manager="fighter") == (fight,)  # still reported
    assert seen.counts == ["fight"]  # counted once
    assert h.observe(desired("c0"), live("c0", "1"), (), no_rediff) == ()
    assert h.fights.stopped(key) is None  # the drift resolved: healing may resume


def test_heal_blocks_come_from_desired_state_and_config_wins(tmp_path: Path) -> None:
    """A KubedriftConfig among the desired manifests (e.g. in Git) scopes healing; the
    `--config` file given to the controller wins key by key."""
    head = "apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\nmetadata: {name: c}\n"
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: ml}\ndata: {a: '1'}\n"
    )
    (tmp_path / "desired" / "kubedrift.yaml").write_text(
        head + "heal: {namespaces: [ml], kinds: [ConfigMap], trustedManagers: [git-op]}\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text(head + "heal: {namespaces: [serving], trustedManagers: [ops-op]}\n")
    state = desired_state.load((str(tmp_path / "desired"),), config)
    assert state.heal == HealSettings(
        namespaces=("serving",), kinds=("ConfigMap",), trusted_managers=("git-op", "ops-op")
    )
    assert desired_state.load((str(tmp_path / "desired"),), None).heal == HealSettings(
        namespaces=("ml",), kinds=("ConfigMap",), trusted_managers=("git-op",)
    )


def test_the_controller_never_heals_what_a_suppression_covers() -> None:
    """The controller wires the healer's `skip` hook to the suppressions in force: Git's
    and the store's, judged on the controller's clock (so they expire too)."""
    from datetime import UTC, date, datetime
    from types import SimpleNamespace

    from kubedrift.controller.run import Controller
    from kubedrift.model.suppression import Suppression

    covering = Suppression("load test INC-42", date(2026, 12, 31), kind="ConfigMap", name="c0")
    recorder = SimpleNamespace(suppressions=lambda: (covering,))
    now = [datetime(2026, 12, 31, 23, 0, tzinfo=UTC)]
    holder = SimpleNamespace(recorder=recorder, options=SimpleNamespace(clock=lambda: now[0]))
    suppressed = functools.partial(Controller._suppressed, holder)  # type: ignore[arg-type]
    assert suppressed(finding("c0", "9")) == "suppressed until 2026-12-31: load test INC-42"
    assert suppressed(finding("c1", "9")) is None
    now[0] = datetime(2027, 1, 1, 0, 1, tzinfo=UTC)  # expired: healing may resume
    assert suppressed(finding("c0", "9")) is None
