"""`kubedrift report` over 30 days of a 10,000-object cluster, as a user runs it.

    python bench/bench_report.py                  # 10,000 objects, 30 days, 3 runs
    python bench/bench_report.py --objects 2000 --days 7 --runs 1

The store (SQLite, in a temporary folder) is filled through `SqlStore.record_scan`, as the
watcher fills it: 10,000 Deployments in 50 namespaces and 200 GPU nodes in 5 pools, scanned
every 6 hours for `--days` days. Drift episodes start at random (about 150 a day, ~5% of the
objects open at any time) and last an exponential time (mean 2 days); each names one of six
field managers; node drift names its pool and fact, workload drift carries GPU-hours.

Measured, each in a fresh process (interpreter and imports included on both sides, medians):

- baseline: `kubedrift timeline --store DB --since … -o json`, which reads the same episodes
  of the same window and adds them up (`timeline_stats`), with no chart and no HTML;
- report: `kubedrift report --store DB --since … --out report.html`: the same read, the
  previous period too, nine charts drawn by matplotlib, every finding with its diff.

Target (issue 15): the report in under 10 s wall; printed as PASS/MISS, not asserted. CPU
seconds are printed too (on a shared machine the wall time includes waiting for a core). The exit
status is non-zero only for a wrong result: a report whose findings table does not list
every episode of the window.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kubedrift.model import Category, Finding, Impact, ObjectRef, Severity
from kubedrift.store import HistoryFilter, SqlStore

TARGET_SECONDS = 10.0
SCAN_EVERY = timedelta(hours=6)
START = datetime(2026, 3, 1, tzinfo=UTC)
MANAGERS = ("kubectl-edit", "kubectl-patch", "helm", "argocd-controller", "k9s", "kubectl-set")
POOLS = ("h100-a", "h100-b", "a100", "l40s", "cpu")
FACTS = (
    "label:nvidia.com/cuda.driver-version.full",
    "nodeInfo.kernelVersion",
    "label:nvidia.com/mig.config",
)
KUBEDRIFT = str(Path(sys.executable).with_name("kubedrift"))


def object_finding(rng: random.Random, index: int) -> Finding:
    """A Deployment's replicas or image hand-edited by one of the managers."""
    ref = ObjectRef("apps/v1", "Deployment", f"ns-{index % 50}", f"app-{index}")
    image = rng.random() < 0.3
    return Finding(
        category=Category.OBJECT,
        severity=Severity.HIGH if image else Severity.MEDIUM,
        object=ref,
        path="/spec/template/spec/containers/name=main/image" if image else "/spec/replicas",
        desired="registry/app:1.4.2" if image else 4,
        live="registry/app:latest" if image else 2,
        rule="field-changed",
        message="hand-edited",
        manager=rng.choice(MANAGERS),
        impact=Impact(8, rng.uniform(1, 400), (f"Deployment/{ref.namespace}/{ref.name}",))
        if image and rng.random() < 0.2
        else None,
    )


def node_finding(rng: random.Random, index: int) -> Finding:
    """A GPU node that differs from its pool on one fact."""
    pool = POOLS[index % len(POOLS)]
    return Finding(
        category=Category.NODE,
        severity=Severity.HIGH,
        object=ObjectRef("v1", "Node", None, f"{pool}-node-{index}"),
        path=rng.choice(FACTS),
        desired="570.86.15",
        live="550.144.03",
        rule="pool-majority",
        message="differs from its pool",
        details=(("pool", pool),),
    )


def episodes(rng: random.Random, objects: int, days: int) -> list[tuple[int, int, Finding]]:
    """(first scan, first scan without it, finding): ~150 starts a day, mean 2 days long."""
    scans = int(timedelta(days=days) / SCAN_EVERY) + 1
    per_scan = 150 * SCAN_EVERY / timedelta(days=1) * objects / 10_000
    out = []
    for scan in range(scans):
        for _ in range(int(rng.expovariate(1 / per_scan)) + 1):
            length = max(1, round(rng.expovariate(1 / (2 * 4))))  # 4 scans a day
            index = rng.randrange(objects)
            node = rng.random() < 0.1
            finding = node_finding(rng, index % 200) if node else object_finding(rng, index)
            out.append((scan, scan + length, finding))
    return out


def fill(db: Path, objects: int, days: int, seed: int) -> int:
    """Record every scan; the number of scans."""
    rng = random.Random(seed)
    planned = episodes(rng, objects, days)
    scans = int(timedelta(days=days) / SCAN_EVERY) + 1
    with SqlStore.open(str(db)) as store:
        for scan in range(scans):
            seen: dict[tuple[str, ...], Finding] = {}
            for start, end, finding in planned:
                if start <= scan < end:
                    seen[finding.identity()] = finding
            store.record_scan("prod-a", list(seen.values()), at=START + scan * SCAN_EVERY)
    return scans


def timed(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one run of `argv`.

    Both times are printed: on a machine shared with other work the wall time waits for a
    core, while the CPU time is what the command itself costs. The peak RSS is the
    command's own (`wait4`), not that of any process it starts.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {errors.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def medians(argv: list[str], runs: int) -> tuple[float, float, float]:
    """Median wall and CPU seconds of `runs` runs, and the highest peak RSS (MiB)."""
    results = [timed(argv) for _ in range(runs)]
    return (
        statistics.median(w for w, _, _ in results),
        statistics.median(c for _, c, _ in results),
        max(r for _, _, r in results),
    )


def main() -> None:
    """Fill the store, then time the baseline and the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubedrift-bench-report-") as folder:
        db, out = Path(folder) / "timeline.db", Path(folder) / "report.html"
        started = time.perf_counter()
        scans = fill(db, args.objects, args.days, args.seed)
        until = START + timedelta(days=args.days)
        window = ["--since", START.isoformat(), "--until", until.isoformat()]
        with SqlStore.open(str(db)) as store:
            episodes_in = len(store.history(HistoryFilter(since=START, until=until)))
        print(
            f"store: {scans} scans of {args.objects:,} objects over {args.days} days, "
            f"{episodes_in:,} episodes in the window (filled in "
            f"{time.perf_counter() - started:.0f} s)"
        )
        base_argv = [KUBEDRIFT, "timeline", "--store", str(db), *window, "-o", "json"]
        ours_argv = [KUBEDRIFT, "report", "--store", str(db), *window, "--out", str(out)]
        base, base_cpu, base_rss = medians(base_argv, args.runs)
        ours, ours_cpu, ours_rss = medians(ours_argv, args.runs)
        rows = out.read_text().count("<tr data-sev=")
        size = out.stat().st_size / 2**20
    print(
        f"  baseline kubedrift timeline -o json   {base:6.2f} s wall  {base_cpu:6.2f} s CPU"
        f"  peak RSS {base_rss:5.0f} MiB"
    )
    print(
        f"  kubedrift report (HTML, 9 charts)     {ours:6.2f} s wall  {ours_cpu:6.2f} s CPU"
        f"  peak RSS {ours_rss:5.0f} MiB   ({size:.1f} MiB of HTML)"
    )
    print(f"  ratio to baseline                     {ours / base:6.2f}x   (median of {args.runs})")
    print(f"  target < {TARGET_SECONDS:.0f} s: {'PASS' if ours < TARGET_SECONDS else 'MISS'}"
          f"   (load average {os.getloadavg()[0]:.1f}: other work shares the cores)")  # fmt: skip
    correct = rows == episodes_in
    print(f"  every episode of the window listed ({rows:,}): {'OK' if correct else 'FAIL'}")
    sys.exit(0 if correct else 1)


if __name__ == "__main__":
    main()
