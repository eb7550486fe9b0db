"""Fault injection (issue 12, "Done when"): the watcher through store outages, a full disk, an
apiserver outage and kill -9 — and afterwards its store matches the cluster exactly.

Two `kubedrift watch` processes run side by side on one real apiserver: one writes a real
PostgreSQL, the other a SQLite file on a small tmpfs of its own. Between them and their
servers sit TCP proxies the test cuts. Another client changes the cluster during each fault:

1. store down 10 s — PostgreSQL unreachable (proxy cut), the tmpfs full (a filler file);
   `/readyz` must turn 503 naming the store, `kubedrift_store_errors_total` count, a log
   line say so; freed, each watcher recovers by itself and records the changes;
2. apiserver away 30 s (proxy cut) — `/readyz` 503 naming the apiserver; back, the changes
   made meanwhile are recorded;
3. kill -9 of both watchers (their desired-state workers must die with them), changes while
   they are down, a restart.

Then each store's open findings are exactly what `kubedrift scan` finds in the cluster now,
and the value history of the finding changed in every phase holds every phase's value. A
drifted Secret's finding has one value in its history through all the restarts (its hash
key is the store's, issue 12.6), and a broken desired file sets `kubedrift_desired_stale`
until it is fixed (issue 12.9).
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from alerts.receiver import Receiver
from controller.probing import http_get
from controller.probing import wait_for as _wait_for
from kubedrift.store import HistoryFilter, StoredFinding
from kubedrift.store.readonly import open_existing
from store.postgres import PostgresServer, pg_bin_dir, start_postgres
from support.apiserver import ApiServer, free_port
from support.tcpproxy import TcpProxy

KUBEDRIFT = Path(sys.executable).parent / "kubedrift"
pytestmark = pytest.mark.postgres  # and the apiserver, marked by its fixture
NS = "faults"
NAMES = ("cm-0", "cm-1", "cm-2", "cm-3")
STORE_OUTAGE = 10.0
APISERVER_OUTAGE = 30.0


def configmap(name: str, value: str = "0") -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: {NS}}}\n"
        f'data: {{v: "{value}"}}\n'
    )


SECRET = (
    f"apiVersion: v1\nkind: Secret\nmetadata: {{name: creds, namespace: {NS}}}\n"
    "stringData: {password: desired-pw}\n"
)


def kubectl(server: ApiServer, *args: str, stdin: str | None = None) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, input=stdin, check=False)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


def set_value(server: ApiServer, name: str, value: str) -> None:
    kubectl(server, "apply", "-f", "-", stdin=configmap(name, value))


def metric(body: str, name: str, **labels: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.split("{", 1)[0].split(" ", 1)[0] == name
        and all(f'{k}="{v}"' in line for k, v in labels.items())
    )


wait_for = functools.partial(_wait_for, timeout=40)  # outages take longer


def bound(check: Callable[[Watch], Any], watch: Watch) -> Callable[[], Any]:
    """`check` of this one watch, bound now: typed, where a `lambda w=watch:` default is not."""
    return functools.partial(check, watch)


@dataclass
class Watch:
    """One `kubedrift watch` process and where it writes."""

    name: str
    store: str
    """The store URL the watcher uses (through a proxy for PostgreSQL)."""
    direct: str
    """The same store as the test reads it (never through a proxy)."""
    kubeconfig: Path
    desired: Path
    log: Path
    hook: str
    """The webhook alert sink's URL."""
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [
            str(KUBEDRIFT), "watch", "--kubeconfig", str(self.kubeconfig),
            "--desired", str(self.desired), "--cluster", self.name, "--store", self.store,
            "--listen", f"127.0.0.1:{self.port}", "--no-nodes", "--desired-interval", "1",
            "--alert-webhook", self.hook, "--alert-group-wait", "0.2",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> list[int]:
        """kill -9 the watcher alone; the pids of its children, which must die by themselves."""
        assert self.proc is not None
        children = children_of(self.proc.pid)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        return children

    def ready(self) -> tuple[int, dict[str, Any]]:
        status, body = http_get(self.base + "/readyz")
        return status, (json.loads(body) if body else {})

    def metrics(self) -> str:
        return http_get(self.base + "/metrics")[1]

    def episodes(self) -> list[StoredFinding]:
        with open_existing(self.direct) as store:
            return store.history(HistoryFilter(cluster=self.name))

    def open_values(self) -> set[tuple[str, str, str, object]]:
        return {
            (e.finding.object.name, e.finding.path, e.finding.rule, e.finding.live)
            for e in self.episodes()
            if e.resolved_at is None
        }

    def history_of(self, name: str, path: str = "/data/v") -> list[object]:
        with open_existing(self.direct) as store:
            [episode] = [
                e for e in store.history(HistoryFilter(cluster=self.name))
                if e.finding.object.name == name and e.finding.path == path
            ]  # fmt: skip
            return [c.live for c in store.changes(episode.id)]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def children_of(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        pytest.fail("PostgreSQL server binaries not found: run scripts/ensure-postgres.sh")
    server = start_postgres(bin_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of its own, to fill up (needs root, as `make test` runs here)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs to fill (not root?): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    return filler


def scan(server: ApiServer, desired: Path) -> set[tuple[str, str, str, object]]:
    """What `kubedrift scan` finds in the cluster now: the truth the stores must match.

    The Secret is left out: `scan -o json` cannot encode a Secret finding's masked value
    today (a `TypeError` in the JSON renderer, reported to the lead); the stores' Secret
    finding is checked on its own."""
    plain = desired.parent / "desired-without-secrets"
    plain.mkdir(exist_ok=True)
    for path in desired.glob("cm-*.yaml"):
        (plain / path.name).write_text(path.read_text())
    argv = [str(KUBEDRIFT), "scan", "--kubeconfig", str(server.kubeconfig),
            "--desired", str(plain), "--no-workloads", "-o", "json"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode in (0, 2), done.stderr
    return {
        (f["object"]["name"], f["path"], f["rule"], f["live"])
        for f in json.loads(done.stdout)["findings"]
        if f["category"] == "object"
    }


def test_store_disk_and_apiserver_outages_and_kill_9_lose_nothing(
    private_server: ApiServer, postgres: PostgresServer, small_disk: Path, tmp_path: Path
) -> None:
    server = private_server
    desired = tmp_path / "desired"
    desired.mkdir()
    for name in NAMES:
        (desired / f"{name}.yaml").write_text(configmap(name))
    kubectl(server, "create", "namespace", NS)
    kubectl(server, "apply", "-f", str(desired))
    (desired / "creds.yaml").write_text(SECRET)
    kubectl(server, "apply", "-f", "-", stdin=SECRET.replace("desired-pw", "live-pw"))
    api_port = int(server.url.rsplit(":", 1)[1])
    database = postgres.create_database()
    with (
        TcpProxy("127.0.0.1", api_port) as api,
        TcpProxy("127.0.0.1", postgres.port) as pg,
        Receiver() as hook,
    ):
        kubeconfig = tmp_path / "via-proxy.kubeconfig"
        kubeconfig.write_text(server.kubeconfig.read_text().replace(f":{api_port}", f":{api.port}"))
        direct = postgres.url(database)
        watches = [
            Watch("pg", direct.replace(f":{postgres.port}/", f":{pg.port}/"), direct,
                  kubeconfig, desired, tmp_path / "pg.log", hook.url),
            Watch("sqlite", str(small_disk / "t.db"), str(small_disk / "t.db"),
                  kubeconfig, desired, tmp_path / "sqlite.log", hook.url),
        ]  # fmt: skip
        try:
            _scenario(Bed(server, watches, api, pg, small_disk, desired))
        finally:
            for watch in watches:
                watch.stop()
    for watch in watches:
        _alerted_as_a_digest_then_one_by_one(watch.name, hook)
        log = watch.log.read_text()
        assert "cannot write the timeline store" in log, log
        assert "cannot reach the apiserver" in log, log
        assert "recovered after" in log, log
        assert "Traceback" not in log, log
        assert "live-pw" not in log, "a Secret value reached the log"
        assert "desired-pw" not in log, "a Secret value reached the log"


def _alerted_as_a_digest_then_one_by_one(cluster: str, hook: Receiver) -> None:
    """Each start (the first, and the restart after kill -9) sends one digest (issue 11.10);
    the changes in between alert one by one."""
    bodies = [r.body for r in hook.requests if r.body["cluster"] == cluster]
    digests = [b["digest"] for b in bodies if b.get("event") == "initial-sync"]
    assert [d["findings"] for d in digests] == [1, 1]  # creds at first; cm-3 after the restart
    assert digests[0]["top"][0].startswith("[")
    alerts = [(a["event"], a["finding"]["object"]["name"]) for b in bodies for a in b["alerts"]]
    assert ("new", "cm-0") in alerts
    assert ("new", "creds") not in alerts  # it was in the first digest
    assert ("resolved", "cm-1") in alerts


@dataclass
class Bed:
    """The watchers, the servers and the switches the scenario pulls."""

    server: ApiServer
    watches: list[Watch]
    api: TcpProxy
    pg: TcpProxy
    disk: Path
    desired: Path


def _scenario(bed: Bed) -> None:
    for watch in bed.watches:
        watch.start()
    for watch in bed.watches:
        wait_for(f"{watch.name} ready", bound(lambda w: w.ready()[0] == 200, watch), timeout=60)
    _stores_down(bed)
    _apiserver_away(bed)
    _killed_and_restarted(bed)
    _broken_desired_state(bed)


def _broken_desired_state(bed: Bed) -> None:
    """A broken file in desired state keeps the last good revision and says so."""
    broken = bed.desired / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n")
    for watch in bed.watches:
        wait_for(
            f"{watch.name} to say desired state is stale",
            bound(lambda w: metric(w.metrics(), "kubedrift_desired_stale") == 1, watch),
        )
    broken.unlink()
    for watch in bed.watches:
        wait_for(
            f"{watch.name} to read desired state again",
            bound(lambda w: metric(w.metrics(), "kubedrift_desired_stale") == 0, watch),
        )


def _unready(watch: Watch) -> dict[str, Any]:
    _, body = wait_for(f"{watch.name} unready", lambda: (r := watch.ready())[0] == 503 and r)
    return dict(body)


def _stores_down(bed: Bed) -> None:
    """PostgreSQL unreachable and the SQLite disk full for 10 s; changes meanwhile."""
    started = time.monotonic()
    bed.pg.cut()
    filler = fill(bed.disk)
    set_value(bed.server, "cm-0", "A")
    kubectl(bed.server, "delete", "configmap", "cm-2", "-n", NS)
    for watch in bed.watches:
        assert "cannot write the timeline store" in _unready(watch)["reason"]
        metrics = watch.metrics()
        assert metric(metrics, "kubedrift_store_errors_total") > 0
        assert metric(metrics, "kubedrift_degraded", reason="store") == 1
        assert http_get(watch.base + "/healthz")[0] == 200  # alive: it recovers by itself
    time.sleep(max(0.0, STORE_OUTAGE - (time.monotonic() - started)))
    bed.pg.restore()
    filler.unlink()
    for watch in bed.watches:
        wait_for(
            f"{watch.name} to record what changed while its store was down",
            bound(
                lambda w: (
                    ("cm-0", "A") in {(v[0], v[3]) for v in w.open_values()}
                    and any(v[0] == "cm-2" for v in w.open_values())
                ),
                watch,
            ),
        )
        wait_for(f"{watch.name} ready again", bound(lambda w: w.ready()[0] == 200, watch))
        assert metric(watch.metrics(), "kubedrift_degraded", reason="store") == 0
        wait_for(  # the start's digest, counted by the sink's outcome
            f"{watch.name}'s alerts counted",
            bound(
                lambda w: metric(w.metrics(), "kubedrift_alerts_total", outcome="sent") >= 1, watch
            ),
        )


def _apiserver_away(bed: Bed) -> None:
    """The apiserver away for 30 s; another client changes things meanwhile."""
    started = time.monotonic()
    bed.api.cut()
    set_value(bed.server, "cm-0", "B")
    set_value(bed.server, "cm-1", "B1")
    for watch in bed.watches:
        assert "cannot reach the apiserver" in _unready(watch)["reason"]
    time.sleep(max(0.0, APISERVER_OUTAGE - (time.monotonic() - started)))
    bed.api.restore()
    for watch in bed.watches:
        wait_for(
            f"{watch.name} to record what changed while the apiserver was away",
            bound(
                lambda w: (
                    {("cm-0", "B"), ("cm-1", "B1")} <= {(v[0], v[3]) for v in w.open_values()}
                ),
                watch,
            ),
        )


def _killed_and_restarted(bed: Bed) -> None:
    """kill -9 of both; changes while they are down; a restart; the stores match a scan."""
    children = [pid for watch in bed.watches for pid in watch.kill()]
    assert children, "the watchers run a desired-state worker"
    wait_for("their workers to exit", lambda: not any(alive(p) for p in children), timeout=10)
    set_value(bed.server, "cm-0", "C")
    set_value(bed.server, "cm-1", "0")
    kubectl(bed.server, "apply", "-f", str(bed.desired / "cm-2.yaml"))
    set_value(bed.server, "cm-3", "C3")
    for watch in bed.watches:
        watch.start()
    truth = scan(bed.server, bed.desired)
    assert {(v[0], v[3]) for v in truth} == {("cm-0", "C"), ("cm-3", "C3")}
    for watch in bed.watches:
        wait_for(
            f"{watch.name} to match the cluster",
            bound(lambda w: {v for v in w.open_values() if v[0] != "creds"} == truth, watch),
        )
        [secret] = [v for v in watch.open_values() if v[0] == "creds"]
        assert str(secret[3]).startswith("sha256:")
        assert watch.history_of("cm-0") == ["A", "B", "C"]
        assert len(watch.history_of("creds", "/data/password")) == 1, "a restart is no change"
        resolved = {(e.finding.object.name, e.finding.path) for e in watch.episodes()
                    if e.resolved_at is not None}  # fmt: skip
        assert ("cm-1", "/data/v") in resolved
        assert any(name == "cm-2" for name, _ in resolved)
        wait_for(
            f"{watch.name}'s events counted",
            bound(lambda w: metric(w.metrics(), "kubedrift_events_processed_total") > 0, watch),
        )
