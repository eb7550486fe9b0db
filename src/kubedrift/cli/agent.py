"""`kubedrift agent`: collect this node's host and GPU facts and publish them for the scanner.

Exit codes: 0 published (or, with `--dry-run`, printed); 1 error (no node name, a bad
option, the cluster unreachable or refusing the write in `--once` mode). In the loop a
failed publish is logged and retried; SIGTERM or SIGINT ends it with 0.

Until the command is registered on the main app, `python -m kubedrift.cli.agent` runs it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from kubedrift.agent.collect import collect
from kubedrift.agent.nvml import PynvmlApi
from kubedrift.agent.options import CollectOptions, ConfigFile
from kubedrift.agent.service import AgentConfig, run_once, serve
from kubedrift.cli.errors import run_cli
from kubedrift.cli.logs import configure_logging
from kubedrift.cli.options import ContextOpt, InClusterOpt, KubeconfigOpt
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.publish import DEFAULT_NAMESPACE
from kubedrift.model import InputError

# typer >= 0.2x vendors click as `typer._click` and raises its exceptions (as main.py notes).


def agent(
    node_name: Annotated[
        str | None,
        typer.Option(
            "--node-name",
            envvar="NODE_NAME",
            help="This node's name (the DaemonSet sets NODE_NAME from spec.nodeName).",
        ),
    ] = None,
    host_root: Annotated[
        Path, typer.Option(help="Where the host's files are mounted (/host in the DaemonSet).")
    ] = Path("/"),
    proc_root: Annotated[
        Path | None, typer.Option(help="Where /proc is read (default: HOST_ROOT/proc).")
    ] = None,
    sys_root: Annotated[
        Path | None, typer.Option(help="Where /sys is read (default: HOST_ROOT/sys).")
    ] = None,
    namespace: Annotated[
        str, typer.Option("--namespace", "-n", help="Namespace of the facts ConfigMap.")
    ] = DEFAULT_NAMESPACE,
    once: Annotated[bool, typer.Option(help="Collect and publish once, then exit.")] = False,
    interval: Annotated[
        float, typer.Option(min=1.0, help="Seconds between publishes (±10% jitter).")
    ] = 300.0,
    dry_run: Annotated[
        bool, typer.Option(help="Print the facts as JSON to stdout; publish nothing.")
    ] = False,
    sysctl: Annotated[
        list[str] | None,
        typer.Option(metavar="<name>", help="Another sysctl to read (vm.swappiness). Repeatable."),
    ] = None,
    module: Annotated[
        list[str] | None,
        typer.Option(
            metavar="<glob>", help="Another kernel module pattern (nvidia_*). Repeatable."
        ),
    ] = None,
    package: Annotated[
        list[str] | None,
        typer.Option(metavar="<glob>", help="Another package name pattern (cuda-*). Repeatable."),
    ] = None,
    file: Annotated[
        list[str] | None,
        typer.Option(
            metavar="<id=path>",
            help="Another file to hash, ID=PATH; a PATH ending in /* hashes each "
            "file of that folder. Repeatable.",
        ),
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    in_cluster: InClusterOpt = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also log what could not be read.")
    ] = False,
) -> int:
    """Collect this node's kernel, package, config-file and GPU facts and publish them."""
    options = CollectOptions(host_root=host_root, proc_root=proc_root, sys_root=sys_root)
    options = options.with_extra(
        sysctls=tuple(sysctl or ()),
        modules=tuple(module or ()),
        packages=tuple(package or ()),
        files=tuple(ConfigFile.parse(spec) for spec in file or ()),
    )
    options.check_roots()
    if dry_run:
        return _print_facts(options)
    if not node_name:
        raise InputError("--node-name (or NODE_NAME) is required to publish")
    _configure_logging(verbose)
    config = AgentConfig(
        node=node_name,
        target=ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=in_cluster),
        collect=options,
        namespace=namespace,
        interval=interval,
    )
    if once:
        asyncio.run(run_once(config, PynvmlApi.load()))
    else:
        asyncio.run(serve(config, PynvmlApi.load))
    return 0


def _print_facts(options: CollectOptions) -> int:
    collection = collect(options, PynvmlApi.load())
    for note in collection.notes:
        typer.echo(f"kubedrift: note: {note}", err=True)
    typer.echo(json.dumps(dict(collection.facts), indent=2, sort_keys=True, ensure_ascii=False))
    return 0


def _configure_logging(verbose: bool) -> None:
    configure_logging(logging.WARNING)  # libraries: warnings only; the agent's own below
    logging.getLogger("kubedrift.agent").setLevel(logging.DEBUG if verbose else logging.INFO)


def main() -> None:
    """Run `agent` as a program of its own (`python -m kubedrift.cli.agent`)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(agent)
    run_cli(app)


if __name__ == "__main__":
    main()
