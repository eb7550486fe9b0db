"""Deterministic desired/live Deployment pairs, live written as an apiserver returns them.

Desired objects are what a person writes; live objects carry every default the apiserver fills
in, status, the last-applied annotation of `kubectl apply`, and managedFields (the client-side
apply manager, kube-controller-manager for the revision annotation and status, and whoever
edited the object afterwards). A fraction of the objects drifts in a known way; the others hold
differences that are not drift (API defaults, quantities written differently, an env var a
webhook injected, replicas an HPA scaled), so a diff that gets those wrong reports them.

    python bench/gen_deployments.py --count 20000 --out /tmp/kubedrift-bench
    # writes desired.json and live.json (kubectl `List`s) and drifted.txt

Shared by the diff benchmark and the CLI benchmark. Fast enough for 100,000 pairs (~1.8 GB)
in well under a minute: the pairs are streamed to the files one at a time (never a whole
List in memory), each encoded by msgspec and indented by `msgspec.json.format`, which gives
the bytes `json.dumps(indent=...)` gives (kubectl's own layout) at C speed; and the
fieldsV1 set of kubectl's apply, which depends only on the shape of an object (its field
names and list keys, never its values), is built once per shape.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import msgspec

Obj = dict[str, Any]

T_CREATE = "2026-10-01T08:00:00Z"
T_APPLY = "2026-11-02T09:30:00Z"
T_CONTROLLER = "2026-11-02T09:30:05Z"
T_EDIT = "2026-11-20T10:03:00Z"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# How a drifted object drifts, and the manager of the live change (None: Git changed).
DRIFTS: tuple[tuple[str, str | None], ...] = (
    ("image-set-live", "kubectl-set"),
    ("env-edited-live", "kubectl-edit"),
    ("scaled-by-hand", "kubectl"),
    ("memory-limit-edited", "kubectl-edit"),
    ("label-removed-from-git", None),
    ("image-bumped-in-git", None),
    ("env-removed-from-git", None),
    ("node-selector-edited", "kubectl-edit"),
)

INJECTED_ENV = {
    "name": "POD_NAME",
    "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
}
CANONICAL = {"0.5": "500m", "1000m": "1", "1024Mi": "1Gi"}
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1}
POD_DEFAULTS = {
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
    "securityContext": {},
    "terminationGracePeriodSeconds": 30,
}
LIST_KEYS = {
    "containers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "ports": ("containerPort", "protocol"),
}
STATUS_FIELDS = (
    "availableReplicas",
    "conditions",
    "observedGeneration",
    "readyReplicas",
    "replicas",
    "updatedReplicas",
)


def clone(obj: Obj) -> Obj:
    """A deep copy (through msgspec: much faster than copy.deepcopy)."""
    copied: Obj = msgspec.json.decode(msgspec.json.encode(obj))
    return copied


def generate(
    n: int = 20_000, seed: int = 7, drift_ratio: float = 0.01
) -> tuple[Obj, Obj, list[str]]:
    """(desired List, live List, sorted `namespace/name` of the drifted objects)."""
    desired_items, live_items, names = [], [], []
    for desired, live, drifted in pairs(n, seed, drift_ratio):
        desired_items.append(desired)
        live_items.append(live)
        if drifted:
            names.append(f"{desired['metadata']['namespace']}/{desired['metadata']['name']}")
    return as_list(desired_items), as_list(live_items), sorted(names)


def pairs(n: int, seed: int, drift_ratio: float) -> Iterator[tuple[Obj, Obj, bool]]:
    """Each (desired, live, drifted) in turn, as `generate` lists them."""
    rng = random.Random(seed)
    drifted = set(rng.sample(range(n), round(n * drift_ratio)))
    count = 0
    for i in range(n):
        drift = DRIFTS[count % len(DRIFTS)] if i in drifted else None
        count += drift is not None
        desired, live = make_pair(i, rng, drift)
        yield desired, live, drift is not None


def as_list(items: list[Obj]) -> Obj:
    """A `kubectl get -o json` List."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


class ListWriter:
    """Writes a List item by item, byte for byte as `json.dumps(as_list(items), indent=indent)`."""

    def __init__(self, out: IO[bytes], indent: int) -> None:
        self.out, self.indent, self.count = out, indent, 0
        pad = b" " * indent
        self.item_pad = b"\n" + pad * 2
        out.write(b"{\n" + pad + b'"apiVersion": "v1",\n' + pad + b'"items": [')

    def write(self, item: Obj) -> None:
        """One item: formatted alone, then shifted two levels in (no raw newline is in a
        JSON string, so every newline starts a line of the layout)."""
        text = msgspec.json.format(msgspec.json.encode(item), indent=self.indent)
        self.out.write((b"," if self.count else b"") + self.item_pad)
        self.out.write(text.replace(b"\n", self.item_pad))
        self.count += 1

    def close(self) -> None:
        """The List's closing lines."""
        pad = b" " * self.indent
        end = (b"\n" + pad + b"]") if self.count else b"]"
        tail = b",\n" + pad + b'"kind": "List",\n' + pad + b'"metadata": {\n'
        self.out.write(end + tail + pad * 2 + b'"resourceVersion": ""\n' + pad + b"}\n}")


def make_pair(i: int, rng: random.Random, drift: tuple[str, str | None] | None) -> tuple[Obj, Obj]:
    """One desired Deployment and its live counterpart."""
    desired = person_written(i, rng)
    applied = clone(desired)  # what the last `kubectl apply` sent
    live = served(applied, i, rng, noise=drift is None)
    if drift is not None:
        kind, manager = drift
        change_git(kind, desired)
        if manager is not None:
            live["metadata"]["managedFields"].append(edit_entry(manager, edited_fields(kind, live)))
            change_live(kind, live)
    return desired, live


def person_written(i: int, rng: random.Random) -> Obj:
    """A Deployment as a person writes it in Git."""
    name, team = f"svc-{i:05d}", f"team-{i % 40:02d}"
    spec: Obj = {"containers": [app_container(name, team, rng)]}
    if i % 3 == 0:
        spec["containers"].append(sidecar())
        spec["volumes"] = [{"name": "shared", "emptyDir": {}}]
        spec["containers"][0]["volumeMounts"] = [{"name": "shared", "mountPath": "/shared"}]
    if i % 10 == 0:
        gpu_placement(spec)
    else:
        spec["nodeSelector"] = {"kubernetes.io/arch": "amd64"}
    labels = {"app": name, "team": team, "tier": rng.choice(["web", "api", "worker"])}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": team, "labels": labels},
        "spec": {
            "replicas": rng.choice([1, 2, 3]),
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def app_container(name: str, team: str, rng: random.Random) -> Obj:
    """The main container; quantities written the way people write them."""
    return {
        "name": "app",
        "image": f"registry.example.com/{team}/{name}:1.{rng.randrange(30)}.{rng.randrange(10)}",
        "args": ["--port=8080", f"--workers={rng.choice([2, 4, 8])}"],
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "REGION", "value": "eu-west-1"}],
        "resources": {
            "requests": {"cpu": rng.choice(["250m", "0.5", 1]), "memory": "512Mi"},
            "limits": {
                "cpu": rng.choice(["1", "1000m", 2]),
                "memory": rng.choice(["1Gi", "1024Mi"]),
            },
        },
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
    }


def sidecar() -> Obj:
    """A log shipper sidecar."""
    return {
        "name": "log-shipper",
        "image": "fluent/fluent-bit:3.1.4",
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
    }


def gpu_placement(spec: Obj) -> None:
    """GPU limits, toleration and node selector of a training workload."""
    spec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = 1
    spec["nodeSelector"] = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def change_git(kind: str, desired: Obj) -> None:
    """Drifts that happened in Git: desired changed and nobody applied it yet."""
    app = desired["spec"]["template"]["spec"]["containers"][0]
    if kind == "label-removed-from-git":
        del desired["metadata"]["labels"]["tier"]
    elif kind == "image-bumped-in-git":
        app["image"] += "-rc1"
    elif kind == "env-removed-from-git":
        app["env"] = app["env"][:1]


def edited_fields(kind: str, live: Obj) -> Obj:
    """The managed fields of a hand edit in the cluster."""
    if kind == "scaled-by-hand":
        return {"f:spec": {"f:replicas": {}}}
    if kind == "node-selector-edited":
        key = next(iter(live["spec"]["template"]["spec"]["nodeSelector"]))
        return _pod_field("f:nodeSelector", f"f:{key}")
    leaf = {
        "image-set-live": ("f:image",),
        "env-edited-live": ("f:env", 'k:{"name":"LOG_LEVEL"}', "f:value"),
        "memory-limit-edited": ("f:resources", "f:limits", "f:memory"),
    }[kind]
    return _pod_field("f:containers", 'k:{"name":"app"}', *leaf)


def _pod_field(*path: str) -> Obj:
    node: Obj = {}
    for key in reversed(path):
        node = {key: node}
    return {"f:spec": {"f:template": {"f:spec": node}}}


def change_live(kind: str, live: Obj) -> None:
    """The live half of a drift that happened in the cluster."""
    pod = live["spec"]["template"]["spec"]
    app = pod["containers"][0]
    if kind == "image-set-live":
        app["image"] = app["image"].rsplit(":", 1)[0] + ":hotfix"
    elif kind == "env-edited-live":
        app["env"][0]["value"] = "debug"
    elif kind == "scaled-by-hand":
        live["spec"]["replicas"] += 5
    elif kind == "memory-limit-edited":
        app["resources"]["limits"]["memory"] = "4Gi"
    elif kind == "node-selector-edited":
        key = next(iter(pod["nodeSelector"]))
        pod["nodeSelector"][key] = "arm64" if key == "kubernetes.io/arch" else "NVIDIA-A100"


def served(applied: Obj, i: int, rng: random.Random, *, noise: bool) -> Obj:
    """The object as the apiserver returns it after `kubectl apply` of `applied`.

    With `noise`, also differences that are not drift: an injected env var, HPA scaling.
    """
    live = clone(applied)
    apply_defaults(live)
    injected = noise and i % 7 == 0
    if injected:  # a webhook injected an env var desired never mentions
        live["spec"]["template"]["spec"]["containers"][0]["env"].append(INJECTED_ENV)
    # The fields of `person_written`'s sidecar and GPU placement, and the injected env var.
    shape = (i % 3 == 0, i % 10 == 0, injected)
    entries = [csa_entry(live, shape), revision_entry(), status_entry()]
    if noise and i % 20 == 1:  # an HPA scaled it through the scale subresource: not drift
        live["spec"]["replicas"] += rng.randrange(1, 6)
        entries.append(hpa_entry())
    live["metadata"].update(server_metadata(applied, i, entries))
    live["status"] = status(live["spec"]["replicas"])
    return live


def server_metadata(applied: Obj, i: int, entries: list[Obj]) -> Obj:
    """Metadata fields the server adds, and kubectl's last-applied annotation."""
    record = clone(applied)
    record["metadata"]["annotations"] = {}
    text = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    return {
        "annotations": {"deployment.kubernetes.io/revision": "3", LAST_APPLIED: text},
        "creationTimestamp": T_CREATE,
        "generation": 3,
        "managedFields": entries,
        "resourceVersion": str(1_000_000 + i),
        "uid": f"6f1c{i:04x}-0000-4000-8000-{i:012x}",
    }


def apply_defaults(obj: Obj) -> None:
    """The defaults the apiserver fills into a Deployment, canonical quantities included."""
    spec = obj["spec"]
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault("revisionHistoryLimit", 10)
    rolling = {"maxSurge": "25%", "maxUnavailable": "25%"}
    spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": rolling})
    spec["template"]["metadata"]["creationTimestamp"] = None
    pod = spec["template"]["spec"]
    for key, value in POD_DEFAULTS.items():
        pod.setdefault(key, value)
    for container in pod["containers"]:
        container_defaults(container)


def container_defaults(container: Obj) -> None:
    """Container defaults, protocol on ports, probe defaults, canonical quantities."""
    container.setdefault("imagePullPolicy", "IfNotPresent")
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports", []):
        port.setdefault("protocol", "TCP")
    probe = container.get("readinessProbe")
    if probe is not None:
        probe["httpGet"].setdefault("scheme", "HTTP")
        probe.update(PROBE_DEFAULTS, failureThreshold=3)
    for group in container.setdefault("resources", {}).values():
        for name, value in group.items():
            group[name] = CANONICAL.get(str(value), str(value))


def fields_v1(value: Any, name: str | None = None) -> Obj:
    """The fieldsV1 set owning every field of `value` (keyed lists by their merge keys)."""
    if isinstance(value, dict):
        out: Obj = {".": {}} if name not in (None, "spec", "metadata", "template") else {}
        out.update({f"f:{k}": fields_v1(v, k) for k, v in value.items()})
        return out
    if isinstance(value, list) and name in LIST_KEYS:
        return {f"k:{element_key(item, name)}": fields_v1(item, "") for item in value}
    return {}


def element_key(item: Obj, name: str) -> str:
    """The `k:` key of one keyed list element, as the apiserver serialises it (sorted)."""
    fields = {k: item[k] for k in LIST_KEYS[name]}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


_CSA_BY_SHAPE: dict[tuple[bool, ...], Obj] = {}


def csa_entry(live: Obj, shape: tuple[bool, ...]) -> Obj:
    """kubectl-client-side-apply: every field sent, plus the defaults filled on that request.

    Built once per `shape` and shared (the entries are only ever encoded, never changed):
    the set names fields and list keys, never values, and which of them an object has is
    told by `shape` (`served` says which choices of `person_written` and `served` shape it).
    """
    if shape not in _CSA_BY_SHAPE:
        _CSA_BY_SHAPE[shape] = _csa_entry(live)
    return _CSA_BY_SHAPE[shape]


def _csa_entry(live: Obj) -> Obj:
    owned = {
        "f:metadata": {
            "f:annotations": {".": {}, f"f:{LAST_APPLIED}": {}},
            "f:labels": fields_v1(live["metadata"]["labels"], "labels"),
        },
        "f:spec": fields_v1(live["spec"], "spec"),
    }
    return entry("kubectl-client-side-apply", T_APPLY, owned)


def revision_entry() -> Obj:
    """kube-controller-manager writes the revision annotation."""
    owned = {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}}}
    return entry("kube-controller-manager", T_CONTROLLER, owned)


def status_entry() -> Obj:
    """kube-controller-manager writes status through the status subresource."""
    owned = {"f:status": {f"f:{k}": {} for k in STATUS_FIELDS}}
    return entry("kube-controller-manager", T_CONTROLLER, owned, subresource="status")


def hpa_entry() -> Obj:
    """The HPA controller (in kube-controller-manager) scales through the scale subresource."""
    owned = {"f:spec": {"f:replicas": {}}}
    return entry("kube-controller-manager", T_EDIT, owned, subresource="scale")


def edit_entry(manager: str, owned: Obj) -> Obj:
    """A later hand edit by `manager`."""
    return entry(manager, T_EDIT, owned)


def entry(manager: str, time: str, owned: Obj, subresource: str | None = None) -> Obj:
    """One managedFields entry of an `Update` operation."""
    out: Obj = {"apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": owned}
    out.update(manager=manager, operation="Update")
    if subresource is not None:
        out["subresource"] = subresource
    out["time"] = time
    return out


def status(replicas: int) -> Obj:
    """A healthy Deployment's status."""
    return {
        "availableReplicas": replicas,
        "conditions": [
            condition(
                "Available", "MinimumReplicasAvailable", "Deployment has minimum availability."
            ),
            condition("Progressing", "NewReplicaSetAvailable", "ReplicaSet has progressed."),
        ],
        "observedGeneration": 3,
        "readyReplicas": replicas,
        "replicas": replicas,
        "updatedReplicas": replicas,
    }


def condition(kind: str, reason: str, message: str) -> Obj:
    """One status condition."""
    return {
        "lastTransitionTime": T_CONTROLLER,
        "lastUpdateTime": T_CONTROLLER,
        "message": message,
        "reason": reason,
        "status": "True",
        "type": kind,
    }


def main(argv: list[str] | None = None) -> None:
    """Write desired.json, live.json and drifted.txt into `--out`."""
    parser = argparse.ArgumentParser(description="Generate desired/live Deployment pairs.")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drift-ratio", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=Path("/tmp/kubedrift-bench"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    drifted = write(args.out, args.count, args.seed, args.drift_ratio)
    print(f"wrote {args.count} pairs ({len(drifted)} drifted) to {args.out}")


def write(out: Path, count: int, seed: int, drift_ratio: float) -> list[str]:
    """Stream the pairs into desired.json (indent 2) and live.json (indent 4, as kubectl
    prints), then drifted.txt last: its presence says the data is complete."""
    names = []
    with (out / "desired.json").open("wb") as d_file, (out / "live.json").open("wb") as l_file:
        desired_list, live_list = ListWriter(d_file, 2), ListWriter(l_file, 4)
        for desired, live, drifted in pairs(count, seed, drift_ratio):
            desired_list.write(desired)
            live_list.write(live)
            if drifted:
                names.append(f"{desired['metadata']['namespace']}/{desired['metadata']['name']}")
        desired_list.close()
        live_list.close()
    (out / "drifted.txt").write_text("".join(f"{name}\n" for name in sorted(names)))
    return sorted(names)


if __name__ == "__main__":
    main()
