"""`kubedrift predict` end to end: the backtest claim, every format, small and bad stores.

The README's claim is pinned here: on the simulated history with seed 0, the model beats
`recent-repeats` by at least 0.05 precision@20 and 0.1 ROC-AUC, `random` by at least 0.25
precision@20, and has a lower Brier score than both, at both horizons.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kubedrift.cli.main import app
from kubedrift.store import SqlStore
from store.builders import at, finding

ROOT = Path(__file__).resolve().parents[2]


def cli() -> Any:
    return app


def invoke(*args: str) -> tuple[str, str]:
    result = CliRunner().invoke(cli(), list(args), env={"KUBEDRIFT_STORE": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def kubedrift(*args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "KUBEDRIFT_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "kubedrift", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("horizon", ["7d", "24h"])
def test_backtest_on_a_simulated_history_beats_both_baselines(horizon: str) -> None:
    out, _ = invoke(
        "predict", "--backtest", "--simulate", "--seed", "0", "--horizon", horizon, "-o", "json"
    )
    doc = json.loads(out)
    assert doc["schema"] == "kubedrift-backtest/v1"
    body = doc["backtest"]
    assert (body["horizon"], body["seed"], body["model_name"]) == (
        horizon,
        0,
        "logistic-regression",
    )
    model, baselines = body["model"], body["baselines"]
    assert set(baselines) == {"recent-repeats", "random", "hazard"}
    assert {"precision@20", "recall@20", "roc_auc", "brier", "calibration"} <= set(model)
    repeats, rand = baselines["recent-repeats"], baselines["random"]
    assert model["precision@20"] >= repeats["precision@20"] + 0.05
    assert model["precision@20"] >= rand["precision@20"] + 0.25
    assert model["roc_auc"] >= max(repeats["roc_auc"], rand["roc_auc"]) + 0.1
    assert model["brier"] < min(repeats["brier"], rand["brier"])
    assert sum(b["count"] for b in model["calibration"]) == body["test_rows"]


def test_backtest_is_reproducible_and_renders_in_every_format() -> None:
    args = (
        "predict",
        "--backtest",
        "--simulate",
        "--seed",
        "5",
        "--weeks",
        "4",
        "--horizon",
        "24h",
    )
    as_json = json.loads(invoke(*args, "-o", "json")[0])
    assert yaml.safe_load(invoke(*args, "-o", "yaml")[0]) == as_json
    table = invoke(*args, "-o", "table", "--no-color")[0]
    markdown = invoke(*args, "-o", "markdown")[0]
    precision = f"{as_json['backtest']['model']['precision@20']:.3f}"
    for text in (table, markdown):
        assert "logistic-regression" in text
        assert "recent-repeats" in text
        assert "random" in text
        assert precision in text
    assert markdown.startswith("## Backtest, 24h horizon")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("predict") / "timeline.db")
    done = kubedrift("simulate", "--history", "5", "--seed", "4", "--store", path)
    assert done.returncode == 0, done.stderr
    assert "episodes over 5 weeks" in done.stderr
    return path


def test_forecast_json_ranks_with_reasons_and_hints(simulated: str) -> None:
    doc = json.loads(invoke("predict", "--store", simulated, "--top", "500", "-o", "json")[0])
    assert doc["schema"] == "kubedrift-predict/v1"
    assert (doc["model"], doc["horizon"], doc["note"]) == ("logistic-regression", "7d", None)
    assert doc["cutoff"] == "2025-06-02T00:00:01Z"
    ranked = doc["predictions"]
    probabilities = [p["probability"] for p in ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert len(ranked) == doc["summary"]["entities"] == doc["summary"]["shown"]
    assert all(p["reasons"] and p["likely"] for p in ranked[:20])
    hints = " ".join(h for p in ranked for h in p["hints"])
    for expected in ("Velero Schedule", "by digest", "add a NodeProfile for pool", "under Git"):
        assert expected in hints
    node = next(p for p in ranked if p["object"]["kind"] == "Node")
    assert node["pool"] is not None
    assert node["object"]["namespace"] is None


@pytest.mark.parametrize("fmt", ["table", "markdown", "yaml"])
def test_forecast_in_every_format(simulated: str, fmt: str) -> None:
    doc = json.loads(
        invoke("predict", "--store", simulated, "--horizon", "24h", "--top", "5", "-o", "json")[0]
    )
    out, _ = invoke("predict", "--store", simulated, "--horizon", "24h", "--top", "5", "-o", fmt)
    first = doc["predictions"][0]
    if fmt == "yaml":
        assert yaml.safe_load(out) == doc
        return
    assert first["object"]["name"] in out
    assert f"{first['probability']:.0%}" in out
    assert "logistic-regression" in out
    if fmt == "markdown":
        assert first["reasons"][0] in out
        assert first["hints"][0] in out


def test_at_moves_the_cutoff_back(simulated: str) -> None:
    doc = json.loads(
        invoke("predict", "--store", simulated, "--at", "2025-05-20T00:00:00Z", "-o", "json")[0]
    )
    assert doc["cutoff"] == "2025-05-20T00:00:00Z"
    early = json.loads(
        invoke("predict", "--store", simulated, "--at", "2025-04-29T00:00:00Z", "-o", "json")[0]
    )
    assert early["summary"]["entities"] < doc["summary"]["entities"]


def test_an_empty_store_predicts_nothing_and_says_so(tmp_path: Path) -> None:
    path = str(tmp_path / "empty.db")
    SqlStore.open(path).close()
    for fmt in ("json", "table"):
        _out, err = invoke("predict", "--store", path, "-o", fmt)
        assert "no findings before the cutoff: nothing to predict" in err
    doc = json.loads(invoke("predict", "--store", path, "-o", "json")[0])
    assert doc["predictions"] == []
    assert doc["summary"]["entities"] == 0
    assert "Nothing to predict" in invoke("predict", "--store", path, "-o", "markdown")[0]


def test_a_tiny_store_ranks_by_the_hazard_baseline(tmp_path: Path) -> None:
    path = str(tmp_path / "tiny.db")
    with SqlStore.open(path) as store:
        store.record_scan("prod", [finding("trainer")], at=at(0))
        store.record_scan("prod", [], at=at(60))
    out, err = invoke("predict", "--store", path, "-o", "json")
    doc = json.loads(out)
    assert doc["model"] == "hazard"
    assert "too little history" in doc["note"]
    assert "too little history" in err
    assert [p["object"]["name"] for p in doc["predictions"]] == ["trainer"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "{missing}"], "no timeline store here"),
        (["--store", "{tiny}", "--backtest"], "a backtest needs at least 3 weeks of history"),
        (["--horizon", "3d"], "'3d' is not a horizon (use 24h or 7d)"),
        (["--simulate"], "--simulate generates a history for --backtest"),
        (["--store", "{tiny}", "--at", "yesterday"], "--at: not a time"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    tiny = tmp_path / "tiny.db"
    with SqlStore.open(str(tiny)) as store:
        store.record_scan("prod", [finding("trainer")], at=at(0))
    argv = [a.format(missing=tmp_path / "nope.db", tiny=tiny) for a in args]
    done = kubedrift("predict", *argv)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("kubedrift: error:")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_simulate_history_needs_a_store() -> None:
    done = kubedrift("simulate", "--history", "3")
    assert done.returncode == 1
    assert "--history: say where the history goes: --store FILE or URL" in done.stderr


def test_textfile_gauges_count_the_forecast(simulated: str, tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    prom = tmp_path / "kubedrift.prom"
    out, _ = invoke("predict", "--store", simulated, "--textfile", str(prom), "-o", "json")
    doc = json.loads(out)
    families = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    levels = {
        s.labels["level"]: s.value for s in families["kubedrift_predicted_risk_entities"].samples
    }
    assert set(levels) == {"high", "medium", "low"}
    assert sum(levels.values()) == doc["summary"]["entities"]
    assert levels["high"] == doc["summary"]["likely"]
    (highest,) = families["kubedrift_predicted_risk_max"].samples
    assert highest.labels == {"horizon": "7d"}
    assert highest.value == pytest.approx(doc["predictions"][0]["probability"], abs=1e-4)
    assert not list(tmp_path.glob("*.tmp*"))  # written through a renamed temporary file


def test_textfile_is_for_forecasts_only(simulated: str, tmp_path: Path) -> None:
    done = kubedrift(
        "predict", "--store", simulated, "--backtest", "--textfile", str(tmp_path / "x")
    )
    assert done.returncode == 1
    assert "--textfile writes the gauges of a forecast, not of a backtest" in done.stderr


def test_without_scikit_learn_the_hazard_baseline_ranks(
    simulated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `predict` extra is optional: the command warns and ranks with `hazard`."""
    from kubedrift.predict import learned

    monkeypatch.setattr(learned, "available", lambda: False)
    out, err = invoke("predict", "--store", simulated, "--top", "3", "-o", "json")
    assert json.loads(out)["model"] == "hazard"
    assert "pip install 'kubedrift[predict]'" in err
    doc = json.loads(invoke("predict", "--backtest", "--simulate", "--weeks", "4", "-o", "json")[0])
    assert doc["backtest"]["model_name"] == "hazard"
    assert set(doc["backtest"]["baselines"]) == {"recent-repeats", "random"}
