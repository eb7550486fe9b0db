"""The real `kubedrift watch` process, measured from outside through /proc (issue 18.4).

`measure_watch()` starts the installed console script as a user would (admin kubeconfig,
SQLite store in a temporary folder, `--listen` on a free loopback port, Git hook off, nodes
and AI workloads on as by default), waits for its initial sync — `/readyz` answers 200 and
`/metrics` shows the node list complete — lets it settle, then reads

- its resident set: `VmRSS` of /proc/PID/status (proc(5)), what the kernel charges the
  process, allocator fragmentation and C libraries included, not only the Python heap;
- its CPU time across `idle_seconds` with no change in the cluster: `utime + stime` of
  /proc/PID/stat (fields 14 and 15, in clock ticks, `sysconf(_SC_CLK_TCK)`), all threads;
- its RSS again at the end of that window (growth while idle would be a leak).

Nothing here imports kubedrift: the process under test is the only one that pays for it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

KUBEDRIFT = Path(sys.executable).parent / "kubedrift"
READY_TIMEOUT = 1800.0
SETTLE = 5.0
"""Seconds after the initial sync before anything is read: the first fleet pass, the
heartbeat's first metric copy and the store's first suppression read are start-up work."""


@dataclass(frozen=True, slots=True)
class WatchFigures:
    """What one `kubedrift watch` run showed from outside."""

    ready_s: float
    """From exec to `/readyz` 200 and the node list synced: start-up and initial sync."""
    rss_kib: int
    """VmRSS after the initial sync and `SETTLE`."""
    rss_end_kib: int
    """VmRSS at the end of the idle window."""
    peak_kib: int
    """VmHWM at the end: the peak RSS over the whole run, the initial sync included."""
    cpu_s: float
    """utime + stime over the idle window."""
    wall_s: float
    """The idle window's length as measured."""
    tracked: int
    """`kubedrift_tracked_objects` summed over the desired kinds (not nodes)."""
    open_findings: int
    """`kubedrift_open_findings` summed."""


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """VmRSS (or `field`, e.g. VmHWM: the peak) of process `pid` in KiB (proc(5):
    /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of process `pid` (all its threads), in seconds (proc(5): /proc/PID/stat
    fields 14 and 15; the command name in field 2 may hold spaces, so split after its ')')."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # fields 14 and 15, counted from field 3
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        return str(resp.read().decode())


def metric_sum(text: str, name: str, *, without: str | None = None) -> float:
    """The sum of every sample of `name` (skipping samples whose labels hold `without`)."""
    total = 0.0
    for line in text.splitlines():
        sample = line.startswith((name + "{", name + " "))
        if sample and (without is None or without not in line):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _ready(port: int) -> bool:
    with contextlib.suppress(OSError, urllib.error.URLError):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
            if resp.status != 200:
                return False
        return 'kubedrift_last_sync_timestamp_seconds{kind="nodes"}' in metrics(port)
    return False


def start(kubeconfig: Path, desired: Path, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    argv = [
        str(KUBEDRIFT), "watch", "--kubeconfig", str(kubeconfig), "--desired", str(desired),
        "--cluster", "bench", "--store", str(tmp / "timeline.db"),
        "--listen", f"127.0.0.1:{port}", "--webhook-listen", "",
        "--desired-interval", "86400",
    ]  # fmt: skip
    log = (tmp / "watch.log").open("w")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def until_ready(proc: subprocess.Popen[bytes], port: int, tmp: Path) -> float:
    started = time.monotonic()
    while time.monotonic() - started < READY_TIMEOUT:
        if proc.poll() is not None:
            tail = (tmp / "watch.log").read_text()[-2000:]
            raise RuntimeError(f"kubedrift watch exited with {proc.returncode}:\n{tail}")
        if _ready(port):
            return time.monotonic() - started
        time.sleep(0.5)  # a start-up probe, not part of any figure
    raise RuntimeError("kubedrift watch not ready in time")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a pod's termination sends it; SIGKILL if it does not go."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def measure_watch(kubeconfig: Path, desired: Path, tmp: Path, idle_seconds: float) -> WatchFigures:
    """Start `kubedrift watch`, wait for its sync, read its RSS and idle CPU, stop it."""
    port = free_port()
    started = time.monotonic()
    proc = start(kubeconfig, desired, tmp, port)
    try:
        until_ready(proc, port, tmp)
        ready_s = time.monotonic() - started
        time.sleep(SETTLE)
        rss = rss_kib(proc.pid)
        cpu_before, wall_before = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(idle_seconds)
        cpu_after, wall_after = cpu_seconds(proc.pid), time.monotonic()
        rss_end, peak = rss_kib(proc.pid), rss_kib(proc.pid, "VmHWM")
        text = metrics(port)
        return WatchFigures(
            ready_s=ready_s,
            rss_kib=rss,
            rss_end_kib=rss_end,
            peak_kib=peak,
            cpu_s=cpu_after - cpu_before,
            wall_s=wall_after - wall_before,
            tracked=int(metric_sum(text, "kubedrift_tracked_objects", without='"nodes"')),
            open_findings=int(metric_sum(text, "kubedrift_open_findings")),
        )
    finally:
        stop(proc)
