"""The `kubedrift` command: parse options, call the engine, render, and exit 0 / 2 / 1.

Exit codes are part of the contract: 0 no drift at or above `--fail-on`, 2 drift, 1 error
(bad input, unreachable cluster, bad usage). Click's own usage errors exit with 2, which
would read as "drift", so `run()` runs click outside standalone mode and maps them to 1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from kubedrift import __version__
from kubedrift.analysis.facts import AGENT_NAMESPACE
from kubedrift.cli.errors import run_cli
from kubedrift.cli.output import emit, fail_exit_code
from kubedrift.cli.progress import Progress
from kubedrift.cli.render import Format
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.engine import DiffRequest, ScanRequest, run_diff, run_scan
from kubedrift.model import Severity

# typer >= 0.2x vendors click as `typer._click`, and raises its exceptions, not click's.
app = typer.Typer(
    name="kubedrift",
    help="Find infrastructure drift in Kubernetes clusters running AI workloads.",
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

OutputOpt = Annotated[
    Format | None,
    typer.Option(
        "--output",
        "-o",
        help="table (default on a terminal), wide (the table, nothing cut), json, yaml, "
        "markdown, sarif or junit.",
        case_sensitive=False,
    ),
]
FailOnOpt = Annotated[
    Severity,
    typer.Option(
        "--fail-on",
        help="Exit 2 when a finding is at or above this severity.",
        case_sensitive=False,
    ),
]
ColorOpt = Annotated[
    bool | None, typer.Option("--color/--no-color", help="Colour the table (default: on a tty).")
]
DisableRuleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--disable-rule", help="Never report this rule, e.g. gfd-labels-stale. Repeatable."
    ),
]
AgentNamespaceOpt = Annotated[
    str, typer.Option(help="Namespace of the node agents' facts ConfigMaps.")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="KubedriftConfig file with ignore rules and trusted managers."),
]
AllowEmptyOpt = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Accept a desired source that holds no objects (a warning, not an error).",
    ),
]
SelectorOpt = Annotated[
    str | None,
    typer.Option(
        "--selector",
        "-l",
        help="Label selector, as kubectl takes it (app=llm,tier!=cache,env in (a,b)): "
        "only desired objects it matches are compared.",
    ),
]
KubeconfigOpt = Annotated[Path | None, typer.Option(help="Kubeconfig file.")]
ContextOpt = Annotated[str | None, typer.Option(help="Kubeconfig context.")]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"kubedrift {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print kubedrift's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Find infrastructure drift in Kubernetes clusters running AI workloads."""


@app.command()
def scan(
    desired: Annotated[
        list[str] | None,
        typer.Option(
            "--desired",
            "-d",
            help="Manifests or NodeProfiles: a file, folder, "
            "kustomization, chart, or Git repo/URL with @REV; a chart takes "
            "?values=F&namespace=NS&release=R. Repeatable.",
        ),
    ] = None,
    live: Annotated[
        list[Path] | None,
        typer.Option(
            "--live",
            help="Snapshot file or folder (a List as `kubectl get "
            "-o json` writes) instead of the cluster. Repeatable.",
        ),
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    in_cluster: Annotated[bool, typer.Option(help="Use the pod's service account.")] = False,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            "-n",
            help="Scan only this namespace; desired objects that name none are in it "
            "(default for those: the context's namespace, else default).",
        ),
    ] = None,
    all_namespaces: Annotated[
        bool,
        typer.Option(
            "--all-namespaces", "-A", help="Scan every namespace desired names (the default)."
        ),
    ] = False,
    selector: SelectorOpt = None,
    config: ConfigOpt = None,
    nodes: Annotated[bool, typer.Option(help="Check nodes against peers and GPU rules.")] = True,
    workloads: Annotated[
        bool, typer.Option(help="Judge AI workloads: drift impact, gangs, quota, backups, images.")
    ] = True,
    pool_label: Annotated[
        str | None, typer.Option(help="Node label that defines pools for peer comparison.")
    ] = None,
    disable_rule: DisableRuleOpt = None,
    allow_empty: AllowEmptyOpt = False,
    agent_namespace: AgentNamespaceOpt = AGENT_NAMESPACE,
    output: OutputOpt = None,
    fail_on: FailOnOpt = Severity.LOW,
    color: ColorOpt = None,
) -> int:
    """Compare desired state (and node pools) with a cluster or a snapshot."""
    request = ScanRequest(
        desired=tuple(desired or ()),
        snapshots=tuple(live or ()),
        target=ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=in_cluster),
        namespace=namespace,
        all_namespaces=all_namespaces,
        config=config,
        check_nodes=nodes,
        check_workloads=workloads,
        pool_label=pool_label,
        disabled_rules=tuple(disable_rule or ()),
        allow_empty=allow_empty,
        selector=selector,
        agent_namespace=agent_namespace,
    )
    with Progress() as progress:
        report = asyncio.run(run_scan(request, progress=progress.update))
    emit(report, output, color)
    return fail_exit_code(report, fail_on)


@app.command()
def diff(
    desired: Annotated[Path, typer.Argument(help="File or folder of desired objects.")],
    live: Annotated[Path, typer.Argument(help="File or folder of live objects.")],
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            "-n",
            help="Namespace of desired objects that name none (default: the kubeconfig "
            "context's namespace, else default).",
        ),
    ] = None,
    selector: SelectorOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    config: ConfigOpt = None,
    allow_empty: AllowEmptyOpt = False,
    output: OutputOpt = None,
    fail_on: FailOnOpt = Severity.LOW,
    color: ColorOpt = None,
) -> int:
    """Compare two files of objects, pairing them by apiVersion/kind/namespace/name."""
    request = DiffRequest(
        desired=desired,
        live=live,
        config=config,
        namespace=namespace,
        target=ClusterTarget(kubeconfig=kubeconfig, context=context),
        allow_empty=allow_empty,
        selector=selector,
    )
    with Progress() as progress:
        report = run_diff(request, progress.update)
    emit(report, output, color)
    return fail_exit_code(report, fail_on)


@app.command()
def version() -> int:
    """Print kubedrift's version."""
    typer.echo(f"kubedrift {__version__}")
    return 0


def _register_subcommands() -> None:
    from kubedrift.cli.agent import agent
    from kubedrift.cli.history import history
    from kubedrift.cli.predict import predict
    from kubedrift.cli.remediate import apply, plan
    from kubedrift.cli.simulate import simulate
    from kubedrift.cli.timeline import timeline
    from kubedrift.cli.watch import watch

    app.command()(simulate)
    app.command()(agent)
    app.command()(watch)
    app.command()(history)
    app.command()(timeline)
    app.command()(plan)
    app.command()(apply)
    app.command()(predict)


def run() -> None:
    """Console-script entry point: run and exit with the contract's exit code."""
    _register_subcommands()
    run_cli(app)
