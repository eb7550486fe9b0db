"""The `table` format: golden output, colour on and off, grouping, caps and hostile values."""

from __future__ import annotations

import dataclasses
import re

import pytest
from rich.cells import cell_len

from cli.test_render_fixture import (
    HF_TOKEN,
    TRAINER,
    check_golden,
    empty_report,
    field,
    node_fact,
    sample_report,
)
from kubedrift.cli.render import Format, render
from kubedrift.cli.render.table_nodes import MAX_NODES
from kubedrift.model import MISSING, PoolSummary, Report, Severity

ANSI = re.compile(r"\x1b")


def table(report: Report, width: int = 100, *, color: bool = False) -> str:
    return render(report, Format.TABLE, color=color, width=width)


def test_sample_matches_golden() -> None:
    check_golden("sample.table.txt", table(sample_report()))


def test_empty_matches_golden() -> None:
    check_golden("empty.table.txt", table(empty_report()))


def test_empty_report_says_no_drift() -> None:
    out = table(Report(findings=()))
    assert out == "No drift found.\n"


def test_headline_counts_severities_revision_and_source() -> None:
    first = table(sample_report(), width=140).splitlines()[0]
    assert first.startswith("13 findings on 9 objects · 1 critical · 4 high · 4 medium")
    assert first.endswith("revision abc1234 · live: cluster kind-gpu")


def test_headline_moves_context_to_second_line_when_narrow() -> None:
    lines = table(sample_report(), width=80).splitlines()
    assert "revision" not in lines[0]
    assert lines[1].startswith("revision abc1234 · live: cluster kind-gpu")


def test_headline_is_singular_for_one() -> None:
    report = Report(findings=(field(TRAINER, "/spec/replicas", 1, 2, Severity.LOW),))
    assert table(report).startswith("1 finding on 1 object · 1 low\n")


def test_no_ansi_without_color() -> None:
    assert not ANSI.search(table(sample_report()))


def test_ansi_with_color() -> None:
    out = table(sample_report(), color=True)
    assert "\x1b[31m- 4" in out  # desired in red
    assert "\x1b[32m+ 8" in out  # live in green
    assert "\x1b[1;31mHIGH" in out  # severity badge


def test_color_ignores_no_color_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whether to colour is the CLI's decision (it reads NO_COLOR); render obeys `color`.
    monkeypatch.setenv("NO_COLOR", "1")
    assert ANSI.search(table(sample_report(), color=True))


def test_groups_follow_their_first_finding() -> None:
    out = table(sample_report())
    titles = ["PyTorchJob/ml/llama-ft", "h100: 16 nodes", "Deployment/ml/trainer",
              "Secret/ml/hf-token", "a100: 8 nodes", "ConfigMap/ml/trainer-config",
              "ConfigMap/ml/prompts", "nodes without a pool"]  # fmt: skip
    positions = [out.index(f"\n{title}") for title in titles]
    assert positions == sorted(positions)


def test_findings_keep_their_order_within_an_object() -> None:
    out = table(sample_report())
    section = out[out.index("\nDeployment/ml/trainer") : out.index("\nSecret/")]
    order = ["/spec/replicas", "8 GPUs", "/resources", "/metadata/labels/team"]
    assert [section.index(text) for text in order] == sorted(section.index(t) for t in order)


def test_workload_shows_impact_before_message() -> None:
    out = table(sample_report())
    assert out.index("64 GPUs · 1,234.6 GPU-hours at risk") < out.index("8 workers run on")
    assert "ml/llama-ft-worker-2 and 5 more" in out


def test_object_diff_shows_manager_and_time() -> None:
    out = table(sample_report())
    assert "  HIGH     /spec/replicas · live value differs from desired\n" in out
    assert "           - 4\n           + 8\n" in out
    assert "changed by kubectl-edit 2026-11-20T10:03:00Z · rule object.field-changed" in out


def test_absent_and_null_values() -> None:
    out = table(sample_report())
    assert "+ <absent>" in out  # the ConfigMap missing from the cluster
    assert "- null\n           + vision" in out


def test_collections_read_as_yaml_lines() -> None:
    out = table(sample_report())
    assert "- limits:\n           -   nvidia.com/gpu: 8\n" in out
    assert "-   train.yaml: |\n           -     epochs: 3\n" in out


def test_secret_shows_only_the_hash_it_holds() -> None:
    report = Report(findings=(sample_report().findings[4],))
    assert report.findings[0].object == HF_TOKEN
    out = table(report)
    assert "- sha256:9f2c1ab0e4d7\n" in out
    assert "+ sha256:41ab07c3d2e9\n" in out


def test_strings_that_look_like_other_types_are_quoted() -> None:
    report = Report(findings=(field(TRAINER, "/data/a", "8", 8, Severity.LOW),))
    assert '- "8"\n' in table(report)


def test_pool_lists_capped_nodes_and_counts_the_rest() -> None:
    nodes = [node_fact(f"gpu-h100-{i:03}", "kernelVersion", "6.8.0-45", "6.8.0-49",
                       Severity.HIGH, pool="h100") for i in range(35)]  # fmt: skip
    report = Report(findings=tuple(nodes), pools=(PoolSummary("h100", 5000, 35),))
    out = table(report)
    assert "h100: 5,000 nodes, 35 drifted" in out
    assert f"gpu-h100-{MAX_NODES - 1:03}" in out
    assert f"gpu-h100-{MAX_NODES:03}" not in out
    assert "… 25 more drifted nodes (25 findings)" in out
    assert len(out.splitlines()) < 20


def test_node_facts_are_capped_per_node() -> None:
    facts = [
        node_fact("gpu-1", f"fact-{i}", "a", "b", Severity.LOW, pool="h100") for i in range(12)
    ]
    out = table(Report(findings=tuple(facts)))
    assert "fact-7" in out
    assert "fact-8" not in out
    assert "… 4 more facts" in out


def test_clean_pools_and_notes_close_the_report() -> None:
    out = table(sample_report())
    assert out.endswith(
        "Pools without drift: l4 (32 nodes)\n\nNotes\n"
        "  • 2 desired objects skipped: no CRD for kind RayCluster in the cluster\n"
    )


@pytest.mark.parametrize("width", [60, 80, 100, 140])
def test_no_line_is_wider_than_the_console(width: int) -> None:
    long_value = "x" * 500
    report = dataclasses.replace(
        sample_report(),
        findings=(*sample_report().findings, field(TRAINER, "/data/long", long_value, "y",
                                                   Severity.LOW)),
    )  # fmt: skip
    for line in table(report, width).splitlines():
        assert cell_len(line) <= width, line


def test_long_values_are_cut_with_an_ellipsis() -> None:
    report = Report(findings=(field(TRAINER, "/data/long", "x" * 500, "y", Severity.LOW),))
    diff = [line for line in table(report).splitlines() if line.strip().startswith("- ")]
    assert diff == ["           - " + "x" * 86 + "…"]


def test_long_multi_line_values_are_capped() -> None:
    text = "\n".join(f"line {i}" for i in range(40))
    report = Report(findings=(field(TRAINER, "/data/conf", text, MISSING, Severity.LOW),))
    out = table(report)
    assert "- line 10\n" in out
    assert "- line 11\n" not in out
    assert "- … 29 more lines\n" in out


def test_values_cannot_drive_the_terminal() -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07\x9b31m"
    finding = field(TRAINER, "/data/x\x1b[1m", hostile, f"a\n{hostile}", Severity.LOW,
                    manager="evil\x1b[5m", message="m\x1b[0m")  # fmt: skip
    report = Report(findings=(finding,), notes=("note\x1b[2J",), live_source="src\x1b")
    out = table(report)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", out)
    assert "\\x1b[2J" in out


def test_default_width_is_120() -> None:
    report = Report(findings=(field(TRAINER, "/data/long", "x" * 500, "y", Severity.LOW),))
    out = render(report, Format.TABLE, color=False)
    assert max(cell_len(line) for line in out.splitlines()) == 120
