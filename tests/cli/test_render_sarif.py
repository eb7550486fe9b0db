"""The `sarif` format, checked against the essentials of SARIF 2.1.0 (OASIS, §3)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from cli.test_render_fixture import TRAINER, empty_report, field, sample_report
from kubedrift import __version__
from kubedrift.cli.render import Format, render
from kubedrift.cli.render.sarif import FINGERPRINT, LEVELS, fingerprint
from kubedrift.model import Report, Severity

SARIF_LEVELS = {"none", "note", "warning", "error"}


def sarif(report: Report) -> dict[str, Any]:
    out = render(report, Format.SARIF, color=False)
    assert out.endswith("}\n")
    doc: dict[str, Any] = json.loads(out)
    return doc


def check_log(doc: dict[str, Any]) -> None:
    """The required properties and cross-references of a sarifLog with one run."""
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kubedrift"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
    for result in run["results"]:
        check_result(result, rule_ids)


def check_result(result: dict[str, Any], rule_ids: list[str]) -> None:
    assert result["message"]["text"]
    assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    assert result["level"] in SARIF_LEVELS
    for location in result["locations"]:
        for logical in location["logicalLocations"]:
            assert logical["fullyQualifiedName"]
    for key, value in result["partialFingerprints"].items():
        assert "/v" in key
        assert isinstance(value, str)


@pytest.mark.parametrize("report", [sample_report(), empty_report(), Report(findings=())])
def test_log_has_the_required_structure(report: Report) -> None:
    check_log(sarif(report))


def test_driver_names_kubedrift_and_its_version() -> None:
    driver = sarif(sample_report())["runs"][0]["tool"]["driver"]
    assert driver["version"] == __version__
    assert [rule["id"] for rule in driver["rules"]] == [
        "workload.on-drifted-node",
        "node.peer-mismatch",
        "object.field-changed",
        "workload.mutable-image-tag",
        "object.missing",
    ]
    assert driver["rules"][0]["shortDescription"] == {"text": "Workload on drifted node"}


def test_one_result_per_finding_in_order() -> None:
    report = sample_report()
    results = sarif(report)["runs"][0]["results"]
    assert [r["message"]["text"] for r in results] == [f.message for f in report.findings]


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_level_follows_severity(severity: Severity, level: str) -> None:
    report = Report(findings=(field(TRAINER, "/spec/replicas", 4, 8, severity),))
    assert sarif(report)["runs"][0]["results"][0]["level"] == level
    assert LEVELS[severity] == level


def test_result_locates_object_and_path_and_carries_values() -> None:
    result = sarif(sample_report())["runs"][0]["results"][3]
    assert result["locations"] == [
        {
            "logicalLocations": [
                {
                    "name": "/spec/replicas",
                    "fullyQualifiedName": "Deployment/ml/trainer#/spec/replicas",
                    "kind": "resource",
                }
            ]
        }
    ]
    props = result["properties"]
    assert (props["desired"], props["live"]) == (4, 8)
    assert props["manager"] == "kubectl-edit"
    assert props["changed_at"] == "2026-11-20T10:03:00Z"
    assert props["revision"] == "abc1234"


def test_whole_object_findings_locate_the_object() -> None:
    results = sarif(sample_report())["runs"][0]["results"]
    missing = next(r for r in results if r["ruleId"] == "object.missing")
    location = missing["locations"][0]["logicalLocations"][0]
    assert location["fullyQualifiedName"] == "ConfigMap/ml/trainer-config"
    assert missing["properties"]["live"] is None


def test_fingerprint_follows_identity_not_values() -> None:
    finding = field(TRAINER, "/spec/replicas", 4, 8, Severity.HIGH)
    same = dataclasses.replace(finding, live=9, severity=Severity.LOW, message="other")
    other = dataclasses.replace(finding, path="/spec/paused")
    assert fingerprint(finding) == fingerprint(same)
    assert fingerprint(finding) != fingerprint(other)
    result = sarif(Report(findings=(finding,)))["runs"][0]["results"][0]
    assert result["partialFingerprints"] == {FINGERPRINT: fingerprint(finding)}


def test_fingerprints_are_distinct_in_the_sample() -> None:
    results = sarif(sample_report())["runs"][0]["results"]
    prints = [r["partialFingerprints"][FINGERPRINT] for r in results]
    assert len(set(prints)) == len(prints)


def test_run_records_revision_and_source() -> None:
    run = sarif(sample_report())["runs"][0]
    assert run["properties"] == {"revision": "abc1234", "live_source": "cluster kind-gpu"}


def test_empty_report_has_no_rules_and_no_results() -> None:
    run = sarif(Report(findings=()))["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []


def test_artifact_locations_are_relative_inside_the_root_and_file_uris_outside(
    tmp_path: Path,
) -> None:
    """GitHub accepts only a repository-relative uri with a base id, or an absolute one."""
    from kubedrift.cli.render.sarif import artifact_location

    root = tmp_path / "repo"
    root.mkdir()
    assert artifact_location("deploy/my app.yaml", root) == {
        "uri": "deploy/my%20app.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert artifact_location(str(root / "a.yaml"), root)["uri"] == "a.yaml"
    outside = artifact_location("../elsewhere.yaml", root)
    assert outside == {"uri": (tmp_path / "elsewhere.yaml").as_uri()}
