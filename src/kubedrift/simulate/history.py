"""A multi-week drift history with habits, waves, weekends and incidents (pure, seeded).

`kubedrift predict --backtest --simulate` needs a timeline whose drift is *partly*
predictable, the way real drift is, so that a backtest measures something:

- people with habits: a hand editor who scales her team's Deployments on Friday afternoons
  (reverted by the Monday sync), an on-call engineer who patches env and images during incidents;
- controllers: an in-house autoscaler (not on the trusted list) that moves `replicas` during
  business hours, a training operator that rewrites resources at each of its upgrades;
- node pools with driver/kernel upgrade waves that roll node by node over a few days, profiled
  pools (`profile-mismatch`) and unprofiled ones (`peer-mismatch`), a few flaky nodes;
- mutable image tags rebuilt upstream on weekdays, training PVCs whose backups lapse;
- weekends (humans rest), incidents (a namespace burns for a day) and background noise.

Same `HistorySpec`, same episodes: every random draw comes from one `random.Random(seed)`.
An episode never overlaps another of the same finding identity (the store's invariant).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kubedrift.model import JSON, Category, Finding, ObjectRef, Severity
from kubedrift.model.rules import NodeRule, ObjectRule, WorkloadRule

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
HISTORY_END = datetime(2025, 6, 2, tzinfo=UTC)
"""The default end of a simulated history: a Monday, 00:00 UTC (weeks line up)."""
TEAMS = ("vision", "nlp", "recsys", "speech", "search", "ads")


@dataclass(frozen=True, slots=True)
class HistorySpec:
    """What to simulate: `weeks` of history ending at `end` (a Monday 00:00 UTC by default)."""

    seed: int = 0
    weeks: int = 8
    end: datetime = field(default=HISTORY_END)
    objects_per_team: int = 40
    nodes_per_pool: int = 24
    cluster: str = "sim"
    noise_per_object_week: float = 0.03
    """Background drift: chance per object and week of a random hand edit."""

    @property
    def start(self) -> datetime:
        """The first moment of the history."""
        return self.end - timedelta(weeks=self.weeks)


@dataclass(frozen=True, slots=True)
class SimEpisode:
    """One simulated episode: the finding, its onset and its resolution (None: still open)."""

    finding: Finding
    first_seen: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class _Object:
    ref: ObjectRef
    team: str
    role: str  # serve | train | batch | config | data


@dataclass(frozen=True, slots=True)
class _Pool:
    name: str
    profiled: bool
    nodes: tuple[str, ...]


@dataclass
class _World:
    spec: HistorySpec
    rng: random.Random
    objects: list[_Object]
    pools: list[_Pool]
    episodes: list[SimEpisode] = field(default_factory=list)
    open_until: dict[tuple[str, ...], datetime] = field(default_factory=dict)

    def add(self, finding: Finding, onset: datetime, duration: timedelta) -> None:
        """Record an episode unless the same finding is still open then, or out of range."""
        if not self.spec.start <= onset < self.spec.end:
            return
        key = finding.identity()
        if self.open_until.get(key, self.spec.start) > onset:
            return
        end = onset + max(duration, HOUR)
        self.open_until[key] = end
        resolved = end if end < self.spec.end else None
        self.episodes.append(SimEpisode(finding, onset, resolved))


def generate_history(spec: HistorySpec) -> list[SimEpisode]:
    """The episodes of the simulated history, oldest onset first."""
    rng = random.Random(spec.seed)
    world = _World(spec, rng, _objects(spec, rng), _pools(spec))
    for habit in (_friday_editor, _autoscaler, _operator, _incidents, _noise):
        habit(world)
    for habit in (_upgrade_waves, _flaky_nodes, _mutable_images, _backups):
        habit(world)
    return sorted(world.episodes, key=lambda e: (e.first_seen, e.finding.identity()))


def _objects(spec: HistorySpec, rng: random.Random) -> list[_Object]:
    kinds = (
        ("apps/v1", "Deployment", "serve"),
        ("batch/v1", "Job", "train"),
        ("apps/v1", "StatefulSet", "data"),
        ("v1", "ConfigMap", "config"),
        ("batch/v1", "CronJob", "batch"),
    )
    out = []
    for team in TEAMS:
        for i in range(spec.objects_per_team):
            api_version, kind, role = rng.choice(kinds)
            namespace = f"{team}-{'train' if role in ('train', 'data') else 'serve'}"
            ref = ObjectRef(api_version, kind, namespace, f"{team}-{role}-{i:03d}")
            out.append(_Object(ref, team, role))
    return out


def _pools(spec: HistorySpec) -> list[_Pool]:
    names = (("h100-train", True), ("a100-train", True), ("l4-infer", False), ("cpu", False))
    return [
        _Pool(name, profiled, tuple(f"{name}-{i:03d}" for i in range(spec.nodes_per_pool)))
        for name, profiled in names
    ]


def _days(world: _World) -> Iterator[datetime]:
    day = world.spec.start
    while day < world.spec.end:
        yield day
        day += DAY


def _field(obj: _Object, path: str, manager: str, desired: JSON, live: JSON) -> Finding:
    return Finding(
        category=Category.OBJECT,
        severity=Severity.MEDIUM,
        object=obj.ref,
        path=path,
        desired=desired,
        live=live,
        rule=ObjectRule.FIELD_CHANGED.value,
        message=f"{path} changed",
        manager=manager,
    )


def _friday_editor(world: _World) -> None:
    """alice scales her team's Deployments by hand on Friday afternoons; Monday's sync reverts."""
    rng = world.rng
    mine = [o for o in world.objects if o.team == "vision" and o.ref.kind == "Deployment"][:10]
    for day in _days(world):
        if day.weekday() != 4:
            continue
        for obj in mine:
            if rng.random() < 0.55:
                onset = day + timedelta(hours=rng.uniform(13, 18))
                back = day + timedelta(days=3, hours=rng.uniform(9, 11))  # Monday morning
                world.add(_field(obj, "/spec/replicas", "kubectl-edit", 2, 6), onset, back - onset)


def _autoscaler(world: _World) -> None:
    """An in-house autoscaler fights Git over replicas on weekday business hours."""
    rng = world.rng
    scaled = [
        o for o in world.objects if o.ref.kind == "Deployment" and o.team in ("ads", "search")
    ]
    for obj in scaled[:12]:
        for day in _days(world):
            if day.weekday() < 5 and rng.random() < 0.5:
                onset = day + timedelta(hours=rng.uniform(8, 16))
                world.add(
                    _field(obj, "/spec/replicas", "load-scaler", 3, rng.randint(4, 12)),
                    onset,
                    timedelta(hours=rng.uniform(2, 8)),
                )


def _operator(world: _World) -> None:
    """The training operator rewrites resources of its Jobs at each upgrade (every ~10 days)."""
    rng = world.rng
    managed = [o for o in world.objects if o.role == "train"][::3]
    moment = world.spec.start + timedelta(days=rng.uniform(2, 9))
    while moment < world.spec.end:
        for obj in managed:
            if rng.random() < 0.8:
                onset = moment + timedelta(hours=rng.uniform(0, 6))
                path = "/spec/template/spec/containers/0/resources/limits/memory"
                finding = _field(obj, path, "training-operator", "64Gi", "80Gi")
                world.add(finding, onset, timedelta(days=rng.uniform(1, 4)))
        moment += timedelta(days=rng.uniform(8, 12))


def _incidents(world: _World) -> None:
    """About one incident a week: on-call patches a namespace's objects for a day or two."""
    rng = world.rng
    namespaces = sorted({o.ref.namespace or "" for o in world.objects})
    for day in _days(world):
        if rng.random() > 1 / 6:
            continue
        namespace = rng.choice(namespaces)
        start = day + timedelta(hours=rng.uniform(0, 24))
        hit = [o for o in world.objects if o.ref.namespace == namespace and rng.random() < 0.4]
        for obj in hit:
            for aftershock in range(rng.randint(1, 3)):  # a first patch, then follow-ups
                onset = start + timedelta(hours=rng.uniform(0, 30) + aftershock * 20)
                path = "/spec/template/spec/containers/0/env/LOG_LEVEL"
                if aftershock:
                    path = "/spec/template/spec/containers/0/image"
                finding = _field(obj, path, "kubectl-patch", "info", "debug")
                world.add(finding, onset, timedelta(hours=rng.uniform(6, 72)))


def _noise(world: _World) -> None:
    """Rare one-off hand edits anywhere, more on weekdays."""
    rng = world.rng
    rate = world.spec.noise_per_object_week / 6
    for day in _days(world):
        share = rate * (1.0 if day.weekday() < 5 else 0.25)
        for obj in world.objects:
            if rng.random() < share:
                onset = day + timedelta(hours=rng.uniform(0, 24))
                finding = _field(obj, "/metadata/labels/owner", "kubectl-label", "a", "b")
                world.add(finding, onset, timedelta(hours=rng.uniform(1, 96)))


def _node(pool: _Pool, node: str, fact: str, desired: str, live: str) -> Finding:
    rule = NodeRule.PROFILE_MISMATCH if pool.profiled else NodeRule.PEER_MISMATCH
    return Finding(
        category=Category.NODE,
        severity=Severity.HIGH,
        object=ObjectRef("v1", "Node", None, node),
        path=fact,
        desired=desired,
        live=live,
        rule=rule.value,
        message=f"{fact} differs from the pool",
        details=(("pool", pool.name),),
    )


def _upgrade_waves(world: _World) -> None:
    """Every ~2-3 weeks a pool upgrades its driver (or kernel) node by node over ~3 days;
    each node differs from the pool from its turn until the profile catches up."""
    rng = world.rng
    for pool in world.pools:
        moment = world.spec.start + timedelta(days=rng.uniform(0, 14))
        while moment < world.spec.end:
            fact = rng.choice(("nvidia.com/cuda.driver-version.full", "kernelVersion"))
            order = list(pool.nodes)
            rng.shuffle(order)
            span = rng.uniform(2, 4)
            for i, node in enumerate(order[: int(len(order) * rng.uniform(0.6, 1.0))]):
                onset = moment + timedelta(days=span * i / len(order), hours=rng.uniform(0, 3))
                done = moment + timedelta(days=span + rng.uniform(0.5, 2))
                world.add(_node(pool, node, fact, "570.86", "575.51"), onset, done - onset)
            moment += timedelta(days=rng.uniform(12, 22))


def _flaky_nodes(world: _World) -> None:
    """A few nodes per pool lose a GPU now and then (label versus capacity)."""
    rng = world.rng
    for pool in world.pools:
        for node in rng.sample(pool.nodes, 2):
            for day in _days(world):
                if rng.random() < 0.12:
                    onset = day + timedelta(hours=rng.uniform(0, 24))
                    finding = _node(pool, node, "nvidia.com/gpu.count", "8", "7")
                    world.add(finding, onset, timedelta(hours=rng.uniform(2, 30)))


def _workload(obj: _Object, rule: WorkloadRule, path: str, message: str) -> Finding:
    return Finding(
        category=Category.WORKLOAD,
        severity=Severity.MEDIUM,
        object=obj.ref,
        path=path,
        desired=None,
        live=None,
        rule=rule.value,
        message=message,
    )


def _mutable_images(world: _World) -> None:
    """Serving Deployments on `:latest` see a new digest when upstream rebuilds (weekdays)."""
    rng = world.rng
    latest = [o for o in world.objects if o.role == "serve" and rng.random() < 0.2]
    for obj in latest:
        for day in _days(world):
            if day.weekday() < 5 and rng.random() < 0.25:
                onset = day + timedelta(hours=rng.uniform(1, 6))
                path = "/spec/template/spec/containers/0/image"
                finding = _workload(
                    obj, WorkloadRule.MUTABLE_IMAGE, path, "image tag :latest changed digest"
                )
                world.add(finding, onset, timedelta(hours=rng.uniform(4, 40)))


def _backups(world: _World) -> None:
    """Training StatefulSets' PVCs without a Velero schedule: the finding recurs weekly."""
    rng = world.rng
    unprotected = [o for o in world.objects if o.role == "data" and rng.random() < 0.5]
    for obj in unprotected:
        moment = world.spec.start + timedelta(days=rng.uniform(0, 7))
        while moment < world.spec.end:
            finding = _workload(
                obj, WorkloadRule.PVC_NOT_BACKED_UP, "/spec/volumeClaimTemplates/0", "no backup"
            )
            world.add(finding, moment, timedelta(days=rng.uniform(1, 3)))
            moment += timedelta(days=rng.uniform(5, 9))
