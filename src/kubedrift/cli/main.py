"""The `kubedrift` command: parse options, call the engine, render, and exit 0 / 2 / 1.

Exit codes are part of the contract: 0 no drift at or above `--fail-on`, 2 drift, 1 error
(bad input, unreachable cluster, bad usage). Click's own usage errors exit with 2, which
would read as "drift", so `run()` runs click outside standalone mode and maps them to 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kubedrift import __version__
from kubedrift.cli import coercion_seam
from kubedrift.cli.errors import run_cli
from kubedrift.cli.lazy import LazyGroup
from kubedrift.cli.options import (
    AllowEmptyOpt,
    ColorOpt,
    ConfigOpt,
    ContextOpt,
    DefaultNamespaceOpt,
    FailOnOpt,
    KubeconfigOpt,
    OutputOpt,
    SelectorOpt,
    SuppressionStoreOpt,
)
from kubedrift.cli.scan_inputs import ScanInputs, scan_command
from kubedrift.model import Severity

coercion_seam.install()  # option values without pydantic (issue 18.5)

# Only what every command needs is imported here; `scan` and `diff` import the engine when
# they run, and the other commands are loaded by `LazyGroup` (start-up time, issue 18.5).
# typer >= 0.2x vendors click as `typer._click`, and raises its exceptions, not click's.
app = typer.Typer(
    cls=LazyGroup,
    name="kubedrift",
    help="Find infrastructure drift in Kubernetes clusters running AI workloads.",
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: --help imports no rich (issue 18.5)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def version_line() -> str:
    """What `kubedrift --version` and `kubedrift version` print (one version source:
    `kubedrift.__version__`, which the wheel's metadata is built from too)."""
    return f"kubedrift {__version__}"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
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
@scan_command()
def scan(
    inputs: ScanInputs,
    output: OutputOpt = None,
    fail_on: FailOnOpt = Severity.LOW,
    color: ColorOpt = None,
) -> int:
    """Compare desired state (and node pools) with a cluster or a snapshot."""
    import asyncio

    from kubedrift.cli.output import emit, fail_exit_code
    from kubedrift.cli.progress import Progress
    from kubedrift.engine import run_scan

    request = inputs.request()
    with Progress() as progress:
        report = asyncio.run(run_scan(request, progress=progress.update))
    emit(report, output, color)
    return fail_exit_code(report, fail_on)


@app.command()
def diff(
    desired: Annotated[Path, typer.Argument(help="File or folder of desired objects.")],
    live: Annotated[Path, typer.Argument(help="File or folder of live objects.")],
    namespace: DefaultNamespaceOpt = None,
    selector: SelectorOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    config: ConfigOpt = None,
    allow_empty: AllowEmptyOpt = False,
    store: SuppressionStoreOpt = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = Severity.LOW,
    color: ColorOpt = None,
) -> int:
    """Compare two files of objects, pairing them by apiVersion/kind/namespace/name."""
    from kubedrift.cli.output import emit, fail_exit_code
    from kubedrift.cli.progress import Progress
    from kubedrift.cli.suppress_store import store_suppressions
    from kubedrift.cluster.target import ClusterTarget
    from kubedrift.engine import DiffRequest, run_diff

    request = DiffRequest(
        desired=desired,
        live=live,
        config=config,
        namespace=namespace,
        target=ClusterTarget(kubeconfig=kubeconfig, context=context),
        allow_empty=allow_empty,
        selector=selector,
        suppressions=store_suppressions(store),
    )
    with Progress() as progress:
        report = run_diff(request, progress.update)
    emit(report, output, color)
    return fail_exit_code(report, fail_on)


@app.command()
def version() -> int:
    """Print kubedrift's version."""
    typer.echo(version_line())
    return 0


def run() -> None:
    """Console-script entry point: run and exit with the contract's exit code."""
    run_cli(app)
