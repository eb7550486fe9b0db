"""A real Prometheus scrapes the controller's `/metrics` and sees the values we set."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from controller.serving import served
from kubedrift.controller.health import HealthState
from kubedrift.controller.http import build_app
from kubedrift.controller.metrics import ControllerMetrics
from support.prometheus import JOB, Prometheus

SCRAPE_TIMEOUT = 30.0


async def _poll(prometheus: Prometheus, promql: str, count: int) -> list[dict[str, Any]]:
    """The result of `promql` once it has at least `count` series (polled, ~30 s at most)."""
    deadline = time.monotonic() + SCRAPE_TIMEOUT
    while True:
        result = await asyncio.to_thread(prometheus.query, promql)
        if len(result) >= count:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{promql!r} gave {result} after {SCRAPE_TIMEOUT}s\n{prometheus.log_tail()}"
            )
        await asyncio.sleep(0.25)


def test_prometheus_scrapes_the_open_findings(prometheus_server: Prometheus) -> None:
    metrics = ControllerMetrics()
    metrics.set_open_findings({("node", "critical"): 3, ("object", "medium"): 7})
    metrics.set_revision("0123abc", "git")
    app = build_app(metrics, HealthState())

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with served(app) as (_, ready):
            instance = f"127.0.0.1:{ready.port}"
            await asyncio.to_thread(prometheus_server.scrape, [instance])
            selector = f'{{job="{JOB}",instance="{instance}"}}'
            findings = await _poll(prometheus_server, f"kubedrift_open_findings{selector}", 15)
            up = await _poll(prometheus_server, f"up{selector}", 1)
            return findings, up

    findings, up = asyncio.run(scenario())
    values = {
        (s["metric"]["category"], s["metric"]["severity"]): float(s["value"][1]) for s in findings
    }
    assert len(values) == 15
    assert values[("node", "critical")] == 3
    assert values[("object", "medium")] == 7
    assert sum(values.values()) == 10
    assert [float(s["value"][1]) for s in up] == [1.0]
