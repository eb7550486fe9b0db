"""`make bench`: every benchmark, each printing its figures and its ratio to a baseline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "bench_startup.py",
    "bench_diff.py",
    "bench_scan.py",
    "bench_live.py",
    "bench_watch.py",
    "bench_api.py",
    "bench_report.py",
    "bench_predict.py",
    "bench_heal.py",
)


def main() -> None:
    """Run each benchmark script in turn; fail if any reports a wrong result."""
    failed = []
    for script in BENCHMARKS:
        print(f"== {script}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script)], check=False).returncode:
            failed.append(script)
    if failed:
        sys.exit(f"benchmarks reporting wrong results: {', '.join(failed)}")


if __name__ == "__main__":
    main()
