"""`kubedrift diff` of a live JSON List, streamed (issue 18.2): the same bytes as the whole
read in every output format and with every filter, the same one-line errors for bad
files, and memory that does not grow with clean live objects."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubedrift.cli.main import run
from kubedrift.desired import SourcedObject, load_desired
from kubedrift.desired.documents import Location
from kubedrift.diff import DiffOptions
from kubedrift.engine import live as live_state
from kubedrift.engine import streamed
from kubedrift.engine.streamed import compare_streamed
from support.fixtures_files import deployments_generator

FORMATS = ("table", "wide", "json", "yaml", "markdown", "sarif", "junit")
Obj = dict[str, Any]


def deployment(name: str, replicas: int, namespace: str | None = "apps") -> Obj:
    meta: Obj = {"name": name, "labels": {"tier": "web"}}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {"replicas": replicas},
    }


def autoscaler(kind: str, target: str) -> Obj:
    api = "autoscaling/v2" if kind == "HorizontalPodAutoscaler" else "keda.sh/v1alpha1"
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}}
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": target, "namespace": "apps"},
        "spec": spec,
    }


def config_map(name: str, namespace: str | None, value: str) -> Obj:
    meta: Obj = {"name": name, "labels": {"tier": "web"}}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": value}}


def extras() -> tuple[list[Obj], list[Obj]]:
    """Desired and live objects for each case the streamed pairing settles on the way."""
    desired = [
        deployment("web", 2),  # its HPA comes after it in the List: autoscaled
        deployment("worker", 2),  # a desired ScaledObject whose kind the List lacks: not
        autoscaler("ScaledObject", "worker"),
        deployment("api", 2),  # a desired HPA (the List has HPAs): autoscaled
        autoscaler("HorizontalPodAutoscaler", "api"),
        config_map("moved", "apps", "v"),  # missing, but there in another namespace
        config_map("defaulted", None, "desired"),  # no namespace: the default one
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "namespace": "x"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "apps"}},
    ]
    live = [
        deployment("web", 7),
        deployment("worker", 5),
        deployment("api", 4),
        config_map("moved", "other", "v"),
        config_map("moved", "third", "v"),
        config_map("defaulted", "default", "live"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "labels": {}}},
        autoscaler("HorizontalPodAutoscaler", "web"),
        autoscaler("HorizontalPodAutoscaler", "api"),
    ]
    return desired, live


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Desired: a folder of the benchmark's Deployments and the extras; live: one List as
    `kubectl get -o json` writes it."""
    root = tmp_path_factory.mktemp("streamed")
    gen = deployments_generator()
    desired, live, _ = gen.generate(n=300, seed=5, drift_ratio=0.05)
    extra_desired, extra_live = extras()
    (root / "desired").mkdir()
    (root / "desired" / "fleet.json").write_text(json.dumps(desired, indent=2))
    (root / "desired" / "extras.json").write_text(json.dumps(gen.as_list(extra_desired)))
    live_path = root / "live.json"
    live_path.write_text(json.dumps(gen.as_list(live["items"] + extra_live), indent=4))
    return root / "desired", live_path


def kubedrift(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int | str | None, str, str]:
    """The program's entry point in-process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["kubedrift", *args])
    with pytest.raises(SystemExit) as done:
        run()
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def both_ways(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[int | str | None, str, str], tuple[int | str | None, str, str]]:
    """The command streamed (the whole read then fails the test), and read whole."""
    with monkeypatch.context() as patch:

        def not_whole(*_: Any, **__: Any) -> Any:
            raise AssertionError("read whole")

        patch.setattr(streamed, "from_snapshots", not_whole)
        patch.setattr(live_state, "from_snapshots", not_whole)
        streamed_run = kubedrift(args, capsys, monkeypatch)
    with monkeypatch.context() as patch:
        patch.setattr(streamed, "streamable", lambda _path: False)
        whole_run = kubedrift(args, capsys, monkeypatch)
    return streamed_run, whole_run


FILTERS = {
    "all": [],
    "namespace": ["-n", "apps"],
    "selector": ["-l", "tier=web"],
    "selector-set": ["-l", "tier in (api,worker),team!=team-01"],
    "fail-on-high": ["--fail-on", "high"],
}


@pytest.mark.parametrize("output", FORMATS)
@pytest.mark.parametrize("filters", FILTERS.values(), ids=FILTERS.keys())
def test_streamed_output_is_the_whole_read_s_to_the_byte(
    files: tuple[Path, Path],
    output: str,
    filters: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desired, live = files
    args = ["diff", str(desired), str(live), "-o", output, "--no-color", *filters]
    streamed_run, whole_run = both_ways(args, capsys, monkeypatch)
    assert streamed_run == whole_run
    assert streamed_run[0] in (0, 2)
    assert streamed_run[1]


def test_the_cases_settled_on_the_way_are_reported_as_the_whole_read_does(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only equal: the extras do what they are there for (so the test can fail)."""
    desired, live = files
    (code, out, _), _ = both_ways(
        ["diff", str(desired), str(live), "-o", "json"], capsys, monkeypatch
    )
    report = json.loads(out)
    found = {
        (f["object"]["kind"], f["object"]["name"], f["path"], f["rule"]) for f in report["findings"]
    }
    replicas = {name for kind, name, path, _ in found if path == "/spec/replicas"}
    assert "worker" in replicas  # its ScaledObject's kind is not in the List
    assert not replicas & {"web", "api"}  # autoscaled (the HPA of web comes after it)
    moved = [f for f in report["findings"] if f["object"]["name"] == "moved"]
    assert "exists in namespaces other, third" in moved[0]["message"]
    assert ("ConfigMap", "defaulted", "/data/k", "field-changed") in found
    assert any("Secret not in the snapshot" in note for note in report["summary"]["notes"])
    assert code == 2


BAD_LISTS = {
    "truncated": lambda text: text[: len(text) // 2],
    "invalid": lambda text: text.replace('"kind": "Deployment"', '"kind": Deployment', 1),
    "item-not-object": lambda text: text.replace('"items": [', '"items": [7, ', 1),
    "item-without-name": lambda text: text.replace('"name": "svc-00003"', '"nam": "x"', 1),
    "listed-twice": lambda text: text.replace('"name": "svc-00003"', '"name": "svc-00043"', 1),
    "not-a-list": lambda text: text.replace('"kind": "List"', '"kind": "Lists"', 1),
    "not-utf8": lambda text: text.replace("svc-00005", "svc-\udcff", 1),
    "trailing": lambda text: text + "{}",
}


@pytest.mark.parametrize("damage", BAD_LISTS.values(), ids=BAD_LISTS.keys())
def test_a_bad_list_gives_the_whole_read_s_one_line_error(
    files: tuple[Path, Path],
    tmp_path: Path,
    damage: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desired, live = files
    bad = tmp_path / "live.json"
    bad.write_bytes(damage(live.read_text()).encode("utf-8", "surrogateescape"))
    args = ["diff", str(desired), str(bad), "-o", "json"]
    with monkeypatch.context() as patch:
        patch.setattr(streamed, "streamable", lambda _path: False)
        whole_run = kubedrift(args, capsys, monkeypatch)
    streamed_run = kubedrift(args, capsys, monkeypatch)
    assert streamed_run == whole_run
    code, out, err = streamed_run
    assert (code, out) == (1, "")
    assert len(err.strip().splitlines()) == 1
    assert str(bad) in err


def test_a_bad_config_is_checked_after_the_live_file_without_reading_it_whole(
    files: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad `--config` is named once the live file has proved good, and a bad live file
    before it, as ever; the live file is streamed to find out, never held whole (a config
    typo must not cost a 1.8 GB live file's 5 GiB)."""
    desired, live = files
    config = tmp_path / "config.yaml"
    config.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-a-config}\n")
    streamed_run, whole_run = both_ways(
        ["diff", str(desired), str(live), "--config", str(config)], capsys, monkeypatch
    )
    assert streamed_run == whole_run
    code, out, err = streamed_run
    assert (code, out) == (1, "")
    assert str(config) in err
    assert str(live) not in err
    assert len(err.strip().splitlines()) == 1

    bad = tmp_path / "live.json"
    bad.write_text(live.read_text()[:-300])
    args = ["diff", str(desired), str(bad), "--config", str(config)]
    with monkeypatch.context() as patch:
        patch.setattr(streamed, "streamable", lambda _path: False)
        whole_run = kubedrift(args, capsys, monkeypatch)
    assert kubedrift(args, capsys, monkeypatch) == whole_run
    code, out, err = whole_run
    assert (code, out) == (1, "")
    assert str(bad) in err
    assert str(config) not in err


def test_a_desired_only_list_needs_no_whole_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `DeploymentList` (items without kind) and an empty List: not streamed or streamed,
    the same answer."""
    desired = tmp_path / "d.json"
    desired.write_text(json.dumps(deployment("web", 2)))
    items = [{k: v for k, v in deployment("web", 3).items() if k not in ("kind", "apiVersion")}]
    for body in (
        {"apiVersion": "apps/v1", "kind": "DeploymentList", "items": items},
        {"apiVersion": "v1", "kind": "List", "items": []},
    ):
        live = tmp_path / "live.json"
        live.write_text(json.dumps(body, indent=4))
        streamed_run, whole_run = (
            kubedrift(["diff", str(desired), str(live), "-o", "json"], capsys, monkeypatch),
            None,
        )
        with monkeypatch.context() as patch:
            patch.setattr(streamed, "streamable", lambda _path: False)
            whole_run = kubedrift(
                ["diff", str(desired), str(live), "-o", "json"], capsys, monkeypatch
            )
        assert streamed_run == whole_run


def live_items(count: int, drifted: int = 0) -> Iterator[Obj]:
    """Realistic live Deployments, one at a time (never a list)."""
    gen = deployments_generator()
    for i, (_, live, _) in enumerate(gen.pairs(count, 11, 0.0)):
        if i % 5 == 0 and i < 5 * drifted:  # i % 20 == 1 are HPA-scaled: not drift
            live["spec"]["replicas"] += 10
        yield live


def streamed_peak(count: int) -> int:
    """Peak traced bytes of a streamed compare of `count` live objects against their
    desired ones (made before tracing starts: only the streaming is measured)."""
    gen = deployments_generator()
    desired = [
        SourcedObject(o, Location("d.json", None, i))
        for i, (o, _, _) in enumerate(gen.pairs(count, 11, 0.0))
    ]
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        compared = compare_streamed(desired, live_items(count, drifted=3), "default", DiffOptions())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len({f.object.name for f in compared.findings}) == 3
    return peak - base


def test_memory_per_clean_live_object_is_bookkeeping_not_the_object() -> None:
    """From 200 to 1,000 pairs, each clean live object adds only its keys and result:
    far below the object itself (~15 KB of dicts), which the whole read keeps for each."""
    small, large = streamed_peak(200), streamed_peak(1000)
    per_object = (large - small) / 800
    assert per_object < 2_000, per_object


def test_cli_diff_of_a_generated_file_end_to_end(tmp_path: Path) -> None:
    """The installed program, streamed, on the benchmark's files: exactly the drifted
    objects, exit 2."""
    gen = deployments_generator()
    drifted = gen.write(tmp_path, 400, 9, 0.02)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubedrift",
            "diff",
            str(tmp_path / "desired.json"),
            str(tmp_path / "live.json"),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    names = sorted(
        {f"{f['object']['namespace']}/{f['object']['name']}" for f in report["findings"]}
    )
    assert names == drifted
    assert report["summary"]["objects_checked"] == 400


def test_load_desired_is_the_fixture_s(files: tuple[Path, Path]) -> None:
    assert len(load_desired([str(files[0])]).objects) == 309
