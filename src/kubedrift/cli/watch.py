"""`kubedrift watch`: the continuous controller, until SIGTERM or SIGINT.

Exit codes: 0 after a clean shutdown on SIGTERM/SIGINT; 1 when it cannot start (bad desired
state, an unreachable cluster or store, a bad option, a port in use) with one line naming
what is at fault. Logs go to stderr, one line per event.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from fastapi import FastAPI

from kubedrift.alerts import AlertPolicy, sinks_from_options
from kubedrift.analysis.options import NodeOptions
from kubedrift.analysis.user_controls import disable_rules
from kubedrift.api.app import build_dashboard
from kubedrift.api.auth import AuthMode, authorizer, check_listen
from kubedrift.cli import heal_options as heal_opts
from kubedrift.cli import predict_options as predict_opts
from kubedrift.cli.logs import configure_logging, log_format_from_env, parse_level
from kubedrift.cli.options import (
    DEFAULT_STORE,
    AgentNamespaceOpt,
    ConfigOpt,
    ContextOpt,
    DefaultNamespaceOpt,
    DesiredOpt,
    DisableRuleOpt,
    InClusterOpt,
    KubeconfigOpt,
    NodesOpt,
    PoolLabelOpt,
    StoreOpt,
    WorkloadsOpt,
)
from kubedrift.cluster.connection import ClusterTarget, context_name
from kubedrift.controller.fleet import FleetOptions
from kubedrift.controller.run import ControllerOptions, LeaderOptions, run_controller
from kubedrift.controller.watcher import WatchOptions
from kubedrift.desired import KubedriftConfig, load_config
from kubedrift.model import AGENT_NAMESPACE, InputError, KubedriftError, Severity
from kubedrift.store import SqlStore, Store


def watch(
    desired: DesiredOpt = None,
    config: ConfigOpt = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    in_cluster: InClusterOpt = False,
    namespace: DefaultNamespaceOpt = None,
    cluster: Annotated[
        str | None,
        typer.Option(help="Name of this cluster in the timeline (default: the context's)."),
    ] = None,
    store: StoreOpt = DEFAULT_STORE,
    listen: Annotated[
        str,
        typer.Option(
            help="HOST:PORT for /metrics, /healthz, /readyz and the dashboard and API; '' off."
        ),
    ] = "127.0.0.1:8080",
    auth: Annotated[
        AuthMode,
        typer.Option(
            help="Who may read the dashboard and API: kubernetes (bearer tokens, RBAC on "
            "findings.kubedrift.io) or none (only with a loopback --listen).",
            case_sensitive=False,
        ),
    ] = AuthMode.KUBERNETES,
    webhook_listen: Annotated[
        str,
        typer.Option(
            help="HOST:PORT for the Git webhook POST /hooks/git, its own port; '' off.",
        ),
    ] = "127.0.0.1:8081",
    desired_interval: Annotated[
        float, typer.Option(help="Seconds between checks for a new desired revision.")
    ] = 60.0,
    workload_interval: Annotated[
        float,
        typer.Option(help="Seconds between fleet re-analyses when nothing changed (backup age)."),
    ] = 60.0,
    nodes: NodesOpt = True,
    agent_namespace: AgentNamespaceOpt = AGENT_NAMESPACE,
    workloads: WorkloadsOpt = True,
    pool_label: PoolLabelOpt = None,
    disable_rule: DisableRuleOpt = None,
    alert_webhook: Annotated[
        list[str] | None,
        typer.Option(metavar="<url>", help="POST kubedrift-alert/v1 JSON here. Repeatable."),
    ] = None,
    alert_slack: Annotated[
        list[str] | None,
        typer.Option(metavar="<url>", help="Slack-compatible incoming webhook. Repeatable."),
    ] = None,
    alertmanager: Annotated[
        list[str] | None,
        typer.Option(metavar="<url>", help="Alertmanager base URL (v2 API). Repeatable."),
    ] = None,
    alert_min_severity: Annotated[
        Severity, typer.Option(help="Alert on findings at or above this.", case_sensitive=False)
    ] = Severity.LOW,
    alert_group_wait: Annotated[
        float, typer.Option(help="Seconds alerts wait to be sent together.")
    ] = 2.0,
    leader_elect: Annotated[
        bool, typer.Option(help="Watch only while holding the Lease (for replicas > 1).")
    ] = False,
    lease_namespace: Annotated[
        str, typer.Option(envvar="POD_NAMESPACE", help="Namespace of the Lease.")
    ] = "kubedrift-system",
    lease_name: Annotated[str, typer.Option(help="Name of the Lease.")] = "kubedrift-controller",
    identity: Annotated[
        str | None,
        typer.Option(envvar="POD_NAME", help="This replica's name in the Lease (default: host)."),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(
            envvar="KUBEDRIFT_WEBHOOK_SECRET",
            help="Shared secret that Git webhooks must sign with (GitHub/Gitea HMAC, GitLab).",
        ),
    ] = None,
    webhook_insecure_no_secret: Annotated[
        bool,
        typer.Option(
            "--webhook-insecure-no-secret",
            help="Accept unsigned Git webhooks (without a secret the hook is off otherwise).",
        ),
    ] = False,
    heal: heal_opts.HealOpt = False,
    heal_mode: heal_opts.HealModeOpt = None,
    heal_namespace: heal_opts.HealNamespaceOpt = None,
    heal_kind: heal_opts.HealKindOpt = None,
    heal_rule: heal_opts.HealRuleOpt = None,
    heal_max_per_minute: heal_opts.HealRateOpt = None,
    heal_trust: heal_opts.HealTrustOpt = None,
    heal_fight_rounds: heal_opts.HealFightOpt = None,
    predict: predict_opts.PredictOpt = False,
    predict_interval: predict_opts.PredictIntervalOpt = None,
    predict_retry: predict_opts.PredictRetryOpt = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    log_format: Annotated[
        str | None,
        typer.Option(help="text or json (JSON Lines); default: $KUBEDRIFT_LOG_FORMAT, else text."),
    ] = None,
) -> int:
    """Watch the cluster continuously: drift as it happens, a timeline, metrics, alerts."""
    configure_logging(parse_level(log_level), log_format_from_env(log_format))
    target = ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=in_cluster)
    options = ControllerOptions(
        watch=WatchOptions(
            desired=tuple(desired or ()),
            config=config,
            target=target,
            cluster=cluster or context_name(target),
            namespace=namespace,
            desired_interval=_positive("--desired-interval", desired_interval),
            check_nodes=nodes,
            fleet=FleetOptions(
                workload_interval=_positive("--workload-interval", workload_interval),
                check_workloads=workloads,
                agent_namespace=agent_namespace,
                **_fleet_controls(config, pool_label, disable_rule or ()),
            ),
        ),
        store=store,
        listen=_address("--listen", listen),
        webhook_listen=_hook_address(listen, webhook_listen),
        sinks=sinks_from_options(
            webhooks=alert_webhook or (),
            slack=alert_slack or (),
            alertmanagers=alertmanager or (),
            min_severity=alert_min_severity,
        ),
        alert_policy=AlertPolicy(group_wait=alert_group_wait),
        leader=(
            LeaderOptions(lease_namespace, lease_name, identity or socket.gethostname())
            if leader_elect
            else None
        ),
        webhook_secret=webhook_secret or None,
        allow_unsigned_hooks=webhook_insecure_no_secret,
        heal=heal_opts.heal_options(
            heal,
            heal_mode,
            namespaces=heal_namespace,
            kinds=heal_kind,
            rules=heal_rule,
            max_per_minute=heal_max_per_minute,
            trust=heal_trust,
            fight_rounds=heal_fight_rounds,
        ),
        predict=predict_opts.predict_options(predict, predict_interval, predict_retry),
        dashboard=_dashboard(auth, listen, target),
    )
    asyncio.run(_until_signalled(options))
    return 0


async def _until_signalled(options: ControllerOptions) -> None:
    """Run the controller; SIGTERM and SIGINT cancel it, which shuts it down in order."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await run_controller(options)
    except asyncio.CancelledError:
        logging.getLogger("kubedrift").info("stopped")
    except BaseExceptionGroup as group:  # tasks of a TaskGroup: report the cause, one line
        raise _first_error(group) from None
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first `KubedriftError` among the group's leaves (else the group itself)."""
    stack: list[BaseException] = [group]
    while stack:
        error = stack.pop(0)
        if isinstance(error, BaseExceptionGroup):
            stack[:0] = list(error.exceptions)
        elif isinstance(error, KubedriftError):
            return error
    return group


def _address(option: str, listen: str) -> tuple[str, int] | None:
    if not listen:
        return None
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise InputError(f"{option} {listen!r}: expected HOST:PORT, e.g. 0.0.0.0:8080")
    return (host.strip("[]") or "0.0.0.0", int(port))


def _dashboard(
    auth: AuthMode, listen: str, target: ClusterTarget
) -> Callable[[Store], FastAPI] | None:
    """The dashboard on `--listen` (none without one); `--auth none` on loopback only."""
    address = _address("--listen", listen)
    if address is None:
        return None
    check_listen(auth, address[0])
    authorizer_ = authorizer(auth, target)

    def build(store: Store) -> FastAPI:
        if not isinstance(store, SqlStore):
            raise TypeError("the dashboard reads a SQL store")
        return build_dashboard(store, authorizer_)

    return build


def _hook_address(listen: str, webhook_listen: str) -> tuple[str, int] | None:
    """`--webhook-listen`, which may not share a port with `--listen` (port 0: any free)."""
    hooks = _address("--webhook-listen", webhook_listen)
    probes = _address("--listen", listen)
    if hooks is not None and probes is not None and hooks[1] == probes[1] != 0:
        raise InputError(
            f"--webhook-listen {webhook_listen!r} and --listen {listen!r} share port "
            f"{hooks[1]}: the Git webhook has its own port, apart from metrics and probes"
        )
    return hooks


def _fleet_controls(
    config: Path | None, pool_label: str | None, disabled: Sequence[str]
) -> dict[str, Any]:
    """Node options and rule switches from `--config` and `--disable-rule`."""
    loaded = load_config(config) if config is not None else KubedriftConfig()
    try:
        switches = loaded.rules.merged(disable_rules(disabled))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    options = NodeOptions(pool_label=pool_label or None, fact_ignores=loaded.ignore_node_facts)
    return {"node_options": options, "rules": switches}


def _positive(option: str, value: float) -> float:
    if value <= 0:
        raise InputError(f"{option} must be positive, not {value}")
    return value
