"""The agent's cycle: collect, publish, log one line; once, or in a loop until a signal.

In the loop each cycle opens a fresh connection (so a rotated service-account token is
read again), a failed cycle is logged and retried sooner (after at most `RETRY_AFTER`
seconds), and SIGTERM or SIGINT ends the loop after the cycle in progress, with exit 0.
Every sleep is jittered by ±`jitter` so a fleet restarted together does not publish in
lockstep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kubedrift import __version__
from kubedrift.agent.collect import Collection, collect
from kubedrift.agent.nvml import NvmlApi
from kubedrift.agent.options import CollectOptions
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.publish import (
    DEFAULT_NAMESPACE,
    FactsDocument,
    Published,
    publish_facts,
)
from kubedrift.model import ClusterError

log = logging.getLogger("kubedrift.agent")
RETRY_AFTER = 30.0
NvmlFactory = Callable[[], NvmlApi | None]


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """Where to publish and how often; `interval` in seconds, `jitter` a fraction of it."""

    node: str
    target: ClusterTarget
    collect: CollectOptions = field(default_factory=CollectOptions)
    namespace: str = DEFAULT_NAMESPACE
    interval: float = 300.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError(f"interval must be positive, got {self.interval}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter}")


async def collect_async(options: CollectOptions, nvml: NvmlApi | None) -> Collection:
    """Collect in a worker thread: NVML's init can take seconds on idle GPUs."""
    return await asyncio.to_thread(collect, options, nvml)


async def run_once(config: AgentConfig, nvml: NvmlApi | None) -> Published:
    """Collect and publish once; log one line. ClusterError when publishing fails."""
    collection = await collect_async(config.collect, nvml)
    for note in collection.notes:
        log.debug("node %s: %s", config.node, note)
    doc = FactsDocument(
        node=config.node,
        facts=collection.facts,
        agent_version=__version__,
        collected_at=datetime.now(UTC),
        notes=collection.notes,
    )
    async with Connection(config.target) as conn:
        published = await publish_facts(conn, doc, namespace=config.namespace)
    log.info(describe(published))
    return published


async def run_forever(
    config: AgentConfig,
    nvml: NvmlFactory,
    stop: asyncio.Event,
    *,
    rng: random.Random | None = None,
) -> int:
    """Publish every `interval` until `stop` is set; returns the number of cycles run."""
    rng = rng or random.Random()
    cycles = 0
    while not stop.is_set():
        cycles += 1
        delay = config.interval
        try:
            await run_once(config, nvml())
        except ClusterError as err:
            log.warning("node %s: publish failed: %s", config.node, err)
            delay = min(config.interval, RETRY_AFTER)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), jittered(delay, config.jitter, rng))
    log.info("node %s: stopped after %d cycle(s)", config.node, cycles)
    return cycles


async def serve(config: AgentConfig, nvml: NvmlFactory) -> int:
    """`run_forever` until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        return await run_forever(config, nvml, stop)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def jittered(delay: float, jitter: float, rng: random.Random) -> float:
    """`delay` scaled by a uniform factor in [1 - jitter, 1 + jitter]."""
    return delay * rng.uniform(1 - jitter, 1 + jitter)


def describe(published: Published) -> str:
    """The one log line of a publish (names, counts and digests: no fact values)."""
    return (
        f"node {published.node}: {published.facts} facts ({published.size} bytes), "
        f"digest {published.digest[:19]}…, "
        f"ConfigMap {published.configmap_ref} {published.configmap.value}"
    )
