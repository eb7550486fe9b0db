"""Node profiles, peer comparison, GPU-stack rules and AI workload impact (pure: no I/O).

Node and GPU-stack drift: `node_facts` reads one Node's facts (naming in
`analysis.facts`), `compile_profiles` validates NodeProfile documents, and
`analyze_nodes` checks every node against its profiles, its pool's majority and the
GPU-stack rules, with `NodeOptions` holding every switch.
"""

from kubedrift.analysis.facts import FactValue, NodeFacts, facts_digest, node_facts
from kubedrift.analysis.nodes import NodeAnalysis, analyze_nodes
from kubedrift.analysis.options import DEFAULT_EXCLUDED_FACTS, NodeOptions
from kubedrift.analysis.profiles import NodeProfile, compile_profiles, is_node_profile
from kubedrift.model.rules import NodeRule

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
