"""Regression (issue 12.11): `kubedrift history` and `timeline` failed on a store they may not
write ("unable to open database file"): opening switched the file to WAL and needed its
`-shm` index beside it.

The store is a WAL-mode SQLite file the watcher wrote, then made read-only: the file mode
0444 in a directory mode 0555 and, since root ignores modes, the directory bind-mounted
read-only. Both commands run as processes, in every output format, and must leave the file
byte-for-byte as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kubedrift.store import SqlStore, StoreError
from kubedrift.store.readonly import open_existing
from store.builders import finding

NOW = datetime.now(UTC).replace(microsecond=0)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` read-only for everyone, root included (a read-only bind mount)."""
    mounted = False
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    try:
        if os.geteuid() == 0:
            binds = (["mount", "--bind", str(folder), str(folder)],
                     ["mount", "-o", "remount,ro,bind", str(folder)])  # fmt: skip
            for argv in binds:
                done = subprocess.run(argv, capture_output=True, text=True, check=False)
                if done.returncode:
                    if mounted:
                        subprocess.run(["umount", str(folder)], check=False)
                    pytest.skip(f"root, and cannot make a read-only mount: {done.stderr}")
                mounted = True
        yield
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
        folder.chmod(0o755)


def kubedrift(*args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "KUBEDRIFT_STORE"}
    argv = [sys.executable, "-m", "kubedrift", *args]
    return subprocess.run(
        argv, capture_output=True, text=True, env=environ, timeout=120, check=False
    )


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    folder = tmp_path / "ro"
    path = folder / "timeline.db"
    with SqlStore.open(str(path)) as store:
        store.record_scan("prod-a", [finding("trainer"), finding("llm")], at=NOW - timedelta(1))
        store.record_scan("prod-a", [finding("trainer")], at=NOW)
    assert {p.name for p in folder.iterdir()} == {"timeline.db"}  # a clean close: no -wal
    return path


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_history_and_timeline_read_a_read_only_store(store_file: Path, fmt: str) -> None:
    before = hashlib.sha256(store_file.read_bytes()).hexdigest()
    with read_only(store_file.parent):
        history = kubedrift("history", "--store", str(store_file), "-o", fmt)
        timeline = kubedrift("timeline", "--store", str(store_file), "-o", fmt)
        listing = sorted(p.name for p in store_file.parent.iterdir())
    assert history.returncode == 0, history.stderr
    assert timeline.returncode == 0, timeline.stderr
    assert "trainer" in history.stdout
    assert "llm" in history.stdout
    if fmt == "json":
        assert json.loads(history.stdout)["summary"] == {
            "open": 1, "resolved": 1, "total": 2, "shown": 2
        }  # fmt: skip
        assert json.loads(timeline.stdout)["schema"].startswith("kubedrift-timeline/")
    assert listing == ["timeline.db"]
    assert hashlib.sha256(store_file.read_bytes()).hexdigest() == before


def test_read_only_store_with_an_old_schema_says_so(store_file: Path) -> None:
    """A read-only store that needs a migration is an error in one line, not a traceback."""
    import sqlite3

    with sqlite3.connect(store_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.close()
    with read_only(store_file.parent):
        done = kubedrift("history", "--store", str(store_file))
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "timeline.db" in done.stderr


def test_a_store_opened_for_reading_never_writes(sql_url: str) -> None:
    """Both backends: the read commands' store refuses any write (a read-only session)."""
    with SqlStore.open(sql_url) as store:
        store.record_scan("prod-a", [finding("trainer")], at=NOW)
    with open_existing(sql_url) as reader:
        assert [e.finding.object.name for e in reader.open_findings()] == ["trainer"]
        with pytest.raises(StoreError, match=r"read.?only"):
            reader.record_scan("prod-a", [], at=NOW + timedelta(1))
    with SqlStore.open(sql_url) as store:
        assert [e.finding.object.name for e in store.open_findings()] == ["trainer"]
