"""A throwaway PostgreSQL server on loopback, for the store's tests.

Debian's server binaries (`/usr/lib/postgresql/<major>/bin`, or `KUBEDRIFT_PG_BIN`) run a
new cluster in a temporary directory: initdb with trust authentication, then the server on
a free 127.0.0.1 port with its socket in that directory and `fsync=off`. initdb refuses to
run as root, so as root every server command runs as the `postgres` OS user (`runuser`),
and the directory is given to that user. `stop()` stops the server at once (`-m immediate`;
nothing in it is worth keeping), makes sure its postmaster is gone, and removes the
directory: no process outlives the session.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

OS_USER = "postgres"
DB_USER = "postgres"
SERVER_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "listen_addresses=127.0.0.1",
    "max_connections=50",
)


def pg_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL bin folder with initdb and pg_ctl (None: not installed)."""
    override = os.environ.get("KUBEDRIFT_PG_BIN")
    candidates = [Path(override)] if override else _debian_bin_dirs()
    for bin_dir in candidates:
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
            return bin_dir
    return None


def _debian_bin_dirs() -> list[Path]:
    dirs = Path("/usr/lib/postgresql").glob("*/bin")
    return sorted(dirs, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)[::-1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway server; `url(db)` is a SQLAlchemy URL for one of its databases."""

    bin_dir: Path
    workdir: Path
    port: int = 0

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.workdir / "data"

    def url(self, database: str) -> str:
        """The store URL of `database` (psycopg 3, TCP on loopback, trust authentication)."""
        return f"postgresql+psycopg://{DB_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database with a unique name."""
        name = f"kd_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still on it."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        dsn = f"host=127.0.0.1 port={self.port} user={DB_USER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.encode())

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> PostgresServer:
        """initdb, then start the server and wait until it accepts connections."""
        self._give_workdir()
        self._run(
            "initdb",
            f"--pgdata={self.data_dir}",
            f"--username={DB_USER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        (self.workdir / "socket").mkdir()
        self._give_workdir()
        self.port = free_port()
        options = [f"-p {self.port}", f"-k {self.workdir / 'socket'}"]
        options += [f"-c {setting}" for setting in SERVER_SETTINGS]
        self._run(
            "pg_ctl",
            f"--pgdata={self.data_dir}",
            f"--log={self.workdir / 'server.log'}",
            f"--options={' '.join(options)}",
            f"--timeout={int(timeout)}",
            "--wait",
            "start",
        )
        return self

    def stop(self) -> None:
        """Stop the server immediately, kill it if it would not stop, remove the directory."""
        pid = self._postmaster_pid()
        if pid is not None:
            with contextlib.suppress(subprocess.SubprocessError):
                self._run("pg_ctl", f"--pgdata={self.data_dir}", "-m", "immediate", "-w", "stop")
            _wait_gone(pid)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server log, for failure messages."""
        log = self.workdir / "server.log"
        return "\n".join(log.read_text().splitlines()[-lines:]) if log.exists() else ""

    # -- internals -------------------------------------------------------------------------

    def _give_workdir(self) -> None:
        if os.geteuid() != 0:
            return
        user = pwd.getpwnam(OS_USER)
        for path in (self.workdir, *self.workdir.rglob("*")):
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OS_USER, "--", *command]
        done = subprocess.run(
            command, cwd=self.workdir, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
                f"\n{self.log_tail()}"
            )

    def _postmaster_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(pid_file.read_text().splitlines()[0])
        return None


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    """Wait for the postmaster to exit; SIGKILL it (by its pid) if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent that is not ours to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def start_postgres(bin_dir: Path) -> PostgresServer:
    """Start a throwaway server in a fresh directory under the system temp folder.

    Not under pytest's tmp_path: that is private to root, and the server runs as `postgres`.
    """
    workdir = Path(tempfile.mkdtemp(prefix="kubedrift-pg-"))
    server = PostgresServer(bin_dir=bin_dir, workdir=workdir)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise
