"""Object diff benchmark: decode + `diff_objects` against a plain `json.load`, in one run.

    python bench/bench_diff.py                 # 20,000 Deployments, 1% drifted, 3 runs
    python bench/bench_diff.py --count 5000 --runs 5

Each measurement runs in a fresh subprocess (so peak RSS is its own, from getrusage):

- baseline: `json.load` of desired.json and live.json (collector off, as for the decode);
- kubedrift: `msgspec.json.decode` of both with the collector off and the result frozen
  (`gc.freeze()`, as docs/DESIGN.md "Performance facts" says), then `diff_objects`.

Prints the median wall time of each, objects per second, peak memory, the ratio to the
baseline (target: within 3x), and OK/FAIL for "exactly the drifted objects are reported".
No timing is asserted in tests; this script is where the figures come from.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 3.0


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


def measure(folder: Path, runs: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Interleaved runs of both, so that machine noise hits both alike."""
    baseline, ours = [], []
    for _ in range(runs):
        baseline.append(run_child("baseline", folder))
        ours.append(run_child("diff", folder))
    return baseline, ours


def report(folder: Path, baseline: list[dict[str, Any]], ours: list[dict[str, Any]]) -> bool:
    """Print the figures; True when the result is correct."""
    size = sum((folder / n).stat().st_size for n in ("desired.json", "live.json")) / 2**20
    med = {k: statistics.median(r[k] for r in ours) for k in ("decode", "diff", "total")}
    base = statistics.median(r["total"] for r in baseline)
    objects, ratio = ours[0]["objects"], med["total"] / base
    print(f"input: {objects} desired + {objects} live objects, {size:.0f} MiB of JSON")
    print(f"baseline json.load           {base:7.2f} s   peak RSS {_peak(baseline):6.0f} MiB")
    print(f"kubedrift decode (msgspec)   {med['decode']:7.2f} s")
    print(f"kubedrift diff_objects       {med['diff']:7.2f} s   {objects / med['diff']:,.0f} obj/s")
    print(f"kubedrift decode + diff      {med['total']:7.2f} s   peak RSS {_peak(ours):6.0f} MiB")
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio to json.load           {ratio:7.2f}x  ({verdict} the {TARGET_RATIO:.0f}x target)")
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
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--child", choices=("baseline", "diff"), default=None)
    args = parser.parse_args()
    if args.child is not None:
        run = child_baseline if args.child == "baseline" else child_diff
        result = run(args.dir)
        result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB
        print(json.dumps(result))
        return
    folder = ensure_data(args.count, args.seed, args.dir)
    baseline, ours = measure(folder, args.runs)
    sys.exit(0 if report(folder, baseline, ours) else 1)


if __name__ == "__main__":
    main()
