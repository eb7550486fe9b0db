"""A real Prometheus (Debian's `/usr/bin/prometheus`) on loopback, scraping what a test serves.

`start_prometheus()` runs it in a temporary directory (its own config and TSDB) on a free
loopback port, waits for `/-/ready`, and returns a `Prometheus`. Tests point it at their
targets with `scrape([...])`, which rewrites the config (`scrape_interval: 1s`) and reloads
it through the lifecycle API; `stop()` ends the whole process group and removes the directory.
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
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.apiserver import free_port

PROMETHEUS = Path("/usr/bin/prometheus")
JOB = "kubedrift"


def prometheus_binary() -> Path | None:
    """Debian's prometheus binary (`KUBEDRIFT_PROMETHEUS` overrides), or None if missing."""
    path = Path(os.environ.get("KUBEDRIFT_PROMETHEUS", PROMETHEUS))
    return path if path.is_file() and os.access(path, os.X_OK) else None


def config_text(targets: list[str]) -> str:
    """A Prometheus config scraping `targets` (host:port) every second as job `kubedrift`."""
    listed = ", ".join(json.dumps(t) for t in targets)
    return (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        f"  - job_name: {JOB}\n"
        "    static_configs:\n"
        f"      - targets: [{listed}]\n"
    )


@dataclass
class Prometheus:
    """A running Prometheus; `url` is its HTTP API (`http://127.0.0.1:<port>`)."""

    binary: Path
    workdir: Path
    url: str = ""
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def config_file(self) -> Path:
        """The config it reads (rewritten by `scrape()`)."""
        return self.workdir / "prometheus.yml"

    def start(self, timeout: float = 30.0) -> Prometheus:
        """Start with no targets and wait until `/-/ready` answers 200."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.config_file.write_text(config_text([]))
        argv = [
            str(self.binary),
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            "--log.level=warn",
        ]
        with (self.workdir / "prometheus.log").open("ab") as log:
            self.proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready(timeout)
        return self

    def scrape(self, targets: list[str]) -> None:
        """Scrape exactly `targets` from now on (config rewritten, then reloaded)."""
        self.config_file.write_text(config_text(targets))
        status, body = self._request("/-/reload", method="POST")
        if status != 200:
            raise RuntimeError(f"prometheus reload failed ({status}): {body[:500]!r}")

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The result vector of an instant query (`data.result`)."""
        status, body = self._request("/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        if status != 200:
            raise RuntimeError(f"prometheus query {promql!r} failed ({status}): {body[:500]!r}")
        result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
        return result

    def log_tail(self, size: int = 2000) -> str:
        """The end of its log, for failure messages."""
        path = self.workdir / "prometheus.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM to its process group (SIGKILL after 10 s); remove the directory."""
        proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"prometheus exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                if self._request("/-/ready")[0] == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"prometheus not ready after {timeout}s:\n{self.log_tail()}")

    def _request(self, path: str, method: str = "GET") -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return int(err.code), bytes(err.read())


def start_prometheus(binary: Path) -> Prometheus:
    """A started Prometheus in a fresh temporary directory; the caller must `stop()` it."""
    workdir = Path(tempfile.mkdtemp(prefix="kubedrift-prometheus-"))
    server = Prometheus(binary=binary, workdir=workdir)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise
