"""Node profiles, peer comparison, GPU-stack rules and AI workload impact (pure: no I/O).

Node and GPU-stack drift: `node_facts` reads one Node's facts (naming in
`analysis.facts`), `compile_profiles` validates NodeProfile documents, and
`analyze_nodes` checks every node against its profiles, its pool's majority and the
GPU-stack rules, with `NodeOptions` holding every switch.
"""

from typing import TYPE_CHECKING

from kubedrift.model.lazy import lazy_names

if TYPE_CHECKING:
    from kubedrift.analysis.facts import FactValue, NodeFacts, facts_digest, node_facts
    from kubedrift.analysis.nodes import NodeAnalysis, analyze_nodes
    from kubedrift.analysis.options import DEFAULT_EXCLUDED_FACTS, NodeOptions
    from kubedrift.analysis.profiles import NodeProfile, compile_profiles, is_node_profile
    from kubedrift.model.rules import NodeRule

_WHERE = {
    "FactValue": "kubedrift.analysis.facts",
    "NodeFacts": "kubedrift.analysis.facts",
    "facts_digest": "kubedrift.analysis.facts",
    "node_facts": "kubedrift.analysis.facts",
    "NodeAnalysis": "kubedrift.analysis.nodes",
    "analyze_nodes": "kubedrift.analysis.nodes",
    "DEFAULT_EXCLUDED_FACTS": "kubedrift.analysis.options",
    "NodeOptions": "kubedrift.analysis.options",
    "NodeProfile": "kubedrift.analysis.profiles",
    "compile_profiles": "kubedrift.analysis.profiles",
    "is_node_profile": "kubedrift.analysis.profiles",
    "NodeRule": "kubedrift.model.rules",
}
"""Each public name and the module defining it, imported on first use (`model/lazy.py`)."""


__getattr__ = lazy_names(__name__, _WHERE)


__all__ = [
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
]
