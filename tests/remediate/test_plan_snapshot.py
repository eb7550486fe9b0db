"""`kubedrift plan` on snapshots (no cluster): each action kind, every format, Secrets masked.

The real command runs as a subprocess on files; the pure planner is also checked on its own
for list handling (keyed elements, atomic lists replaced whole) and the plan-file reader.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubedrift.model import Category, Finding, ObjectRef, Severity
from kubedrift.remediate.apply import Pace, merge_writes
from kubedrift.remediate.plan import NoAction, Recreate, Revert, build_plan

KUBEDRIFT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kubedrift"
SECRET_B64 = "c3VwZXJzZWNyZXQ="  # "supersecret"
LIVE_B64 = "aGFja2VkdmFsdWU="  # "hackedvalue"


def deployment(image: str, args: list[str], rv: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "trainer", "namespace": "ml"}
    if rv:
        meta["resourceVersion"] = rv
    container = {"name": "main", "image": image, "args": args}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "t"}},
            "template": {
                "metadata": {"labels": {"app": "t"}},
                "spec": {
                    "containers": [{**container, "resources": {"limits": {"nvidia.com/gpu": 4}}}]
                },
            },
        },
    }


def secret(value: str, rv: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "db", "namespace": "ml"}
    if rv:
        meta["resourceVersion"] = rv
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": {"password": value}}


CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "settings", "namespace": "ml"},
    "data": {"mode": "prod"},
}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    desired = [deployment("trainer:1", ["--lr", "0.1"]), secret(SECRET_B64), CONFIG]
    # Another ConfigMap: the snapshot holds the kind, so `settings` is missing, not unlooked-for.
    other = {**CONFIG, "metadata": {"name": "other", "namespace": "ml"}}
    live = [deployment("trainer:2", ["--lr", "0.5"], rv="41"), secret(LIVE_B64, rv="7"), other]
    d, lv = tmp_path / "desired.yaml", tmp_path / "live.json"
    d.write_text(yaml.safe_dump_all(desired))
    lv.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": live}))
    return d, lv


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBEDRIFT), *args], capture_output=True, text=True, check=False, timeout=120
    )


def plan(files: tuple[Path, Path], *fmt: str) -> subprocess.CompletedProcess[str]:
    d, lv = files
    return run("plan", "--desired", str(d), "--live", str(lv), *fmt)


def test_plan_json_has_an_action_per_finding(files: tuple[Path, Path]) -> None:
    done = plan(files, "-o", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["schema"] == "kubedrift/v1"
    by = {(a["object"]["kind"], a["finding"]["path"]): a for a in doc["actions"]}
    image = by[("Deployment", "/spec/template/spec/containers/name=main/image")]
    assert image["action"] == "revert"
    assert image["patch"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "trainer", "namespace": "ml", "resourceVersion": "41"},
        "spec": {"template": {"spec": {"containers": [{"name": "main", "image": "trainer:1"}]}}},
    }
    assert image["risk"] == {"level": "high", "gpus": 8, "workloads": ["Deployment/ml/trainer"]}
    assert image["dry_run"] is None  # no cluster, no dry run
    missing = by[("ConfigMap", "")]
    assert missing["action"] == "recreate"
    assert missing["patch"]["data"] == {"mode": "prod"}
    assert by[("Secret", "/data/password")]["patch"]["data"] == {"password": "<masked>"}


def test_an_atomic_list_is_sent_whole(files: tuple[Path, Path]) -> None:
    doc = json.loads(plan(files, "-o", "json").stdout)
    args = [a for a in doc["actions"] if "/args" in a["finding"]["path"]]
    assert args, doc
    for a in args:
        container = a["patch"]["spec"]["template"]["spec"]["containers"]
        assert container == [{"name": "main", "args": ["--lr", "0.1"]}]


@pytest.mark.parametrize("fmt", ["json", "yaml", "markdown", "table", "patch"])
def test_secret_values_never_print(files: tuple[Path, Path], fmt: str) -> None:
    done = plan(files, "-o", fmt)
    assert done.returncode == 0, done.stderr
    for value in (SECRET_B64, LIVE_B64, "supersecret", "hackedvalue"):
        assert value not in done.stdout
    assert "Secret" in done.stdout  # the action is listed, its values are not


def test_patch_stream_is_one_ssa_body_per_object(files: tuple[Path, Path]) -> None:
    done = plan(files, "-o", "patch")
    assert "# Secret/ml/db: Secret values are never printed" in done.stdout
    docs = list(yaml.safe_load_all(done.stdout))
    kinds = sorted(d["kind"] for d in docs if d)
    assert kinds == ["ConfigMap", "Deployment"]
    [dep] = [d for d in docs if d and d["kind"] == "Deployment"]
    assert dep["spec"]["template"]["spec"]["containers"] == [
        {"name": "main", "image": "trainer:1", "args": ["--lr", "0.1"]}
    ]


def test_table_and_markdown_name_the_actions(files: tuple[Path, Path]) -> None:
    table = plan(files, "-o", "table").stdout
    assert "recreate" in table
    assert "ConfigMap/ml/settings" in table
    assert "8 GPUs" in table
    markdown = plan(files, "-o", "markdown").stdout
    assert markdown.startswith("# kubedrift plan\n")
    assert "| recreate |" in markdown


def test_in_sync_gives_no_actions_and_exit_0(tmp_path: Path) -> None:
    d, lv = tmp_path / "d.yaml", tmp_path / "l.json"
    d.write_text(yaml.safe_dump(CONFIG))
    lv.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [CONFIG]}))
    done = run("plan", "--desired", str(d), "--live", str(lv), "-o", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"schema": "kubedrift/v1", "actions": []}
    table = run("plan", "--desired", str(d), "--live", str(lv), "-o", "table")
    assert "In sync: nothing to do." in table.stdout


def test_apply_refuses_a_plan_file_holding_a_masked_secret(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(plan(files, "-o", "json").stdout)
    done = run("apply", "--plan", str(saved), "--yes", "--store", str(tmp_path / "t.db"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "a Secret's values are not in a plan file" in done.stderr
    assert str(saved) in done.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read the plan"),
        ('{"schema": "other"}', "not a kubedrift plan"),
        ('{"schema": "kubedrift/v1", "actions": [{"action": "revert"}]}', "malformed action"),
    ],
)
def test_a_bad_plan_file_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(content)
    done = run("apply", "--plan", str(saved), "--yes")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_apply_wants_desired_or_a_plan() -> None:
    done = run("apply", "--yes")
    assert done.returncode == 1
    assert "give --desired" in done.stderr


def _finding(kind: str, path: str, category: Category = Category.OBJECT) -> Finding:
    ref = ObjectRef("apps/v1" if kind == "Deployment" else "v1", kind, "ml", "trainer")
    return Finding(category, Severity.HIGH, ref, path, None, None, "field-changed", "m")


def test_node_and_workload_findings_get_no_action() -> None:
    node = Finding(
        Category.NODE,
        Severity.HIGH,
        ObjectRef("v1", "Node", None, "gpu-1"),
        "driver",
        1,
        2,
        "node-fact-differs",
        "m",
    )
    work = _finding("Deployment", "", Category.WORKLOAD)
    planned = build_plan([node, work], [], [])
    assert [type(a) for a in planned.actions] == [NoAction, NoAction]
    assert "node remediation" in planned.actions[0].reason
    assert planned.writes() == ()


def test_reverts_of_one_object_merge_into_one_body() -> None:
    desired = deployment("trainer:1", ["--lr", "0.1"])
    live = deployment("trainer:2", ["--lr", "0.5"], rv="9")
    image = _finding("Deployment", "/spec/template/spec/containers/name=main/image")
    replicas = _finding("Deployment", "/spec/replicas")
    planned = build_plan([image, replicas], [desired], [live])
    assert all(isinstance(a, Revert) for a in planned.actions)
    [write] = merge_writes(planned.writes())
    assert write.body["metadata"]["resourceVersion"] == "9"
    assert write.body["spec"] == {
        "replicas": 2,
        "template": {"spec": {"containers": [{"name": "main", "image": "trainer:1"}]}},
    }


def test_a_missing_object_is_recreated_without_status() -> None:
    desired = {**CONFIG, "status": {"x": 1}}
    ref = ObjectRef("v1", "ConfigMap", "ml", "settings")
    missing = Finding(Category.OBJECT, Severity.HIGH, ref, "", None, None, "object-missing", "m")
    [action] = build_plan([missing], [desired], []).actions
    assert isinstance(action, Recreate)
    assert "status" not in action.patch
    assert "resourceVersion" not in action.patch["metadata"]


def test_pace_spreads_writes_over_the_minute() -> None:
    slept: list[float] = []
    now = [0.0]

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    import asyncio

    pace = Pace(30, sleep=sleep, clock=lambda: now[0])

    async def three() -> None:
        for _ in range(3):
            await pace.wait()

    asyncio.run(three())
    assert slept == [2.0, 2.0]


def test_a_suppressed_finding_gets_no_action_and_no_write() -> None:
    from datetime import date

    from kubedrift.model.suppression import Suppression

    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"},
               "data": {"k": "a"}}  # fmt: skip
    live = {**desired, "data": {"k": "b"}}
    drift = Finding(
        category=Category.OBJECT, severity=Severity.MEDIUM,
        object=ObjectRef("v1", "ConfigMap", "n", "c"), path="/data/k", desired="a", live="b",
        rule="field-changed", message="m",
    )  # fmt: skip
    assert isinstance(build_plan([drift], [desired], [live]).actions[0], Revert)
    held = Suppression("canary", date(2026, 12, 31), "al", kind="ConfigMap")
    plan = build_plan([replace(drift, suppression=held)], [desired], [live])
    [action] = plan.actions
    assert isinstance(action, NoAction)
    assert action.reason == "suppressed until 2026-12-31: canary"
    assert plan.writes() == ()  # apply carries out writes only


def test_a_failed_apply_creates_no_store(tmp_path: Path) -> None:
    """Regression: reading suppressions opened (and so created) the default store before a
    bad plan file was refused, leaving an empty database in the working folder."""
    saved = tmp_path / "plan.json"
    saved.write_text("{not json")
    done = subprocess.run(
        [str(KUBEDRIFT), "apply", "--plan", str(saved), "--yes"],
        capture_output=True, text=True, check=False, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert not (tmp_path / "kubedrift-timeline.db").exists()
