"""The `junit` format: well-formed XML in the shape GitLab and Jenkins read."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cli.test_render_fixture import TRAINER, empty_report, field, sample_report
from kubedrift.cli.render import Format, render
from kubedrift.model import Report, Severity


def junit(report: Report) -> ET.Element:
    out = render(report, Format.JUNIT, color=False)
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(out.encode())


def test_one_suite_named_kubedrift() -> None:
    root = junit(sample_report())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["kubedrift"]


def test_a_failed_testcase_per_drifted_object() -> None:
    report = sample_report()
    root = junit(report)
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == report.drifted_objects() == 9
    for element in (root, suite):
        assert element.get("tests") == "9"
        assert element.get("failures") == "9"
        assert element.get("errors") == "0"
    assert all(len(case.findall("failure")) == 1 for case in cases)


def test_failure_lists_every_finding_of_the_object() -> None:
    suite = junit(sample_report()).find("testsuite")
    assert suite is not None
    case = next(c for c in suite.iter("testcase") if c.get("name") == "Deployment/ml/trainer")
    assert case.get("classname") == "kubedrift.Deployment"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "object.field-changed"
    assert failure.get("message") == "4 findings, worst high: live value differs from desired"
    lines = (failure.text or "").splitlines()
    assert len(lines) == 4
    assert lines[0] == (
        "[high] /spec/replicas: 4 → 8 — live value differs from desired "
        "(rule object.field-changed; changed by kubectl-edit 2026-11-20T10:03:00Z)"
    )


def test_findings_without_values_are_not_shown_as_absent_to_absent() -> None:
    suite = junit(sample_report()).find("testsuite")
    assert suite is not None
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert (failure.text or "").startswith("[critical] (whole object) — 8 workers run on")


def test_no_drift_is_one_passing_testcase() -> None:
    for report in (empty_report(), Report(findings=())):
        root = junit(report)
        cases = list(root.iter("testcase"))
        assert [c.get("name") for c in cases] == ["no drift"]
        assert not list(root.iter("failure"))
        assert root.get("tests") == "1"
        assert root.get("failures") == "0"


def test_properties_record_revision_and_source() -> None:
    props = {p.get("name"): p.get("value") for p in junit(sample_report()).iter("property")}
    assert props == {"revision": "abc1234", "live_source": "cluster kind-gpu"}


def test_characters_xml_cannot_hold_are_spelled_out() -> None:
    hostile = "nul\x00 esc\x1b del\x7f surrogate\ud800 \ufffe"
    finding = field(TRAINER, "/data/x\x01", hostile, "ok", Severity.LOW, message=f"m {hostile}")
    failure = junit(Report(findings=(finding,))).find("testsuite/testcase/failure")
    assert failure is not None
    assert "\\u0000" in (failure.get("message") or "")
    assert "esc\\u001b del\\x7f surrogate\\ud800" in (failure.text or "")
