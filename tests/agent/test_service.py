"""The agent's cycle without a cluster: jitter, the log line, configuration checks."""

from __future__ import annotations

import random

import pytest

from kubedrift.agent.service import AgentConfig, describe, jittered
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.publish import Outcome, Published


def test_jitter_stays_within_ten_percent_and_varies() -> None:
    rng = random.Random(7)
    delays = [jittered(300.0, 0.1, rng) for _ in range(500)]
    assert all(270.0 <= d <= 330.0 for d in delays)
    assert max(delays) - min(delays) > 40.0


@pytest.mark.parametrize(("interval", "jitter"), [(0.0, 0.1), (-1.0, 0.1), (300.0, 1.0)])
def test_bad_interval_or_jitter(interval: float, jitter: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        AgentConfig(node="n", target=ClusterTarget(), interval=interval, jitter=jitter)


def _published() -> Published:
    return Published(
        node="gpu-1",
        digest="sha256:" + "ab" * 32,
        facts=57,
        size=2100,
        configmap=Outcome.CREATED,
        configmap_ref="kubedrift-system/kubedrift-facts-gpu-1",
    )


def test_one_line_per_publish() -> None:
    line = describe(_published())
    assert line == (
        "node gpu-1: 57 facts (2100 bytes), digest sha256:abababababab…, "
        "ConfigMap kubedrift-system/kubedrift-facts-gpu-1 created"
    )
    assert "\n" not in line
