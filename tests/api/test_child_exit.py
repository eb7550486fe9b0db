"""A server that exits while a thread of it is starting a store child (the dashboard's risk
table and charts, `api/child.py`) leaves no traceback behind: found by `make soak`, where
`kubedrift serve` stopped mid-start and the half-started child printed "EOFError: Ran out
of input" into its log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SERVER = """
import sys, threading, time
from kubedrift.api.child import in_child

def work(store):
    return 1

def refresh_forever():
    while True:
        try:
            in_child("risk", sys.argv[1], work)
        except RuntimeError:
            pass  # no such store: the child says so, and the loop starts another

if __name__ == "__main__":
    threading.Thread(target=refresh_forever, daemon=True).start()
    time.sleep(float(sys.argv[2]))  # then exit, wherever the thread is
"""


def test_exiting_while_a_child_starts_prints_nothing(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    url = f"sqlite:///{tmp_path / 'absent.db'}"
    # Without the exit hook about 4 runs in 10 end with the child's traceback.
    for run in range(12):
        done = subprocess.run(
            [sys.executable, str(script), url, str(0.2 + 0.07 * run)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr, f"run {run}:\n{done.stderr}"
