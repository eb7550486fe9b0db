"""The scan inputs, one frozen value built once from the shared options (issue 17.2).

`scan`, `report`, `plan`, `apply` and `adopt` read the same inputs: desired state, a snapshot
or a cluster, namespace, label selector, config, the rule switches and the store whose
`kubedrift suppress` entries apply. Each of them once declared the fourteen options again
and handed them one by one to the request builder, so a new input meant five edits, and a
command that missed one (`report` left the store's suppressions out) drifted from `scan`.

Now `scan_inputs()` declares those options once, as the parameters of one function (typer
reads them from its signature, the help from cli/options.py), and builds `ScanInputs` from
them. A command takes them with `@scan_command()` and one parameter `inputs: ScanInputs`:
the decorator gives typer the command's signature with the shared options in place of
`inputs`, and calls the command with the one value. Adding an input is adding it here (a
field and a parameter) and in `cli/scan_request.py`, where the value becomes the engine's
`ScanRequest`; tests/cli/test_scan_inputs_value.py fails when a command builds a request
or the value on its own. Commands that differ say so where they are decorated: `report`'s
and `apply`'s `--store` are other declarations (`declared=`), `apply` reads no snapshot and
`adopt` judges objects only (`omit=`, `pinned=`).

Light on purpose (no engine, no cluster client): `kubedrift --help` imports it through
cli/main.py; `target()` and `request()` import what they need when a command runs.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubedrift.cli.options import (
    AgentNamespaceOpt,
    AllNamespacesOpt,
    AllowEmptyOpt,
    ConfigOpt,
    ContextOpt,
    DesiredOpt,
    DisableRuleOpt,
    InClusterOpt,
    KubeconfigOpt,
    LiveOpt,
    NamespaceOpt,
    NodesOpt,
    PoolLabelOpt,
    SelectorOpt,
    SuppressionStoreOpt,
    WorkloadsOpt,
)
from kubedrift.model import AGENT_NAMESPACE

if TYPE_CHECKING:
    from kubedrift.cluster.target import ClusterTarget
    from kubedrift.engine import ScanRequest

Command = Callable[..., int]
INPUTS = "inputs"
"""The parameter of a decorated command that receives the `ScanInputs`."""


@dataclass(frozen=True, slots=True)
class ScanInputs:
    """What a scan-like command was asked to read and judge, as the user gave it."""

    desired: tuple[str, ...] = ()
    live: tuple[Path, ...] = ()
    kubeconfig: Path | None = None
    context: str | None = None
    in_cluster: bool = False
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    config: Path | None = None
    nodes: bool = True
    workloads: bool = True
    pool_label: str | None = None
    disabled_rules: tuple[str, ...] = ()
    allow_empty: bool = False
    agent_namespace: str = AGENT_NAMESPACE
    store: str | None = None
    """Where `kubedrift suppress` entries are read (None: the default store, when it exists)."""

    def reading(self, *desired: str) -> ScanInputs:
        """The same inputs with other desired sources (`adopt` reads its one work tree)."""
        return dataclasses.replace(self, desired=desired)

    def target(self) -> ClusterTarget:
        """The cluster `--kubeconfig`, `--context` and `--in-cluster` name."""
        from kubedrift.cli.scan_request import cluster_target

        return cluster_target(self)

    def request(self) -> ScanRequest:
        """The engine's request for these inputs (the store's suppressions read)."""
        from kubedrift.cli.scan_request import scan_request

        return scan_request(self)


def scan_inputs(
    desired: DesiredOpt = None,
    live: LiveOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    in_cluster: InClusterOpt = False,
    namespace: NamespaceOpt = None,
    all_namespaces: AllNamespacesOpt = False,
    selector: SelectorOpt = None,
    config: ConfigOpt = None,
    nodes: NodesOpt = True,
    workloads: WorkloadsOpt = True,
    pool_label: PoolLabelOpt = None,
    disable_rule: DisableRuleOpt = None,
    allow_empty: AllowEmptyOpt = False,
    agent_namespace: AgentNamespaceOpt = AGENT_NAMESPACE,
    store: SuppressionStoreOpt = None,
) -> ScanInputs:
    """The shared options, declared once, as one value (their order is `--help`'s)."""
    return ScanInputs(
        desired=tuple(desired or ()),
        live=tuple(live or ()),
        kubeconfig=kubeconfig,
        context=context,
        in_cluster=in_cluster,
        namespace=namespace,
        all_namespaces=all_namespaces,
        selector=selector,
        config=config,
        nodes=nodes,
        workloads=workloads,
        pool_label=pool_label,
        disabled_rules=tuple(disable_rule or ()),
        allow_empty=allow_empty,
        agent_namespace=agent_namespace,
        store=store,
    )


SHARED = inspect.signature(scan_inputs, eval_str=True).parameters
"""Each shared option as typer will read it: name, `Annotated` declaration, default."""


def scan_command(
    *,
    omit: Collection[str] = (),
    pinned: Mapping[str, object] | None = None,
    declared: Mapping[str, tuple[object, object]] | None = None,
) -> Callable[[Command], Command]:
    """Give a command the shared scan options, as one `inputs: ScanInputs` parameter.

    `omit`: options the command does not take (their default applies); `pinned`: options it
    does not take, with the value it always uses; `declared`: options it declares otherwise,
    name → (the `Annotated` declaration, its default).
    """
    fixed = dict(pinned or {})
    other = dict(declared or {})
    unknown = (set(omit) | fixed.keys() | other.keys()) - SHARED.keys()
    if unknown:
        raise TypeError(f"not a shared scan option: {sorted(unknown)}")
    taken = [
        _declared(param, other.get(name))
        for name, param in SHARED.items()
        if name not in omit and name not in fixed
    ]
    names = frozenset(p.name for p in taken)

    def decorate(command: Command) -> Command:
        own = inspect.signature(command, eval_str=True)
        if INPUTS not in own.parameters:
            raise TypeError(f"{command.__name__} takes no `{INPUTS}` parameter")
        params = _spliced(own, taken)

        @functools.wraps(command)
        def run(**values: Any) -> int:
            shared = {name: values.pop(name) for name in names}
            return command(**values, inputs=scan_inputs(**shared, **fixed))  # type: ignore[arg-type]

        # typer reads the signature (and the type hints) of what it is given: the shared
        # options in place of `inputs`, already resolved, so no string annotation is left
        run.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run

    return decorate


def _declared(param: inspect.Parameter, given: tuple[object, object] | None) -> inspect.Parameter:
    kind = inspect.Parameter.KEYWORD_ONLY  # keyword-only: typer calls with keywords only
    if given is None:
        return param.replace(kind=kind)
    annotation, default = given
    return param.replace(kind=kind, annotation=annotation, default=default)


def _spliced(own: inspect.Signature, shared: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """The command's parameters with the shared options where `inputs` stands."""
    out: list[inspect.Parameter] = []
    for param in own.parameters.values():
        if param.name == INPUTS:
            out.extend(shared)
        else:
            out.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    clash = {p.name for p in out}
    if len(clash) != len(out):
        raise TypeError("a command declares a shared scan option of its own")
    return out
