"""The `markdown` format: golden report, summary table, escaping for table cells."""

from __future__ import annotations

import re

import pytest

from cli.test_render_fixture import TRAINER, check_golden, empty_report, field, sample_report
from kubedrift.cli.render import Format, render
from kubedrift.cli.render.markdown import code, text
from kubedrift.model import Report, Severity

CELL_BREAK = re.compile(r"(?<!\\)\|")


def markdown(report: Report) -> str:
    return render(report, Format.MARKDOWN, color=False)


def test_sample_matches_golden() -> None:
    check_golden("sample.md", markdown(sample_report()))


def test_empty_matches_golden() -> None:
    check_golden("empty.md", markdown(empty_report()))


def test_summary_counts_severity_by_category() -> None:
    out = markdown(sample_report())
    assert "| category | critical | high | medium | low | info | total |" in out
    assert "| object | 0 | 2 | 2 | 1 | 1 | 6 |" in out
    assert "| **total** | 1 | 4 | 4 | 2 | 2 | **13** |" in out


def test_object_section_has_a_row_per_finding() -> None:
    out = markdown(sample_report())
    assert "## Deployment/ml/trainer" in out
    assert "| path | desired | live | changed by | severity |" in out
    assert "| `/spec/replicas` | `4` | `8` | kubectl-edit 2026-11-20T10:03:00Z | high |" in out
    assert "| (whole object) | `{" in out
    assert "| `<absent>` |  | medium |" in out


def test_every_table_row_has_as_many_cells_as_its_header() -> None:
    tables = [block for block in markdown(sample_report()).split("\n\n") if block[:1] == "|"]
    assert tables
    for block in tables:
        rows = block.splitlines()
        cells = {len(CELL_BREAK.split(row)) for row in rows}
        assert len(cells) == 1, block


def test_hostile_values_stay_in_their_cell() -> None:
    value = "a | b `c` ``d``\nsecond | line"
    report = Report(findings=(field(TRAINER, "/data/x|y", value, "<b>x</b>", Severity.LOW,
                                    manager="bob|*eve*"),))  # fmt: skip
    row = markdown(report).splitlines()[-1]
    assert len(CELL_BREAK.split(row)) == 7
    assert "``` a \\| b `c` ``d`` ```<br>`second \\| line`" in row
    assert "`<b>x</b>`" in row  # inside a code span HTML is shown, not rendered
    assert "bob\\|\\*eve\\*" in row


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", "`plain`"),
        ("a|b", "`a\\|b`"),
        ("x `y` z", "``x `y` z``"),
        ("`edge", "`` `edge ``"),
        ("  indented", "`   indented `"),
        ("", ""),
    ],
)
def test_code_spans(raw: str, expected: str) -> None:
    assert code(raw) == expected


def test_code_outside_a_table_keeps_pipes() -> None:
    assert code("a|b", in_table=False) == "`a|b`"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a|b", "a\\|b"),
        ("*x* _y_ [l](u) <i>", "\\*x\\* \\_y\\_ \\[l\\](u) \\<i\\>"),
        ("one\ntwo", "one<br>two"),
        ("esc\x1b", "esc\\\\x1b"),
    ],
)
def test_text_escapes(raw: str, expected: str) -> None:
    assert text(raw) == expected


def test_workload_findings_list_their_impact() -> None:
    out = markdown(sample_report())
    assert (
        "- **critical** · 8 workers run on gpu-h100-07, whose driver differs from its pool"
        " · 64 GPUs, 1,234.6 GPU-hours at risk · workloads: ml/llama-ft-worker-0," in out
    )
    assert "`ghcr.io/acme/trainer:2.4.1` → `ghcr.io/acme/trainer:latest`" in out


def test_pools_get_a_node_fact_table() -> None:
    out = markdown(sample_report())
    assert "## Pool a100: 8 nodes, 1 drifted · profile a100-prod" in out
    assert "| gpu-a100-02 | `nvidia.com/mig.config.state` | `success` | `failed` | medium |" in out


def test_empty_report_has_no_summary_table() -> None:
    out = markdown(empty_report())
    assert "No drift found." in out
    assert "|" not in out
