"""Placement of AI workloads on a built fleet, with consistent GPU, CPU and memory accounting.

Training pools get gangs of whole-node pods (multi-node Indexed Jobs kept inside one zone)
plus a few small fine-tuning jobs; inference pools get model-server Deployments with one GPU
unit (a whole GPU, a MIG slice or a time-slice) per pod, spread over nodes; system pools get
CPU services. Every pod is bound to a node that has room for it: the sum of requests on a
node never exceeds its allocatable `nvidia.com/gpu`, CPU, memory or pod count.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kubedrift.simulate import objects as obj
from kubedrift.simulate.drifts import PoolNode
from kubedrift.simulate.ids import Counter, name_suffix, pod_ip
from kubedrift.simulate.spec import FleetSpec, PoolRole, PoolSpec, WorkloadSpec

TRAINING_NS, INFERENCE_NS, PLATFORM_NS = "ml-training", "ml-inference", "platform"
_RUNS = ("pretrain-llama3-70b", "pretrain-mixtral-8x22b", "sft-llama3-8b", "dpo-qwen2-72b")
_FINETUNES = ("ft-mistral-7b", "ft-llama3-8b", "lora-qwen2-7b", "eval-harness")
_MODELS = (
    "llama3-8b-instruct",
    "mistral-7b-instruct",
    "qwen2-7b-chat",
    "whisper-large-v3",
    "bge-reranker-large",
    "e5-mistral-embed",
    "sdxl-turbo",
    "codellama-13b",
)
_SERVICES = (
    ("model-gateway", "envoyproxy/envoy:v1.30.1"),
    ("feature-store", "feastdev/feature-server:0.38.0"),
    ("vector-db", "qdrant/qdrant:v1.9.2"),
)
TRAIN_IMAGE = "nvcr.io/nvidia/pytorch:24.05-py3"
_GI = 1024 * 1024  # KiB per GiB


@dataclass(slots=True)
class Slot:
    """What is still free on one node while placing pods."""

    name: str
    pool: PoolSpec
    zone: str
    host_ip: str
    pod_cidr: str
    created: datetime
    gpus: int
    cpu_m: int
    memory_ki: int
    pods_free: int
    total_cpu_m: int
    total_memory_ki: int
    placed: int = 0

    def fits(self, gpus: int, cpu_m: int, memory_ki: int) -> bool:
        """Whether a pod with these requests fits in what is left."""
        return (
            gpus <= self.gpus
            and cpu_m <= self.cpu_m
            and memory_ki <= self.memory_ki
            and self.pods_free > 0
        )

    def take(self, gpus: int, cpu_m: int, memory_ki: int) -> str:
        """Reserve a pod's requests; returns the pod's IP."""
        if not self.fits(gpus, cpu_m, memory_ki):
            raise ValueError(f"pod does not fit on node {self.name}")
        self.gpus -= gpus
        self.cpu_m -= cpu_m
        self.memory_ki -= memory_ki
        self.pods_free -= 1
        self.placed += 1
        return pod_ip(self.pod_cidr, self.placed - 1)


def slot_of(pn: PoolNode) -> Slot:
    """The free capacity of a node, read back from its (possibly drifted) allocatable."""
    node = pn.node
    alloc = node["status"]["allocatable"]
    labels = node["metadata"]["labels"]
    return Slot(
        name=pn.name,
        pool=pn.pool,
        zone=labels["topology.kubernetes.io/zone"],
        host_ip=node["status"]["addresses"][0]["address"],
        pod_cidr=node["spec"]["podCIDR"],
        created=datetime.fromisoformat(node["metadata"]["creationTimestamp"]),
        gpus=int(alloc.get("nvidia.com/gpu", 0)),
        cpu_m=_millicores(alloc["cpu"]),
        memory_ki=int(alloc["memory"].removesuffix("Ki")),
        pods_free=int(alloc["pods"]),
        total_cpu_m=_millicores(alloc["cpu"]),
        total_memory_ki=int(alloc["memory"].removesuffix("Ki")),
    )


def _millicores(quantity: str) -> int:
    return int(quantity[:-1]) if quantity.endswith("m") else int(quantity) * 1000


@dataclass
class Workloads:
    """Every workload object placed on the fleet, by kind."""

    namespaces: list[dict[str, Any]] = field(default_factory=list)
    pvcs: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    replicasets: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)


def place_workloads(spec: FleetSpec, nodes: Sequence[PoolNode], versions: Counter) -> Workloads:
    """Place `spec.workloads` on `nodes` (already drifted); deterministic for `spec.seed`."""
    if spec.workloads is None:
        return Workloads()
    placer = _Placer(spec, spec.workloads, versions)
    slots = [slot_of(n) for n in nodes]
    for pool in spec.pools:
        pool_slots = sorted((s for s in slots if s.pool is pool), key=lambda s: (s.zone, s.name))
        placer.place_pool(pool, pool_slots)
    return placer.out


JOB_INDEX = "batch.kubernetes.io/job-completion-index"


@dataclass(frozen=True, slots=True)
class _Workload:
    """What every pod of one Job or ReplicaSet shares."""

    namespace: str
    labels: dict[str, str]
    owner: dict[str, Any]
    container: obj.Container
    volumes: list[dict[str, Any]]
    restart: str
    created: datetime


class _Placer:
    def __init__(self, spec: FleetSpec, workloads: WorkloadSpec, versions: Counter) -> None:
        self.spec = spec
        self.ws = workloads
        self.now = spec.now
        self.versions = versions
        self.rng = random.Random(f"{spec.seed}/workloads")
        self.out = Workloads()
        self.names: dict[str, int] = {}
        self._namespaces: set[str] = set()
        prefix = workloads.namespace_prefix
        self.training_ns = prefix + TRAINING_NS
        self.inference_ns = prefix + INFERENCE_NS
        self.platform_ns = prefix + PLATFORM_NS

    # -- pools -----------------------------------------------------------------------------

    def place_pool(self, pool: PoolSpec, slots: list[Slot]) -> None:
        if pool.role is PoolRole.TRAINING:
            self._training(pool, slots)
        elif pool.role is PoolRole.INFERENCE:
            self._inference(pool, slots)
        elif pool.role is PoolRole.SYSTEM:
            self._services(slots)

    def _training(self, pool: PoolSpec, slots: list[Slot]) -> None:
        """Gangs of whole nodes within a zone, then small jobs on some leftover nodes."""
        target = round(len(slots) * self.ws.training_fill)
        assigned = 0
        for zone in sorted({s.zone for s in slots}):
            whole = [s for s in slots if s.zone == zone and s.gpus == pool.gpu_units]
            i = 0
            while i < len(whole) and assigned < target:
                size = min(self.rng.choice(self.ws.job_nodes), len(whole) - i, target - assigned)
                self._training_job(self.rng.choice(_RUNS), whole[i : i + size], pool.gpu_units)
                i += size
                assigned += size
        for slot in slots:
            if slot.gpus > 0 and self.rng.random() < 0.3:
                gpus = self.rng.choice([g for g in (1, 2, 4) if g <= slot.gpus])
                self._training_job(self.rng.choice(_FINETUNES), [slot], gpus)

    def _inference(self, pool: PoolSpec, slots: list[Slot]) -> None:
        """Model-server Deployments, one GPU unit per pod, replicas spread over the nodes."""
        target = round(sum(s.gpus for s in slots) * self.ws.inference_fill)
        order = list(slots)
        self.rng.shuffle(order)
        cursor, placed = 0, 0
        while placed < target:
            replicas = min(self.rng.randint(2, 8), target - placed)
            chosen, cursor = _next_free(order, cursor, replicas, lambda s, n: s.gpus > n)
            if not chosen:
                return
            self._model_server(self.rng.choice(_MODELS), chosen)
            placed += len(chosen)

    def _services(self, slots: list[Slot]) -> None:
        """CPU services spread over the system pool."""
        total = len(slots) * self.ws.services_per_system_node
        cursor = 0
        for i, (service, image) in enumerate(_SERVICES):
            replicas = total // len(_SERVICES) + (1 if i < total % len(_SERVICES) else 0)
            chosen, cursor = _next_free(
                slots, cursor, replicas, lambda s, n: s.fits(0, 2000 * (n + 1), _GI * 4 * (n + 1))
            )
            if chosen:
                container = obj.Container(service, image, (), 0, "2", "4Gi", port=8080)
                self._deployment(self.platform_ns, service, container, chosen, [])

    # -- workloads -------------------------------------------------------------------------

    def _training_job(self, base: str, slots: list[Slot], gpus: int) -> None:
        name = self._unique(base)
        created = self._start_after(max(s.created for s in slots))
        meta = obj.new_meta(name, self.training_ns, created, self.rng, self.versions)
        volumes: list[dict[str, Any]] = [
            {"emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}, "name": "dshm"}
        ]
        mounts: tuple[tuple[str, str], ...] = (("dshm", "/dev/shm"),)
        if self.ws.checkpoints:
            claim = self._checkpoint_claim(name, created)
            volumes.append({"name": "checkpoints", "persistentVolumeClaim": {"claimName": claim}})
            mounts += (("checkpoints", "/checkpoints"),)
        cpu, memory = _share(slots[0], gpus)
        args = (
            f"--nnodes={len(slots)}",
            f"--nproc-per-node={gpus}",
            f"--rdzv-endpoint={name}-0.{name}:29500",
            "/workspace/train.py",
        )
        container = obj.Container("trainer", TRAIN_IMAGE, args, gpus, cpu, memory, mounts=mounts)
        labels = {
            "batch.kubernetes.io/controller-uid": meta.uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": meta.uid,
            "job-name": name,
        }
        template = obj.template_of(labels, obj.template_spec(container, volumes, "Never"))
        job_labels = {"app.kubernetes.io/name": base, "app.kubernetes.io/part-of": "llm-training"}
        self.out.jobs.append(obj.job(meta, job_labels, template, len(slots), created))
        w = _Workload(
            self.training_ns,
            labels,
            obj.owner_ref("batch/v1", "Job", meta),
            container,
            volumes,
            "Never",
            created,
        )
        for index, slot in enumerate(slots):
            self._pod(w, slot, f"{name}-{index}-", {JOB_INDEX: str(index)})

    def _checkpoint_claim(self, job_name: str, job_created: datetime) -> str:
        name = f"ckpt-{job_name}"
        created = job_created - timedelta(seconds=self.rng.randint(30, 600))
        meta = obj.new_meta(name, self.training_ns, created, self.rng, self.versions)
        self.out.pvcs.append(obj.pvc(meta, "fsx-lustre", "1200Gi", "fsx.csi.aws.com"))
        return name

    def _model_server(self, model: str, slots: list[Slot]) -> None:
        cpu, memory = _share(slots[0], 1)
        image = (
            "nvcr.io/nvidia/tritonserver:24.05-py3"
            if "whisper" in model or "sdxl" in model
            else "vllm/vllm-openai:v0.6.3"
        )
        args = ("--model", f"/models/{model}", "--port", "8000")
        container = obj.Container("server", image, args, 1, cpu, memory, port=8000)
        self._deployment(self.inference_ns, model, container, slots, [])

    def _deployment(
        self,
        namespace: str,
        base: str,
        container: obj.Container,
        slots: list[Slot],
        volumes: list[dict[str, Any]],
    ) -> None:
        name = self._unique(base, bare_first=True)
        created = self._start_after(max(s.created for s in slots))
        meta = obj.new_meta(name, namespace, created, self.rng, self.versions)
        labels = {"app.kubernetes.io/component": container.name, "app.kubernetes.io/name": name}
        template = obj.template_of(labels, obj.template_spec(container, volumes, "Always"))
        pod_hash = name_suffix(self.rng, 10)
        rs_name = f"{name}-{pod_hash}"
        self.out.deployments.append(obj.deployment(meta, labels, template, len(slots), rs_name))
        rs_labels = labels | {"pod-template-hash": pod_hash}
        rs_template = obj.template_of(rs_labels, obj.template_spec(container, volumes, "Always"))
        rs_meta = obj.new_meta(rs_name, namespace, created, self.rng, self.versions)
        owner = obj.owner_ref("apps/v1", "Deployment", meta)
        self.out.replicasets.append(obj.replica_set(rs_meta, owner, rs_template, len(slots)))
        rs_owner = obj.owner_ref("apps/v1", "ReplicaSet", rs_meta)
        w = _Workload(namespace, rs_labels, rs_owner, container, volumes, "Always", created)
        for slot in slots:
            self._pod(w, slot, f"{rs_meta.name}-", {})

    def _pod(self, w: _Workload, slot: Slot, generate_name: str, extra: dict[str, str]) -> None:
        self._ensure_namespace(w.namespace)
        c = w.container
        ip = slot.take(c.gpus, _parse_cpu(c.cpu), _parse_memory(c.memory))
        started = max(w.created, slot.created) + timedelta(seconds=self.rng.randint(1, 30))
        name = generate_name + name_suffix(self.rng)
        meta = obj.new_meta(name, w.namespace, started, self.rng, self.versions)
        token = obj.token_volume_name(self.rng)
        spec = obj.bound_pod_spec(c, w.volumes, w.restart, slot.name, token)
        pod = obj.pod(
            meta,
            labels=w.labels | extra,
            owner=w.owner,
            spec=spec,
            binding=obj.Binding(slot.name, slot.host_ip, ip, started),
            rng=self.rng,
            generate_name=generate_name,
        )
        index = extra.get(JOB_INDEX)
        if index is not None:
            pod["metadata"]["annotations"] = {JOB_INDEX: index}
            pod["spec"]["hostname"] = generate_name.removesuffix("-")
        self.out.pods.append(pod)

    # -- helpers ---------------------------------------------------------------------------

    def _ensure_namespace(self, name: str) -> None:
        if name in self._namespaces:
            return
        self._namespaces.add(name)
        created = self.now - timedelta(days=120 + len(self._namespaces))
        self.out.namespaces.append(obj.namespace(name, created, self.rng, self.versions))

    def _unique(self, base: str, *, bare_first: bool = False) -> str:
        """`base-N` for the N-th use of `base` (just `base` the first time if `bare_first`)."""
        n = self.names[base] = self.names.get(base, 0) + 1
        return base if bare_first and n == 1 else f"{base}-{n}"

    def _start_after(self, earliest: datetime) -> datetime:
        """A start time between `earliest` (plus a minute) and an hour before now."""
        low = earliest + timedelta(minutes=1)
        span = max((self.now - timedelta(hours=1) - low).total_seconds(), 0.0)
        return low + timedelta(seconds=int(self.rng.uniform(0.0, span)))


def _next_free(
    slots: Sequence[Slot], cursor: int, count: int, room: Callable[[Slot, int], bool]
) -> tuple[list[Slot], int]:
    """Up to `count` slots round-robin from `cursor`, a slot again only once all have one.

    `room(slot, n)` says whether `slot` can take one more pod beyond `n` already chosen.
    Returns the slots (repeats allowed) and the cursor to continue from.
    """
    chosen: list[Slot] = []
    taken: dict[int, int] = {}
    position, misses = cursor, 0
    while len(chosen) < count and slots and misses < len(slots):
        slot = slots[position % len(slots)]
        position += 1
        if room(slot, taken.get(id(slot), 0)):
            chosen.append(slot)
            taken[id(slot)] = taken.get(id(slot), 0) + 1
            misses = 0
        else:
            misses += 1
    return chosen, position % max(len(slots), 1)


def _share(slot: Slot, gpus: int) -> tuple[str, str]:
    """CPU and memory for a pod holding `gpus` of a node's GPU units: 90% of its share."""
    units = max(slot.pool.gpu_units, 1)
    cpu_m = slot.total_cpu_m * gpus // units * 9 // 10
    memory_gi = max(slot.total_memory_ki * gpus // units * 9 // 10 // (1024 * 1024), 1)
    cpu = str(cpu_m // 1000) if cpu_m >= 1000 else f"{max(cpu_m // 100 * 100, 100)}m"
    return cpu, f"{memory_gi}Gi"


def _parse_cpu(quantity: str) -> int:
    return int(quantity[:-1]) if quantity.endswith("m") else int(quantity) * 1000


def _parse_memory(quantity: str) -> int:
    return int(quantity.removesuffix("Gi")) * 1024 * 1024
