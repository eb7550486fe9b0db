"""GPU-stack consistency rules: what the GPU stack's labels claim against what is real.

- `gpu-count-mismatch` (high when fewer GPUs are advertised than labelled or none at all —
  no `nvidia.com/gpu` capacity is at least as bad as `0`; medium when more):
  `gpu.count` × `gpu.replicas` ≠ `capacity[nvidia.com/gpu]`; skipped with the MIG
  `mixed` strategy, where `gpu.count` also counts GPUs exposed as `nvidia.com/mig-*`.
- `gpu-unhealthy` (high): allocatable `nvidia.com/gpu` below capacity — the kubelet counts
  devices the device plugin reports unhealthy (e.g. after an Xid error) in capacity only.
- `mig-config-not-applied`: `mig.config.state` is `failed` (high); `success` while GFD's
  product shows another layout (medium); `pending`, `rebooting`, an unknown state or none
  (low: how long it has been so is not knowable from one snapshot).
- `driver-label-disagreement` (medium): deprecated `cuda.driver.*` ≠ `cuda.driver-version.*`,
  or what the node agent read (NVML's driver and CUDA version, the loaded module's
  version) ≠ the labels.
- `driver-too-old-for-cuda`: the driver is below NVIDIA's minimum for the labelled CUDA
  version (medium), and below minor-version compatibility too (high); see `analysis.cuda`.
- `driver-upgrade-failed` (high): `gpu-driver-upgrade-state` is `upgrade-failed`.
- `gfd-labels-stale` (medium): evidence that GPU Feature Discovery's labels describe a past
  state of the node (see `_gfd_stale`); never the label's age alone.
- `kernel-changed-since-driver`: on a GPU node, NFD's kernel label ≠ the running kernel
  (medium: rebooted since labelling); the agent's driver build kernel ≠ the running kernel
  (high).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kubedrift.analysis import gpu_labels as gl
from kubedrift.analysis.cuda import driver_requirement
from kubedrift.analysis.facts import NodeFacts, allocatable_fact, capacity_fact, label_fact
from kubedrift.analysis.findings import NodeRule, node_finding, node_ref
from kubedrift.analysis.versions import compare, parse_version
from kubedrift.diff.quantities import quantity_value
from kubedrift.model import JSON, MISSING, Finding, Severity

_MIG_STATES_IN_PROGRESS = frozenset({"pending", "rebooting"})
_MIG_NON_PROFILE_CONFIGS = frozenset({"all-disabled", "all-enabled", "all-balanced"})


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What the rules need besides the node: its pool."""

    pool: str


@dataclass(slots=True)
class _Out:
    facts: NodeFacts
    ctx: RuleContext
    findings: list[Finding]

    def add(
        self, rule: NodeRule, severity: Severity, *, path: str, want: JSON, got: JSON, msg: str
    ) -> None:
        finding = node_finding(
            node_ref(self.facts.name),
            self.ctx.pool,
            rule,
            severity=severity,
            path=path,
            desired=want,
            live=got,
            message=msg,
        )
        self.findings.append(finding)


def check_gpu_rules(facts: NodeFacts, ctx: RuleContext) -> list[Finding]:
    """Every GPU rule's findings for one node (none for a node without GPU labels)."""
    out = _Out(facts, ctx, [])
    for rule in _RULES:
        rule(out)
    return out.findings


def _gpu_count(out: _Out) -> None:
    facts = out.facts
    count = _int(facts.label(gl.GPU_COUNT))
    if not count or facts.label(gl.MIG_STRATEGY) == "mixed":
        return  # mixed: gpu.count includes GPUs exposed as nvidia.com/mig-* resources
    expected = count * max(_int(facts.label(gl.GPU_REPLICAS)) or 1, 1)
    resource = gl.GPU_RESOURCE
    if capacity_fact(resource) not in facts and capacity_fact(gl.SHARED_GPU_RESOURCE) in facts:
        resource = gl.SHARED_GPU_RESOURCE
    path = capacity_fact(resource)
    live = facts.get(path, MISSING)
    units = quantity_value(live)
    if units == expected:
        return
    labelled = f"GFD labels {count} GPUs" + (
        f" × {expected // count} replicas" if expected != count else ""
    )
    if units is None:
        # No capacity at all: the device plugin never registered (or is gone), which leaves
        # the node with no schedulable GPUs, exactly as a capacity of 0 does.
        severity = Severity.HIGH
        msg = f"{labelled} but the node advertises no {resource}: is the device plugin running?"
    elif units < expected:
        severity = Severity.HIGH
        msg = f"{labelled} but the node advertises {live} {resource}: GPUs are missing"
        msg += " (fallen off the bus, or not seen by the device plugin)"
    else:
        severity = Severity.MEDIUM
        msg = f"{labelled} but the node advertises {live} {resource}: GFD's labels are stale"
    out.add(NodeRule.GPU_COUNT_MISMATCH, severity, path=path, want=str(expected), got=live, msg=msg)


def _gpu_unhealthy(out: _Out) -> None:
    capacity = out.facts.get(capacity_fact(gl.GPU_RESOURCE))
    allocatable = out.facts.get(allocatable_fact(gl.GPU_RESOURCE))
    cap, alloc = quantity_value(capacity), quantity_value(allocatable)
    if cap is None or alloc is None or alloc >= cap:
        return
    msg = (
        f"{cap - alloc} of {capacity} {gl.GPU_RESOURCE} are unhealthy: allocatable {allocatable} "
        "< capacity (the device plugin withholds unhealthy devices, e.g. after an Xid error)"
    )
    path = allocatable_fact(gl.GPU_RESOURCE)
    out.add(
        NodeRule.GPU_UNHEALTHY, Severity.HIGH, path=path, want=capacity, got=allocatable, msg=msg
    )


def _mig_config(out: _Out) -> None:
    config = out.facts.label(gl.MIG_CONFIG)
    if config is None:
        return
    state = out.facts.label(gl.MIG_STATE)
    if state == "success":
        _mig_layout(out, config)
        return
    if state == "failed":
        severity = Severity.HIGH
        msg = f"mig-manager failed to apply MIG configuration {config}"
    elif state in _MIG_STATES_IN_PROGRESS:
        severity = Severity.LOW
        msg = f"mig-manager is applying MIG configuration {config} (state {state}); "
        msg += "how long it has been so is not knowable from one snapshot"
    else:
        severity = Severity.LOW
        shown = "no state" if state is None else f"unknown state {state!r}"
        msg = f"MIG configuration {config} is requested but mig-manager reports {shown}"
    live = MISSING if state is None else state
    path = label_fact(gl.MIG_STATE)
    out.add(NodeRule.MIG_CONFIG_NOT_APPLIED, severity, path=path, want="success", got=live, msg=msg)


def _mig_layout(out: _Out, config: str) -> None:
    """With `single` strategy, GFD's product names the MIG profile actually in place."""
    product = out.facts.label(gl.GPU_PRODUCT)
    if product is None or out.facts.label(gl.MIG_STRATEGY) != "single":
        return
    if config == "all-disabled":
        if "-MIG-" not in product:
            return
        desired = "a whole-GPU product (no -MIG-)"
    elif config.startswith("all-") and config not in _MIG_NON_PROFILE_CONFIGS:
        profile = config.removeprefix("all-")
        if product.endswith(f"-MIG-{profile}"):
            return
        desired = f"*-MIG-{profile}"
    else:
        return  # a custom layout cannot be read back from one product label
    msg = f"mig.config {config} reports success but GFD sees product {product}"
    path = label_fact(gl.GPU_PRODUCT)
    out.add(
        NodeRule.MIG_CONFIG_NOT_APPLIED,
        Severity.MEDIUM,
        path=path,
        want=desired,
        got=product,
        msg=msg,
    )


def _driver_labels(out: _Out) -> None:
    facts = out.facts
    full = facts.label(gl.DRIVER_FULL)
    if full is None:
        return
    rule, severity = NodeRule.DRIVER_LABEL_DISAGREEMENT, Severity.MEDIUM
    for family, keys in (
        ("cuda.driver.*", gl.DRIVER_PARTS_OLD),
        ("cuda.driver-version.*", gl.DRIVER_PARTS),
    ):
        parts = [facts.label(k) for k in keys]
        if parts[0] is None or parts[1] is None:
            continue
        joined = ".".join(p for p in parts if p)
        if joined != full:
            msg = f"nvidia.com/{family} say {joined} but cuda.driver-version.full says {full}"
            out.add(
                rule,
                severity,
                path=label_fact(f"nvidia.com/{family}"),
                want=full,
                got=joined,
                msg=msg,
            )
    _against_agent(out, full)


def _against_agent(out: _Out, full: str) -> None:
    """The labels against what the node agent read on the host (NVML, the loaded module)."""
    rule, severity = NodeRule.DRIVER_LABEL_DISAGREEMENT, Severity.MEDIUM
    path = label_fact(gl.DRIVER_FULL)
    for fact, source in ((gl.AGENT_DRIVER, "NVML"), (gl.AGENT_MODULE_VERSION, "the loaded module")):
        real = out.facts.get(fact)
        if real is not None and str(real) != full:
            msg = (
                f"{source} reports driver {real} but GFD's label says {full}: the labels are stale"
            )
            out.add(rule, severity, path=path, want=str(real), got=full, msg=msg)
            break
    cuda = out.facts.get(gl.AGENT_CUDA)
    labelled = out.facts.label(gl.CUDA_FULL)
    if cuda is not None and labelled is not None and str(cuda) != labelled:
        msg = f"NVML reports CUDA {cuda} but GFD's label says {labelled}: the labels are stale"
        path = label_fact(gl.CUDA_FULL)
        out.add(rule, severity, path=path, want=str(cuda), got=labelled, msg=msg)


def _driver_too_old(out: _Out) -> None:
    driver = out.facts.label(gl.DRIVER_FULL)
    cuda = _cuda_version(out.facts)
    actual = None if driver is None else parse_version(driver)
    if actual is None or cuda is None:
        return
    need = driver_requirement(cuda)
    if need is None or compare(actual, need.toolkit_version()) >= 0:
        return
    cuda_text = f"{cuda[0]}.{cuda[1]}"
    msg = f"driver {driver} is older than {need.toolkit}, NVIDIA's minimum Linux driver for "
    msg += f"CUDA {cuda_text}, which nvidia.com/cuda.runtime-version reports"
    compat = need.compat_version()
    if compat is None or compare(actual, compat) < 0:
        severity = Severity.HIGH
        msg += f"; it is below the CUDA {cuda[0]}.x minimum {need.compat or '?'} too"
    else:
        severity = Severity.MEDIUM
        msg += f"; CUDA {cuda_text} applications run only under minor version compatibility"
    path = label_fact(gl.DRIVER_FULL)
    out.add(
        NodeRule.DRIVER_TOO_OLD_FOR_CUDA,
        severity,
        path=path,
        want=f">={need.toolkit}",
        got=driver,
        msg=msg,
    )


def _upgrade_failed(out: _Out) -> None:
    state = out.facts.label(gl.UPGRADE_STATE)
    if state != "upgrade-failed":
        return
    msg = "the GPU operator's driver upgrade failed on this node (driver pod failing; "
    msg += "the node may still be cordoned)"
    path = label_fact(gl.UPGRADE_STATE)
    out.add(
        NodeRule.DRIVER_UPGRADE_FAILED,
        Severity.HIGH,
        path=path,
        want="upgrade-done",
        got=state,
        msg=msg,
    )


def _gfd_stale(out: _Out) -> None:
    """GPU Feature Discovery's labels describe a past state of the node.

    GFD writes `nvidia.com/gfd.timestamp` once, when its process starts: the timestamp
    labeler is built before the relabel loop and reused by every pass (NVIDIA/
    k8s-device-plugin `cmd/gpu-feature-discovery/main.go` `run`, `internal/lm/
    timestamp.go` `NewTimestampLabeler`: `time.Now().Unix()`); `--sleep-interval` (60 s)
    reruns the other labelers only, and `--oneshot` labels once and exits. So the label's
    age is the GFD pod's age and says nothing about staleness. What does:

    - the host booted after GFD last started (agent `host.boot_time` > `gfd.timestamp`):
      a reboot restarts the GFD pod, so labels older than the boot were not rewritten
      since — the kernel and driver they describe may be gone;
    - GFD is switched off by the GPU operator (`nvidia.com/gpu.deploy.gpu-feature-
      discovery=false`) yet its labels are present: on exit GFD removes its output file
      (`removeOutputFile` in `run`), so labels that outlive it are left-overs nobody
      refreshes;
    - GFD's `gpu.count` or `gpu.product` contradict what NVML reports on the host now
      (agent `nvml.gpu_count`, `nvml.gpu.0.name`).

    Labels against capacity (`gpu-count-mismatch`), GFD's driver/CUDA labels against NVML
    (`driver-label-disagreement`) and NFD's kernel label against the running kernel
    (`kernel-changed-since-driver`) have rules of their own. All evidence of one node is
    one finding.
    """
    facts = out.facts
    stamp = _int(facts.label(gl.GFD_TIMESTAMP))
    if stamp is None and facts.label(gl.GPU_PRODUCT) is None:
        return  # no GFD labels at all
    reasons = [r for check in _STALE_EVIDENCE if (r := check(facts, stamp)) is not None]
    if not reasons:
        return
    written = "unknown" if stamp is None else _utc(stamp)
    msg = "GPU Feature Discovery's labels are stale: " + "; ".join(reasons)
    out.add(
        NodeRule.GFD_LABELS_STALE,
        Severity.MEDIUM,
        path=label_fact(gl.GFD_TIMESTAMP),
        want="labels GFD rewrote since the last boot, matching the host",
        got=f"written {written}",
        msg=msg,
    )


def _booted_since(facts: NodeFacts, stamp: int | None) -> str | None:
    boot = _int(_text(facts.get(gl.AGENT_BOOT_TIME)))
    if boot is None or stamp is None or boot <= stamp:
        return None
    return f"the host booted at {_utc(boot)}, after GFD last started ({_utc(stamp)})"


def _gfd_switched_off(facts: NodeFacts, stamp: int | None) -> str | None:
    if (
        facts.label(gl.DEPLOY_GFD) != "false"
        or facts.label(gl.MIG_STATE) in _MIG_STATES_IN_PROGRESS
    ):
        return None  # mig-manager switches the operands off while it repartitions
    return "the GPU operator has GFD switched off here (gpu.deploy.gpu-feature-discovery=false)"


def _count_against_nvml(facts: NodeFacts, stamp: int | None) -> str | None:
    labelled, real = facts.label(gl.GPU_COUNT), _text(facts.get(gl.AGENT_GPU_COUNT))
    product = facts.label(gl.GPU_PRODUCT) or ""
    if labelled is None or real is None or "-MIG-" in product or labelled == real:
        return None
    return f"gpu.count says {labelled} GPUs but NVML sees {real}"


def _product_against_nvml(facts: NodeFacts, stamp: int | None) -> str | None:
    product, name = facts.label(gl.GPU_PRODUCT), _text(facts.get(gl.AGENT_GPU0_NAME))
    if product is None or name is None:
        return None
    # GFD's product is NVML's name with spaces as dashes, plus -MIG-… or -SHARED suffixes.
    base = product.split("-MIG-", 1)[0].removesuffix("-SHARED")
    if base == name.strip().replace(" ", "-"):
        return None
    return f"gpu.product says {product} but NVML names the GPU {name!r}"


_STALE_EVIDENCE: tuple[Callable[[NodeFacts, int | None], str | None], ...] = (
    _booted_since,
    _gfd_switched_off,
    _count_against_nvml,
    _product_against_nvml,
)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _utc(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kernel_changed(out: _Out) -> None:
    running = out.facts.get("nodeInfo.kernelVersion")
    if running is None:
        return
    rule = NodeRule.KERNEL_CHANGED_SINCE_DRIVER
    labelled = out.facts.label(gl.NFD_KERNEL)
    if labelled is not None and labelled != running and gl.is_gpu_node(out.facts):
        msg = f"the node runs kernel {running} but NFD labelled {labelled}: it rebooted into a "
        msg += "new kernel after its feature labels (and likely the driver) were set up"
        out.add(
            rule,
            Severity.MEDIUM,
            path=label_fact(gl.NFD_KERNEL),
            want=running,
            got=labelled,
            msg=msg,
        )
    built = out.facts.get(gl.AGENT_DRIVER_KERNEL)
    if built is not None and str(built) != running:
        msg = f"the NVIDIA kernel module was built for kernel {built} but the node runs {running}"
        out.add(rule, Severity.HIGH, path=gl.AGENT_DRIVER_KERNEL, want=running, got=built, msg=msg)


def _cuda_version(facts: NodeFacts) -> tuple[int, int] | None:
    full = facts.label(gl.CUDA_FULL)
    if full is not None:
        parts = parse_version(full)
        return (parts[0], parts[1]) if parts is not None and len(parts) >= 2 else None
    for keys in (gl.CUDA_PARTS, gl.CUDA_PARTS_OLD):
        major, minor = (_int(facts.label(k)) for k in keys)
        if major is not None and minor is not None:
            return major, minor
    return None


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


_RULES: tuple[Callable[[_Out], None], ...] = (
    _gpu_count,
    _gpu_unhealthy,
    _mig_config,
    _driver_labels,
    _driver_too_old,
    _upgrade_failed,
    _gfd_stale,
    _kernel_changed,
)
