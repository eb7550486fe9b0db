"""Kinds known to be cluster-scoped without asking a server, so no default namespace is given.

Only well-known kinds are listed, in one table shared with pairing
(`kubedrift.diff.CLUSTER_SCOPED_KINDS`: two copies had drifted apart, each missing kinds the
other knew); any other kind without a namespace gets the caller's
default and is marked `namespace_defaulted`, for the caller to undo once discovery says
the kind is cluster-scoped.
"""

from __future__ import annotations

from kubedrift.diff import CLUSTER_SCOPED_KINDS


def is_cluster_scoped(api_version: str, kind: str) -> bool:
    """Whether a kind is known to be cluster-scoped (unknown kinds: False)."""
    return (api_version.rpartition("/")[0], kind) in CLUSTER_SCOPED_KINDS
