"""`kubedrift report` end to end: scan inputs, a store filled by real scans, PDF, bad input."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app
from kubedrift.engine import ScanRequest, run_scan
from kubedrift.store import SqlStore
from report.pages import external, parse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gpu-platform"
SCAN_INPUTS = ("--desired", str(EXAMPLE / "desired"), "--live", str(EXAMPLE / "live.json"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def cli() -> object:
    return app


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli(), ["report", *args], env={"KUBEDRIFT_STORE": None})  # type: ignore[arg-type]
    return result.exit_code, result.stdout, result.stderr


def scan_json() -> dict[str, Any]:
    result = CliRunner().invoke(cli(), ["scan", *SCAN_INPUTS, "-o", "json"])  # type: ignore[arg-type]
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_a_report_of_a_scan_lists_every_finding_scan_reports(tmp_path: Path) -> None:
    out = tmp_path / "now.html"
    code, stdout, _ = invoke(*SCAN_INPUTS, "--out", str(out), "--title", "GPU platform")
    findings = scan_json()["findings"]
    assert code == 0
    assert (
        stdout == f"wrote {out} ({len(findings)} findings, {out.stat().st_size / 1024:,.0f} KB)\n"
    )
    page = parse(out.read_text())
    assert page.rows == len(findings)
    assert [r for r in page.references if external(r)] == []
    assert "<title>GPU platform</title>" in out.read_text()
    assert "No timeline store was given" in out.read_text()


@pytest.fixture
def store_of_real_scans(tmp_path: Path) -> tuple[Path, int]:
    """The example scanned for real and recorded on day 0; on day 2 only the first three
    findings are still seen (the rest resolve after 2 days)."""
    request = ScanRequest(desired=(str(EXAMPLE / "desired"),), snapshots=(EXAMPLE / "live.json",))
    report = asyncio.run(run_scan(request))
    db = tmp_path / "timeline.db"
    with SqlStore.open(str(db)) as store:
        store.record_scan("prod-a", report.findings, at=T0)
        store.record_scan("prod-a", report.findings[:3], at=T0 + timedelta(days=2))
    return db, len(report.findings)


def test_a_report_of_a_store_counts_what_the_scans_recorded(
    tmp_path: Path, store_of_real_scans: tuple[Path, int]
) -> None:
    db, total = store_of_real_scans
    out = tmp_path / "month.html"
    window = ("--since", "2026-03-01T00:00:00Z", "--until", "2026-03-05T00:00:00Z")
    code, _, stderr = invoke("--store", str(db), *window, "--cluster", "prod-a", "--out", str(out))
    assert code == 0, stderr
    text = out.read_text()
    assert parse(text).rows == total
    assert text.count("<td>open</td>") == 3
    assert text.count("resolved 2026-03-04 09:00Z") == total - 3
    assert '<div class="n">2d 0h</div><div class="l">MTTR</div>' in text
    assert f'<div class="n">{total - 3}</div><div class="l">resolved</div>' in text


def test_a_pdf(tmp_path: Path) -> None:
    out = tmp_path / "now.pdf"
    code, _, stderr = invoke(*SCAN_INPUTS, "--out", str(out))
    assert code == 0, stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_teams_group_mttr(tmp_path: Path, store_of_real_scans: tuple[Path, int]) -> None:
    db, _ = store_of_real_scans
    out = tmp_path / "teams.html"
    window = ("--since", "2026-03-01T00:00:00Z", "--until", "2026-03-05T00:00:00Z")
    code, _, stderr = invoke(
        "--store", str(db), *window, "--team", "ml-serving=inference", "--out", str(out)
    )
    assert code == 0, stderr
    assert "<td>inference</td>" in out.read_text()


def kubedrift(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubedrift", "report", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("missing/r.html", "no such folder"),
        ("r.txt", "must be a .html or .pdf file"),
        (".", "must be a .html or .pdf file"),
        ("folder.html", "is a folder, not a file"),
    ],
)
def test_bad_out_paths_are_one_line(tmp_path: Path, out: str, message: str) -> None:
    (tmp_path / "folder.html").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "kubedrift", "report", *SCAN_INPUTS, "--out", out],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("kubedrift: error: ")
    assert message in done.stderr


def test_a_failed_run_keeps_the_old_report_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    out.write_text("last week's report")
    done = kubedrift("--store", str(tmp_path / "nope.db"), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.startswith("kubedrift: error: ")
    assert "no timeline store here" in done.stderr
    assert out.read_text() == "last week's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_a_bad_team_is_one_line(tmp_path: Path) -> None:
    done = kubedrift(*SCAN_INPUTS, "--team", "ml", "--out", str(tmp_path / "r.html"))
    assert done.returncode == 1
    assert done.stderr == "kubedrift: error: --team: expected NAMESPACE=TEAM, got 'ml'\n"


def test_other_commands_do_not_import_matplotlib() -> None:
    code = (
        "import sys; from kubedrift.cli.lazy import LAZY, load; "
        "[load(name) for name in LAZY]; "
        "import kubedrift.report.charts, kubedrift.report.html; "
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"


@pytest.mark.parametrize("case", ["data changed", "stringData changed", "key removed"])
def test_secret_values_never_reach_the_report(tmp_path: Path, case: str) -> None:
    from cli.test_secret_drift_outputs import VALUES, b64, write_case

    desired, live = write_case(tmp_path, case)
    out = tmp_path / "secret.html"
    code, _, stderr = invoke("--desired", str(desired), "--live", str(live), "--out", str(out))
    assert code == 0, stderr
    text = out.read_text()
    assert "Secret/ml/hf-token" in text
    for value in VALUES:
        for form in (value, b64(value)):
            assert form not in text
