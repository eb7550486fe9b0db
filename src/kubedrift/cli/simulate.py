"""`kubedrift simulate`: write a realistic simulated GPU fleet, or register it on a cluster."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from kubedrift.cli.options import ContextOpt, KubeconfigOpt
from kubedrift.cli.progress import Progress
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.writes import register
from kubedrift.model import InputError
from kubedrift.simulate import build_fleet, default_fleet_spec, write_ground_truth, write_snapshot
from kubedrift.simulate.history import HistorySpec
from kubedrift.simulate.timeline import write_history
from kubedrift.store import SqlStore

MAX_NODES = 5000


def simulate(
    nodes: Annotated[int, typer.Option(help="Number of nodes (10 to 5,000).")] = 50,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same fleet.")] = 0,
    drift_rate: Annotated[
        float, typer.Option(help="Share of nodes that receive an injected drift.")
    ] = 0.02,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write a snapshot (a v1 List; .json or .yaml) to this file."),
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="Write the injected drifts (ground truth) as JSON here.")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Register the fleet on the cluster (test clusters!).")
    ] = False,
    kubeconfig: KubeconfigOpt = None,  # of the cluster --apply registers the fleet on
    context: ContextOpt = None,
    now: Annotated[
        str | None,
        typer.Option(help="The simulated present, RFC 3339 (default: the current time)."),
    ] = None,
    control_plane: Annotated[
        int, typer.Option(help="Also simulate this many self-managed control-plane nodes.")
    ] = 0,
    history: Annotated[
        int | None,
        typer.Option(
            min=1, max=52, help="Instead: write WEEKS of drift history into --store (predict)."
        ),
    ] = None,
    store: Annotated[
        str | None, typer.Option(help="The timeline store --history writes (file or URL).")
    ] = None,
) -> int:
    """Generate a deterministic GPU fleet with chosen drifts (for demos, tests, benchmarks)."""
    if history is not None:
        return simulate_history(history, seed, store, now)
    if not 10 <= nodes <= MAX_NODES:
        raise InputError(f"must be between 10 and {MAX_NODES}, got {nodes}", where="--nodes")
    if not 0 <= control_plane <= 7:
        raise InputError(f"must be between 0 and 7, got {control_plane}", where="--control-plane")
    if not 0.0 <= drift_rate <= 1.0:
        raise InputError(f"must be between 0 and 1, got {drift_rate}", where="--drift-rate")
    if out is None and not apply:
        raise InputError("say where the fleet goes: --out FILE and/or --apply", where="simulate")
    with Progress() as progress:
        progress.update(f"building a fleet of {nodes} nodes")
        spec = default_fleet_spec(
            nodes, seed=seed, drift_rate=drift_rate, now=_present(now), control_plane=control_plane
        )
        fleet = build_fleet(spec)
        if out is not None:
            progress.update(f"writing {out}")
            write_snapshot(fleet, out)
        if truth is not None:
            write_ground_truth(fleet, truth)
        if apply:
            progress.update("registering the fleet on the cluster")
            target = ClusterTarget(kubeconfig=kubeconfig, context=context)
            asyncio.run(register(target, list(fleet.objects())))
    counts = f"{len(fleet.nodes)} nodes, {len(fleet.pods)} pods, {len(fleet.injected)} drifts"
    typer.echo(f"simulated fleet (seed {seed}): {counts}", err=True)
    return 0


def simulate_history(weeks: int, seed: int, store: str | None, now: str | None) -> int:
    """`--history WEEKS`: a multi-week drift history (simulate/history.py) into a store."""
    if store is None:
        raise InputError("say where the history goes: --store FILE or URL", where="--history")
    spec = HistorySpec(seed=seed, weeks=weeks)
    if now is not None:
        spec = dataclasses.replace(spec, end=_present(now))
    with SqlStore.open(store) as opened:
        count = write_history(opened, spec)
    typer.echo(
        f"simulated history (seed {seed}): {count} episodes over {weeks} weeks "
        f"to {spec.end.isoformat()} in {opened.where}",
        err=True,
    )
    return 0


def _present(text: str | None) -> datetime:
    """`--now`: every simulated time is drawn relative to it (whole seconds, UTC)."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not an RFC 3339 time", where="--now") from None
    if moment.tzinfo is None:
        raise InputError(f"{text!r} has no time zone (add Z or +00:00)", where="--now")
    return moment.astimezone(UTC)
