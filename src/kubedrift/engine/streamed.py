"""`kubedrift diff` against a large live JSON List, streamed: each live object is paired and
diffed as it is read, and dropped unless it drifted (issue 18.2).

`compare_objects` takes the live state whole: 100,000 Deployments are 1.6 GB of JSON and
~5 GiB of dicts. Here the live file is read item by item (`cluster.streamlist`), and
memory is bounded by the desired set plus the live objects that drifted, whatever the
file's size. The result is `compare_objects`'s, to the byte in every output format: the
same pairing, namespace defaulting, autoscaling, missing-object hints, notes and order.

What `compare_objects` learns only from the whole snapshot is settled as items arrive or
at the end:

- which kinds are cluster-scoped (the first live object of a kind tells: the apiserver
  writes a namespace on namespaced objects only): desired objects of a kind are given
  their namespaces and pairing keys when its first live object is read, before any of its
  objects is paired;
- which kinds the snapshot holds (desired objects of others are skipped with a note):
  known at the end, when unpaired desired objects are reported missing or skipped;
- which objects an HPA or ScaledObject targets (one may come after its target): each
  pair is diffed with the targets known so far; a live object is kept when that answer
  could still change its findings, and re-diffed at the end if it did. An object diffed
  as not autoscaled with no finding is not kept: being autoscaled only ignores more;
- where a missing object's kind and name live instead: the live objects that could say
  so are kept as their identity.

A file the reader does not stream (`NotStreamable`: YAML, gzip, a folder, anything
unusual or invalid) is read whole by `compare_objects`, which gives the usual messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubedrift.cluster.streamlist import NotStreamable, stream_list
from kubedrift.desired import SourcedObject
from kubedrift.diff import DiffOptions, diff_object
from kubedrift.diff.engine import target_key
from kubedrift.diff.pairing import PairKey, group_of, pair_key
from kubedrift.diff.trusted import autoscaled_targets
from kubedrift.engine.live import LiveState, from_snapshots
from kubedrift.engine.namespaces import with_namespaces
from kubedrift.engine.objects import (
    Compared,
    compare_objects,
    explain_missing,
    group_kind,
    in_snapshot,
    located,
)
from kubedrift.model import Finding, ref_of
from kubedrift.model.gcpause import gc_paused

__all__ = ["compare_live_file", "compare_streamed", "streamable"]

Obj = dict[str, Any]
Progress = Callable[[str], None]

_AUTOSCALER_KINDS = frozenset({"HorizontalPodAutoscaler", "ScaledObject"})


def _quiet(_: str) -> None:
    """Progress sink that shows nothing."""


def streamable(path: Path) -> bool:
    """Whether `path` is a file the streaming reader may take (a `.json` file, not
    gzipped); the reader itself still refuses anything but a plain List."""
    return path.suffix.lower() == ".json" and path.is_file()


def compare_live_file(
    desired: Sequence[SourcedObject],
    live: Path,
    default_namespace: str,
    options: DiffOptions,
    progress: Progress = _quiet,
) -> Compared:
    """`compare_objects` of desired against the snapshot `live`: streamed when it can be,
    otherwise read whole (with the whole read's checks and messages)."""
    if streamable(live):
        progress(f"comparing {len(desired)} objects as {live} is read")
        try:
            with gc_paused():  # decoded items are acyclic and freed by reference counting
                return compare_streamed(desired, stream_list(live), default_namespace, options)
        except NotStreamable:
            pass  # read it whole below: the same result, or the whole read's error
    progress(f"reading {live}")
    state = from_snapshots([live], default_namespace)
    progress(f"comparing {len(desired)} objects")
    return compare_objects(desired, state, options, None)


def compare_streamed(
    desired: Sequence[SourcedObject],
    live: Iterable[Obj],
    default_namespace: str,
    options: DiffOptions,
) -> Compared:
    """`compare_objects(desired, from_snapshots(...), options, None)` over live objects
    given one at a time (each checked as a snapshot's are); raises `NotStreamable` when
    `live` does (or lists an object twice: the whole read names both places)."""
    pairs = _Pairs(desired, default_namespace, options)
    for obj in live:
        pairs.take(obj)
    return pairs.finish()


@dataclass(slots=True)
class _Result:
    """One desired object's findings; the live object when they may be diffed again."""

    findings: list[Finding]
    scaled: bool
    target: tuple[str, str, str]
    live: Obj | None


@dataclass(slots=True)
class _Pairs:
    """Pairing and diffing state while the live objects stream by."""

    sourced: Sequence[SourcedObject]
    default_namespace: str
    options: DiffOptions
    desired: list[Obj] = field(init=False)
    served: list[Obj | None] = field(init=False)
    by_kind: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    scope: dict[tuple[str, str], bool] = field(default_factory=dict)
    index: dict[PairKey, list[int]] = field(default_factory=dict)
    claimed: set[PairKey] = field(default_factory=set)
    seen: set[tuple[str, str, str, str]] = field(default_factory=set)
    results: dict[int, _Result] = field(default_factory=dict)
    names: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    """(group, kind, name) of desired objects → their namespaces (once the kind is seen)."""
    elsewhere: list[Obj] = field(default_factory=list)
    live_targets: set[tuple[str, str, str]] = field(default_factory=set)
    maybe_targets: frozenset[tuple[str, str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.desired = [o.obj for o in self.sourced]
        self.served = [None] * len(self.desired)
        for i, obj in enumerate(self.desired):
            self.by_kind.setdefault(group_kind(obj), []).append(i)
        # Every desired autoscaler's target: those of kinds the snapshot lacks drop out at
        # the end, so these only ever say "maybe autoscaled".
        self.maybe_targets = autoscaled_targets(self.desired, self.default_namespace)

    def _scoped(self, group: str, kind: str) -> bool:
        return self.scope[(group, kind)]

    def _scope_or_none(self, group: str, kind: str) -> bool | None:
        return self.scope.get((group, kind))

    def take(self, obj: Obj) -> None:
        """Pair and diff one live object (checked: a dict with kind, apiVersion, name)."""
        meta = obj["metadata"]
        group, kind = group_of(obj), obj["kind"]
        namespace, name = str(meta.get("namespace") or ""), str(meta["name"])
        identity = (group, kind, namespace, name)
        if identity in self.seen:
            raise NotStreamable("an object listed twice")
        self.seen.add(identity)
        if (group, kind) not in self.scope:
            self.scope[(group, kind)] = not namespace
            self._first_of_kind((group, kind))
        if kind in _AUTOSCALER_KINDS:
            self.live_targets |= autoscaled_targets([obj], self.default_namespace)
        spaces = self.names.get((group, kind, name))
        if spaces is None:
            return  # no desired object of this kind and name
        if namespace and (len(spaces) > 1 or namespace not in spaces):
            # It may tell a missing desired object where it is instead: its identity.
            self.elsewhere.append(_identity(obj))
        key = pair_key(obj, self._scoped, "")
        wanting = self.index.get(key)
        if wanting is None or key in self.claimed:
            return
        self.claimed.add(key)  # the first live object of a key pairs, as `pair_objects`
        for i in wanting:
            self._diff(i, obj)

    def _first_of_kind(self, kind: tuple[str, str]) -> None:
        """Desired objects of a kind just seen live: namespaces filled in, keys indexed."""
        for i in self.by_kind.get(kind, ()):
            want = with_namespaces([self.desired[i]], self.default_namespace, self._scope_or_none)
            self.served[i] = want[0]
            key = pair_key(want[0], self._scoped, self.default_namespace)
            self.index.setdefault(key, []).append(i)
            ref = ref_of(want[0])
            spaces = self.names.setdefault((ref.group, ref.kind, ref.name), set())
            spaces.add(str((want[0].get("metadata") or {}).get("namespace") or ""))

    def _diff(self, i: int, live: Obj) -> None:
        want = self.served[i]
        assert want is not None  # its kind was seen
        target = target_key(want, live, self.default_namespace)
        targets = self.maybe_targets | self.live_targets
        scaled = bool(targets) and target in targets
        found = diff_object(want, live, self.options, autoscaled=scaled)
        # Kept when the findings may change: an autoscaled answer from a desired
        # autoscaler can be withdrawn; a "not autoscaled" one only hides less.
        keep = live if found or scaled else None
        self.results[i] = _Result(found, scaled, target, keep)

    def finish(self) -> Compared:
        """The findings, notes and counts `compare_objects` gives for the whole snapshot."""
        kinds = frozenset(self.scope)
        _, absent_notes = in_snapshot(self.desired, kinds)
        present = [i for i, obj in enumerate(self.desired) if group_kind(obj) in kinds]
        served = [self.served[i] for i in present]
        targets = self.live_targets | autoscaled_targets(
            (o for o in served if o is not None), self.default_namespace
        )
        findings: list[Finding] = []
        for i in present:
            findings.extend(self._final(i, targets))
        state = LiveState(
            objects=tuple(self.elsewhere),
            nodes=(),
            source="",
            default_namespace=self.default_namespace,
            scope=self.scope,
            kinds=kinds,
        )
        findings = explain_missing(findings, state)
        findings = located(findings, self.sourced, self._scope_or_none, self.default_namespace)
        return Compared(findings, len(self.desired) - len(present), absent_notes, ())

    def _final(self, i: int, targets: frozenset[tuple[str, str, str]] | set[Any]) -> list[Finding]:
        want = self.served[i]
        assert want is not None
        result = self.results.get(i)
        if result is None:  # not in the snapshot
            scaled = bool(targets) and target_key(want, None, self.default_namespace) in targets
            return diff_object(want, None, self.options, autoscaled=scaled)
        scaled = bool(targets) and result.target in targets
        if scaled == result.scaled or result.live is None:
            return result.findings
        return diff_object(want, result.live, self.options, autoscaled=scaled)


def _identity(obj: Obj) -> Obj:
    meta = obj["metadata"]
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "metadata": {"name": meta["name"], "namespace": meta.get("namespace")},
    }
