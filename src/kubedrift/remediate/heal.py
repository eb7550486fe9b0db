"""Self-heal policy (pure): which findings `watch --heal` may revert, and when to give up.

A finding is healed only when all of these hold (`refusal` says which one did not):

- its rule is one of the policy's (default: the field-level reverts; `object-missing`, a
  recreate, only when asked);
- its object's namespace and kind match the policy's globs (empty: any);
- the field's current manager (`Finding.manager`, read from live `managedFields`) is not a
  trusted controller. A controller that owns a field will write it again — reverting it
  only starts a fight, the failure Argo CD's self-heal is known for (argo-cd#2382, #3002).
  Field managers are named after the writing program: client-go's default is the binary
  name from the user agent, so controller-runtime operators often appear as `manager`
  (statnett/image-scanner-operator#673, DataDog/datadog-operator#788);
- the suppression hook (`Skip`) names no reason.

A fight is what happens when another writer owns the field and re-applies its value after
each revert. `FightBook` counts, per field, the reverts of ours that came back undone; the
`rounds`-th within `window` seconds stops healing that field and yields a `Fight`, which
the controller reports as a finding of its own (rule `heal-fight`, the competing manager
named). The stop lasts until the field's drift resolves (desired changed, or someone made
live agree) or the controller restarts.

Undone is exact, not guessed from timing: the apiserver answers an accepted revert with
the object's new resourceVersion, and only once the watch event of that very version has
come by (`observed`) is a drift seen again a newer write by someone else. Events older than
the revert that were still on their way never count.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from kubedrift.desired.heal import DEFAULT_HEAL_RULES, HealSettings
from kubedrift.model import Category, Finding, Severity
from kubedrift.model.rules import RemedyRule

FIGHT_RULE = RemedyRule.HEAL_FIGHT.value
ACTION_RULE = RemedyRule.HEAL.value
Skip = Callable[[Finding], str | None]
"""A reason not to heal a finding (a suppression), or None."""

DEFAULT_TRUSTED_MANAGERS: tuple[str, ...] = (
    "kube-controller-manager",  # HPA (scale), Deployment/ReplicaSet/Job controllers
    "kube-scheduler",
    "horizontal-pod-autoscaler*",
    "vpa-*",  # vpa-updater, vpa-admission-controller, vpa-recommender
    "cluster-autoscaler*",
    "karpenter*",
    "keda*",
    "*-operator*",  # gpu-operator, prometheus-operator, ...
    "*-controller",
    "*-controller-manager",
    "manager",  # controller-runtime's binary name, the client-go default field manager
    "nvidia*",
    "gpu-feature-discovery*",
    "nfd*",
)
"""Field managers whose fields are never reverted; `--heal-trust` and `heal.trustedManagers`
add to this list (globs)."""


class HealMode(enum.StrEnum):
    """`--heal-mode`: `dry-run` records and alerts what it would do; `apply` writes."""

    DRY_RUN = "dry-run"
    APPLY = "apply"


@dataclass(frozen=True, slots=True)
class HealPolicy:
    """What self-heal may do; built from the CLI and the configs' `heal:` blocks."""

    mode: HealMode = HealMode.DRY_RUN
    namespaces: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    rules: tuple[str, ...] = DEFAULT_HEAL_RULES
    max_per_minute: int = 10
    trusted_managers: tuple[str, ...] = DEFAULT_TRUSTED_MANAGERS
    fight_rounds: int = 3
    fight_window: float = 600.0

    @classmethod
    def of(cls, mode: HealMode, settings: HealSettings) -> HealPolicy:
        """Defaults, with every key `settings` gives."""
        base = cls(mode=mode)
        return cls(
            mode=mode,
            namespaces=settings.namespaces if settings.namespaces is not None else (),
            kinds=settings.kinds if settings.kinds is not None else (),
            rules=settings.rules if settings.rules is not None else base.rules,
            max_per_minute=settings.max_per_minute or base.max_per_minute,
            trusted_managers=base.trusted_managers + settings.trusted_managers,
            fight_rounds=settings.fight_rounds or base.fight_rounds,
            fight_window=float(settings.fight_window or base.fight_window),
        )


def refusal(policy: HealPolicy, finding: Finding) -> str | None:
    """Why the policy does not heal `finding` (None: it does)."""
    ref = finding.object
    if finding.category is not Category.OBJECT or finding.rule not in policy.rules:
        return f"rule {finding.rule} is not healed"
    if policy.namespaces and not _matches(ref.namespace or "", policy.namespaces):
        return f"namespace {ref.namespace or '(cluster)'} is not healed"
    if policy.kinds and not _matches(ref.kind, policy.kinds):
        return f"kind {ref.kind} is not healed"
    manager = finding.manager or ""
    if manager and _matches(manager, policy.trusted_managers):
        return f"{finding.path} is owned by {manager}, a trusted controller"
    return None


def _matches(value: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(value, p) for p in patterns)


FieldKey = tuple[str, str, str, str, str]
"""group, kind, namespace, name, path of one healed field."""


def field_key(finding: Finding) -> FieldKey:
    """The field a finding is about (the rule left out: a fight is about the field)."""
    group, kind, namespace, name, path, _ = finding.identity()
    return (group, kind, namespace, name, path)


@dataclass(frozen=True, slots=True)
class Fight:
    """Healing of one field stopped: `manager` undid `rounds` reverts within the window."""

    manager: str
    rounds: int
    window: float


@dataclass(slots=True)
class _Standing:
    """A revert of ours that was accepted; `seen` once its own watch event came by."""

    at: float
    resource_version: str
    seen: bool


@dataclass
class FightBook:
    """Reverts that stand, reverts undone, and fields given up on (see module docstring)."""

    rounds: int = 3
    window: float = 600.0
    _standing: dict[FieldKey, _Standing] = field(default_factory=dict)
    _undone: dict[FieldKey, deque[float]] = field(default_factory=dict)
    _stopped: dict[FieldKey, Fight] = field(default_factory=dict)
    _writing: dict[tuple[str, ...], set[str]] = field(default_factory=dict)

    def writing(self, obj: tuple[str, ...]) -> None:
        """A write to `obj` (group, kind, namespace, name) is on its way: remember the
        events it may race with (its own event can come before its answer)."""
        self._writing[obj] = set()

    def written(self, obj: tuple[str, ...]) -> None:
        """The write to `obj` is done (accepted or not)."""
        self._writing.pop(obj, None)

    def reverted(self, key: FieldKey, at: float, resource_version: str = "") -> None:
        """Our revert of `key` was accepted at `at`, making the object `resource_version`
        ("" when unknown: then the next drift counts at once)."""
        seen = not resource_version or resource_version in self._writing.get(key[:4], ())
        self._standing[key] = _Standing(at, resource_version, seen)
        self._forget_before(at - self.window)

    def observed(self, obj: tuple[str, ...], resource_version: str) -> None:
        """An event of object `obj` at `resource_version`.

        Events of the object older than our write may still be on their way when the
        write returns; only after the write's own event is a drift someone else's undo."""
        if obj in self._writing:
            self._writing[obj].add(resource_version)
        for key, standing in self._standing.items():
            if key[:4] == obj and _not_before(resource_version, standing.resource_version):
                standing.seen = True

    def drifted(self, key: FieldKey, at: float, manager: str) -> Fight | None:
        """The field is drifted again; the fight that stops healing it, if there is one."""
        stopped = self._stopped.get(key)
        if stopped is not None:
            return stopped
        standing = self._standing.get(key)
        if standing is None or not standing.seen:
            return None
        del self._standing[key]
        if at - standing.at > self.window:
            return None
        undone = self._undone.setdefault(key, deque())
        undone.append(at)
        while undone and undone[0] < at - self.window:
            undone.popleft()
        if len(undone) < self.rounds:
            return None
        fight = Fight(manager or "unknown", len(undone), self.window)
        self._stopped[key] = fight
        del self._undone[key]
        return fight

    def settled(self, key: FieldKey) -> None:
        """The field is not drifted (any more): healing it may resume."""
        self._stopped.pop(key, None)

    def stopped(self, key: FieldKey) -> Fight | None:
        """The fight that stopped healing `key`, if any."""
        return self._stopped.get(key)

    def _forget_before(self, oldest: float) -> None:
        """Drop what no later drift can count against (bounded memory)."""
        for key in [k for k, s in self._standing.items() if s.at < oldest]:
            del self._standing[key]
        for key in [k for k, times in self._undone.items() if not times or times[-1] < oldest]:
            del self._undone[key]


def _not_before(seen: str, ours: str) -> bool:
    """Whether an event at `seen` comes no earlier than our write at `ours`.

    The same version is our write's own event. The controller evaluates an object once per
    burst of events (the backlog coalesces them under load), so our write's own event can be
    passed over and the first we see is a later one. resourceVersions are opaque to clients
    (Kubernetes API concepts, "Resource versions"), but an etcd3-backed apiserver gives the
    etcd revision, an increasing integer: when both are integers a larger one is later. Any
    other form counts only on equality, as before (a missed event then costs one uncounted
    round, never a wrong count)."""
    if seen == ours:
        return True
    if seen.isdigit() and ours.isdigit():
        return int(seen) > int(ours)
    return False


def fight_finding(finding: Finding, fight: Fight) -> Finding:
    """The `heal-fight` finding of a field whose healing stopped."""
    message = (
        f"{fight.manager} set {finding.path} back after each of {fight.rounds} reverts within "
        f"{fight.window:g}s: self-heal of this field stopped. Two writers disagree: trust "
        f"{fight.manager} (heal.trustedManagers), or stop it writing the field"
    )
    return _about_field(
        finding,
        rule=FIGHT_RULE,
        message=message,
        details=(("competitor", fight.manager), ("rounds", str(fight.rounds))),
        category=Category.OBJECT,
        severity=Severity.HIGH,
        manager=fight.manager,
        changed_at=finding.changed_at,
    )


def action_finding(finding: Finding, *, mode: HealMode, result: str, message: str) -> Finding:
    """What an action alert carries: the drift, and what self-heal did (or would do)."""
    if result == "planned":
        text = f"self-heal (dry run) would revert {finding.path} to desired"
    elif result == "applied":
        text = f"self-heal reverted {finding.path} to desired"
    else:
        text = f"self-heal could not revert {finding.path}: {result}: {message}"
    return _about_field(
        finding,
        rule=ACTION_RULE,
        message=text,
        details=(("drift_rule", finding.rule), ("mode", mode.value), ("result", result)),
        category=finding.category,
        severity=finding.severity,
        manager=finding.manager,
        changed_at=None,
    )


def _about_field(
    finding: Finding,
    *,
    rule: str,
    message: str,
    details: tuple[tuple[str, str], ...],
    category: Category,
    severity: Severity,
    manager: str | None,
    changed_at: str | None,
) -> Finding:
    """A finding of self-heal's own (`rule`) about the drifted field of `finding`.

    It keeps the drift's object, path, values, revision and source, so it names the same
    field and links to the same file; impact and suppression are the drift's, not its own,
    and are left out (both callers always did)."""
    return Finding(
        category=category,
        severity=severity,
        object=finding.object,
        path=finding.path,
        desired=finding.desired,
        live=finding.live,
        rule=rule,
        message=message,
        manager=manager,
        changed_at=changed_at,
        revision=finding.revision,
        details=details,
        source=finding.source,
    )


@dataclass
class RefusalBook:
    """Objects whose heal the apiserver refused (403 Forbidden), with the reason it gave.

    RBAC does not change by itself: a refused write is retried with backoff while the
    drift lasts, and every retry would be refused for the same reason. Only a refusal that
    is news — the first for the object, or for a new reason — is worth an alert and a log
    line; `cleared` (a heal of the object went through, or its drift ended) makes the next
    refusal news again.
    """

    _reasons: dict[tuple[str, ...], str] = field(default_factory=dict)

    def refused(self, obj: tuple[str, ...], reason: str) -> bool:
        """A write to `obj` was refused for `reason`; True when that is news."""
        if self._reasons.get(obj) == reason:
            return False
        self._reasons[obj] = reason
        return True

    def cleared(self, obj: tuple[str, ...]) -> None:
        """`obj` was healed, or is no longer drifted."""
        self._reasons.pop(obj, None)

    def __len__(self) -> int:
        return len(self._reasons)
