"""Object diff benchmark: decode + `diff_objects` against the floor of reading the files.

    python bench/bench_diff.py                 # 20,000 and 100,000 Deployments, 1% drifted
    python bench/bench_diff.py --count 5000 --runs 5
    KUBEDRIFT_BENCH_QUICK=1 python bench/bench_diff.py   # 20,000 only

The data is generated under /tmp by bench/gen_deployments.py (100,000 pairs, 1.8 GB, in
under a minute), never committed. Each measurement runs in a fresh subprocess (so peak RSS
is its own, from getrusage):

- floors (issue 18.1): `json.load` of desired.json and live.json with the collector off,
  and `msgspec.json.decode` of both;
- kubedrift: `msgspec.json.decode` of both with the collector off and the result frozen
  (`gc.freeze()`, as docs/DESIGN.md "Performance facts" says), then `diff_objects`.

Prints the median wall time of each, objects per second, peak memory, the ratio to each
floor (targets: within 3x at 20,000; 1.0x and 2 GiB at 100,000, issue 18.2), and OK/FAIL for
"exactly the drifted objects are reported". No timing is asserted in tests; this script is
where the figures come from (`bench/bench_scan.py` times the `kubedrift diff` command).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COUNTS = (20_000, 100_000)
TARGETS = {20_000: (3.0, None), 100_000: (1.0, 2048.0)}
"""Objects → (ratio to the json.load floor, peak RSS in MiB) targeted."""


def ensure_data(count: int, seed: int, folder: Path | None) -> Path:
    """The folder holding desired.json, live.json and drifted.txt (generated if missing)."""
    folder = folder or Path(f"/tmp/kubedrift-bench-{count}-{seed}")
    if not (folder / "drifted.txt").exists():
        # In a subprocess: the children inherit this process's peak RSS across fork+exec.
        generator = [sys.executable, str(HERE / "gen_deployments.py")]
        options = ["--count", str(count), "--seed", str(seed), "--out", str(folder)]
        subprocess.run([*generator, *options], check=True)
    return folder


def child_baseline(folder: Path) -> dict[str, Any]:
    """json.load of both files."""
    gc.disable()
    start = time.perf_counter()
    for name in ("desired.json", "live.json"):
        with (folder / name).open("rb") as fh:
            json.load(fh)
    return {"total": time.perf_counter() - start}


def child_msgspec(folder: Path) -> dict[str, Any]:
    """msgspec decode of both files: the faster floor."""
    import msgspec

    gc.disable()
    start = time.perf_counter()
    for name in ("desired.json", "live.json"):
        msgspec.json.decode((folder / name).read_bytes())
    return {"total": time.perf_counter() - start}


def child_diff(folder: Path) -> dict[str, Any]:
    """msgspec decode (collector off) + diff_objects; checks the drifted objects."""
    import msgspec

    from kubedrift.diff import DiffOptions, diff_objects

    gc.disable()
    start = time.perf_counter()
    desired = msgspec.json.decode((folder / "desired.json").read_bytes())["items"]
    live = msgspec.json.decode((folder / "live.json").read_bytes())["items"]
    decoded = time.perf_counter()
    gc.freeze()  # the decoded objects live for the whole run: keep them out of collections
    gc.enable()
    findings = diff_objects(desired, live, DiffOptions(revision="bench"))
    done = time.perf_counter()
    reported = sorted({f"{f.object.namespace}/{f.object.name}" for f in findings})
    expected = (folder / "drifted.txt").read_text().split()
    return {
        "decode": decoded - start,
        "diff": done - decoded,
        "total": done - start,
        "objects": len(desired),
        "findings": len(findings),
        "ok": reported == expected,
        "unexpected": sorted(set(reported) - set(expected))[:5],
        "missed": sorted(set(expected) - set(reported))[:5],
    }


def run_child(mode: str, folder: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--dir", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


Runs = dict[str, list[dict[str, Any]]]


def measure(folder: Path, runs: int) -> Runs:
    """Interleaved runs of each, so that machine noise hits all alike."""
    results: Runs = {"baseline": [], "msgspec": [], "diff": []}
    for _ in range(runs):
        for mode, out in results.items():
            out.append(run_child(mode, folder))
    return results


def report(folder: Path, results: Runs) -> bool:
    """Print the figures; True when the result is correct."""
    baseline, floor2, ours = results["baseline"], results["msgspec"], results["diff"]
    size = sum((folder / n).stat().st_size for n in ("desired.json", "live.json")) / 2**20
    med = {k: statistics.median(r[k] for r in ours) for k in ("decode", "diff", "total")}
    base = statistics.median(r["total"] for r in baseline)
    fast = statistics.median(r["total"] for r in floor2)
    objects, ratio = ours[0]["objects"], med["total"] / base
    print(f"input: {objects} desired + {objects} live objects, {size:.0f} MiB of JSON")
    print(f"floor json.load, GC off      {base:7.2f} s   peak RSS {_peak(baseline):6.0f} MiB")
    print(f"floor msgspec decode         {fast:7.2f} s   peak RSS {_peak(floor2):6.0f} MiB")
    print(f"kubedrift decode (msgspec)   {med['decode']:7.2f} s")
    print(f"kubedrift diff_objects       {med['diff']:7.2f} s   {objects / med['diff']:,.0f} obj/s")
    print(f"kubedrift decode + diff      {med['total']:7.2f} s   peak RSS {_peak(ours):6.0f} MiB")
    target, rss = TARGETS.get(objects, (3.0, None))
    verdict = "within" if ratio <= target else "OVER"
    print(f"ratio to json.load (GC off)  {ratio:7.2f}x  ({verdict} the {target:.1f}x target)")
    print(f"ratio to msgspec decode      {med['total'] / fast:7.2f}x")
    if rss is not None:
        within = "within" if _peak(ours) <= rss else "OVER"
        print(f"peak RSS                     {_peak(ours):7.0f} MiB ({within} {rss:.0f} MiB)")
    ok = all(r["ok"] for r in ours)
    findings = ours[0]["findings"]
    print(f"drifted objects reported exactly: {'OK' if ok else 'FAIL'} ({findings} findings)")
    if not ok:
        print(f"  unexpected: {ours[0]['unexpected']}  missed: {ours[0]['missed']}")
    return ok


def _peak(results: list[dict[str, Any]]) -> float:
    return max(r["rss_mib"] for r in results)


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Object diff benchmark")
    parser.add_argument("--count", type=int, default=None, help="one size (default: both)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--child", choices=("baseline", "msgspec", "diff"), default=None)
    args = parser.parse_args()
    if args.child is not None:
        run = {"baseline": child_baseline, "msgspec": child_msgspec, "diff": child_diff}
        result = run[args.child](args.dir)
        result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB
        print(json.dumps(result))
        return
    quick = os.environ.get("KUBEDRIFT_BENCH_QUICK") == "1"
    counts = [args.count] if args.count else list(COUNTS[:1] if quick else COUNTS)
    ok = True
    for count in counts:
        print(f"-- diff of {count:,} Deployments (1% drifted), medians of {args.runs} runs")
        folder = ensure_data(count, args.seed, args.dir if args.count else None)
        ok = report(folder, measure(folder, args.runs)) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
