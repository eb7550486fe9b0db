"""Self-heal in the watch controller (`kubedrift watch --heal`): opt-in, bounded, recorded.

The object trackers hand every diff to `Healer.observe` (desired, live, findings) on the
event loop. `observe` is cheap and never writes: it settles fights (`remediate.heal`),
picks the findings the policy lets it heal, and keeps the latest of them per object as
pending work; it returns the `heal-fight` findings to record with the object's own.
`run` drains the pending work at most `max_per_minute` objects a minute (a token bucket),
building each write with the same code as `kubedrift plan`/`apply` (`remediate.plan`,
`remediate.apply`: server-side apply of only the drifted fields, field manager `kubedrift`,
`force` for those fields, the event's resourceVersion as precondition).

In `dry-run` mode nothing is sent: each would-be revert is recorded and alerted once per
drifted value. In `apply` mode each write is sent; a `conflict` (the object changed since
the event) needs nothing more, as the newer event brings its own work; `forbidden` and
`error` are logged (rate-limited), counted, and retried with backoff while the drift lasts.
Every action is recorded in the store's `actions` table (actor `kubedrift-heal`), counted
in `kubedrift_heal_actions_total{result}` and alerted (`AlertEvent.ACTION`), except a
refusal (403, RBAC) repeated for the same object and reason: RBAC does not change by
itself, so its retries are counted and recorded but alerted and logged (a WARNING line)
once, until the reason changes, a heal of the object succeeds, or its drift ends. Heal
failures never touch `/readyz`: healing is an extra, watching is the service.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from kubedrift.alerts import Alert, action_alert
from kubedrift.alerts.ratelimit import TokenBucket
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.discovery import Discovery
from kubedrift.controller.objects import Rediff
from kubedrift.controller.trouble import Trouble
from kubedrift.desired.heal import HealSettings
from kubedrift.model import ClusterError, Finding, ref_of
from kubedrift.model.backoff import Backoff
from kubedrift.remediate.apply import Outcome, Write, merge_writes, send
from kubedrift.remediate.heal import (
    FieldKey,
    Fight,
    FightBook,
    HealMode,
    HealPolicy,
    RefusalBook,
    Skip,
    action_finding,
    field_key,
    fight_finding,
    refusal,
)
from kubedrift.remediate.plan import build_plan
from kubedrift.store import StoreError
from kubedrift.store.actions import ActionRecord

log = logging.getLogger("kubedrift.heal")

ACTOR = "kubedrift-heal"
PLANNED = "planned"
RETRY_INITIAL, RETRY_CAP = 5.0, 300.0
Sleep = Callable[[float], Awaitable[None]]


@runtime_checkable
class ActionLog(Protocol):
    """A store that records actions (`SqlStore`)."""

    def record_actions(self, records: Sequence[ActionRecord]) -> None:
        """Append `records`."""


@dataclass(frozen=True, slots=True)
class HealOptions:
    """`watch --heal`: the mode, the command line's policy settings, the suppression hook."""

    mode: HealMode = HealMode.DRY_RUN
    settings: HealSettings = field(default_factory=HealSettings)
    skip: Skip | None = None
    """A reason not to heal a finding (e.g. it is suppressed), or None."""


@dataclass(frozen=True, slots=True)
class _Work:
    """The latest healable findings of one object, with the objects they were planned from."""

    desired: dict[str, Any]
    live: dict[str, Any] | None
    findings: tuple[Finding, ...]
    rediff: Rediff


@dataclass(frozen=True, slots=True)
class _Cluster:
    """Where writes go (apply mode only)."""

    conn: Connection
    discovery: Discovery


@dataclass(frozen=True, slots=True)
class HealSinks:
    """Where actions go: the store, alerts, metrics (each optional)."""

    record: Callable[[Sequence[ActionRecord]], Awaitable[None]] | None = None
    alert: Callable[[list[Alert]], None] | None = None
    count: Callable[[str], None] | None = None


class Healer:
    """Self-heal for one cluster; see the module docstring."""

    def __init__(
        self,
        options: HealOptions,
        *,
        cluster: str,
        target: ClusterTarget,
        sinks: HealSinks | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.options = options
        self.cluster = cluster
        self.target = target
        self.sinks = sinks or HealSinks()
        self.trouble = Trouble("heal", "self-heal failed", _not_readiness)
        self._clock, self._sleep = clock, sleep
        self._config: HealSettings | None = None
        self.policy = HealPolicy()
        self.bucket = TokenBucket(self.policy.max_per_minute, 1, clock)
        self.fights = FightBook()
        self._use(HealSettings())
        self._pending: dict[tuple[str, ...], _Work] = {}
        self._drifted: dict[tuple[str, ...], set[FieldKey]] = {}
        self._planned: dict[FieldKey, str] = {}
        self._wake = asyncio.Event()
        self._backoff = Backoff(RETRY_INITIAL, RETRY_CAP)
        self._retries: set[asyncio.Task[None]] = set()
        self.refusals = RefusalBook()

    # -- policy ---------------------------------------------------------------------------

    def use_config(self, settings: HealSettings | None) -> None:
        """The `heal:` settings of desired state's configs (a new revision); flags win."""
        if settings != self._config:
            self._config = settings
            self._use(settings or HealSettings())

    def _use(self, config: HealSettings) -> None:
        policy = HealPolicy.of(self.options.mode, config.merged(self.options.settings))
        if policy.max_per_minute != self.policy.max_per_minute:
            self.bucket = TokenBucket(policy.max_per_minute, 1, self._clock)
        self.fights.rounds, self.fights.window = policy.fight_rounds, policy.fight_window
        self.policy = policy

    # -- observing (on the event loop, from the trackers) -----------------------------------

    def observe(
        self,
        desired: dict[str, Any],
        live: dict[str, Any] | None,
        findings: tuple[Finding, ...],
        rediff: Rediff,
    ) -> tuple[Finding, ...]:
        """Note one object's findings; return the `heal-fight` findings to add to them."""
        obj = ref_of(desired).pairing_key()
        now = self._clock()
        if live is not None:
            self.fights.observed(obj, str((live.get("metadata") or {}).get("resourceVersion")))
        fights: list[Finding] = []
        healable: list[Finding] = []
        for finding in findings:
            key = field_key(finding)
            fight = self.fights.drifted(key, now, finding.manager or "unknown")
            if fight is not None:
                fights.append(self._fight(finding, fight, key))
            elif self._wanted(finding, key):
                healable.append(finding)
        self._settle(obj, {field_key(f) for f in findings})
        if healable:
            self._pending[obj] = _Work(desired, live, tuple(healable), rediff)
            self._wake.set()
        else:
            self._pending.pop(obj, None)
        return tuple(fights)

    def _wanted(self, finding: Finding, key: FieldKey) -> bool:
        # A dry run tells of one drifted value once, not at every event of the object.
        return self._healable(finding) and self._planned.get(key) != _signature(finding)

    def _healable(self, finding: Finding) -> bool:
        why = refusal(self.policy, finding)
        if why is None and self.options.skip is not None:
            why = self.options.skip(finding)
        if why is not None:
            log.debug("not healing %s %s: %s", finding.object, finding.path, why)
        return why is None

    def _fight(self, finding: Finding, fight: Fight, key: FieldKey) -> Finding:
        if key not in self._planned:  # the first time this fight is seen: say it once
            self._planned[key] = "fight"
            log.warning(
                "self-heal of %s %s stopped: %s undid %d reverts",
                finding.object,
                finding.path,
                fight.manager,
                fight.rounds,
            )
            self._count("fight")
        return fight_finding(finding, fight)

    def _settle(self, obj: tuple[str, ...], drifted: set[FieldKey]) -> None:
        """Fields of `obj` drifted before and not now: fights end, dry-run notes reset."""
        for key in self._drifted.pop(obj, set()) - drifted:
            self.fights.settled(key)
            self._planned.pop(key, None)
        if drifted:
            self._drifted[obj] = drifted
        else:  # the drift is gone: a later refusal of a new drift is news again
            self.refusals.cleared(obj)

    def forget_pending(self) -> None:
        """Drop the work not done yet (leadership lost: another replica heals now)."""
        self._pending.clear()

    # -- acting ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Heal pending work, paced, until cancelled (a dry run needs no connection)."""
        try:
            if self.options.mode is HealMode.DRY_RUN:
                await self._loop(None)
                return
            async with Connection(self.target) as conn:
                await self._loop(_Cluster(conn, Discovery(conn)))
        finally:
            for task in self._retries:
                task.cancel()
            await asyncio.gather(*self._retries, return_exceptions=True)

    async def _loop(self, cluster: _Cluster | None) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                delay = self.bucket.take()
                if delay > 0:
                    await self._sleep(delay)
                    continue
                obj = next(iter(self._pending))
                await self._heal(cluster, obj, self._pending.pop(obj))

    async def _heal(self, cluster: _Cluster | None, obj: tuple[str, ...], work: _Work) -> None:
        for write in _writes(work):
            self.fights.writing(obj)
            try:
                outcome = await self._send(cluster, write)
                if outcome.result == "conflict" and cluster is not None:
                    outcome = await self._again(cluster, work, outcome)
                await self._done(outcome)
            finally:
                self.fights.written(obj)
            if outcome.result in ("forbidden", "error"):
                self._retry_later(obj, work)

    async def _again(self, cluster: _Cluster, work: _Work, conflict: Outcome) -> Outcome:
        """After a 409, read the object again and, if the drift is still there, send once
        more with the new resourceVersion. A write the informer does not pass on (a status
        update: a Deployment's, right after an edit) moves the resourceVersion, so waiting
        for the next event could wait forever."""
        ref = conflict.write.object
        resource = await cluster.discovery.resource_for(ref.api_version, ref.kind)
        if resource is None:
            return conflict
        try:
            live = await cluster.conn.get_json(
                resource.path(ref.namespace, ref.name), what=str(ref)
            )
        except ClusterError as err:
            return Outcome(conflict.write, "error", f"re-read after a conflict: {err}")
        paths = set(conflict.write.paths)
        still = tuple(f for f in work.rediff(live) if f.path in paths and self._healable(f))
        fresh = _writes(_Work(work.desired, live, still, work.rediff))
        if not fresh:
            return Outcome(conflict.write, "conflict", "resolved meanwhile: nothing to revert")
        return await self._send(cluster, fresh[0])

    async def _send(self, cluster: _Cluster | None, write: Write) -> Outcome:
        if cluster is None or self.policy.mode is HealMode.DRY_RUN:
            return Outcome(write, PLANNED, "dry run: nothing sent (--heal-mode apply writes)")
        try:
            return await send(cluster.conn, cluster.discovery, write, dry_run=False)
        except Exception as err:  # a bug or an I/O error: a heal failure, not a crash
            return Outcome(write, "error", f"{type(err).__name__}: {err}")

    async def _done(self, outcome: Outcome) -> None:
        """Fights, counts, logs, the store and the alerts hear of one outcome."""
        write, result = outcome.write, outcome.result
        now = self._clock()
        for finding in write.findings:
            if result == "applied":
                self.fights.reverted(field_key(finding), now, outcome.resource_version)
            elif result == PLANNED:
                self._planned[field_key(finding)] = _signature(finding)
        self._count(result)
        news = self._news(outcome)
        if news:
            self._log(outcome)
        await self._record(outcome)
        if self.sinks.alert is not None and news and result != "conflict":  # a race, not news
            at = datetime.now(UTC)
            self.sinks.alert(
                [
                    action_alert(
                        self.cluster,
                        action_finding(
                            f, mode=self.policy.mode, result=result, message=outcome.message
                        ),
                        at,
                    )
                    for f in write.findings
                ]
            )

    def _news(self, outcome: Outcome) -> bool:
        """False for a refusal of the same object for the same reason as the last time."""
        obj = outcome.write.object.pairing_key()
        if outcome.result != "forbidden":
            if outcome.result == "applied":
                self.refusals.cleared(obj)
            return True
        if not self.refusals.refused(obj, outcome.message):
            self.trouble.failed(f"{outcome.write.object}: forbidden: {outcome.message}")
            return False
        log.warning(
            "self-heal of %s refused: %s; retried with backoff while the drift lasts, "
            'counted in kubedrift_heal_actions_total{result="forbidden"}, not alerted '
            "again until the reason changes",
            outcome.write.object,
            outcome.message,
        )
        return True

    def _log(self, outcome: Outcome) -> None:
        ref, paths = outcome.write.object, ", ".join(outcome.write.paths)
        if outcome.result in ("forbidden", "error"):
            self.trouble.failed(f"{ref} {paths}: {outcome.result}: {outcome.message}")
            return
        if outcome.result == "applied":
            self.trouble.recovered()
            self._backoff.reset()
        verb = {"applied": "reverted", PLANNED: "would revert (dry run)"}.get(outcome.result)
        if verb is None:
            log.info("self-heal of %s %s: %s: %s", ref, paths, outcome.result, outcome.message)
        else:
            log.info("self-heal %s %s %s", verb, ref, paths)

    async def _record(self, outcome: Outcome) -> None:
        if self.sinks.record is None:
            return
        record = _action_record(outcome, self.cluster, dry_run=self.policy.mode is HealMode.DRY_RUN)
        try:
            await self.sinks.record([record])
        except StoreError as err:  # the recorder's store trouble logs and counts it
            log.debug("self-heal action of %s not recorded: %s", record.object, err)

    def _retry_later(self, obj: tuple[str, ...], work: _Work) -> None:
        """Offer the same work again after a backoff, unless newer work came meanwhile.
        The wait is the injected `sleep`, so tests drive retries on their own clock."""

        async def again(delay: float) -> None:
            await self._sleep(delay)
            if obj not in self._pending:
                self._pending[obj] = work
                self._wake.set()

        task = asyncio.get_running_loop().create_task(again(self._backoff.next_delay()))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    def _count(self, result: str) -> None:
        if self.sinks.count is not None:
            self.sinks.count(result)


def _writes(work: _Work) -> list[Write]:
    """The server-side applies of one object's healable findings (as `kubedrift apply`)."""
    lives = [work.live] if work.live is not None else []
    return merge_writes(build_plan(work.findings, [work.desired], lives).writes())


def _action_record(outcome: Outcome, cluster: str, *, dry_run: bool) -> ActionRecord:
    """The store row of one action; values as the findings hold them (Secrets hashed)."""
    changes = tuple(
        {"path": f.path, "from": f.to_json()["live"], "to": f.to_json()["desired"]}
        for f in outcome.write.findings
    )
    return ActionRecord(
        at=datetime.now(UTC),
        actor=ACTOR,
        cluster=cluster,
        action=outcome.write.kind.value,
        object=outcome.write.object,
        changes=changes,
        dry_run=dry_run,
        result=outcome.result,
        message=outcome.message,
    )


def _signature(finding: Finding) -> str:
    """The drifted values of a finding, to tell a new drift of a field from the same one."""
    data = finding.to_json()
    return json.dumps([data["desired"], data["live"]], sort_keys=True, default=str)


def _not_readiness(name: str, reason: str | None, since: float) -> None:
    """Heal trouble is logged (rate-limited) and counted, never shown on `/readyz`."""
