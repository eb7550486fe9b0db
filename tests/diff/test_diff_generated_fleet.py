"""The benchmark's generated Deployments: exactly the drifted objects are reported, as expected.

Live objects carry what an apiserver adds (defaults, status, managedFields, last-applied) and
noise that is not drift (canonical quantities, an injected env var, HPA scaling).
"""

from __future__ import annotations

from collections import Counter

from kubedrift.diff import DiffOptions, diff_objects
from support.fixtures_files import deployments_generator


def test_exactly_the_drifted_objects_are_reported() -> None:
    gen = deployments_generator()
    desired, live, drifted = gen.generate(n=800, seed=3, drift_ratio=0.05)
    findings = diff_objects(desired["items"], live["items"], DiffOptions(revision="abc123"))
    assert sorted({f"{f.object.namespace}/{f.object.name}" for f in findings}) == drifted
    assert len(findings) == len(drifted) == 40  # one finding per drifted object
    assert all(f.revision == "abc123" for f in findings)
    by_path = Counter((f.rule, f.path.rsplit("/", 1)[-1], f.manager) for f in findings)
    assert by_path == Counter(
        {
            ("field-changed", "image", "kubectl-set"): 5,
            ("field-changed", "value", "kubectl-edit"): 5,
            ("field-changed", "replicas", "kubectl"): 5,
            ("field-changed", "memory", "kubectl-edit"): 5,
            ("field-removed-from-desired", "tier", "kubectl-client-side-apply"): 5,
            ("field-changed", "image", "kubectl-client-side-apply"): 5,
            ("field-removed-from-desired", "name=REGION", "kubectl-client-side-apply"): 5,
            ("field-changed", "kubernetes.io~1arch", "kubectl-edit"): 4,
            ("field-changed", "nvidia.com~1gpu.product", "kubectl-edit"): 1,
        }
    )


def test_generation_is_deterministic() -> None:
    gen = deployments_generator()
    assert gen.generate(n=50, seed=1, drift_ratio=0.1) == gen.generate(
        n=50, seed=1, drift_ratio=0.1
    )
