"""`kubedrift history` on a real timeline store: filters, order, durations, formats, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kubedrift.cli import reading
from kubedrift.cli.history import ordered, render_list
from kubedrift.cli.main import app
from kubedrift.cli.reading import (
    ReportFormat,
    duration_text,
    history_filter,
    parse_when,
    short_time,
)
from kubedrift.model import Severity
from kubedrift.store import HistoryFilter, MemoryStore, SqlStore, Store
from store.builders import finding, many, node_finding
from store.postgres import free_port, pg_bin_dir, start_postgres
from store.test_secrets import PLAIN, secret_finding

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(second=0, microsecond=0)

A = finding("trainer", severity=Severity.HIGH)
B = finding(
    "inference",
    path="/spec/template/spec/containers/name=server/image",
    desired="vllm/vllm-openai:v0.6.3",
    live="vllm/vllm-openai:v0.5.4",
    severity=Severity.CRITICAL,
)
D = finding("model-config", kind="ConfigMap", path="/data/max_batch", severity=Severity.LOW)
N1 = node_finding("gpu-7", "a100", live="550.54.15")
E = finding("trainer", namespace="ml", severity=Severity.MEDIUM, live=7)


def fill(store: Store) -> None:
    """Six episodes over two days in two clusters; A resolves and comes back (episode 2)."""
    store.record_scan("prod-a", [A, D, N1], at=NOW - timedelta(days=2))
    store.record_scan(
        "prod-a",
        [finding("trainer", severity=Severity.HIGH, live=3, manager="hpa"), N1],
        at=NOW - timedelta(days=1),
    )
    store.record_scan("prod-a", [N1], at=NOW - timedelta(hours=5))
    store.record_scan("prod-a", [N1, A, B], at=NOW - timedelta(hours=3, minutes=12))
    store.record_scan("prod-b", [E], at=NOW - timedelta(hours=1))
    store.record_scan("prod-b", [], at=NOW - timedelta(minutes=30))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("history") / "timeline.db"
    with SqlStore.open(str(path)) as store:
        fill(store)
    return str(path)


def cli() -> Any:
    return app


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli(), ["history", *args], env={"KUBEDRIFT_STORE": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def episodes(db: str, *args: str) -> list[dict[str, Any]]:
    doc = json.loads(invoke("--store", db, "-o", "json", *args))
    assert doc["schema"] == "kubedrift-history/v1"
    return list(doc["episodes"])


def label(e: dict[str, Any]) -> str:
    obj = e["finding"]["object"]
    return f"{e['cluster']}:{obj['kind']}/{obj['name']}#{e['episode']}"


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Durations are measured at NOW, however long the session took to reach this test."""
    monkeypatch.setattr(reading, "utc_now", lambda: NOW)


def kubedrift(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "KUBEDRIFT_STORE"} | env
    argv = [sys.executable, "-m", "kubedrift", *args]
    return subprocess.run(
        argv, capture_output=True, text=True, cwd=cwd, env=environ, check=False, timeout=120
    )


OPEN_ORDER = ["prod-a:Deployment/inference#1", "prod-a:Node/gpu-7#1", "prod-a:Deployment/trainer#2"]
RESOLVED_ORDER = ["prod-b:Deployment/trainer#1", "prod-a:Deployment/trainer#1"]
RESOLVED_ORDER += ["prod-a:ConfigMap/model-config#1"]


def test_open_first_by_severity_then_oldest_then_resolved_newest_first(db: str) -> None:
    assert [label(e) for e in episodes(db)] == OPEN_ORDER + RESOLVED_ORDER


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--cluster", "prod-b"], ["prod-b:Deployment/trainer#1"]),
        (["--kind", "Node"], ["prod-a:Node/gpu-7#1"]),
        (["--pool", "a100"], ["prod-a:Node/gpu-7#1"]),
        (["-n", ""], ["prod-a:Node/gpu-7#1"]),
        (
            ["--namespace", "ml", "--cluster", "prod-a", "--kind", "ConfigMap"],
            ["prod-a:ConfigMap/model-config#1"],
        ),
        (["--severity", "high"], [*OPEN_ORDER, "prod-a:Deployment/trainer#1"]),
        (["--severity", "CRITICAL"], ["prod-a:Deployment/inference#1"]),
        (["--open"], OPEN_ORDER),
        (["--since", "6h"], OPEN_ORDER + RESOLVED_ORDER[:2]),
        (["--until", "30h"], ["prod-a:Node/gpu-7#1", *RESOLVED_ORDER[1:]]),
        (
            [
                "--since",
                (NOW - timedelta(minutes=90)).isoformat(),
                "--until",
                (NOW - timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ],
            [*OPEN_ORDER, "prod-b:Deployment/trainer#1"],
        ),
    ],
)
def test_filters(db: str, args: list[str], expected: list[str]) -> None:
    assert [label(e) for e in episodes(db, *args)] == expected


def test_the_sqlite_store_reads_as_the_in_memory_store(db: str) -> None:
    memory = MemoryStore()
    fill(memory)
    built = render_list(ordered(memory.history()), 0, ReportFormat.JSON, NOW, color=False)

    def comparable(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k not in ("id", "duration_seconds")} for e in found]

    assert comparable(episodes(db)) == comparable(json.loads(built)["episodes"])


def test_json_durations_and_schema(db: str) -> None:
    doc = json.loads(invoke("--store", db, "-o", "json"))
    assert set(doc) == {"schema", "generated_at", "summary", "episodes"}
    assert doc["summary"] == {"open": 3, "resolved": 3, "total": 6, "shown": 6}
    by_label = {label(e): e for e in doc["episodes"]}
    first = by_label["prod-a:Deployment/trainer#1"]
    assert set(first) == {
        "id",
        "cluster",
        "episode",
        "status",
        "first_seen",
        "last_seen",
        "resolved_at",
        "duration_seconds",
        "pool",
        "finding",
    }
    assert first["status"] == "resolved"
    assert first["duration_seconds"] == timedelta(days=1, hours=19).total_seconds()
    assert (first["finding"]["live"], first["finding"]["manager"]) == (3, "hpa")
    assert first["resolved_at"] == (NOW - timedelta(hours=5)).isoformat().replace("+00:00", "Z")
    opened = by_label["prod-a:Deployment/inference#1"]
    assert (opened["status"], opened["resolved_at"]) == ("open", None)
    assert 0 <= opened["duration_seconds"] - timedelta(hours=3, minutes=12).total_seconds() < 60
    assert by_label["prod-a:Node/gpu-7#1"]["pool"] == "a100"


def test_yaml_is_the_json_document(db: str) -> None:
    as_json = json.loads(invoke("--store", db, "-o", "json"))
    as_yaml = yaml.safe_load(invoke("--store", db, "-o", "yaml"))
    for doc in (as_json, as_yaml):
        del doc["generated_at"]
        for e in doc["episodes"]:
            del e["duration_seconds"]
    assert as_yaml == as_json


def test_table_lists_each_episode_with_its_duration_and_a_footer(db: str) -> None:
    text = invoke("--store", db, "-o", "table")
    heads = [line.split()[2] for line in text.splitlines() if line.startswith("#")]
    assert heads == [
        "Deployment/ml/inference",
        "Node/gpu-7",
        "Deployment/ml/trainer",
        "Deployment/ml/trainer",
        "Deployment/ml/trainer",
        "ConfigMap/ml/model-config",
    ]
    assert "vllm/vllm-openai:v0.6.3 → vllm/vllm-openai:v0.5.4" in text
    assert text.count("open for 3h12m") == 2
    assert "open for 2d\n" in text
    assert f"resolved {short_time(NOW - timedelta(minutes=30))} after 30m" in text
    assert "after 1d19h" in text
    assert "after 1d\n" in text
    assert "episode 2" in text
    assert text.splitlines()[-1] == "3 open · 3 resolved · showing 6 of 6 episodes"
    assert "\x1b" not in text


def test_colour_only_when_asked(db: str) -> None:
    assert "\x1b[" in invoke("--store", db, "-o", "table", "--color")


def test_markdown_has_one_row_per_episode(db: str) -> None:
    text = invoke("--store", db, "-o", "markdown", "--open")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 2 + 3  # header, separator, episodes
    assert "`vllm/vllm-openai:v0.6.3`" in text


def test_limit_is_50_in_a_table_and_all_in_json(tmp_path: Path) -> None:
    path = str(tmp_path / "t.db")
    with SqlStore.open(path) as store:
        store.record_scan("prod-a", many(60), at=NOW - timedelta(hours=1))
    table = invoke("--store", path, "-o", "table")
    assert sum(line.lstrip().startswith("#") for line in table.splitlines()) == 50
    assert table.splitlines()[-1].endswith("showing 50 of 60 episodes (--limit 0 shows all)")
    assert len(episodes(path)) == 60
    doc = json.loads(invoke("--store", path, "-o", "json", "--limit", "5"))
    assert (len(doc["episodes"]), doc["summary"]["total"], doc["summary"]["shown"]) == (5, 60, 5)
    assert "showing 60 of 60" in invoke("--store", path, "-o", "table", "--limit", "0")


def test_id_prints_the_value_history(db: str) -> None:
    [first] = [e for e in episodes(db) if label(e) == "prod-a:Deployment/trainer#1"]
    doc = json.loads(invoke("--store", db, "-o", "json", "--id", str(first["id"])))
    [shown] = doc["episodes"]
    assert {k: v for k, v in shown.items() if k != "changes"} == first
    assert shown["changes"] == [
        {
            "at": (NOW - timedelta(days=2)).isoformat().replace("+00:00", "Z"),
            "desired": 4,
            "live": 2,
            "manager": "kubectl-edit",
            "revision": "4f1c2e0",
        },
        {
            "at": (NOW - timedelta(days=1)).isoformat().replace("+00:00", "Z"),
            "desired": 4,
            "live": 3,
            "manager": "hpa",
            "revision": "4f1c2e0",
        },
    ]
    table = invoke("--store", db, "-o", "table", "--id", str(first["id"]))
    rows = [line.split() for line in table.splitlines()[4:]]
    assert rows[0] == ["at", "desired", "live", "manager", "revision"]
    assert rows[1][2:] == ["4", "2", "kubectl-edit", "4f1c2e0"]
    assert rows[2][2:] == ["4", "3", "hpa", "4f1c2e0"]
    assert "## Value history" in invoke("--store", db, "-o", "markdown", "--id", str(first["id"]))


def test_secret_values_never_appear(tmp_path: Path) -> None:
    path = str(tmp_path / "t.db")
    with SqlStore.open(path) as store:
        store.record_scan("prod-a", [secret_finding(PLAIN[1])], at=NOW - timedelta(hours=2))
        store.record_scan("prod-a", [secret_finding(PLAIN[2])], at=NOW - timedelta(hours=1))
    [only] = episodes(path)
    for args in (["-o", "table"], ["-o", "json"], ["-o", "yaml"], ["-o", "markdown"]):
        for extra in ([], ["--id", str(only["id"])]):
            text = invoke("--store", path, *args, *extra)
            assert "sha256:" in text
            assert not any(plain in text for plain in PLAIN)


def test_exit_0_and_the_store_from_the_environment(db: str) -> None:
    done = kubedrift("history", "--open", "-o", "json", KUBEDRIFT_STORE=db)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["episodes"]) == 3


def test_a_missing_store_is_one_line_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "state" / "nope.db"
    for done, path in (
        (kubedrift("history", "--store", str(missing)), missing),
        (kubedrift("history", cwd=tmp_path), tmp_path / "kubedrift-timeline.db"),
        (kubedrift("history", "--store", f"sqlite:///{missing}", "--id", "1"), missing),
    ):
        assert done.returncode == 1
        assert done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith(
            f"kubedrift: error: {path.name if path.parent == tmp_path else path}"
        )
        assert "no timeline store" in line
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_is_not_a_store_and_is_left_alone(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    done = kubedrift("history", "--store", str(empty))
    assert (done.returncode, done.stderr) == (
        1,
        f"kubedrift: error: {empty}: not a kubedrift timeline store (the file is empty)\n",
    )
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "kubedrift: error: --since: not a time: 'yesterday'"),
        (["--until", "12x"], "kubedrift: error: --until: not a time: '12x'"),
        (["--since", "1h", "--until", "2h"], "kubedrift: error: --since 1h is after --until 2h"),
        (["--id", "999"], "kubedrift: error: --id 999: no episode with this id in the store"),
    ],
)
def test_bad_options_are_one_line(db: str, args: list[str], message: str) -> None:
    done = kubedrift("history", "--store", db, *args)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(message)


def test_an_unreachable_postgres_is_one_line() -> None:
    url = f"postgresql://kubedrift:s3cret@127.0.0.1:{free_port()}/timeline"
    done = kubedrift("history", "--store", url)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("kubedrift: error: postgresql+psycopg://kubedrift:***@127.0.0.1:")
    assert "s3cret" not in line


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        pytest.fail("PostgreSQL server binaries not found: run scripts/ensure-postgres.sh")
    server = start_postgres(bin_dir)
    try:
        yield server.url(server.create_database())
    finally:
        server.stop()


@pytest.mark.postgres
def test_reads_postgres_as_sqlite(db: str, postgres_url: str) -> None:
    with SqlStore.open(postgres_url) as store:
        fill(store)
    assert [label(e) for e in episodes(postgres_url)] == OPEN_ORDER + RESOLVED_ORDER
    assert [label(e) for e in episodes(postgres_url, "--severity", "high", "--since", "6h")] == [
        *OPEN_ORDER,
        "prod-a:Deployment/trainer#1",
    ]


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=42), "42s"),
        (timedelta(minutes=45, seconds=59), "45m59s"),
        (timedelta(hours=3, minutes=12, seconds=30), "3h12m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=2, minutes=5), "2d"),
        (timedelta(days=1, hours=19), "1d19h"),
        (timedelta(seconds=-5), "0s"),
    ],
)
def test_duration_text(span: timedelta, text: str) -> None:
    assert duration_text(span) == text


@pytest.mark.parametrize(
    ("value", "when"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        (" 12h ", NOW - timedelta(hours=12)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("2026-03-02T09:00:00Z", datetime(2026, 3, 2, 9, tzinfo=UTC)),
        ("2026-03-02T10:00:00+01:00", datetime(2026, 3, 2, 9, tzinfo=UTC)),
        ("2026-03-02", datetime(2026, 3, 2, tzinfo=UTC)),
    ],
)
def test_parse_when(value: str, when: datetime) -> None:
    assert parse_when(value, "--since", NOW) == when


def test_filters_reach_the_store_as_a_history_filter() -> None:
    got = history_filter("prod-a", "", "Node", "a100", Severity.HIGH, ("1h", None), now=NOW)
    assert got == HistoryFilter(
        "prod-a", "", "Node", "a100", Severity.HIGH, NOW - timedelta(hours=1)
    )
