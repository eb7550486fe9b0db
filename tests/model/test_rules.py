"""Rule identifiers: one `StrEnum` per family, their string values pinned (output contract).

`golden/rule_ids.txt` holds the id, category, severity and rule of every finding of two scans
(the bundled example, and a simulated fleet with many node and workload drifts) as the
code *before* the rule enums moved into the model layer printed them; the same scans must
print the same. `UPDATE_GOLDEN=1` rewrites it (review the diff: a changed rule string breaks
every stored timeline, suppression and `--disable-rule`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubedrift.analysis.user_controls import KNOWN_RULES
from kubedrift.diff.differences import Rule
from kubedrift.model.rules import (
    ALL_RULES,
    SWITCHABLE_RULES,
    AccessRule,
    NodeRule,
    ObjectRule,
    RemedyRule,
    WorkloadRule,
    rule_id,
)

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "rule_ids.txt"

CONTRACT = {
    "object-missing", "field-changed", "field-missing", "field-removed-from-desired",
    "list-item-missing", "list-item-extra", "list-order-changed", "field-added",
    "default-overridden", "field-not-served",
    "profile-mismatch", "profile-overlap", "profile-unmatched-gpu-node", "peer-mismatch",
    "peer-tie", "peer-split", "no-consensus", "gpu-count-mismatch", "gpu-unhealthy",
    "mig-config-not-applied", "driver-label-disagreement", "driver-too-old-for-cuda",
    "driver-upgrade-failed", "gfd-labels-stale", "kernel-changed-since-driver",
    "workload-on-drifted-node", "multi-node-job-inconsistent", "gang-below-minimum",
    "quota-held-without-pods", "pvc-not-backed-up", "mutable-image",
    "gpu-pod-without-gpu-limit", "inference-image-skew",
    "kind-not-served", "kind-not-readable",
    "heal-fight", "node-drift-resolved", "heal", "likely-to-drift",
}  # fmt: skip
"""Every rule string kubedrift has ever written (the README and stored timelines use them)."""


def test_every_rule_value_is_the_contract_string() -> None:
    assert {r.value for r in ALL_RULES} == CONTRACT
    assert len(ALL_RULES) == len(CONTRACT)  # no two members share a value


def test_plain_strings_compare_equal_to_members() -> None:
    changed: str = "field-changed"  # as a Finding, the store or a user holds it
    unhealthy: str = "gpu-unhealthy"
    assert changed == ObjectRule.FIELD_CHANGED
    assert unhealthy in frozenset({NodeRule.GPU_UNHEALTHY})
    assert rule_id("pvc-not-backed-up") is WorkloadRule.PVC_NOT_BACKED_UP
    assert rule_id("no-such-rule") is None
    assert Rule is ObjectRule  # the diff layer's name for it


def test_switchable_rules_are_what_users_may_name() -> None:
    assert frozenset(r.value for r in SWITCHABLE_RULES) == KNOWN_RULES
    assert AccessRule.KIND_NOT_READABLE in KNOWN_RULES
    assert not {r.value for r in RemedyRule} & KNOWN_RULES


def _kubedrift(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kubedrift", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode in (0, 2), done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fleet") / "fleet.json"
    _kubedrift(
        "simulate", "--nodes", "120", "--seed", "1", "--drift-rate", "0.4", "--out", str(path)
    )
    return path


def _scans(fleet: Path) -> dict[str, list[str]]:
    example = ["--desired", "examples/gpu-platform/desired"]
    example += ["--live", "examples/gpu-platform/live.json"]
    cases = {"simulated-fleet": ["--live", str(fleet)], "example": example}
    return {name: ["scan", *args] for name, args in cases.items()}


def test_scans_print_the_same_rule_ids_as_before(fleet: Path) -> None:
    lines = []
    for name, args in _scans(fleet).items():
        report = json.loads(_kubedrift(*args, "-o", "json"))
        rows = sorted(
            [f["id"], f["category"], f["severity"], f["rule"]] for f in report["findings"]
        )
        lines += [" ".join([name, *row]) for row in rows]
    text = "\n".join(lines) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_yaml_output_holds_plain_rule_strings(fleet: Path) -> None:
    """PyYAML's safe dumper refuses a `str` subclass: a member leaking into a finding fails."""
    report = yaml.safe_load(_kubedrift("scan", "--live", str(fleet), "-o", "yaml"))
    rules = {f["rule"] for f in report["findings"]}
    assert rules
    assert rules <= CONTRACT
