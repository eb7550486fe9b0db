"""A real Alertmanager on loopback, for tests that deliver alerts to it.

The binary is Debian's `prometheus-alertmanager` (`scripts/ensure-monitoring.sh`, or
`make monitoring`). It runs in a temporary directory with a one-route configuration whose
receiver does nothing, on a free loopback port, with clustering (gossip) turned off, and
is stopped — its whole process group — by `stop()`, so nothing outlives the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.apiserver import free_port

BINARY = "prometheus-alertmanager"
CONFIG = """\
route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
"""


def alertmanager_binary() -> str | None:
    """The path of the binary (`KUBEDRIFT_ALERTMANAGER` overrides), or None if missing."""
    return os.environ.get("KUBEDRIFT_ALERTMANAGER") or shutil.which(BINARY)


@dataclass
class Alertmanager:
    """A running Alertmanager: `url` is its base URL, e.g. `http://127.0.0.1:41234`."""

    workdir: Path
    url: str
    proc: subprocess.Popen[bytes]

    def get_json(self, path: str, **query: str) -> Any:
        """GET `path` (with query parameters) and decode the JSON answer."""
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        with urllib.request.urlopen(url, timeout=5) as resp:
            return json.loads(resp.read())

    def alerts(self, *matchers: str, active: bool = True) -> list[dict[str, Any]]:
        """`GET /api/v2/alerts` filtered by label matchers such as `finding="abc"`.

        Alertmanager never lists an alert whose `endsAt` has passed (a resolved one),
        whatever the flags; `active=False` leaves out the active (neither silenced nor
        inhibited) ones.
        """
        flags = {"active": active, "silenced": True, "inhibited": True, "unprocessed": True}
        query = [(k, str(v).lower()) for k, v in flags.items()]
        query += [("filter", m) for m in matchers]
        url = f"{self.url}/api/v2/alerts?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=5) as resp:
            return list(json.loads(resp.read()))

    def stop(self) -> None:
        """Stop the process group (SIGTERM, then SIGKILL) and remove the workdir."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_alertmanager(binary: str, *, timeout: float = 30.0) -> Alertmanager:
    """Start Alertmanager in a new temporary directory and wait until `/-/ready` answers."""
    workdir = Path(tempfile.mkdtemp(prefix="kubedrift-alertmanager-"))
    (workdir / "alertmanager.yml").write_text(CONFIG)
    port = free_port()
    argv = [
        binary,
        f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    with (workdir / "alertmanager.log").open("ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Alertmanager(workdir, f"http://127.0.0.1:{port}", proc)
    try:
        _wait_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: Alertmanager, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            log = (server.workdir / "alertmanager.log").read_text(errors="replace")
            raise RuntimeError(f"alertmanager exited with {server.proc.returncode}:\n{log}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(server.url + "/-/ready", timeout=2) as resp,
        ):
            if resp.status == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"alertmanager not ready after {timeout}s; see {server.workdir}")
