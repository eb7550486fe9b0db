"""`render()` and `Format`: the public API every format goes through."""

from __future__ import annotations

import re

import pytest

import kubedrift.cli.render as render_module
from cli.test_render_fixture import empty_report, sample_report
from kubedrift.cli.render import Format, render
from kubedrift.model import Report

REPORTS = [sample_report(), empty_report(), Report(findings=())]


def test_public_api() -> None:
    assert render_module.__all__ == ["Format", "render"]


def test_formats_are_the_documented_output_choices() -> None:
    # docs/DESIGN.md: `-o table|json|yaml|markdown|sarif|junit`
    assert [f.value for f in Format] == [
        "table",
        "wide",
        "json",
        "yaml",
        "markdown",
        "sarif",
        "junit",
    ]
    assert Format("sarif") is Format.SARIF


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("report", REPORTS)
def test_every_format_renders_every_report(fmt: Format, report: Report) -> None:
    out = render(report, fmt, color=False)
    assert out.strip()
    assert out.endswith("\n")
    assert not out.endswith("\n\n")


@pytest.mark.parametrize("fmt", list(Format))
def test_no_ansi_without_color(fmt: Format) -> None:
    assert "\x1b" not in render(sample_report(), fmt, color=False, width=100)


@pytest.mark.parametrize("fmt", [f for f in Format if f not in (Format.TABLE, Format.WIDE)])
def test_color_and_width_matter_to_the_tables_only(fmt: Format) -> None:
    report = sample_report()
    assert render(report, fmt, color=True, width=40) == render(report, fmt, color=False)


def test_wide_is_the_table_uncut_and_ignores_the_width() -> None:
    report = sample_report()
    wide = render(report, Format.WIDE, color=False, width=40)
    assert wide == render(report, Format.WIDE, color=False, width=200)
    assert max(len(line) for line in wide.splitlines()) > 40
    assert "…" not in wide or "…" in render(report, Format.TABLE, color=False, width=1000)


def test_table_is_coloured_on_request() -> None:
    assert re.search(r"\x1b\[[0-9;]*m", render(sample_report(), Format.TABLE, color=True))
