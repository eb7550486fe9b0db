"""Whole-command benchmarks: `kubedrift diff` and `kubedrift scan` as users run them.

    python bench/bench_scan.py                # the scans (nodes, pods-150k), 3 runs each
    python bench/bench_scan.py --only diff --runs 5

`make bench` runs the two scans here; the diffs (10k, 20k and 100k) are bench/bench_diff.py's,
so the two `diff` cases here run only when asked for with `--only`.

Cases (all data generated under /tmp, never committed):

- diff: `kubedrift diff desired.json live.json -o json` on 20,000 Deployments as an
  apiserver returns them (1% drifted; bench/gen_deployments.py; `--diff-count` for another
  size);
- diff-100k: the same with 100,000 Deployments;
- nodes: `kubedrift scan --live fleet.json -o json` on a simulated 5,000-node fleet with its
  AI pods and workloads;
- pods-150k: that fleet grown to 150,000 pods with the DaemonSet pods every node of a real
  cluster runs (bench/gen_pods.py).

Each is compared with the floor of just reading the same bytes, measured in the same run
(issue 18.1): `json.load` with the garbage collector off, and `msgspec.json.decode`, each in
a fresh interpreter; `json.load` with the collector on is printed only as a reference.
Every run is a fresh process (interpreter start-up included on all sides), measured by a
wrapper process so peak RSS and CPU time (user + system) are that command's own. Medians
are printed, never asserted; on a loaded machine the CPU-time ratio is the steadier one.
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
DIFF_TARGETS = {20_000: (3.0, None), 100_000: (1.0, 2048.0)}
"""Objects → (ratio to the json.load floor, peak RSS in MiB): issue 18.2 for 100,000."""


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
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": usage.ru_maxrss / 1024}))


def floor_argvs(*paths: Path) -> dict[str, list[str]]:
    """Fresh interpreters that only read the files: the floors, and the GC-on reference."""
    json_off = "import gc,json,sys\ngc.disable()\nfor p in sys.argv[1:]:\n    json.load(open(p))"
    json_on = "import json,sys\nfor p in sys.argv[1:]:\n    json.load(open(p))"
    msgspec = (
        "import gc,sys,msgspec\ngc.disable()\n"
        "for p in sys.argv[1:]:\n    msgspec.json.decode(open(p,'rb').read())"
    )
    files = list(map(str, paths))
    return {
        "json.load, GC off (floor)": [PY, "-c", json_off, *files],
        "msgspec decode (floor)": [PY, "-c", msgspec, *files],
        "json.load, GC on (reference)": [PY, "-c", json_on, *files],
    }


def compare(
    name: str, ours: list[str], floors: dict[str, list[str]], runs: int, objects: int
) -> tuple[float, float]:
    """Median wall and peak RSS of kubedrift and each floor; the ratio to the json.load
    floor (GC off) and kubedrift's peak RSS are returned, the ratio to every floor printed."""
    # Interleaved (each floor, then kubedrift, run after run): measured one after the other,
    # a change of the machine's load between the floors and kubedrift moved the ratio 4x.
    measured: dict[str, list[dict[str, float]]] = {label: [] for label in floors}
    o = []
    for _ in range(runs):
        for label, argv in floors.items():
            measured[label].append(measure(argv))
        o.append(measure(ours))
    ow, oc = (statistics.median(r[k] for r in o) for k in ("wall", "cpu"))
    print(f"{name}:")
    print(
        f"  kubedrift                      {ow:7.2f} s   peak {_peak(o):7.0f} MiB"
        f"   {objects / ow:,.0f} objects/s   cpu {oc:6.2f} s"
    )
    ratios = {}
    for label, results in measured.items():
        wall, cpu = (statistics.median(r[k] for r in results) for k in ("wall", "cpu"))
        ratios[label] = ow / wall
        # CPU seconds (user + system) too: on a loaded 2-core machine the wall time of the
        # longer process grows with the load more than the floor's, and the CPU time less.
        print(
            f"  {label:30} {wall:7.2f} s   peak {_peak(results):7.0f} MiB"
            f"   kubedrift at {ow / wall:5.2f}x   cpu {cpu:6.2f} s ({oc / cpu:5.2f}x)"
        )
    print(f"  (medians of {runs} runs; load average {_load()})")
    return ratios["json.load, GC off (floor)"], _peak(o)


def _load() -> str:
    """The machine's load averages: on a shared machine every figure moves with them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _peak(results: list[dict[str, float]]) -> float:
    return max(r["peak_mb"] for r in results)


def bench_diff(runs: int, count: int = 20_000) -> bool:
    """`diff` of `count` Deployments (1% drifted) against the floor of reading both files."""
    folder = Path(f"/tmp/kubedrift-bench-{count}-7")
    if not (folder / "drifted.txt").exists():
        subprocess.run(
            [PY, str(HERE / "gen_deployments.py"), "--count", str(count), "--seed", "7",
             "--out", str(folder)],
            check=True,
        )  # fmt: skip
    desired, live = folder / "desired.json", folder / "live.json"
    ours = [PY, "-m", "kubedrift", "diff", str(desired), str(live), "-o", "json"]
    ratio, peak = compare(f"diff {count:,} Deployments (1% drifted)", ours,
                          floor_argvs(desired, live), runs, count)  # fmt: skip
    exact = _exact(ours, folder)
    print(f"  exactly the drifted objects reported: {'OK' if exact else 'FAIL'}")
    target, rss = DIFF_TARGETS.get(count, (3.0, None))
    verdict = "OK" if ratio <= target else "MISSED"
    print(f"  target <= {target}x the json.load floor: {verdict}")
    if rss is not None:
        print(f"  target peak RSS <= {rss:.0f} MiB: {'OK' if peak <= rss else 'MISSED'}")
    return exact


def _exact(argv: list[str], folder: Path) -> bool:
    out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    objects = (f["object"] for f in json.loads(out)["findings"])
    names = {f"{o['namespace']}/{o['name']}" for o in objects}
    return names == set((folder / "drifted.txt").read_text().split())


def fleet_snapshot() -> Path:
    """The simulated 5,000-node fleet (generated once)."""
    snap = Path("/tmp/kubedrift-bench-fleet-5000.json")
    if not snap.exists():
        subprocess.run(
            [PY, "-m", "kubedrift", "simulate", "--nodes", "5000", "--seed", "1",
             "--drift-rate", "0.01", "--out", str(snap)],
            check=True,
        )  # fmt: skip
    return snap


def bench_nodes(runs: int) -> None:
    """A scan of a simulated 5,000-node fleet snapshot (its AI pods and workloads)."""
    snap = fleet_snapshot()
    ours = [PY, "-m", "kubedrift", "scan", "--live", str(snap), "-o", "json"]
    compare("scan of a 5,000-node fleet snapshot (nodes, pods, workloads)", ours,
            floor_argvs(snap), runs, 5000)  # fmt: skip


def bench_pods(runs: int, pods: int = 150_000) -> None:
    """Issue 18.2: the 5,000-node fleet with 150,000 pods."""
    snap = Path(f"/tmp/kubedrift-bench-fleet-5000-{pods}.json")
    if not snap.exists():
        subprocess.run(
            [PY, str(HERE / "gen_pods.py"), "--fleet", str(fleet_snapshot()),
             "--pods", str(pods), "--out", str(snap)],
            check=True,
        )  # fmt: skip
    ours = [PY, "-m", "kubedrift", "scan", "--live", str(snap), "-o", "json"]
    ratio, peak = compare(
        f"scan of 5,000 nodes + {pods:,} pods", ours, floor_argvs(snap), runs, pods
    )
    print(f"  issue 18.2 target <= 1.0x the json.load floor: {'OK' if ratio <= 1.0 else 'MISSED'}")
    print(f"  issue 18.2 target peak RSS <= 1024 MiB: {'OK' if peak <= 1024 else 'MISSED'}")


def main() -> None:
    """Parse options and run the chosen benchmarks."""
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        _measure_here(sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("diff", "diff-100k", "nodes", "pods-150k"), default=None)
    parser.add_argument("--diff-count", type=int, default=20_000, help="Deployments of `diff`")
    args = parser.parse_args()
    ok = True
    if args.only == "diff":
        ok = bench_diff(args.runs, args.diff_count)
    if args.only == "diff-100k":
        ok = bench_diff(args.runs, 100_000) and ok
    if args.only in (None, "nodes"):
        bench_nodes(args.runs)
    if args.only in (None, "pods-150k"):
        bench_pods(args.runs)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
