"""The public API of node analysis, pinned: other layers and scripts import these names."""

import inspect

from kubedrift import analysis
from kubedrift.analysis import NodeOptions, NodeRule, is_node_profile

NODE_API = {
    "DEFAULT_EXCLUDED_FACTS",
    "FactValue",
    "NodeAnalysis",
    "NodeFacts",
    "NodeOptions",
    "NodeProfile",
    "NodeRule",
    "analyze_nodes",
    "compile_profiles",
    "facts_digest",
    "is_node_profile",
    "node_facts",
}


def test_the_node_api_is_exported() -> None:
    assert set(analysis.__all__) >= NODE_API
    assert all(hasattr(analysis, name) for name in analysis.__all__)


def test_analyze_nodes_signature() -> None:
    params = inspect.signature(analysis.analyze_nodes).parameters
    assert list(params) == ["nodes", "profiles", "options", "now"]
    assert all(
        params[p].kind is inspect.Parameter.KEYWORD_ONLY for p in ("profiles", "options", "now")
    )


def test_rule_ids() -> None:
    assert {r.value for r in NodeRule} == {
        "profile-mismatch",
        "profile-overlap",
        "profile-unmatched-gpu-node",
        "peer-mismatch",
        "peer-tie",
        "peer-split",
        "no-consensus",
        "gpu-count-mismatch",
        "gpu-unhealthy",
        "mig-config-not-applied",
        "driver-label-disagreement",
        "driver-too-old-for-cuda",
        "driver-upgrade-failed",
        "gfd-labels-stale",
        "kernel-changed-since-driver",
        "likely-to-drift",
    }


def test_options_are_frozen_with_documented_defaults() -> None:
    options = NodeOptions()
    assert options.pool_label is None
    assert options.majority_threshold == 0.5
    assert options.quantity_tolerance == 0.02
    assert options.fact_ignores == ()
    assert "label:kubernetes.io/hostname" in options.excluded_facts
    assert "label:karpenter.sh/capacity-type" in options.excluded_facts


def test_node_profile_documents_are_recognised() -> None:
    assert is_node_profile({"apiVersion": "kubedrift.io/v1alpha1", "kind": "NodeProfile"})
    assert not is_node_profile({"apiVersion": "v1", "kind": "NodeProfile"})
    assert not is_node_profile({"apiVersion": "kubedrift.io/v1alpha1", "kind": "Node"})
