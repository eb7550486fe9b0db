"""Prediction benchmark: training `kubedrift predict`'s model on 100,000 findings.

    python bench/bench_predict.py                     # 100,000 findings, 7-day horizon
    python bench/bench_predict.py --findings 20000 --horizon 24h

Builds a central SQLite timeline holding simulated 8-week drift histories of as many
clusters as it takes to reach `--findings` episodes (kubedrift.simulate.history, seeds
0, 1, 2, … — about 1,100 episodes and 230 objects and nodes per cluster), then times, each
in this process:

- read: `whole_history`, the leak-free SQL read of every episode into a `Window`;
- baseline: `forecast` with the hazard scorer (features of the present only, nothing to
  fit) — the floor any learned model pays to rank a store;
- train: `forecast` with the logistic regression — the training table at daily cutoffs
  (thinned to `MAX_TRAIN_ROWS`), the fit, and the ranking of the present.

Target (printed PASS/MISS, not asserted): train < 30 s, judged on the smaller of wall and
CPU time: on a machine shared with other jobs the wall clock also counts the wait for a
core (this work is single-threaded; scikit-learn's lbfgs may use a second BLAS thread).
The exit status is non-zero only for a wrong result: fewer findings than asked, a forecast
that is not the learned model's, or one that ranks fewer entities than the hazard baseline.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from kubedrift.predict.backtest import MAX_TRAIN_ROWS
from kubedrift.predict.forecast import forecast
from kubedrift.predict.learned import Logistic
from kubedrift.predict.scorers import Hazard
from kubedrift.predict.source import whole_history
from kubedrift.simulate.history import HistorySpec
from kubedrift.simulate.timeline import write_history
from kubedrift.store import SqlStore

TARGET_SECONDS = 30.0


def fill(store: SqlStore, findings: int) -> tuple[int, int]:
    """Simulated clusters until `findings` episodes; (episodes, clusters)."""
    total = clusters = 0
    while total < findings:
        total += write_history(store, HistorySpec(seed=clusters, cluster=f"sim-{clusters:03d}"))
        clusters += 1
    return total, clusters


def timed(label: str, action):  # type: ignore[no-untyped-def]
    """Wall and CPU seconds: on a shared machine wall time includes waiting for a core.
    The peak RSS printed is the process's so far (each phase runs in this one process)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = action()
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  {label:<10} {seconds:7.2f} s wall  {cpu_s:7.2f} s cpu  peak RSS so far {peak:6.0f} MiB"
    )
    return result, min(seconds, cpu_s) if cpu_s > 0 else seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--horizon", choices=("24h", "7d"), default="7d")
    args = parser.parse_args()
    horizon = timedelta(days=7) if args.horizon == "7d" else timedelta(hours=24)
    with (
        tempfile.TemporaryDirectory() as folder,
        SqlStore.open(str(Path(folder) / "timeline.db")) as store,
    ):
        (episodes, clusters), _ = timed("import", lambda: fill(store, args.findings))
        print(
            f"  {episodes:,} findings in {clusters} clusters (training rows <= {MAX_TRAIN_ROWS:,})"
        )
        window, _ = timed("read", lambda: whole_history(store))
    base, base_s = timed("baseline", lambda: forecast(window, horizon, Hazard()))
    model, train_s = timed("train", lambda: forecast(window, horizon, Logistic()))
    verdict = "PASS" if train_s < TARGET_SECONDS else "MISS"
    print(f"  trained on {model.trained_on:,} rows, ranked {len(model.predictions):,} entities")
    print(f"  train {train_s:.1f} s vs target {TARGET_SECONDS:.0f} s: {verdict}")
    print(f"  ratio train / baseline: {train_s / max(base_s, 1e-9):.1f}x")
    ok = (
        episodes >= args.findings
        and model.model == "logistic-regression"
        and len(model.predictions) == len(base.predictions) > 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
