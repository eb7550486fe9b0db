"""`kubedrift timeline` on a real store: exact counts and times to resolve, the chart, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kubedrift.cli.main import app
from kubedrift.cli.timeline import BAR_WIDTH, Window, bar
from kubedrift.model import Severity
from kubedrift.store import SqlStore, Store
from store.builders import finding, node_finding

ROOT = Path(__file__).resolve().parents[2]
WEEK = ["--since", "2026-03-02T00:00:00Z", "--until", "2026-03-09T00:00:00Z"]
HOUR, DAY = 3600.0, 86400.0

A = finding("trainer", severity=Severity.HIGH)
B = finding(
    "inference",
    path="/spec/template/spec/containers/name=server/image",
    desired="vllm:0.6",
    live="vllm:0.5",
    severity=Severity.CRITICAL,
)
C = finding("model-config", kind="ConfigMap", path="/data/max_batch", desired="32", live="64")
N1 = node_finding("gpu-7", "a100", live="550.54.15")
OLD = finding("old-job", kind="ConfigMap", path="/data/x")
GONE = finding("gone-job", kind="ConfigMap", path="/data/x")


def t(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def fill(store: Store) -> None:
    """In the week of 03-02: A 1h, B 2h, C 6h; N1 and A's second episode open past the end;
    OLD opened the day before and resolved in the week (6h); GONE entirely before it."""
    store.record_scan("prod-b", [GONE], at=t(1, 12))
    store.record_scan("prod-b", [], at=t(1, 18))
    store.record_scan("prod-b", [OLD], at=t(1, 20))
    store.record_scan("prod-b", [], at=t(2, 2))
    store.record_scan("prod-a", [A, B, C, N1], at=t(2, 9))
    store.record_scan("prod-a", [B, C, N1], at=t(2, 10))
    store.record_scan("prod-a", [C, N1], at=t(2, 11))
    store.record_scan("prod-a", [N1], at=t(2, 15))
    store.record_scan("prod-a", [N1, A], at=t(4, 12))
    store.record_scan("prod-a", [], at=t(10, 12))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("timeline") / "timeline.db"
    with SqlStore.open(str(path)) as store:
        fill(store)
    return str(path)


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, ["timeline", *args], env={"KUBEDRIFT_STORE": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def doc(db: str, *args: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(invoke("--store", db, "-o", "json", *args))
    return out


def durations(count: int, mean: float | None, median: float | None, longest: float | None) -> Any:
    return {
        "count": count,
        "mean_seconds": mean,
        "median_seconds": median,
        "longest_seconds": longest,
    }


def stats(
    episodes: int,
    opened: int,
    resolved: int,
    open_: int,
    reopened: int = 0,
    *,
    ttr: Any = None,
    age: Any = None,
) -> dict[str, Any]:
    return {
        "episodes": episodes,
        "opened": opened,
        "resolved": resolved,
        "open": open_,
        "reopened": reopened,
        "time_to_resolve": ttr or durations(0, None, None, None),
        "open_age": age or durations(0, None, None, None),
    }


N1_AGE = 6 * DAY + 15 * HOUR  # 03-02 09:00 to 03-09 00:00
A2_AGE = 4 * DAY + 12 * HOUR  # 03-04 12:00 to 03-09 00:00
OPEN_AGES = durations(2, (N1_AGE + A2_AGE) / 2, (N1_AGE + A2_AGE) / 2, N1_AGE)


def test_counts_and_times_to_resolve_are_exact(db: str) -> None:
    got = doc(db, *WEEK)
    assert got["schema"] == "kubedrift-timeline/v1"
    assert set(got) == {
        "schema",
        "generated_at",
        "window",
        "totals",
        "by_severity",
        "by_category",
        "chart",
    }
    assert got["window"] == {
        "since": "2026-03-02T00:00:00Z",
        "until": "2026-03-09T00:00:00Z",
        "bucket": "day",
    }
    ttr = durations(4, 3.75 * HOUR, 4 * HOUR, 6 * HOUR)  # 1h, 2h, 6h, 6h
    assert got["totals"] == stats(6, 5, 4, 2, 1, ttr=ttr, age=OPEN_AGES)
    assert got["by_severity"] == {
        "critical": stats(1, 1, 1, 0, ttr=durations(1, 2 * HOUR, 2 * HOUR, 2 * HOUR)),
        "high": stats(3, 3, 1, 2, 1, ttr=durations(1, HOUR, HOUR, HOUR), age=OPEN_AGES),
        "medium": stats(2, 1, 2, 0, ttr=durations(2, 6 * HOUR, 6 * HOUR, 6 * HOUR)),
        "low": stats(0, 0, 0, 0),
        "info": stats(0, 0, 0, 0),
    }
    assert got["by_category"] == {
        "object": stats(5, 4, 4, 1, 1, ttr=ttr, age=durations(1, A2_AGE, A2_AGE, A2_AGE)),
        "node": stats(1, 1, 0, 1, age=durations(1, N1_AGE, N1_AGE, N1_AGE)),
        "workload": stats(0, 0, 0, 0),
    }


def test_a_day_chart_has_a_bar_pair_per_day(db: str) -> None:
    chart = doc(db, *WEEK)["chart"]
    assert [c["start"] for c in chart] == [f"2026-03-0{d}T00:00:00Z" for d in range(2, 9)]
    assert [(c["opened"], c["resolved"]) for c in chart] == [(4, 4), (0, 0), (1, 0)] + [(0, 0)] * 4


def test_an_hour_chart_up_to_48_hours(db: str) -> None:
    window = ["--since", "2026-03-02T08:00:00Z", "--until", "2026-03-02T20:00:00Z"]
    got = doc(db, *window)
    assert got["window"]["bucket"] == "hour"
    assert [c["start"][11:16] for c in got["chart"]] == [f"{h:02d}:00" for h in range(8, 20)]
    by_hour = {c["start"][11:13]: (c["opened"], c["resolved"]) for c in got["chart"]}
    assert (by_hour["09"], by_hour["10"], by_hour["11"], by_hour["15"]) == (
        (4, 0),
        (0, 1),
        (0, 1),
        (0, 1),
    )
    assert sum(c["opened"] + c["resolved"] for c in got["chart"]) == 7
    assert (
        len(doc(db, "--since", "2026-03-02T00:00Z", "--until", "2026-03-04T00:00Z")["chart"]) == 48
    )
    assert (
        len(doc(db, "--since", "2026-03-02T00:00Z", "--until", "2026-03-04T01:00Z")["chart"]) == 3
    )


def test_the_table_reads_on_a_terminal(db: str) -> None:
    text = invoke("--store", db, "-o", "table", *WEEK)
    lines = text.splitlines()
    assert lines[0] == (
        "Drift timeline 2026-03-02 00:00Z → 2026-03-09 00:00Z · 5 opened · 4 resolved · 2 open"
    )
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:9]}
    assert lines[2].split() == ["opened", "resolved", "open", "MTTR", "median", "oldest", "open"]
    assert rows == {
        "critical": ["1", "1", "0", "2h", "2h", "—"],
        "high": ["3", "1", "2", "1h", "1h", "6d15h"],
        "medium": ["1", "2", "0", "6h", "6h", "—"],
        "object": ["4", "4", "1", "3h45m", "4h", "4d12h"],
        "node": ["1", "0", "1", "—", "—", "6d15h"],
        "total": ["5", "4", "2", "3h45m", "4h", "6d15h"],
    }  # low, info and workload have no episodes, so no row
    assert lines[9] == ""
    chart = lines[lines.index(next(x for x in lines if x.startswith("day (UTC)"))) + 1 :]
    assert [line[:9] for line in chart] == [
        "Mon 03-02",
        "Tue 03-03",
        "Wed 03-04",
        "Thu 03-05",
        "Fri 03-06",
        "Sat 03-07",
        "Sun 03-08",
    ]
    assert chart[0].split()[2:] == ["█" * BAR_WIDTH, "4", "█" * BAR_WIDTH, "4"]
    assert chart[2].split()[2:] == ["███████▌", "1", "0"]
    assert "\x1b" not in text
    assert "\x1b[" in invoke("--store", db, "-o", "table", "--color", *WEEK)


def test_markdown_and_yaml(db: str) -> None:
    text = invoke("--store", db, "-o", "markdown", *WEEK)
    block = text.split("```text\n")[1].split("```")[0].splitlines()
    assert len(block) == 1 + 7
    assert "| total | 5 | 4 | 2 | 3h45m | 4h | 6d15h |" in text
    as_yaml = yaml.safe_load(invoke("--store", db, "-o", "yaml", *WEEK))
    as_json = doc(db, *WEEK)
    del as_yaml["generated_at"], as_json["generated_at"]
    assert as_yaml == as_json


@pytest.mark.parametrize(
    ("args", "opened", "resolved", "open_"),
    [
        (["--severity", "high"], 4, 2, 2),
        (["--cluster", "prod-b"], 0, 1, 0),
        (["--kind", "Node", "--pool", "a100"], 1, 0, 1),
        (["-n", "ml", "--kind", "ConfigMap"], 1, 2, 0),
    ],
)
def test_filters(db: str, args: list[str], opened: int, resolved: int, open_: int) -> None:
    totals = doc(db, *WEEK, *args)["totals"]
    assert (totals["opened"], totals["resolved"], totals["open"]) == (opened, resolved, open_)


def test_the_window_defaults_to_the_last_7_days(db: str) -> None:
    before = datetime.now(UTC)
    got = doc(db)
    since = datetime.fromisoformat(got["window"]["since"])
    until = datetime.fromisoformat(got["window"]["until"])
    assert timedelta(0) <= since - (before - timedelta(days=7)) < timedelta(minutes=1)
    assert until - since == timedelta(days=7)
    assert got["window"]["bucket"] == "day"
    assert len(got["chart"]) == 8 - (since.time() == datetime.min.time())
    assert got["totals"]["episodes"] == 0  # the data is from March 2026


def test_an_empty_store_adds_up_to_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    SqlStore.open(str(path)).close()
    got = doc(str(path), *WEEK)
    assert got["totals"] == stats(0, 0, 0, 0)
    assert [(c["opened"], c["resolved"]) for c in got["chart"]] == [(0, 0)] * 7
    assert "0 opened · 0 resolved · 0 open" in invoke("--store", str(path), "-o", "table", *WEEK)


def kubedrift(*args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "KUBEDRIFT_STORE"}
    argv = [sys.executable, "-m", "kubedrift", *args]
    return subprocess.run(
        argv, capture_output=True, text=True, cwd=ROOT, env=environ, check=False, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "last week"], "kubedrift: error: --until: not a time: 'last week'"),
        (["--since", "7d", "--until", "8d"], "kubedrift: error: --since 7d is after --until 8d"),
        (["--since", "2099-01-01"], "kubedrift: error: --since 2099-01-01 is after --until now"),
    ],
)
def test_bad_times_are_one_line(db: str, args: list[str], message: str) -> None:
    done = kubedrift("timeline", "--store", db, *args)
    assert (done.returncode, done.stdout) == (1, "")
    [line] = done.stderr.splitlines()
    assert line.startswith(message)


def test_a_missing_store_is_one_line_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    done = kubedrift("timeline", "--store", str(missing))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"kubedrift: error: {missing}: no timeline store here (`kubedrift watch` creates it; "
        "pass --store or set KUBEDRIFT_STORE)"
    ]
    assert not missing.exists()


@pytest.mark.parametrize(
    ("count", "peak", "drawn"),
    [
        (0, 4, ""),
        (4, 4, "█" * 30),
        (1, 4, "███████▌"),
        (1, 1000, "▏"),
        (2, 3, "█" * 20),
        (3, 0, ""),
    ],
)
def test_bar(count: int, peak: int, drawn: str) -> None:
    assert bar(count, peak) == drawn


def test_window_buckets_are_whole_utc_days_or_hours() -> None:
    days = Window(
        datetime(2026, 3, 2, 14, 30, tzinfo=UTC), datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
    )
    assert days.starts() == [t(d, 0) for d in range(2, 10)]
    hours = Window(datetime(2026, 3, 2, 14, 30, tzinfo=UTC), t(2, 17))
    assert hours.starts() == [t(2, 14), t(2, 15), t(2, 16)]
    assert Window(t(2, 9), t(2, 9)).starts() == [t(2, 9)]
