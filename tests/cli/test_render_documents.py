"""The `json` and `yaml` formats: the `kubedrift/v1` contract, round trips, stable text."""

from __future__ import annotations

import json

import msgspec
import pytest
import yaml

from cli.test_render_fixture import TRAINER, check_golden, empty_report, field, sample_report
from kubedrift.cli.render import Format, render
from kubedrift.model import SCHEMA, Report, Severity

FINDING_KEYS = {"category", "severity", "object", "path", "desired", "live", "rule", "message"}
OBJECT_KEYS = {"apiVersion", "kind", "namespace", "name"}
REPORTS = [sample_report(), empty_report(), Report(findings=())]


def as_json(report: Report) -> str:
    return render(report, Format.JSON, color=False)


def as_yaml(report: Report) -> str:
    return render(report, Format.YAML, color=False)


def test_json_matches_golden() -> None:
    check_golden("sample.json", as_json(sample_report()))


@pytest.mark.parametrize("report", REPORTS)
def test_json_round_trips(report: Report) -> None:
    out = as_json(report)
    assert json.loads(out) == report.to_json()
    assert msgspec.json.decode(out) == report.to_json()


def test_json_has_the_contract_keys() -> None:
    doc = json.loads(as_json(sample_report()))
    assert list(doc) == ["schema", "summary", "findings"]
    assert doc["schema"] == SCHEMA == "kubedrift/v1"
    assert doc["summary"]["findings"] == len(doc["findings"]) == 13
    for finding in doc["findings"]:
        assert finding.keys() >= FINDING_KEYS
        assert set(finding["object"]) == OBJECT_KEYS
        assert finding["severity"] in {"critical", "high", "medium", "low", "info"}
    replicas = next(f for f in doc["findings"] if f["path"] == "/spec/replicas")
    assert replicas["manager"] == "kubectl-edit"
    assert replicas["changed_at"] == "2026-11-20T10:03:00Z"
    assert replicas["revision"] == "abc1234"


def test_json_is_indented_with_two_spaces_and_ends_with_newline() -> None:
    out = as_json(empty_report())
    assert out.startswith('{\n  "schema": "kubedrift/v1",\n  "summary": {\n    "findings": 0,')
    assert out.endswith("}\n")
    assert not out.endswith("\n\n")


def test_json_keeps_the_finding_order() -> None:
    doc = json.loads(as_json(sample_report()))
    assert [f["rule"] for f in doc["findings"][:2]] == [
        "workload.on-drifted-node",
        "node.peer-mismatch",
    ]


@pytest.mark.parametrize("report", REPORTS)
def test_yaml_loads_back_equal_to_json(report: Report) -> None:
    assert yaml.safe_load(as_yaml(report)) == json.loads(as_json(report))


def test_yaml_keeps_key_order() -> None:
    out = as_yaml(sample_report())
    assert out.startswith("schema: kubedrift/v1\nsummary:\n  findings: 13\n")
    assert out.index("\nfindings:\n") > out.index("\nsummary:\n")


def test_yaml_writes_shared_values_twice_not_as_aliases() -> None:
    shared = {"limits": {"nvidia.com/gpu": 8}}
    report = Report(
        findings=(
            field(TRAINER, "/spec/a", shared, None, Severity.LOW),
            field(TRAINER, "/spec/b", shared, None, Severity.LOW),
        )
    )
    out = as_yaml(report)
    assert "&id" not in out
    assert "*id" not in out
    assert out.count("nvidia.com/gpu: 8") == 2


TRICKY = ["yes", "08", "null", "", " padded ", "a: b", "- x", "#c", "line\n  indented\n", "tail \n"]


@pytest.mark.parametrize("value", TRICKY)
def test_yaml_keeps_strings_strings(value: str) -> None:
    report = Report(findings=(field(TRAINER, "/data/x", value, 1.5, Severity.LOW),))
    loaded = yaml.safe_load(as_yaml(report))
    assert loaded["findings"][0]["desired"] == value
    assert loaded["findings"][0]["live"] == 1.5


def test_yaml_writes_multi_line_text_as_a_block() -> None:
    out = as_yaml(sample_report())
    assert "train.yaml: |\n        epochs: 3\n        lr: 0.0001\n" in out
