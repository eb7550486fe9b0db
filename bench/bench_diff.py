"""`kubedrift diff` of large files against the floor of just reading them (issue 18.1, 18.2).

    python bench/bench_diff.py                  # 10,000, 20,000 and 100,000 Deployments
    python bench/bench_diff.py --count 5000 --runs 5
    KUBEDRIFT_BENCH_QUICK=1 python bench/bench_diff.py   # 10,000 and 20,000 only

`make bench` (bench/run.py) runs it with no arguments, so the 100,000 case is included
(~1.8 GB of JSON generated once under /tmp by bench/gen_deployments.py in about a minute,
never committed; then ~4 minutes of runs on 2 cores). Each measurement is a fresh process
(`python -c` or the `kubedrift` program), its wall time taken from outside and its CPU time
and peak RSS from `wait4` (its own `ru_maxrss`, not inherited):

- floor: `json.load` of desired.json and live.json with the garbage collector off;
- floor: `msgspec.json.decode` of the same bytes (the faster one);
- reference only: `json.load` with the collector on (the old, flattering baseline);
- kubedrift: `kubedrift diff desired.json live.json -o json`, the real command (start-up,
  reading, pairing, diffing, ranking, rendering), whose output is checked: exactly the
  drifted objects are reported.

Prints medians of `--runs` (interleaved, so machine noise hits all alike), the ratio of
kubedrift's wall and CPU time to each floor, every peak RSS, and the load average before
and after (the machine is shared). Targets (issue 18.2): at 100,000 objects ≤ 1.0x the
json.load floor and ≤ 2 GiB peak RSS. No timing is asserted in tests; figures come from here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
COUNTS = (10_000, 20_000, 100_000)
QUICK_COUNTS = (10_000, 20_000)
TARGETS = {100_000: (1.0, 2048.0)}
"""Objects → (ratio to the json.load floor, peak RSS in MiB) targeted."""

FILES = ("desired.json", "live.json")
JSON_LOAD = """
import gc, json, sys
{gc}
for name in sys.argv[1:]:
    with open(name, "rb") as fh:
        json.load(fh)
"""
MSGSPEC = """
import gc, sys
import msgspec
gc.disable()
for name in sys.argv[1:]:
    with open(name, "rb") as fh:
        msgspec.json.decode(fh.read())
"""
MODES = {
    "json.load, GC off": ["-c", JSON_LOAD.format(gc="gc.disable()")],
    "msgspec decode": ["-c", MSGSPEC],
    "json.load, GC on (ref.)": ["-c", JSON_LOAD.format(gc="")],
}
KUBEDRIFT = "kubedrift diff -o json"


@dataclass(frozen=True, slots=True)
class Run:
    """One process: wall and CPU seconds, peak RSS in MiB, what it wrote."""

    wall: float
    cpu: float
    rss_mib: float
    output: str


def ensure_data(count: int, seed: int, folder: Path | None) -> Path:
    """The folder holding desired.json, live.json and drifted.txt (generated if missing)."""
    folder = folder or Path(f"/tmp/kubedrift-bench-{count}-{seed}")
    if not (folder / "drifted.txt").exists():
        generator = [sys.executable, str(HERE / "gen_deployments.py")]
        options = ["--count", str(count), "--seed", str(seed), "--out", str(folder)]
        subprocess.run([*generator, *options], check=True)
    return folder


def run_process(argv: list[str]) -> Run:
    """Run `argv`, its stdout to a file; wall time from here, CPU and peak RSS by wait4."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if proc.returncode not in (0, 2):  # 2: kubedrift found drift
        sys.exit(f"{argv[:3]} failed with exit code {proc.returncode}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output)


def measure(folder: Path, runs: int) -> dict[str, list[Run]]:
    """Interleaved runs of the floors and of kubedrift."""
    files = [str(folder / name) for name in FILES]
    commands = {mode: [sys.executable, *code, *files] for mode, code in MODES.items()}
    commands[KUBEDRIFT] = [sys.executable, "-m", "kubedrift", "diff", *files, "-o", "json"]
    results: dict[str, list[Run]] = {mode: [] for mode in commands}
    for _ in range(runs):
        for mode, argv in commands.items():
            results[mode].append(run_process(argv))
    return results


def report(count: int, folder: Path, results: dict[str, list[Run]], load: str) -> bool:
    """Print the figures; True when kubedrift reported exactly the drifted objects."""
    sizes = [(folder / name).stat().st_size / 2**20 for name in FILES]
    runs = len(results[KUBEDRIFT])
    print(
        f"-- diff of {count:,} Deployments (1% drifted): {sizes[0]:.0f} MiB desired + "
        f"{sizes[1]:.0f} MiB live JSON, medians of {runs}; load before {load}"
    )
    print(f"{'':28} {'wall':>8} {'CPU':>8} {'peak RSS':>10}")
    med = {mode: _medians(rs) for mode, rs in results.items()}
    for mode, (wall, cpu, rss) in med.items():
        label = mode if mode == KUBEDRIFT else f"floor {mode}" if "ref" not in mode else mode
        print(f"{label:28} {wall:7.2f}s {cpu:7.2f}s {rss:6.0f} MiB")
    wall, cpu, rss = med[KUBEDRIFT]
    for floor in ("json.load, GC off", "msgspec decode", "json.load, GC on (ref.)"):
        f_wall, f_cpu, _ = med[floor]
        print(f"kubedrift / {floor:24} wall {wall / f_wall:5.2f}x   CPU {cpu / f_cpu:5.2f}x")
    if count in TARGETS:
        ratio, limit = TARGETS[count]
        floor_wall, floor_cpu, _ = med["json.load, GC off"]
        verdict = "within" if wall / floor_wall <= ratio else "OVER"
        print(
            f"target ≤ {ratio:.1f}x json.load (GC off): {verdict} "
            f"(wall {wall / floor_wall:.2f}x, CPU {cpu / floor_cpu:.2f}x); "
            f"peak RSS ≤ {limit:.0f} MiB: {'within' if rss <= limit else 'OVER'} ({rss:.0f} MiB)"
        )
    ok, findings = _exact(folder, results[KUBEDRIFT])
    print(f"drifted objects reported exactly: {'OK' if ok else 'FAIL'} ({findings} findings)")
    print(f"load after {_load()}")
    return ok


def _medians(runs: list[Run]) -> tuple[float, float, float]:
    return (
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        statistics.median(r.rss_mib for r in runs),
    )


def _exact(folder: Path, runs: list[Run]) -> tuple[bool, int]:
    expected = (folder / "drifted.txt").read_text().split()
    ok, findings = True, 0
    for run in runs:
        found = json.loads(run.output)["findings"]
        names = sorted({f"{f['object']['namespace']}/{f['object']['name']}" for f in found})
        ok, findings = ok and names == expected, len(found)
    return ok, findings


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="kubedrift diff against its floors")
    parser.add_argument("--count", type=int, default=None, help="one size (default: all)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    quick = os.environ.get("KUBEDRIFT_BENCH_QUICK") == "1"
    counts = [args.count] if args.count else list(QUICK_COUNTS if quick else COUNTS)
    ok = True
    for count in counts:
        folder = ensure_data(count, args.seed, args.dir if args.count else None)
        load = _load()
        ok = report(count, folder, measure(folder, args.runs), load) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
