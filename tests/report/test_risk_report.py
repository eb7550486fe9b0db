"""`kubedrift report --store`: the "Risk of drift" section, its chart and how it says "not enough".

The store is a simulated multi-week history written by `kubedrift simulate --history`, the
same generator the backtest uses; the report's ranking must be `kubedrift predict`'s.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app
from kubedrift.predict import learned
from kubedrift.store import SqlStore
from store.builders import at, finding

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gpu-platform"
PERIOD = ("--since", "2025-05-19", "--until", "2025-06-02T00:00:00Z")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"KUBEDRIFT_STORE": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("risk") / "history.db")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubedrift",
            "simulate",
            "--history",
            "4",
            "--seed",
            "3",
            "--store",
            path,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return path


def risk_section(page: str) -> str:
    match = re.search(r'<section id="risk">.*?</section>', page, re.S)
    assert match is not None, "no risk section"
    return match.group(0)


def table_rows(section: str) -> list[list[str]]:
    body = re.search(r'<table class="risks">.*?<tbody>(.*?)</tbody>', section, re.S)
    assert body is not None
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body[1])]


def test_the_report_shows_the_top_risks_chart_ranked_as_predict_ranks(
    history: str, tmp_path: Path
) -> None:
    out = tmp_path / "weekly.html"
    code, _, err = invoke("report", "--store", history, *PERIOD, "--out", str(out))
    assert code == 0, err
    section = risk_section(out.read_text())
    assert '<figure id="fig-top-risks"><svg' in section
    assert 'role="img"' in section
    assert "Top risks: probability of drifting" in section
    assert "within 7d" in section
    assert "within 24h" in section
    model = "logistic-regression" if learned.available() else "hazard"
    assert f"model: {model}" in section
    rows = table_rows(section)
    assert len(rows) == 20
    _, out7, _ = invoke("predict", "--store", history, "--horizon", "7d", "-o", "json")
    ranked = json.loads(out7)["predictions"]
    first = ranked[0]["object"]
    assert rows[0][0].endswith(f"/{first['name']}")
    assert rows[0][3] == f"{ranked[0]['probability']:.0%}"
    assert rows[0][4]  # a top reason, in words


def test_without_scikit_learn_the_report_names_the_hazard_baseline(
    history: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(learned, "available", lambda: False)
    out = tmp_path / "r.html"
    code, _, err = invoke("report", "--store", history, *PERIOD, "--out", str(out))
    assert code == 0, err
    section = risk_section(out.read_text())
    assert "model: hazard" in section
    assert "scikit-learn is not installed" in section
    assert "risk of drift: scikit-learn is not installed" in err


@pytest.mark.parametrize("scans", [0, 1, 2])
def test_an_empty_or_tiny_store_says_not_enough_history(tmp_path: Path, scans: int) -> None:
    path = str(tmp_path / "tiny.db")
    with SqlStore.open(path) as store:
        for minutes in range(scans):  # a few scans an hour apart: hours, not a day
            store.record_scan("prod", [finding("trainer")], at=at(60 * minutes))
    out = tmp_path / "r.html"
    code, _, err = invoke("report", "--store", path, "--out", str(out))
    assert code == 0, err
    section = risk_section(out.read_text())
    assert "Not enough history to predict drift" in section
    assert "not enough history to predict drift:" in section  # the note says why
    assert '<table class="risks">' not in section
    assert "not enough history" in err


def test_a_report_of_a_scan_alone_says_risk_needs_the_store(tmp_path: Path) -> None:
    out = tmp_path / "now.html"
    code, _, err = invoke(
        "report", "-d", str(EXAMPLE / "desired"), "--live", str(EXAMPLE / "live.json"),
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert "Predicted risk needs the timeline store (--store)." in risk_section(out.read_text())


def test_a_report_of_one_namespace_shows_its_risks_only(history: str, tmp_path: Path) -> None:
    out = tmp_path / "ns.html"
    code, _, err = invoke(
        "report", "--store", history, *PERIOD, "-n", "search-serve", "--out", str(out)
    )
    assert code == 0, err
    rows = table_rows(risk_section(out.read_text()))
    assert rows
    assert {row[1] for row in rows} == {"search-serve"}
