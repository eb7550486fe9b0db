"""The agent's naturally-unique facts are never compared with peers (two lists kept in sync)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from kubedrift.agent.names import NATURALLY_UNIQUE_FACTS
from kubedrift.analysis.options import DEFAULT_EXCLUDED_FACTS


def test_every_unique_agent_fact_is_excluded_from_peer_comparison() -> None:
    for pattern in NATURALLY_UNIQUE_FACTS:
        fact = "agent:" + pattern.replace("*", "x")
        assert any(fnmatchcase(fact, p) for p in DEFAULT_EXCLUDED_FACTS), pattern
