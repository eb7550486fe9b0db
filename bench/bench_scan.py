"""Whole-command benchmarks: `kubedrift diff` and `kubedrift scan` as users run them.

    python bench/bench_scan.py                # both, 3 runs each, medians
    python bench/bench_scan.py --only diff --runs 5

- diff: `kubedrift diff desired.json live.json -o json` on 20,000 Deployments as an
  apiserver returns them (1% drifted; bench/gen_deployments.py), against a baseline of
  `json.load` of the same two files in a fresh interpreter. Issue 3's target: within 3x.
- nodes: `kubedrift scan --live fleet.json -o json` on a simulated 5,000-node fleet with its
  pods and workloads, against `json.load` of the snapshot.

Every run is a fresh process (interpreter start-up included on both sides), measured by a
wrapper process so peak RSS is that command's own. Medians are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
DIFF_TARGET = 3.0


def measure(argv: list[str]) -> dict[str, float]:
    """Run `argv` in a wrapper process; wall seconds and the command's peak RSS in MB."""
    out = subprocess.run(
        [PY, __file__, "--measure", "--", *argv], capture_output=True, text=True, check=True
    ).stdout
    return dict(json.loads(out))


def _measure_here(argv: list[str]) -> None:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 2):
        raise SystemExit(done.stderr.decode())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "peak_mb": peak, "code": done.returncode}))


def json_load_argv(*paths: Path) -> list[str]:
    """A fresh interpreter that json.loads the files (the baseline)."""
    code = "import json,sys\nfor p in sys.argv[1:]:\n    json.load(open(p))"
    return [PY, "-c", code, *map(str, paths)]


def compare(name: str, ours: list[str], base: list[str], runs: int, objects: int) -> float:
    """Median wall of each, objects/s and peak memory; returns the ratio ours/baseline."""
    b = [measure(base) for _ in range(runs)]
    o = [measure(ours) for _ in range(runs)]
    bw = statistics.median(r["wall"] for r in b)
    ow = statistics.median(r["wall"] for r in o)
    ratio = ow / bw
    print(f"{name}:")
    print(f"  baseline json.load   {bw:7.2f} s   peak {max(r['peak_mb'] for r in b):7.0f} MB")
    print(
        f"  kubedrift            {ow:7.2f} s   peak {max(r['peak_mb'] for r in o):7.0f} MB"
        f"   {objects / ow:,.0f} objects/s"
    )
    print(f"  ratio to baseline    {ratio:7.2f}x   (median of {runs} runs)")
    return ratio


def bench_diff(runs: int) -> bool:
    """Issue 3: the whole diff of 20,000 Deployments within 3x json.load of the two files."""
    folder = Path("/tmp/kubedrift-bench-20000-7")
    if not (folder / "drifted.txt").exists():
        subprocess.run(
            [PY, str(HERE / "gen_deployments.py"), "--count", "20000", "--seed", "7",
             "--out", str(folder)],
            check=True,
        )  # fmt: skip
    desired, live = folder / "desired.json", folder / "live.json"
    ours = [PY, "-m", "kubedrift", "diff", str(desired), str(live), "-o", "json"]
    ratio = compare("diff 20,000 Deployments (1% drifted)", ours, json_load_argv(desired, live),
                    runs, 20_000)  # fmt: skip
    exact = _exact(ours, folder)
    print(f"  exactly the drifted objects reported: {'OK' if exact else 'FAIL'}")
    print(f"  target <= {DIFF_TARGET}x: {'OK' if ratio <= DIFF_TARGET else 'MISSED'}")
    return exact


def _exact(argv: list[str], folder: Path) -> bool:
    out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    objects = (f["object"] for f in json.loads(out)["findings"])
    names = {f"{o['namespace']}/{o['name']}" for o in objects}
    return names == set((folder / "drifted.txt").read_text().split())


def bench_nodes(runs: int) -> None:
    """Issue 4: a scan of a simulated 5,000-node fleet snapshot."""
    snap = Path("/tmp/kubedrift-bench-fleet-5000.json")
    if not snap.exists():
        subprocess.run(
            [PY, "-m", "kubedrift", "simulate", "--nodes", "5000", "--seed", "1",
             "--drift-rate", "0.01", "--out", str(snap)],
            check=True,
        )  # fmt: skip
    ours = [PY, "-m", "kubedrift", "scan", "--live", str(snap), "-o", "json"]
    compare("scan of a 5,000-node fleet snapshot (nodes, pods, workloads)", ours,
            json_load_argv(snap), runs, 5000)  # fmt: skip


def main() -> None:
    """Parse options and run the chosen benchmarks."""
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        _measure_here(sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("diff", "nodes"), default=None)
    args = parser.parse_args()
    ok = True
    if args.only in (None, "diff"):
        ok = bench_diff(args.runs)
    if args.only in (None, "nodes"):
        bench_nodes(args.runs)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
