"""Continuous watch benchmark: detection latency and memory per tracked object, in one run.

    python bench/bench_watch.py                          # 10,000 ConfigMaps, 200 edits;
                                                         # the process at 10,000 and 50,000
    python bench/bench_watch.py --count 1000 --changes 50 --sizes 1000 5000
    python bench/bench_watch.py --count 0 --sizes 10000  # the process only

On a private test-bed apiserver (etcd + kube-apiserver v1.20.2, tests/support/apiserver.py)
it creates `--count` ConfigMaps in 10 namespaces, as `kubectl apply` leaves them (labels,
annotations, `last-applied-configuration`, managedFields), and writes the same objects as
the desired folder (one YAML file per namespace). Then each measurement runs in a fresh
interpreter, while this process is the other client that edits the cluster:

- informer (the baseline): a bare `Informer` over configmaps, no diff, no store; it prints
  when it sees each edit. Its latency is the floor any watcher on this client has to pay
  (apiserver + etcd + watch delivery + decode + fingerprint), so the ratio of the watcher's
  p50 to it is the overhead of kubedrift's own work: queueing, `diff_object`, the SQLite
  write of the finding, the listener. The PATCH round trip is printed for scale too.
- watcher: the `Watcher` as `kubedrift watch` runs it (check_nodes=False, SQLite store in
  a temporary folder; `desired_interval` set beyond the run, so the periodic re-read of
  desired state stays out of the window). Initial sync is timed from start to
  `initial_recorded`, split into desired load + discovery and list + diff + store write.
  The watcher itself collects and `gc.freeze()`s what the initial sync built, so the
  collector's gen-2 runs during the edits (printed) do not walk the tracked state.
- memory: the watcher under `tracemalloc` (separately, as tracing slows everything),
  Python memory still allocated after the initial sync and a full collection, per object,
  with the allocation sites holding most of it; the watcher child reports its RSS growth too.

Edits: `--changes` distinct random ConfigMaps, one at a time, 20–50 ms apart (never waiting
for a detection), each a merge PATCH of `data.max_model_len` by field manager
`bench-editor`; once all are detected, the same objects are reverted the same way. Latency
is from just before the PATCH is sent to the moment the recorder's listener gets the
`Recorded` whose `delta.new` (for a revert: `delta.resolved`) holds that finding; the
listener runs right after the store commit. Both processes read CLOCK_MONOTONIC.

- the process: the real `kubedrift watch` (the console script, `bench/watch_process.py`:
  SQLite store, `--listen`, nodes and AI workloads on as by default) first on the empty
  cluster — the baseline — then, once `--sizes` objects (10,000 and 50,000) are in the
  cluster, on desired state that differs from them in 1% of the objects (open findings).
  After its initial sync (`/readyz` 200, nodes listed) and a few seconds to settle, its
  VmRSS is read from /proc/PID/status: RSS over the baseline, per object, is the figure
  issue 18.4 sets ≤ 1 KB. Then its CPU time (utime + stime from /proc/PID/stat, every
  thread) across `--idle-seconds` (60) of no change at all: ≤ 1% of a core. The load
  average is printed at start and end: this machine is shared.

Targets (goals, printed as PASS/MISS, not asserted): p50 ≤ 100 ms, p99 ≤ 1 s, ≤ 1 KB per
object (issue 18.4: process RSS, not only tracemalloc), idle CPU ≤ 1% of a core. The exit
status is non-zero only for wrong results: an unclean initial sync, a
missed or spurious detection, a revert not resolved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import gc
import json
import random
import shutil
import signal
import ssl
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from watch_process import WatchFigures, measure_watch  # noqa: E402  (bench/ is not a package)

NAMESPACES = 10
KEY = "max_model_len"
PATH = f"/data/{KEY}"
CREATOR = "kubectl-client-side-apply"
EDITOR = "bench-editor"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
GAP = (0.020, 0.050)
DETECT_TIMEOUT = 30.0
READY_TIMEOUT = 900.0
TARGET_P50, TARGET_P99, TARGET_BYTES = 0.100, 1.0, 1024
TARGET_IDLE_CPU = 0.01
IDLE_SECONDS = 60.0
SIZES = (10_000, 50_000)

# -- the objects -----------------------------------------------------------------------------


def desired_objects(count: int, seed: int) -> list[dict[str, Any]]:
    """ConfigMaps of a model-serving fleet, as they sit in Git."""
    rng = random.Random(seed)
    models = ("meta-llama/Llama-3.1-8B", "mistralai/Mistral-7B-v0.3", "Qwen/Qwen2-7B")
    return [_config_map(i, rng.choice(models), rng) for i in range(count)]


def _config_map(i: int, model: str, rng: random.Random) -> dict[str, Any]:
    name, team = f"serving-{i:05d}", rng.choice(("search", "chat", "ranking", "vision"))
    engine = f"model: {model}\nswap_space: 4\nmax_num_seqs: {rng.choice((64, 128, 256))}\n"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": f"bench-{i % NAMESPACES}",
            "labels": {
                "app.kubernetes.io/name": "vllm",
                "app.kubernetes.io/instance": name,
                "app.kubernetes.io/part-of": "inference",
                "team": team,
            },
            "annotations": {"owner": f"{team}@example.com", "description": f"vLLM for {model}"},
        },
        "data": {
            "model": model,
            KEY: str(rng.choice((4096, 8192, 16384))),
            "gpu_memory_utilization": "0.90",
            "tensor_parallel_size": str(rng.choice((1, 2, 4))),
            "engine.yaml": engine + "enable_prefix_caching: true\ndtype: bfloat16\n",
        },
    }


def applied(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as `kubectl apply` creates it: with its last-applied annotation."""
    live = copy.deepcopy(obj)
    text = json.dumps(obj, separators=(",", ":"), sort_keys=True)
    live["metadata"]["annotations"][LAST_APPLIED] = text + "\n"
    return live


def write_desired(folder: Path, objects: list[dict[str, Any]]) -> int:
    """One multi-document YAML per namespace; returns the bytes written."""
    by_ns: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        by_ns.setdefault(obj["metadata"]["namespace"], []).append(obj)
    size = 0
    for ns, objs in sorted(by_ns.items()):
        text = yaml.dump_all(objs, Dumper=yaml.CSafeDumper, sort_keys=False)
        size += (folder / f"{ns}.yaml").write_text(text)
    return size


async def seed(server: Any, objects: list[dict[str, Any]]) -> float:
    """Create the namespaces and the applied objects (parallel POSTs); the seconds it took."""
    from bulk import create_all

    return await create_all(server, [applied(o) for o in objects], CREATOR)


# -- the children: one measurement each, reporting JSON lines on stdout --------------------


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class GcPauses:
    """Collector pauses by generation, from `gc.callbacks`."""

    pauses: dict[int, list[float]] = field(default_factory=lambda: {0: [], 1: [], 2: []})
    _started: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    def summary(self) -> dict[str, Any]:
        return {str(g): [len(p), sum(p), max(p, default=0.0)] for g, p in self.pauses.items()}


def _finding_key(stored: Any) -> list[str]:
    f = stored.finding
    return [f.object.namespace or "", f.object.name, f.path]


async def until_stdin_closed() -> None:
    await asyncio.to_thread(sys.stdin.buffer.read)


def watcher_for(kubeconfig: Path, desired: Path, db: Path, listener: Any) -> Any:
    from kubedrift.cluster.connection import ClusterTarget
    from kubedrift.controller.recorder import Recorder
    from kubedrift.controller.watcher import Watcher, WatchOptions
    from kubedrift.store import SqlStore

    store = SqlStore.open(str(db))
    recorder = Recorder(store, "bench", [listener])
    options = WatchOptions(
        desired=(str(desired),),
        target=ClusterTarget(kubeconfig=kubeconfig),
        cluster="bench",
        check_nodes=False,
        desired_interval=86_400.0,
    )
    return Watcher(options, recorder, on_desired=lambda _: listener.desired_loaded())


class WatchListener:
    """Prints each recorded delta after the initial one; counts the initial findings."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.desired_at = 0.0
        self.initial_findings = -1
        self.live = False

    def desired_loaded(self) -> None:
        self.desired_at = time.monotonic()

    def __call__(self, recorded: Any) -> None:
        now = time.monotonic()
        delta = recorded.delta
        if recorded.source == "initial":
            self.initial_findings = len(delta.new) + len(delta.changed)
            return
        emit(
            {
                "t": now,
                "received": list(recorded.received),
                "new": [_finding_key(s) for s in delta.new],
                "changed": [_finding_key(c.finding) for c in delta.changed],
                "resolved": [_finding_key(s) for s in delta.resolved],
            }
        )


async def warm_up(kubeconfig: Path, tmp: Path) -> None:
    """Watch one object first, so that no measurement counts imports and first-use caches."""
    warm = tmp / "warm"
    warm.mkdir()
    write_desired(warm, desired_objects(1, 0))
    watcher = watcher_for(kubeconfig, warm, warm / "timeline.db", WatchListener())
    await watcher.recorder.start()
    task = asyncio.create_task(watcher.run())
    try:
        await watcher.initial_recorded.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        watcher.recorder.close()
        watcher.recorder.store.close()


async def child_watch(kubeconfig: Path, desired: Path, freeze: bool) -> None:
    listener = WatchListener()
    with tempfile.TemporaryDirectory(prefix="kubedrift-bench-watch-") as tmp:
        await warm_up(kubeconfig, Path(tmp))
        watcher = watcher_for(kubeconfig, desired, Path(tmp) / "timeline.db", listener)
        await watcher.recorder.start()
        gc.collect()
        rss_before = rss_kib()
        sync_gc = GcPauses()
        gc.callbacks.append(sync_gc)
        started = time.monotonic()
        task = asyncio.create_task(watcher.run())
        try:
            await watcher.initial_recorded.wait()
            synced = time.monotonic()
            gc.callbacks.remove(sync_gc)
            gc.collect()
            rss_after = rss_kib()
            if freeze:
                gc.freeze()
            edit_gc = GcPauses()
            gc.callbacks.append(edit_gc)
            emit(
                {
                    "ready": True,
                    "desired_s": listener.desired_at - started,
                    "sync_s": synced - listener.desired_at,
                    "objects": watcher.state.count,
                    "initial_findings": listener.initial_findings,
                    "rss_delta_kib": rss_after - rss_before,
                    "gc_sync": sync_gc.summary(),
                }
            )
            await until_stdin_closed()
            emit(
                {
                    "final": True,
                    "gc_edits": edit_gc.summary(),
                    "writes": watcher.recorder.writes,
                    "write_s": watcher.recorder.write_seconds,
                }
            )
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            watcher.recorder.close()
            watcher.recorder.store.close()


async def child_informer(kubeconfig: Path) -> None:
    from kubedrift.cluster.connection import ClusterTarget, Connection
    from kubedrift.cluster.discovery import Discovery
    from kubedrift.cluster.informer import ApiSource, Informer

    async with Connection(ClusterTarget(kubeconfig=kubeconfig)) as conn:
        resource = await Discovery(conn).resource_for("v1", "ConfigMap")
        assert resource is not None
        informer = Informer(ApiSource(conn, resource))
        started, ready = time.monotonic(), False  # after discovery, as for the watcher

        async def consume() -> None:
            nonlocal ready
            async for change in informer.changes():
                if ready:
                    value = (change.obj.get("data") or {}).get(KEY)
                    emit({"t": time.monotonic(), "key": [*change.key, value]})
                elif informer.synced.is_set():
                    ready = True
                    emit({"ready": True, "sync_s": time.monotonic() - started, "objects": 0})

        task = asyncio.create_task(consume())
        try:
            await until_stdin_closed()
            emit({"final": True})
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def child_memory(kubeconfig: Path, desired: Path) -> None:
    """Python memory the watcher still holds after its initial sync, by allocation site."""
    with tempfile.TemporaryDirectory(prefix="kubedrift-bench-mem-") as tmp:
        await warm_up(kubeconfig, Path(tmp))
        listener = WatchListener()
        watcher = watcher_for(kubeconfig, desired, Path(tmp) / "timeline.db", listener)
        await watcher.recorder.start()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        task = asyncio.create_task(watcher.run())
        try:
            await watcher.initial_recorded.wait()
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - before
            stats = tracemalloc.take_snapshot().statistics("filename")
            tracemalloc.stop()
            root = str(HERE.parent)
            top = [(s.traceback[0].filename.replace(root + "/", ""), s.size) for s in stats[:5]]
            emit({"memory": True, "bytes": held, "objects": watcher.state.count, "top": top})
            emit({"final": True})
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            watcher.recorder.close()
            watcher.recorder.store.close()


# -- this process: the other client ---------------------------------------------------------


@dataclass
class Child:
    """One measurement process and what it has reported."""

    proc: asyncio.subprocess.Process
    ready: asyncio.Future[dict[str, Any]]
    final: asyncio.Future[dict[str, Any]]
    seen: dict[tuple[str, ...], float] = field(default_factory=dict)
    """(namespace, name, path or value) → when first seen, per kind of sighting."""
    resolved: dict[tuple[str, ...], float] = field(default_factory=dict)
    spurious: list[tuple[str, ...]] = field(default_factory=list)
    received: dict[tuple[str, ...], float] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def spawn(cls, *args: str) -> Child:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**24,
        )
        loop = asyncio.get_running_loop()
        child = cls(proc, loop.create_future(), loop.create_future())
        child.reader = asyncio.create_task(child._read())
        return child

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            self._take(json.loads(line))
        for future in (self.ready, self.final):
            if not future.done():
                future.set_exception(RuntimeError("the measurement process died; see above"))

    def _take(self, msg: dict[str, Any]) -> None:
        if "ready" in msg or "memory" in msg:
            self.ready.set_result(msg)
        elif "final" in msg:
            self.final.set_result(msg)
        elif "key" in msg:  # the informer: (namespace, name, value)
            self.seen.setdefault(tuple(msg["key"]), msg["t"])
        else:
            single = len(msg["received"]) == 1
            for key in map(tuple, msg["new"] + msg["changed"]):
                self.seen.setdefault(key, msg["t"])
                if single:
                    self.received.setdefault(key, msg["received"][0])
            for key in map(tuple, msg["resolved"]):
                self.resolved.setdefault(key, msg["t"])
        self.changed.set()

    async def until(self, check: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not check() and time.monotonic() < deadline:
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.5)

    async def stop(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            return await asyncio.wait_for(self.final, 60)
        finally:
            await self.finished()

    async def finished(self) -> None:
        await self.proc.wait()
        if self.reader is not None:
            await self.reader


@dataclass
class Edit:
    namespace: str
    name: str
    value: str
    sent: float = 0.0
    answered: float = 0.0


class Editor:
    """The other client: merge PATCHes as field manager `bench-editor`."""

    def __init__(self, server: Any) -> None:
        import httpx2

        from support.apiserver import ADMIN_TOKEN

        self.http = httpx2.AsyncClient(
            base_url=server.url,
            verify=ssl.create_default_context(cafile=str(server.ca_file)),
            headers={
                "Authorization": f"Bearer {ADMIN_TOKEN}",
                "Content-Type": "application/merge-patch+json",
            },
            timeout=30.0,
        )

    async def run(self, edits: list[Edit], rng: random.Random) -> None:
        """One at a time, 20–50 ms from send to send, never waiting for a detection."""
        for edit in edits:
            next_at = time.monotonic() + rng.uniform(*GAP)
            body = json.dumps({"data": {KEY: edit.value}})
            path = f"/api/v1/namespaces/{edit.namespace}/configmaps/{edit.name}"
            edit.sent = time.monotonic()
            resp = await self.http.patch(path, content=body, params={"fieldManager": EDITOR})
            edit.answered = time.monotonic()
            if resp.status_code != 200:
                raise RuntimeError(f"PATCH {path}: {resp.status_code} {resp.text[:200]}")
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass
class Phase:
    """What one measurement process reported, with the edits made while it watched."""

    name: str
    ready: dict[str, Any]
    final: dict[str, Any]
    edits: list[Edit]
    reverts: list[Edit]
    detect: list[float | None]
    resolve: list[float | None]
    internal: list[float]
    spurious: int


async def measure(
    child: Child, editor: Editor, objects: list[dict[str, Any]], args: Any, *, name: str, n: int
) -> Phase:
    rng = random.Random(args.seed * 1000 + n)
    ready = await asyncio.wait_for(child.ready, READY_TIMEOUT)
    targets = rng.sample(objects, min(args.changes, len(objects)))
    edits = [Edit(*_nsname(o), f"{o['data'][KEY]}-edit-{n}") for o in targets]
    reverts = [Edit(*_nsname(o), o["data"][KEY]) for o in targets]
    informer = name == "informer"

    def key(e: Edit) -> tuple[str, ...]:
        return (e.namespace, e.name, e.value if informer else PATH)

    await editor.run(edits, rng)
    await child.until(lambda: all(key(e) in child.seen for e in edits), DETECT_TIMEOUT)
    seen_on = child.seen if informer else child.resolved
    await editor.run(reverts, rng)
    await child.until(lambda: all(key(e) in seen_on for e in reverts), DETECT_TIMEOUT)
    final = await child.stop()
    wanted = {key(e) for e in edits}
    spurious = 0 if informer else len(set(child.seen) - wanted)
    return Phase(
        name,
        ready,
        final,
        edits,
        reverts,
        [_since(child.seen.get(key(e)), e.sent) for e in edits],
        [_since(seen_on.get(key(e)), e.sent) for e in reverts],
        [child.seen[key(e)] - child.received[key(e)] for e in edits if key(e) in child.received],
        spurious,
    )


def _nsname(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["metadata"]["namespace"], obj["metadata"]["name"]


def _since(seen: float | None, sent: float) -> float | None:
    return None if seen is None else seen - sent


async def run_phases(server: Any, folder: Path, objects: list[dict[str, Any]], args: Any) -> Any:
    kubeconfig, desired = str(server.kubeconfig), str(folder)
    editor = Editor(server)
    phases: list[Phase] = []
    plans: list[tuple[str, tuple[str, ...]]] = [
        ("informer", ("informer", kubeconfig)),
        ("watcher", ("watch", kubeconfig, desired)),
    ]
    try:
        for n, (name, child_args) in enumerate(plans):
            print(f"measuring: {name} …", flush=True)
            child = await Child.spawn(*child_args)
            phases.append(await measure(child, editor, objects, args, name=name, n=n))
    finally:
        await editor.aclose()
    print("measuring: memory (tracemalloc) …", flush=True)
    child = await Child.spawn("memory", kubeconfig, desired)
    memory = await asyncio.wait_for(child.ready, READY_TIMEOUT)
    await child.finished()
    return phases, memory


def drifted_copy(objects: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The desired objects with 1% of them asking for another value: open findings."""
    rng = random.Random(seed + 99)
    out = copy.deepcopy(objects)
    for obj in rng.sample(out, max(1, len(out) // 100)):
        obj["data"][KEY] = "65536"
    return out


# -- the report -------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(values: list[float | None], q: float) -> str:
    found = [v for v in values if v is not None]
    return f"{pct(found, q) * 1000:.1f}" if found else "-"


def report(phases: list[Phase], memory: dict[str, Any], count: int, seeded: float) -> bool:
    """Print the figures; True when every phase saw exactly what was changed."""
    table(phases, count)
    per_object = memory["bytes"] / memory["objects"]
    held = f"{memory['bytes'] / 2**20:.1f} MiB, {per_object / 1024:.2f} KB/object"
    print(f"\nmemory held after the initial sync (tracemalloc): {held}; largest sites:")
    for site, size in memory["top"]:
        print(f"  {size / memory['objects']:8.0f} B/object  {site}")
    by = {p.name: p for p in phases}
    found = [v for v in by["watcher"].detect if v is not None] or [float("inf")]
    base = [v for v in by["informer"].detect if v is not None] or [float("inf")]
    p50, p99 = pct(found, 0.5), pct(found, 0.99)
    rss = by["watcher"].ready["rss_delta_kib"] * 1024 / count
    print(f"\nseeded {count:,} objects in {seeded:.1f} s ({count / seeded:,.0f}/s)")
    print(f"ratio watcher p50 / bare informer p50: {p50 / pct(base, 0.5):.2f}x (diff+queue+store)")
    print("targets (watcher as shipped):")
    _target("detection p50 <= 100 ms", p50 * 1000, "ms", p50 <= TARGET_P50)
    _target("detection p99 <= 1 s", p99 * 1000, "ms", p99 <= TARGET_P99)
    _target("memory <= 1 KB/object (tracemalloc)", per_object / 1024, "KB", per_object <= 1024)
    _target("memory <= 1 KB/object (watcher RSS)", rss / 1024, "KB", rss <= TARGET_BYTES)
    return _correct(phases)


def table(phases: list[Phase], count: int) -> None:
    """One column per phase; the informer's initial sync is its list alone."""
    print(f"\n{'':34}" + "".join(f"{p.name:>16}" for p in phases))

    def row(label: str, cell: Callable[[Phase], str]) -> None:
        print(f"{label:34}" + "".join(f"{cell(p):>16}" for p in phases))

    row("desired load + discovery   s", lambda p: f"{p.ready.get('desired_s', 0):.2f}")
    row("initial sync (list+diff+store) s", lambda p: f"{p.ready['sync_s']:.2f}")
    row("  objects/s", lambda p: f"{count / p.ready['sync_s']:,.0f}")
    for label, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0)):
        row(f"detection {label}  ms", lambda p, q=q: _ms(p.detect, q))
    row("  from the PATCH response p50 ms", lambda p: _ms(_from_answer(p), 0.5))
    row("resolution p50  ms", lambda p: _ms(p.resolve, 0.5))
    row("resolution p99  ms", lambda p: _ms(p.resolve, 0.99))
    row("in watcher (event→stored) p50 ms", lambda p: _ms(list(p.internal), 0.5))
    row("PATCH round trip p50  ms", lambda p: _ms([e.answered - e.sent for e in p.edits], 0.5))
    row("detected / changes", lambda p: f"{_count(p.detect)}/{len(p.edits)}")
    row("resolved / reverts", lambda p: f"{_count(p.resolve)}/{len(p.reverts)}")
    row("RSS growth per object  KB", lambda p: _kb(p.ready.get("rss_delta_kib"), 1024, count))
    row("gc gen2 in sync: n / total s", lambda p: _gc(p.ready.get("gc_sync"), "2"))
    row("gc gen2 in edits: n / max ms", lambda p: _gc(p.final.get("gc_edits"), "2", ms=True))
    row("gc gen1 in edits: n / max ms", lambda p: _gc(p.final.get("gc_edits"), "1", ms=True))


def _from_answer(p: Phase) -> list[float | None]:
    pairs = zip(p.detect, p.edits, strict=True)
    return [None if d is None else d - (e.answered - e.sent) for d, e in pairs]


def _count(values: list[float | None]) -> int:
    return sum(v is not None for v in values)


def _kb(value: float | None, unit: int, count: int) -> str:
    return "-" if value is None else f"{value * unit / count / 1024:.2f}"


def _gc(summary: dict[str, list[float]] | None, gen: str, *, ms: bool = False) -> str:
    if summary is None:
        return "-"
    n, total, most = summary[gen]
    return f"{n:.0f} / {most * 1000:.0f}" if ms else f"{n:.0f} / {total:.2f}"


def _target(label: str, value: float, unit: str, ok: bool) -> None:
    print(f"  {label:38} {value:9.2f} {unit:3} {'PASS' if ok else 'MISS'}")


def _correct(phases: list[Phase]) -> bool:
    ok = True
    for p in phases:
        problems = []
        if p.ready.get("initial_findings", 0) != 0:
            problems.append(f"initial sync not clean ({p.ready['initial_findings']} findings)")
        if _count(p.detect) != len(p.edits):
            problems.append(f"{len(p.edits) - _count(p.detect)} edits not detected")
        if _count(p.resolve) != len(p.reverts):
            problems.append(f"{len(p.reverts) - _count(p.resolve)} reverts not seen")
        if p.spurious:
            problems.append(f"{p.spurious} findings no edit made")
        print(f"correct ({p.name}): {'OK' if not problems else 'FAIL: ' + '; '.join(problems)}")
        ok = ok and not problems
    return ok


# -- entry points -----------------------------------------------------------------------------


async def bench(args: Any) -> bool:
    from support.apiserver import missing_binaries, start_apiserver

    missing = missing_binaries()
    if missing:
        sys.exit(f"test bed binaries missing ({', '.join(missing)}): run `make kube` first")
    sizes = sorted(set(args.sizes))
    objects = desired_objects(max([args.count, *sizes]), args.seed)
    folder = Path(tempfile.mkdtemp(prefix="kubedrift-bench-desired-"))
    # SIGTERM (a `timeout`, CI cancelling) unwinds like ^C: the test bed is stopped, not orphaned
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = start_apiserver(controller_manager=False)
    try:
        print(f"load average at start: {_load()}", flush=True)
        runs = [("empty", 0, await process_run(server, folder, [], args))]
        ok, there = True, 0
        if args.count:
            latency = objects[: args.count]
            (folder / "latency").mkdir()
            size = write_desired(folder / "latency", latency)
            what = f"{args.count:,} ConfigMaps in {NAMESPACES} namespaces"
            print(f"input: {what}, {size / 2**20:.1f} MiB of desired YAML", flush=True)
            seeded, there = await seed(server, latency), args.count
            print(f"seeded in {seeded:.1f} s ({args.count / seeded:,.0f} objects/s)", flush=True)
            phases, memory = await run_phases(server, folder / "latency", latency, args)
            ok = report(phases, memory, args.count, seeded)
        for count in sizes:
            seeded, there = await seed(server, objects[there:count]), max(there, count)
            print(f"{count:,} objects in the cluster ({seeded:.1f} s to seed)", flush=True)
            desired = drifted_copy(objects[:count], args.seed)
            runs.append(("drift", count, await process_run(server, folder, desired, args)))
        report_process(runs)
        print(f"load average at the end: {_load()}")
        return ok
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def process_run(
    server: Any, folder: Path, desired: list[dict[str, Any]], args: Any
) -> WatchFigures:
    """`kubedrift watch` on `desired` (written to a folder of its own), measured from /proc."""
    where = folder / f"process-{len(desired)}"
    where.mkdir(parents=True)
    write_desired(where, desired)
    what = f"{len(desired):,} desired objects" if desired else "an empty cluster (baseline)"
    print(f"measuring: the kubedrift watch process on {what}, {args.idle_seconds:.0f} s idle …")
    with tempfile.TemporaryDirectory(prefix="kubedrift-bench-proc-") as tmp:
        return await asyncio.to_thread(
            measure_watch, server.kubeconfig, where, Path(tmp), args.idle_seconds
        )


def report_process(runs: list[tuple[str, int, WatchFigures]]) -> None:
    """RSS per object over the empty-cluster baseline, and idle CPU, per size."""
    base = runs[0][2]
    print(
        "\nthe kubedrift watch process (VmRSS, peak VmHWM and utime+stime from /proc; baseline:"
        " the same"
        f" command on an empty cluster, {base.rss_kib / 1024:.1f} MiB)"
    )
    print(
        f"{'objects':>9} {'ready s':>8} {'RSS MiB':>8} {'over base':>10} {'KB/object':>10}"
        f" {'RSS end':>8} {'peak':>8} {'open':>5} {'idle CPU':>9}"
    )
    for _, count, f in runs:
        over = f.rss_kib - base.rss_kib
        per = f"{over / count:.2f}" if count else "-"
        cpu = f.cpu_s / f.wall_s * 100
        print(
            f"{count:>9,} {f.ready_s:8.1f} {f.rss_kib / 1024:8.1f} {over / 1024:9.1f}M {per:>10}"
            f" {f.rss_end_kib / 1024:8.1f} {f.peak_kib / 1024:8.1f} {f.open_findings:5d}"
            f" {cpu:8.2f}%"
        )
    print("targets (the kubedrift watch process):")
    for _, count, f in runs:
        cpu = f.cpu_s / f.wall_s
        label = f"{count:,} objects" if count else "empty cluster"
        if count:
            per_kb = (f.rss_kib - base.rss_kib) / count
            ok = per_kb * 1024 <= TARGET_BYTES
            _target(f"RSS <= 1 KB/object, {label}", per_kb, "KB", ok)
        _target(f"idle CPU <= 1% of a core, {label}", cpu * 100, "%", cpu <= TARGET_IDLE_CPU)
        if count and f.tracked != count:
            print(f"  WRONG: tracked {f.tracked} objects, not {count}")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def child(args: Any) -> None:
    mode, rest = args.child, [Path(p) for p in args.paths]
    run: Coroutine[Any, Any, None]
    if mode == "watch":
        run = child_watch(rest[0], rest[1], args.freeze)
    elif mode == "informer":
        run = child_informer(rest[0])
    else:
        run = child_memory(rest[0], rest[1])
    asyncio.run(run)


def main() -> None:
    parser = argparse.ArgumentParser(description="Continuous watch benchmark")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=("watch", "informer", "memory"), default=None)
    parser.add_argument("--idle-seconds", type=float, default=IDLE_SECONDS)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--freeze", action="store_true")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    if args.child is not None:
        child(args)
        return
    sys.exit(0 if asyncio.run(bench(args)) else 1)


if __name__ == "__main__":
    main()
