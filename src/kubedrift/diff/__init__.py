"""Object normalization and comparison of desired against live (pure: no I/O).

    findings = diff_objects(desired_objects, live_objects, DiffOptions(revision="4f1c2e0"))

Finding paths are JSON pointers with keyed list elements named by key, e.g.
`/spec/template/spec/containers/name=trainer/image` (format: `pointers.py`); rules are in
`differences.Rule`, severities in `severity.py`, built-in trusted controllers in `trusted.py`.

Modules, one responsibility each:

    engine         diff_object / diff_objects: the steps below, per pair
    pairing        desired ↔ live by group, kind, namespace, name; cluster-scoped kinds
    plan           DiffOptions compiled: rules per kind, pattern trees built once
    compare        two-way walk: what desired says against live
    three_way      fields we set before (last-applied, SSA Apply) removed from desired
    additions      fields people set that desired leaves out (field-added, default-overridden)
    api_defaults   API defaults of common fields, for default-overridden
    not_served     desired fields the apiserver dropped (field-not-served, info)
    managers       field managers' roles: author, controller, person
    attribution    who made a difference and when, or "unknown" with the evidence
    normalize      empty ≡ absent; normalize_object (a canonical copy)
    canonical      canonical scalars: quantities, int-or-string ports, YAML strings
    quantities     resource quantities by value
    merge_keys     keyed lists (containers by name, ports by port+protocol, …)
    managed_fields fieldsV1 parsing, ownership (which entry owns a field)
    last_applied   the kubectl last-applied annotation
    prune          pointer patterns with globs, compiled into trees
    ignore         ignore rules (user config)
    trusted        trusted-controller rules (built-in and user)
    selectors      which objects a rule selects
    rule_config    validation shared by rule compilers
    secrets        Secret values compared as bytes, shown as keyed hashes
    severity       the severity table
    findings       RawDiff → Finding: severity, attribution, masking, message
    pointers       paths and their JSON pointer form
    differences    RawDiff and the rule names
    options        DiffOptions
"""

from kubedrift.diff.differences import Rule
from kubedrift.diff.engine import DEFAULT_OPTIONS, diff_object, diff_objects
from kubedrift.diff.ignore import IgnoreRule, compile_ignore_rules
from kubedrift.diff.normalize import normalize_object
from kubedrift.diff.options import DEFAULT_APPLIER_MANAGERS, DiffOptions
from kubedrift.diff.pairing import CLUSTER_SCOPED_KINDS, ClusterScoped, pair_objects
from kubedrift.diff.pointers import ListKey, Path, render
from kubedrift.diff.quantities import parse_quantity
from kubedrift.diff.selectors import LabelSelector, Requirement, Selector
from kubedrift.diff.trusted import BUILTIN_TRUSTED_RULES, TrustedRule, compile_trusted_rules

__all__ = [
    "BUILTIN_TRUSTED_RULES",
    "CLUSTER_SCOPED_KINDS",
    "DEFAULT_APPLIER_MANAGERS",
    "DEFAULT_OPTIONS",
    "ClusterScoped",
    "DiffOptions",
    "IgnoreRule",
    "LabelSelector",
    "ListKey",
    "Path",
    "Requirement",
    "Rule",
    "Selector",
    "TrustedRule",
    "compile_ignore_rules",
    "compile_trusted_rules",
    "diff_object",
    "diff_objects",
    "normalize_object",
    "pair_objects",
    "parse_quantity",
    "render",
]
