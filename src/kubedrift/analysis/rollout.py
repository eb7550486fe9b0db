""" "Likely to drift" notices: nodes of a pool that is mid upgrade wave and have yet to change.

A rollout of node software goes pool by pool, node by node: while it runs, part of the
pool already has the new driver, kernel, OS image, kubelet or container runtime, and the
rest is still to go. Those nodes are about to change — a long training job scheduled on one
now will meet the reboot — so each gets one *notice*: category `node`, severity `info`,
rule `likely-to-drift`, `live` its current version and `desired` the one the wave brings,
and the message names the other nodes still to go and, when the controller forecasts
(`watch --predict`), the node's predicted risk. Once the pool agrees again the notice is
gone (the fleet pass that no longer reports it resolves it).

A wave is recognised only where it cannot be mistaken for a healthy mixed fleet:

- within one pool (`peers.pool_names`: node group, instance type, GPU product), never
  across pools — a spot pool and an on-demand pool, or an A100 and an H100 pool, may
  run different versions for good;
- on a version fact with exactly two values, both versions (`versions.parse_version`)
  of the same *flavour* — the words around the number agree: `6.8.0-1012-aws` and
  `6.5.0-1024-aws` are a wave, `6.1.0-18-amd64` and `6.1.0-18-arm64` are two
  architectures, `Ubuntu 22.04.4 LTS` and `Bottlerocket OS 1.19.2` two distributions;
  build hashes of a kubelet (`v1.29.3-eks-ae9a62a`) are not words;
- the driver read from either GPU Feature Discovery vocabulary (`cuda.driver-version.full`
  or the older `cuda.driver.major/minor/rev`), so a pool that mixes GFD versions is not two
  driver versions;
- nodes that lack the fact (a CPU node, a node GFD has not labelled yet) are left out;
- at least two nodes already run the newer version: one alone is a snowflake (or a
  canary), which `peer-mismatch` reports as drift already;
- or where the GPU operator's upgrade controller says so: a node whose
  `nvidia.com/gpu-driver-upgrade-state` is a step of an upgrade in progress (neither
  `upgrade-done` nor `upgrade-failed`, see NVIDIA's "GPU Driver Upgrades" guide,
  cloud-native-docs `gpu-operator/gpu-driver-upgrades.rst`) is still to go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubedrift.analysis import gpu_labels as gl
from kubedrift.analysis.facts import NodeFacts, label_fact
from kubedrift.analysis.findings import NodeRule, fact_title, node_finding, node_ref
from kubedrift.analysis.options import NodeOptions
from kubedrift.analysis.peers import pool_names
from kubedrift.analysis.versions import compare, parse_version
from kubedrift.model import Finding, Severity

DRIVER = label_fact(gl.DRIVER_FULL)
WAVE_FACTS = (
    DRIVER,
    "nodeInfo.kernelVersion",
    "nodeInfo.osImage",
    "nodeInfo.kubeletVersion",
    "nodeInfo.containerRuntimeVersion",
)
"""Node software that rolls out in waves, most specific to the GPU stack first."""
UPGRADE_STATE = label_fact(gl.UPGRADE_STATE)
SETTLED_STATES = frozenset({"", "upgrade-done", "upgrade-failed"})
SHOWN = 5
MIN_DONE = 2
"""Nodes that must already run the new version: one alone is a snowflake (or a canary),
which `peer-mismatch` reports; a wave has begun once two have moved."""
_WORD = re.compile(r"[A-Za-z]{3,}")
_HEX = re.compile(r"[0-9a-f]{6,}")


@dataclass(frozen=True, slots=True)
class Wave:
    """One pool mid upgrade on one fact: who already runs `new`, who is still on the old."""

    pool: str
    fact: str
    new: str
    done: tuple[str, ...]
    to_go: tuple[tuple[str, str], ...]
    """(node, its current value), by node name."""


def upgrade_waves(nodes: Sequence[NodeFacts], options: NodeOptions) -> list[Wave]:
    """Every wave in progress, by pool then fact (see the module docstring)."""
    pools: dict[str, list[NodeFacts]] = {}
    for facts, pool in zip(nodes, pool_names(nodes, options), strict=True):
        pools.setdefault(pool, []).append(facts)
    waves: list[Wave] = []
    for pool, members in sorted(pools.items()):
        found = [w for fact in WAVE_FACTS if (w := _wave(pool, fact, members)) is not None]
        operator = _operator_wave(pool, members)
        if operator is not None and not any(w.fact == DRIVER for w in found):
            found.insert(0, operator)
        waves += found
    return waves


def _value(facts: NodeFacts, fact: str) -> str | None:
    if fact == DRIVER:
        return driver_version(facts)
    value = facts.get(fact)
    return value if isinstance(value, str) and value else None


def driver_version(facts: NodeFacts) -> str | None:
    """The driver version GFD published, in either label vocabulary."""
    full = facts.label(gl.DRIVER_FULL)
    if full:
        return full
    parts = [facts.label(k) for k in gl.DRIVER_PARTS_OLD]
    if not all(parts):
        parts = [facts.label(k) for k in gl.DRIVER_PARTS]
    return ".".join(p for p in parts if p) if all(parts) else None


def _flavour(text: str) -> tuple[str, ...]:
    """The words around a version (`aws`, `Ubuntu LTS`), without build hashes."""
    return tuple(_WORD.findall(_HEX.sub(" ", text)))


def _wave(pool: str, fact: str, members: Sequence[NodeFacts]) -> Wave | None:
    values = {f.name: v for f in members if (v := _value(f, fact)) is not None}
    distinct = sorted(set(values.values()))
    if len(distinct) != 2:
        return None
    first, second = (parse_version(v) for v in distinct)
    if first is None or second is None or _flavour(distinct[0]) != _flavour(distinct[1]):
        return None
    order = compare(first, second)
    if order == 0:  # `1.29` and `1.29.0`: one version spelt twice
        return None
    old, new = distinct if order < 0 else distinct[::-1]
    done = tuple(sorted(n for n, v in values.items() if v == new))
    to_go = tuple(sorted((n, v) for n, v in values.items() if v == old))
    if len(done) < MIN_DONE:
        return None
    return Wave(pool, fact, new, done, to_go)


def _operator_wave(pool: str, members: Sequence[NodeFacts]) -> Wave | None:
    """The GPU operator's own view: nodes in an upgrade step are still to go."""
    states = {f.name: str(f.get(UPGRADE_STATE) or "") for f in members}
    to_go = tuple(sorted((n, s) for n, s in states.items() if s not in SETTLED_STATES))
    if not to_go:
        return None
    done = tuple(sorted(n for n, s in states.items() if s == "upgrade-done"))
    return Wave(pool, UPGRADE_STATE, "upgrade-done", done, to_go)


def rollout_notices(
    nodes: Sequence[NodeFacts], options: NodeOptions, risk: Mapping[str, float] | None = None
) -> list[Finding]:
    """One `likely-to-drift` notice per node still to go in each wave; `risk` maps a node
    name to its predicted 7-day probability of drifting (None: no forecast)."""
    out: list[Finding] = []
    for wave in upgrade_waves(nodes, options):
        for name, current in wave.to_go:
            out.append(_notice(wave, name, current, risk))
    return out


def _notice(wave: Wave, name: str, current: str, risk: Mapping[str, float] | None) -> Finding:
    total = len(wave.done) + len(wave.to_go)
    others = [n for n, _ in wave.to_go if n != name]
    more = f" and {len(others) - SHOWN} more" if len(others) > SHOWN else ""
    listed = ", ".join(others[:SHOWN]) + more
    title = fact_title(wave.fact)
    message = (
        f"pool {wave.pool} is mid upgrade: {len(wave.done)} of {total} nodes already run "
        f"{title} {wave.new}; this node is still on {current} and likely to change next"
        + (f" (still to go besides it: {listed})" if others else "")
        + _risk_text(name, risk)
        + "; avoid starting long jobs on it until it is upgraded"
    )
    details = [("wave", f"{len(wave.done)}/{total}"), ("to_go", str(len(wave.to_go)))]
    if risk is not None and name in risk:
        details.append(("predicted_risk_7d", f"{risk[name]:.2f}"))
    return node_finding(
        node_ref(name),
        wave.pool,
        NodeRule.LIKELY_TO_DRIFT,
        severity=Severity.INFO,
        path=wave.fact,
        desired=wave.new,
        live=current,
        message=message,
        details=tuple(details),
    )


def _risk_text(name: str, risk: Mapping[str, float] | None) -> str:
    if risk is None:
        return ""
    if name not in risk:
        return "; no drift recorded for it before, so no predicted risk"
    return f"; predicted risk of drifting within 7 days: {risk[name]:.0%}"
