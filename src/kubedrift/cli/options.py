"""Every command-line option that more than one command takes, declared once.

`scan`, `diff`, `watch`, `plan`, `apply`, `report` and `adopt` read the same inputs (desired
state, a snapshot or the cluster, namespace, label selector, config, store suppressions), and
the store readers (`history`, `timeline`, `suppress`, `predict`, `serve`) the same store and
formats. Each such option is one `Annotated[..., typer.Option(...)]` here, so its flags, help
text and environment variable cannot drift between commands; tests/cli/test_shared_options.py
fails when a command spells a shared option with a help of its own, or gives `-l` any other
meaning than the label selector.

`-l` is the label selector everywhere, as in kubectl, whose `get`, `diff`, `delete`, `wait`
and `cordon` all take `-l, --selector`: "Selector (label query) to filter on, supports '=',
'==', and '!='. (e.g. -l key1=value1,key2=value2). Matching objects must satisfy all of the
specified label constraints." (`kubectl diff --help`; the same text in the generated flag
references, e.g. cakebuild.net's Cake.Kubectl KubectlDiffSettings.Selector). `--live`
therefore has no short flag: `plan -l app=x` and `scan -l app=x` mean the same thing.

Light on purpose: `kubedrift diff -o json` imports this module, so it imports nothing beyond
typer and kubedrift's model and format enums (no rich, SQLAlchemy or FastAPI: issue 18.5).
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from kubedrift.cli.render import Format
from kubedrift.model import Severity

DEFAULT_STORE = "./kubedrift-timeline.db"
"""The one default timeline store of every command (watch, history, timeline, suppress, …)."""


class ReportFormat(enum.Enum):
    """An output format of the store-reading commands, as `-o/--output` spells it."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"
    MARKDOWN = "markdown"


class PlanFormat(enum.Enum):
    """`kubedrift plan -o`: a report format, or `patch` (the SSA bodies)."""

    TABLE = "table"
    JSON = "json"
    YAML = "yaml"
    MARKDOWN = "markdown"
    PATCH = "patch"


# --- what to compare: desired state and live state ----------------------------------------

DesiredOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--desired",
        "-d",
        metavar="<path|url>",
        help="Manifests or NodeProfiles: a file, folder, kustomization, chart, or Git "
        "repo/URL with @REV; a chart takes ?values=F&namespace=NS&release=R. Repeatable.",
    ),
]
WorkTreeOpt = Annotated[
    Path,
    typer.Option(
        "--desired",
        "-d",
        help="A folder or file in a local Git work tree (adopt writes into it).",
    ),
]
LiveOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--live",
        metavar="<path>",
        help="Snapshot file or folder (a List as `kubectl get -o json` writes) instead of "
        "the cluster. Repeatable.",
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
NamespaceOpt = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        "-n",
        help="Scan only this namespace; desired objects that name none are in it "
        "(default for those: the context's namespace, else default).",
    ),
]
DefaultNamespaceOpt = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        "-n",
        help="Namespace of desired objects that name none (default: the kubeconfig "
        "context's namespace, else default).",
    ),
]
AllNamespacesOpt = Annotated[
    bool,
    typer.Option(
        "--all-namespaces", "-A", help="Scan every namespace desired names (the default)."
    ),
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

# --- what to judge -------------------------------------------------------------------------

NodesOpt = Annotated[
    bool,
    typer.Option(
        "--nodes/--no-nodes", help="Check nodes against peers, NodeProfiles and GPU rules."
    ),
]
WorkloadsOpt = Annotated[
    bool,
    typer.Option(
        "--workloads/--no-workloads",
        help="Judge AI workloads: drift impact, gangs, quota, backups, images.",
    ),
]
PoolLabelOpt = Annotated[
    str | None,
    typer.Option("--pool-label", help="Node label that defines pools for peer comparison."),
]
DisableRuleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--disable-rule",
        metavar="<rule>",
        help="Never report this rule, e.g. gfd-labels-stale. Repeatable.",
    ),
]
AgentNamespaceOpt = Annotated[
    str,
    typer.Option("--agent-namespace", help="Namespace of the node agents' facts ConfigMaps."),
]

# --- the cluster ---------------------------------------------------------------------------

KubeconfigOpt = Annotated[Path | None, typer.Option("--kubeconfig", help="Kubeconfig file.")]
ContextOpt = Annotated[str | None, typer.Option("--context", help="Kubeconfig context.")]
InClusterOpt = Annotated[
    bool, typer.Option("--in-cluster/--no-in-cluster", help="Use the pod's service account.")
]

# --- the timeline store --------------------------------------------------------------------

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        envvar="KUBEDRIFT_STORE",
        help="Timeline store: a SQLite file or a postgresql://user:pass@host/db URL.",
    ),
]
SuppressionStoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="KUBEDRIFT_STORE",
        help="Timeline store whose `kubedrift suppress` entries apply (SQLite file or "
        f"postgresql:// URL; default: {DEFAULT_STORE} when it exists).",
    ),
]
ReportStoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="KUBEDRIFT_STORE",
        help="Timeline store (SQLite file or postgresql:// URL) for trends, MTTR and "
        "per-day charts; its `kubedrift suppress` entries apply to the scan (default: "
        f"no history, and the suppressions of {DEFAULT_STORE} when it exists).",
    ),
]
FilterNamespaceOpt = Annotated[
    str | None, typer.Option("--namespace", "-n", help='Only this namespace ("" cluster-scoped).')
]

# --- output ---------------------------------------------------------------------------------

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
PlanOutputOpt = Annotated[
    PlanFormat | None,
    typer.Option(
        "--output", "-o", help="table (default on a terminal), json, yaml, markdown or patch."
    ),
]
ReadOutputOpt = Annotated[
    ReportFormat | None,
    typer.Option(
        "--output",
        "-o",
        help="table (default on a terminal), json, yaml or markdown.",
        case_sensitive=False,
    ),
]
ColorOpt = Annotated[
    bool | None, typer.Option("--color/--no-color", help="Colour the table (default: on a tty).")
]
FailOnOpt = Annotated[
    Severity,
    typer.Option(
        "--fail-on",
        help="Exit 2 when a finding is at or above this severity.",
        case_sensitive=False,
    ),
]
