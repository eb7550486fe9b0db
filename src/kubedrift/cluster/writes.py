"""Entry points for writing to a cluster named by a `ClusterTarget` (lightkube stays here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lightkube import AsyncClient

from kubedrift.cluster.connection import ClusterTarget, resolve_config
from kubedrift.cluster.register import OnExists, register_objects


async def register(
    target: ClusterTarget,
    objects: Iterable[Mapping[str, Any]],
    *,
    field_manager: str = "kubedrift-simulator",
    replace: bool = False,
) -> None:
    """Create `objects` (status included) on the cluster; existing ones skipped or replaced."""
    client = AsyncClient(config=resolve_config(target), field_manager=field_manager)
    try:
        on_exists = OnExists.REPLACE if replace else OnExists.SKIP
        await register_objects(client, objects, field_manager=field_manager, on_exists=on_exists)
    finally:
        await client.close()
