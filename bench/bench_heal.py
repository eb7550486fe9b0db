"""Self-heal latency: how long a hand edit lives under `kubedrift watch --heal --heal-mode apply`.

    python bench/bench_heal.py                 # 30 edits, 0.3 s apart
    python bench/bench_heal.py --edits 100 --gap 0.1

On a private test-bed apiserver (etcd + kube-apiserver v1.20.2, tests/support/apiserver.py)
it creates `--edits` ConfigMaps in one namespace, writes the same objects as the desired
folder, and starts the real `kubedrift watch --heal --heal-mode apply` process on them (the
installed console script, admin kubeconfig, SQLite store in a temporary folder, no nodes).
Once `/readyz` answers 200, this process makes one hand edit per ConfigMap, one at a time:
a JSON merge PATCH of `data.a` by field manager `bench-editor`, as `kubectl patch` sends it.
Each ConfigMap is edited once, so no field is reverted twice and the fight detector
(3 undone reverts of one field) never stops a heal.

Everything is observed through a watch of this process's own on the namespace (a raw
`?watch=1` stream, no informer, no polling): for each edit

- heal latency: from the edit's PATCH response to the watch event in which `data.a` is
  back at the desired value (kubedrift's server-side apply);
- baseline 1, event delivery: from the same PATCH response to the watch event of the edit
  itself: what any watcher pays before it can start (apiserver + etcd + watch fan-out);
- baseline 2, SSA round trip: one server-side apply PATCH (`application/apply-patch+yaml`,
  `force`) of another ConfigMap, from send to response, made right after each heal: the
  write kubedrift has to make.

So heal latency ≈ delivery + kubedrift's own work (decode, diff, plan, the token bucket)
+ the SSA round trip (the revert's watch event leaves as its response does); the figure of
interest is `heal − delivery − SSA`, kubedrift's own share, printed as "overhead". Delivery
can be slightly negative: the edit's event may reach a watcher before the PATCH response.
At the end `kubedrift_heal_actions_total{result="applied"}` must equal the edits: every
revert seen was kubedrift's, one each.

`--heal-max-per-minute 600` (one token each 0.1 s) and `--gap` ≥ 0.1 s keep the rate limit
out of the measurement: it is a policy knob (default 10 a minute), not latency, and the
bucket is full at each edit. Target (printed PASS/MISS, not asserted): median < 1 s. The
exit status is non-zero only for wrong results: an edit not reverted within 10 s, or a
revert to anything but the desired value.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

NAMESPACE = "bench-heal"
DESIRED, EDITOR, PROBE = "1", "bench-editor", "bench-ssa-probe"
REVERT_TIMEOUT, READY_TIMEOUT = 10.0, 120.0
TARGET_MEDIAN = 1.0
KUBEDRIFT = Path(sys.executable).parent / "kubedrift"


def config_map(name: str, **data: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": NAMESPACE}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def names(count: int) -> list[str]:
    return [f"healed-{i:03d}" for i in range(count)]


# -- the cluster client: raw requests, as the editor and the observer ------------------------


class Client:
    """Admin requests on the test bed (httpx2, the client kubedrift itself uses)."""

    def __init__(self, server: Any) -> None:
        import httpx2

        from support.apiserver import ADMIN_TOKEN

        self.http = httpx2.AsyncClient(
            base_url=server.url,
            verify=ssl.create_default_context(cafile=str(server.ca_file)),
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=httpx2.Timeout(30.0, read=None),
        )

    async def request(self, method: str, path: str, body: Any, kind: str, **params: str) -> Any:
        headers = {"Content-Type": kind}
        resp = await self.http.request(
            method, path, content=json.dumps(body), headers=headers, params=params
        )
        if resp.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text[:200]}")
        return resp.json()

    async def create(self, obj: dict[str, Any]) -> None:
        kind = obj["kind"].lower() + "s"
        ns = obj["metadata"].get("namespace")
        path = f"/api/v1/namespaces/{ns}/{kind}" if ns else f"/api/v1/{kind}"
        await self.request("POST", path, obj, "application/json")

    async def aclose(self) -> None:
        await self.http.aclose()


def cm_path(name: str) -> str:
    return f"/api/v1/namespaces/{NAMESPACE}/configmaps/{name}"


@dataclass
class Seen:
    """One watch event: when it arrived, for which object, at which version and value."""

    at: float
    name: str
    rv: int
    value: str | None


@dataclass
class Observer:
    """A bare watch on the namespace's ConfigMaps; every event is timed on arrival."""

    client: Client
    events: list[Seen] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, since: str) -> None:
        params = {"watch": "1", "resourceVersion": since, "allowWatchBookmarks": "false"}
        path = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
        async with self.client.http.stream("GET", path, params=params) as resp:
            async for line in resp.aiter_lines():
                at = time.monotonic()
                obj = json.loads(line)["object"]
                meta = obj["metadata"]
                value = (obj.get("data") or {}).get("a")
                self.events.append(Seen(at, meta["name"], int(meta["resourceVersion"]), value))
                self.changed.set()

    async def first(self, name: str, after_rv: int, pred: Any, timeout: float) -> Seen | None:
        """The first event of `name` at a version ≥ `after_rv` that `pred` accepts."""
        deadline = time.monotonic() + timeout
        while True:
            for seen in self.events:
                if seen.name == name and seen.rv >= after_rv and pred(seen):
                    return seen
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


# -- the controller under test ----------------------------------------------------------------


def start_watch(kubeconfig: Path, desired: Path, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    argv = [
        str(KUBEDRIFT), "watch", "--kubeconfig", str(kubeconfig), "--desired", str(desired),
        "--cluster", "bench-heal", "--store", str(tmp / "timeline.db"),
        "--listen", f"127.0.0.1:{port}", "--webhook-listen", "", "--no-nodes",
        "--heal", "--heal-mode", "apply", "--heal-namespace", NAMESPACE,
        "--heal-max-per-minute", "600",
    ]  # fmt: skip
    log = (tmp / "watch.log").open("w")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def until_ready(proc: subprocess.Popen[bytes], port: int) -> float:
    started = time.monotonic()
    while time.monotonic() - started < READY_TIMEOUT:
        if proc.poll() is not None:
            raise RuntimeError(f"kubedrift watch exited with {proc.returncode}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            url = f"http://127.0.0.1:{port}/readyz"
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return time.monotonic() - started
        await asyncio.sleep(0.1)  # a start-up probe, not part of any figure
    raise RuntimeError("kubedrift watch not ready in time")


def applied_count(port: int) -> float:
    """`kubedrift_heal_actions_total{result="applied"}` from the controller's `/metrics`."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("kubedrift_heal_actions_total{") and 'result="applied"' in line
    )


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (`VmHWM` of /proc/PID/status), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop_watch(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


# -- the measurement --------------------------------------------------------------------------


@dataclass
class Round:
    """One hand edit and what followed it (seconds from the edit's PATCH response)."""

    name: str
    heal: float | None
    delivery: float | None
    ssa: float
    wrong: bool = False


async def edit_and_wait(client: Client, observer: Observer, name: str, i: int) -> Round:
    body = {"data": {"a": f"hand-{i}"}}
    kind = "application/merge-patch+json"
    edited = await client.request("PATCH", cm_path(name), body, kind, fieldManager=EDITOR)
    answered = time.monotonic()
    rv = int(edited["metadata"]["resourceVersion"])
    own = await observer.first(name, rv, lambda s: s.rv == rv, REVERT_TIMEOUT)
    back = await observer.first(name, rv + 1, lambda s: s.value != f"hand-{i}", REVERT_TIMEOUT)
    ssa = await ssa_round_trip(client, i)
    return Round(
        name,
        None if back is None else back.at - answered,
        None if own is None else own.at - answered,
        ssa,
        wrong=back is not None and back.value != DESIRED,
    )


async def ssa_round_trip(client: Client, i: int) -> float:
    """One server-side apply of the probe ConfigMap (not in desired), send to response."""
    body = config_map(PROBE, a=str(i))
    kind = "application/apply-patch+yaml"
    sent = time.monotonic()
    await client.request("PATCH", cm_path(PROBE), body, kind, fieldManager="bench-ssa", force="1")
    return time.monotonic() - sent


async def measure(server: Any, tmp: Path, args: Any) -> tuple[list[Round], float, float, float]:
    from support.apiserver import free_port

    client = Client(server)
    objects = [config_map(n, a=DESIRED, b="2") for n in names(args.edits)]
    desired = tmp / "desired"
    desired.mkdir()
    for obj in objects:
        (desired / f"{obj['metadata']['name']}.json").write_text(json.dumps(obj))
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    for obj in [*objects, config_map(PROBE, a="0")]:
        await client.create(obj)
    port = free_port()
    proc = start_watch(server.kubeconfig, desired, tmp, port)
    observer = Observer(client)
    watching: asyncio.Task[None] | None = None
    try:
        ready = await until_ready(proc, port)
        listed = await client.http.get(f"/api/v1/namespaces/{NAMESPACE}/configmaps")
        watching = asyncio.create_task(observer.run(listed.json()["metadata"]["resourceVersion"]))
        rounds = []
        for i, name in enumerate(names(args.edits)):
            rounds.append(await edit_and_wait(client, observer, name, i))
            await asyncio.sleep(args.gap)  # the pause between edits, outside every figure
        return rounds, ready, applied_count(port), peak_rss_mib(proc.pid)
    finally:
        if watching is not None:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
        code = stop_watch(proc)
        await client.aclose()
        if code != 0:
            print((tmp / "watch.log").read_text()[-3000:])
            print(f"kubedrift watch exited with {code}")


# -- the report -------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(rounds: list[Round], ready: float, applied: float, peak: float) -> bool:
    heal = [r.heal for r in rounds if r.heal is not None]
    delivery = [r.delivery for r in rounds if r.delivery is not None]
    ssa = [r.ssa for r in rounds]
    own = [
        r.heal - r.delivery - r.ssa for r in rounds if r.heal is not None and r.delivery is not None
    ]
    print(f"\nkubedrift watch ready (desired loaded, listed, diffed) in {ready:.2f} s")
    print(f"kubedrift watch peak RSS over the run: {peak:.0f} MiB")
    print(f"{len(rounds)} hand edits, each of its own ConfigMap:\n")
    print(f"{'ms':44}{'median':>10}{'p95':>10}{'max':>10}")
    rows = [
        ("heal: edit response -> reverted (watch)", heal),
        ("baseline: edit response -> its watch event", delivery),
        ("baseline: one SSA PATCH round trip", ssa),
        ("overhead: heal - delivery - SSA", own),
    ]
    for label, values in rows:
        cells = (f"{pct(values, q) * 1000:10.1f}" for q in (0.5, 0.95, 1.0)) if values else ()
        print(f"{label:44}" + "".join(cells))
    if heal and delivery:
        base = pct(delivery, 0.5) + pct(ssa, 0.5)
        print(f"\nratio heal median / (delivery + SSA) median: {pct(heal, 0.5) / base:.2f}x")
        verdict = "PASS" if pct(heal, 0.5) < TARGET_MEDIAN else "MISS"
        print(f"target: median < {TARGET_MEDIAN:g} s: {pct(heal, 0.5):.3f} s {verdict}")
    missed = [r.name for r in rounds if r.heal is None]
    wrong = [r.name for r in rounds if r.wrong]
    problems = [f"{len(missed)} edits not reverted in {REVERT_TIMEOUT:g} s"] if missed else []
    problems += [f"{len(wrong)} reverted to a value not desired"] if wrong else []
    if applied != len(rounds):
        problems.append(f"kubedrift counted {applied:g} applied heals for {len(rounds)} edits")
    print(f"correct: {'OK' if not problems else 'FAIL: ' + '; '.join(problems)}")
    return not problems


async def bench(args: Any) -> bool:
    from support.apiserver import missing_binaries, start_apiserver

    missing = missing_binaries()
    if missing:
        sys.exit(f"test bed binaries missing ({', '.join(missing)}): run `make kube` first")
    tmp = Path(tempfile.mkdtemp(prefix="kubedrift-bench-heal-"))
    server = start_apiserver(controller_manager=False)
    try:
        rounds, ready, applied, peak = await measure(server, tmp, args)
        return report(rounds, ready, applied, peak)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Self-heal latency benchmark")
    parser.add_argument("--edits", type=int, default=30, help="hand edits (one per ConfigMap)")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between edits")
    args = parser.parse_args()
    if args.gap < 0.1:
        sys.exit("--gap must be at least 0.1 s, so the rate limit (600/min) stays out of it")
    sys.exit(0 if asyncio.run(bench(args)) else 1)


if __name__ == "__main__":
    main()
