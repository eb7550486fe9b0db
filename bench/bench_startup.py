"""Start-up benchmark (issue 18.5): `kubedrift --help` and a one-object `diff -o json`.

    python bench/bench_startup.py            # 7 runs of each, medians
    python bench/bench_startup.py --runs 15

Every command is a fresh process, timed wall-clock from spawn to exit, and compared with
the floor measured in the same run: `python -c pass` of the same interpreter (what any
Python command costs before it imports anything). Also printed: the modules each command
imports, and whether a heavy stack (FastAPI, uvicorn, SQLAlchemy, Alembic, rich) is among
them. Targets: each command ≤ 150 ms wall; `diff -o json` imports none of the heavy stacks.
No timing is asserted in tests (tests/cli/test_lazy_commands.py checks the imports).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.150
HEAVY = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "rich")
PROBE = """
import atexit, sys
def _report():
    heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
    sys.stderr.write(f"MODULES {{len(sys.modules)}} {{','.join(heavy) or 'none'}}\\n")
atexit.register(_report)
sys.argv = ["kubedrift", *{args!r}]
from kubedrift.cli.main import run
run()
"""


def timed(argv: list[str], runs: int) -> float:
    """Median wall seconds of `runs` fresh processes running `argv`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def modules(args: list[str]) -> tuple[int, str]:
    """How many modules `kubedrift ARGS` imports, and which heavy stacks among them."""
    code = PROBE.format(heavy=HEAVY, args=args)
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")]
    _, count, heavy = line.split(" ", 2)
    return int(count), heavy


def main() -> None:
    """Measure the floor and each command; print medians, ratios and imports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    kubedrift = str(Path(sys.executable).with_name("kubedrift"))
    with tempfile.TemporaryDirectory() as tmp:
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "d"}}
        desired, live = Path(tmp, "desired.json"), Path(tmp, "live.json")
        desired.write_text(json.dumps({**obj, "data": {"k": "1"}}))
        live.write_text(json.dumps({**obj, "data": {"k": "2"}}))
        commands = {
            "--help": ["--help"],
            "diff -o json (1 object)": ["diff", str(desired), str(live), "-o", "json"],
            "version": ["version"],
        }
        floor = timed([sys.executable, "-c", "pass"], runs)
        print(f"floor  python -c pass: {floor * 1000:7.1f} ms (median of {runs})")
        worst = 0.0
        for name, args in commands.items():
            took = timed([kubedrift, *args], runs)
            count, heavy = modules(args)
            worst = max(worst, took)
            print(
                f"kubedrift {name:26} {took * 1000:7.1f} ms  {took / floor:5.1f}x floor  "
                f"{count:4d} modules  heavy: {heavy}"
            )
    verdict = "OK" if worst <= TARGET_SECONDS else "ABOVE TARGET"
    print(f"target ≤ {TARGET_SECONDS * 1000:.0f} ms wall: {verdict} (a shared machine is noisy)")


if __name__ == "__main__":
    main()
