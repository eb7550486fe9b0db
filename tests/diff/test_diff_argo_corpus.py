"""The peer corpus: Argo CD gitops-engine diff test data, with the verdict each pair must get.

`../shared/corpus/argo-diff/cases.yaml` (beside the checkout) lists pairs of desired
("config") and live objects: `in_sync: true` means any finding is a false positive;
`in_sync: false` means the object must be reported, naming every path in `paths`; no value in
`never_printed` may appear in any output of any finding.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from kubedrift.diff import DiffOptions, diff_object
from kubedrift.model import Finding
from support.corpus import CORPUS as CORPUS_ROOT
from support.corpus import require_corpus

CORPUS = require_corpus(CORPUS_ROOT / "argo-diff", module_level=True)
CASE_KEYS = {"name", "desired", "live", "in_sync", "paths", "never_printed"}
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text())["cases"]
    return cases


CASES = load_cases()


def read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / name).read_text())
    return data


def printed(findings: list[Finding]) -> str:
    """Everything a finding can show: repr, JSON output and message."""
    return (
        repr(findings)
        + json.dumps([f.to_json() for f in findings])
        + " ".join(f.message for f in findings)
    )


def secret_values(*objects: dict[str, Any]) -> set[str]:
    """Every non-empty value of every Secret among the objects and their last-applied copies."""
    values: set[str] = set()
    for obj in objects:
        if obj.get("kind") != "Secret":
            continue
        annotation = (obj.get("metadata") or {}).get("annotations", {}).get(LAST_APPLIED)
        if annotation:
            values |= secret_values(json.loads(annotation))
        values |= {v for v in (obj.get("data") or {}).values() if v}
        values |= {base64.b64decode(v).decode() for v in (obj.get("data") or {}).values() if v}
    return values


def test_cases_file_schema() -> None:
    assert len(CASES) == len({c["name"] for c in CASES}) >= 12
    for case in CASES:
        assert set(case) <= CASE_KEYS, case["name"]
        assert isinstance(case["in_sync"], bool)
        assert (CORPUS / case["desired"]).is_file()
        assert (CORPUS / case["live"]).is_file()
        assert not (case["in_sync"] and case.get("paths")), "an in-sync case names no paths"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_verdict(case: dict[str, Any]) -> None:
    desired, live = read(case["desired"]), read(case["live"])
    findings = diff_object(desired, live, DiffOptions(revision="corpus"))
    if case["in_sync"]:
        assert findings == [], [f.message for f in findings]
        return
    assert findings, "drift must be reported"
    reported = {f.path for f in findings}
    for path in case.get("paths") or ():
        assert path in reported, f"{path} not named; reported {sorted(reported)}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_secret_values_are_never_printed(case: dict[str, Any]) -> None:
    desired, live = read(case["desired"]), read(case["live"])
    text = printed(diff_object(desired, live))
    for value in {*(case.get("never_printed") or ()), *secret_values(desired, live)}:
        assert value not in text


def test_corpus_findings_in_detail() -> None:
    """The drift cases, finding by finding: rules, values and severities."""
    drift = diff_object(read("elasticsearch-drift-config.json"), read("elasticsearch-live.json"))
    assert sorted((f.path, f.rule, f.severity.value) for f in drift) == [
        ("/metadata/labels/chart", "field-changed", "low"),
        ("/metadata/labels/foo", "field-missing", "low"),
        ("/metadata/labels/release", "field-removed-from-desired", "low"),
    ]
    (image,) = diff_object(read("deployment-drift-config.json"), read("deployment-live.json"))
    assert (image.path, image.severity.value) == (
        "/spec/template/spec/containers/name=guestbook-ui/image",
        "high",
    )
    (secret,) = diff_object(read("wordpress-drift-config.json"), read("wordpress-live.json"))
    assert secret.path == "/data/wordpress-password"
    assert str(secret.desired).startswith("sha256:")
    assert str(secret.live).startswith("sha256:")
