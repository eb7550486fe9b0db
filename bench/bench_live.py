"""`kubedrift scan` against a real apiserver, against the floor of just reading the state.

    python bench/bench_live.py                       # 10,000 and 50,000 objects, 3 runs each
    python bench/bench_live.py --counts 10000 --runs 3

On a private test-bed apiserver (etcd + kube-apiserver v1.20.2, tests/support/apiserver.py)
it grows the cluster to each `count` in turn (10,000, then 40,000 more) — objects in 10
namespaces, half ConfigMaps, half Deployments, as `kubectl apply` leaves them (last-applied
annotation, managedFields) — by parallel POSTs,
changes 1% of those it adds as another field manager would, and writes the same objects as
the desired folder (generated under /tmp, never committed). Then, each a fresh process
measured by a wrapper (wall time and that command's peak RSS), medians of `--runs`, the
three commands interleaved run by run so that the shared machine's load (printed) falls on
each alike:

- kubedrift: `kubedrift scan --desired DIR --no-nodes --no-workloads -o json`: desired
  load, discovery, paged LISTs of the two kinds, diff, report;
- the floor: `kubectl get configmaps,deployments -A -o json` (kubectl 1.20, its default
  `--chunk-size=500`), which only reads the same state and prints it;
- `kubectl diff -f` of a sample of the desired objects (`--sample`, 30 by default: kubectl
  diffs object by object, ~1 s each under load; its time per object is scaled to `count`),
  what a user would otherwise run.

Each scan must report exactly the changed objects (the exit status says if not).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from bench_scan import measure  # noqa: E402  (bench/ is not a package)
from bulk import collection_path, create_all, send_all  # noqa: E402

PY = sys.executable
NAMESPACES = 10
KUBECTL = Path.home() / ".cache" / "kubedrift" / "tools" / "bin" / "kubectl"
DRIFT_RATE = 0.01
EDITOR = "bench-editor"


def objects(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` desired objects: ConfigMaps and Deployments of a model-serving fleet."""
    rng = random.Random(seed)
    return [_config_map(i, rng) if i % 2 else _deployment(i, rng) for i in range(count)]


def _meta(i: int, kind: str) -> dict[str, Any]:
    name = f"{kind}-{i:06d}"
    return {
        "name": name,
        "namespace": f"live-{i % NAMESPACES}",
        "labels": {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": name},
        "annotations": {"owner": "inference@example.com"},
    }


def _config_map(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(i, "config"),
        "data": {
            "max_model_len": str(rng.choice((4096, 8192, 16384))),
            "gpu_memory_utilization": "0.90",
            "tensor_parallel_size": str(rng.choice((1, 2, 4))),
        },
    }


def _deployment(i: int, rng: random.Random) -> dict[str, Any]:
    meta = _meta(i, "serve")
    labels = {"app": meta["name"]}
    container = {
        "name": "vllm",
        "image": f"vllm/vllm-openai:v0.{rng.choice((5, 6))}.0",
        "args": ["--model", "meta-llama/Llama-3.1-8B", "--port", "8000"],
        "resources": {"limits": {"nvidia.com/gpu": "1", "memory": "32Gi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": rng.choice((1, 2)),
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def applied(obj: dict[str, Any]) -> dict[str, Any]:
    """As `kubectl apply` creates it: with its last-applied-configuration annotation."""
    live = json.loads(json.dumps(obj))
    text = json.dumps(obj, separators=(",", ":"), sort_keys=True)
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = text
    return live


def _named(obj: dict[str, Any]) -> str:
    return f"{collection_path(obj)}/{obj['metadata']['name']}"


async def seed(server: Any, desired: list[dict[str, Any]], drifted: list[dict[str, Any]]) -> float:
    """Every object by parallel POSTs (namespaces first), then the drift by PATCHes."""
    took = await create_all(server, [applied(o) for o in desired], "kubectl-client-side-apply")
    patches = [("PATCH", _named(o), _drift(o), {"fieldManager": EDITOR}) for o in drifted]
    patch = {"Content-Type": "application/merge-patch+json"}
    return took + await send_all(server, patches, headers=patch)


def _drift(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "ConfigMap":
        return {"data": {"max_model_len": "32768"}}
    return {"spec": {"replicas": 7}}


def write_desired(folder: Path, desired: list[dict[str, Any]]) -> None:
    """One JSON List per namespace (what a CI job would render)."""
    by_ns: dict[str, list[dict[str, Any]]] = {}
    for obj in desired:
        by_ns.setdefault(obj["metadata"]["namespace"], []).append(obj)
    for ns, items in by_ns.items():
        body = {"apiVersion": "v1", "kind": "List", "items": items}
        (folder / f"{ns}.json").write_text(json.dumps(body))


def _median(results: list[dict[str, float]]) -> float:
    return statistics.median(r["wall"] for r in results)


def bench(server: Any, counts: list[int], runs: int, sample: int, seed_value: int) -> bool:
    """Each size in turn, the cluster grown to it; True when every scan was exact."""
    everything = objects(max(counts), seed_value)  # each size's objects: a prefix of these
    there, drifted, ok = 0, [], True
    folder = Path(tempfile.mkdtemp(prefix="kubedrift-bench-live-"))
    try:
        for count in sorted(counts):
            started = time.perf_counter()
            new = everything[there:count]
            rng = random.Random(seed_value + count)
            changed = rng.sample(new, max(1, int(len(new) * DRIFT_RATE)))
            seconds = asyncio.run(seed(server, new, changed))
            there, drifted = count, drifted + changed
            print(f"\n{count:,} objects in the cluster ({len(new):,} created in {seconds:.1f} s)")
            ok = measure_size(server, folder / str(count), everything[:count], drifted,
                              runs=runs, sample=min(sample, count)) and ok  # fmt: skip
            print(
                f"  ({time.perf_counter() - started:.0f} s for this size, load average {_load()})"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _delete_namespaces(server)
    return ok


def measure_size(
    server: Any,
    folder: Path,
    desired: list[dict[str, Any]],
    drifted: list[dict[str, Any]],
    *,
    runs: int,
    sample: int,
) -> bool:
    """The three commands, interleaved run by run (so a change of the machine's load falls
    on all of them alike), then the ratios of their medians."""
    (folder / "desired").mkdir(parents=True)
    write_desired(folder / "desired", desired)
    sample_dir = folder / "sample"
    sample_dir.mkdir()
    write_desired(sample_dir, desired[:sample])
    kube = ["--kubeconfig", str(server.kubeconfig)]
    ours = [PY, "-m", "kubedrift", "scan", "--desired", str(folder / "desired"), *kube,
            "--no-nodes", "--no-workloads", "-o", "json"]  # fmt: skip
    floor = [str(KUBECTL), *kube, "get", "configmaps,deployments", "-A", "-o", "json"]
    diff = [str(KUBECTL), *kube, "diff", "-R", "-f", str(sample_dir)]
    measured: dict[str, list[dict[str, float]]] = {
        "kubedrift scan": [],
        "kubectl get -o json (floor)": [],
    }
    diffs = []
    for _ in range(runs):
        measured["kubedrift scan"].append(measure(ours))
        measured["kubectl get -o json (floor)"].append(measure(floor))
        diffs.append(_kubectl_diff(diff))
    exact = _exact(ours, drifted)
    _print(len(desired), measured, diffs, sample=sample, runs=runs, exact=exact)
    return exact


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _kubectl_diff(argv: list[str]) -> float:
    """`kubectl diff` exits 1 when it finds differences: that is not a failure here."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"kubectl diff failed: {done.stderr.decode()[:500]}")
    return wall


def _exact(argv: list[str], drifted: list[dict[str, Any]]) -> bool:
    out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    found = {f["object"]["name"] for f in json.loads(out)["findings"]}
    return found == {o["metadata"]["name"] for o in drifted}


def _print(
    count: int,
    measured: dict[str, list[dict[str, float]]],
    diffs: list[float],
    *,
    sample: int,
    runs: int,
    exact: bool,
) -> None:
    ours = _median(measured["kubedrift scan"])
    floor = _median(measured["kubectl get -o json (floor)"])
    for label, results in measured.items():
        peak = max(r["peak_mb"] for r in results)
        walls = [r["wall"] for r in results]
        spread = f"({min(walls):.2f}–{max(walls):.2f})"
        print(f"  {label:34} {_median(results):7.2f} s {spread:>17}   peak RSS {peak:6.0f} MiB")
    per_object = statistics.median(diffs) / sample
    label = f"kubectl diff ({sample}-object sample)"
    print(
        f"  {label:34} {statistics.median(diffs):7.2f} s"
        f"   {per_object * 1000:.1f} ms/object, {per_object * count:,.0f} s for all {count:,}"
    )
    print(f"  kubedrift scan / kubectl get:  {ours / floor:5.2f}x   (medians of {runs})")
    print(f"  kubectl diff (scaled) / kubedrift scan: {per_object * count / ours:5.1f}x")
    print(f"  exactly the changed objects reported: {'OK' if exact else 'FAIL'}")


def _delete_namespaces(server: Any) -> None:
    """Free etcd at the end (namespace deletion needs the controller-manager, which
    this test bed does not run: delete the collections instead)."""
    for i in range(NAMESPACES):
        for path in (f"/api/v1/namespaces/live-{i}/configmaps",
                     f"/apis/apps/v1/namespaces/live-{i}/deployments"):  # fmt: skip
            subprocess.run(
                [str(KUBECTL), "--kubeconfig", str(server.kubeconfig), "delete", "--raw", path],
                capture_output=True,
                check=False,
            )


def main() -> None:
    """Start the test bed, run each size, stop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    from support.apiserver import missing_binaries, start_apiserver

    missing = missing_binaries()
    if missing or not KUBECTL.exists():
        what = ", ".join(missing) or str(KUBECTL)
        sys.exit(f"missing {what}: run `make kube` and `make helm` first")
    os.environ.pop("KUBEDRIFT_LIST_PAGE_SIZE", None)  # kubectl's chunk size on both sides
    # SIGTERM (a `timeout`, CI cancelling) unwinds like ^C: the test bed is stopped, not orphaned
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = start_apiserver(controller_manager=False)
    try:
        print("kubedrift scan against a real apiserver (issue 18.3); 1% of objects changed")
        print(f"load average at start: {_load()}")
        ok = bench(server, args.counts, args.runs, args.sample, args.seed)
    finally:
        server.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
