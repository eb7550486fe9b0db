"""Rendering remediation plans, apply outcomes and recorded actions in every output format.

`-o patch` prints the server-side-apply bodies as a YAML stream (one document per object, as
`apply` would send them). Secret values never print: a Secret body shows its keys with a
masked marker, and `-o patch` leaves Secret writes out (a comment names them). Node actions
print as the Node merge patch (cordon, taint, mark; or their removal) and, for a drain, one
`Eviction` per pod; held and skipped pods are comments saying why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from kubedrift.cli import options
from kubedrift.cli.reading import ReportFormat, document_text, md_table, rich_text
from kubedrift.cli.render import markdown as md
from kubedrift.cli.render.values import safe
from kubedrift.cli.render.yaml_doc import dump_yaml
from kubedrift.model import Finding
from kubedrift.remediate.apply import Outcome, merge_writes
from kubedrift.remediate.node_apply import NodeOutcome
from kubedrift.remediate.plan import Action, Cordon, Drain, NodeAction, Plan, Recreate, Revert
from kubedrift.store.actions import ActionRecord

SCHEMA = "kubedrift/v1"


PlanFormat = options.PlanFormat  # declared with `-o` in cli/options.py


def finding_id(finding: Finding) -> str:
    """A short stable id of a finding (object + path + rule), for `apply --finding`: the
    same `id` scan prints and `kubedrift suppress` takes (one id per finding everywhere)."""
    return finding.short_id()


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan document; each action also carries its finding's `id`."""
    # Through the stdlib encoder: a Secret finding's hash is a `str` subclass msgspec refuses.
    doc: dict[str, Any] = json.loads(json.dumps(plan.to_json()))
    for entry, action in zip(doc["actions"], plan.actions, strict=True):
        entry["id"] = finding_id(action.finding)
    return doc


def render_plan(plan: Plan, fmt: PlanFormat, *, color: bool | None) -> str:
    """The plan in `fmt`."""
    if fmt is PlanFormat.PATCH:
        return _patches(plan)
    if fmt in (PlanFormat.JSON, PlanFormat.YAML):
        return document_text(plan_json(plan), ReportFormat(fmt.value))
    if fmt is PlanFormat.MARKDOWN:
        return _plan_markdown(plan)
    return _plan_table(plan, color)


def _patches(plan: Plan) -> str:
    secret = {a.object for a in plan.writes() if a.secret}
    writes = [w for w in merge_writes(plan.writes()) if w.object not in secret]
    skipped = [
        f"# {ref}: Secret values are never printed; `kubedrift apply` sends them\n"
        for ref in sorted(secret)
    ]
    docs = [dump_yaml(w.body) for w in writes]
    docs += [_node_docs(a) for a in plan.node_actions()]
    return "".join(skipped) + "---\n".join(docs)


def _node_docs(action: NodeAction) -> str:
    """The Node merge patch, then a drain's Evictions; held/skipped pods as comments."""
    name = action.object.name
    body = {"apiVersion": "v1", "kind": "Node", **dict(action.patch)}
    body["metadata"] = {"name": name, **dict(action.patch.get("metadata") or {})}
    head = f"# {action.kind.value} Node/{name} (JSON merge patch): {action.reason}\n"
    docs = [head + dump_yaml(body)]
    if isinstance(action, Cordon | Drain):
        notes = [f"# {p.fate} {p.pod}: {p.why}\n" for p in action.pods if p.fate != "evict"]
        docs[0] = "".join(safe(n) for n in notes) + docs[0]
    if isinstance(action, Drain):
        for p in action.evictions:
            meta = {"name": p.pod.name, "namespace": p.pod.namespace}
            options = {"preconditions": {"uid": p.uid}}
            eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": meta}
            docs.append(
                "# POST pods/eviction (policy/v1beta1 before Kubernetes 1.22)\n"
                + dump_yaml({**eviction, "deleteOptions": options})
            )
    return "---\n".join(docs)


def _detail(action: Action) -> str:
    if isinstance(action, Revert | Recreate) and action.dry_run is not None:
        verdict = "ok" if action.dry_run.ok else f"REFUSED: {action.dry_run.message}"
        return f"{action.reason} · server dry run {verdict}"
    return action.reason


def _risk(action: Action) -> str:
    r = action.risk
    gpus = f", {r.gpus} GPUs" if r.gpus else ""
    if isinstance(action, Cordon | Drain) and r.workloads:
        return f"{r.level}{gpus}, runs {', '.join(r.workloads)}"
    return f"{r.level}{gpus}"


def _plan_table(plan: Plan, color: bool | None) -> str:
    if not plan.actions:
        return rich_text([Text("In sync: nothing to do.", style="bold")], color=color)
    grid = Table(box=None, header_style="bold")
    grid.add_column("id", no_wrap=True)
    grid.add_column("action", no_wrap=True)
    # the object is what a reader acts on: whole, on one line; the path folds, the why wraps
    width = max(len(str(a.object)) for a in plan.actions)
    grid.add_column("object", no_wrap=True, min_width=min(width, 60))
    grid.add_column("path", overflow="fold", min_width=16)
    grid.add_column("risk")
    grid.add_column("why", ratio=1)
    for a in plan.actions:
        path = a.finding.path or "(whole object)"
        cells = [finding_id(a.finding), a.kind.value, str(a.object), path, _risk(a), _detail(a)]
        grid.add_row(*(safe(c) for c in cells))
    writes = len(plan.writes()) + len(plan.node_actions())
    foot = f"{len(plan.actions)} actions, {writes} to apply (`kubedrift apply` carries them out)"
    return rich_text([grid, "", Text(foot, style="bold")], color=color)


def _plan_markdown(plan: Plan) -> str:
    head = ["id", "action", "object", "path", "risk", "why"]
    rows = [
        [
            finding_id(a.finding),
            a.kind.value,
            md.text(str(a.object)),
            md.code(a.finding.path or "(whole object)"),
            md.text(_risk(a)),
            md.text(_detail(a)),
        ]
        for a in plan.actions
    ]
    body = md_table(head, rows) if rows else "In sync: nothing to do."
    return f"# kubedrift plan\n\n{body}\n"


def node_outcome_json(o: NodeOutcome) -> dict[str, Any]:
    """One node action's outcome, evictions included."""
    return {
        "action": o.action.kind.value,
        "object": o.action.object.to_json(),
        "paths": [o.action.finding.path],
        "findings": [finding_id(o.action.finding)],
        "result": o.result,
        "message": o.message,
        "pods": [p.to_json() for p in o.pods],
    }


def outcomes_json(
    outcomes: Sequence[Outcome],
    resolved: Sequence[str] | None,
    nodes: Sequence[NodeOutcome] = (),
) -> dict[str, Any]:
    """The `kubedrift apply -o json` document."""
    return {
        "schema": SCHEMA,
        "outcomes": [
            {
                "action": o.write.kind.value,
                "object": o.write.object.to_json(),
                "paths": list(o.write.paths),
                "findings": [finding_id(f) for f in o.write.findings],
                "result": o.result,
                "message": o.message,
            }
            for o in outcomes
        ]
        + [node_outcome_json(n) for n in nodes],
        "resolved": list(resolved) if resolved is not None else None,
    }


def render_outcomes(
    outcomes: Sequence[Outcome],
    resolved: Sequence[str] | None,
    fmt: PlanFormat,
    nodes: Sequence[NodeOutcome] = (),
) -> str:
    """What `apply` did, then whether a re-scan confirmed the findings resolved."""
    if fmt in (PlanFormat.JSON, PlanFormat.YAML):
        return document_text(outcomes_json(outcomes, resolved, nodes), ReportFormat(fmt.value))
    lines = [
        f"{o.result:<9} {o.write.kind.value:<8} {o.write.object}  "
        f"{', '.join(p or '(whole object)' for p in o.write.paths)}  ({o.message})"
        for o in outcomes
    ]
    for n in nodes:
        lines.append(f"{n.result:<9} {n.action.kind.value:<8} {n.action.object}  ({n.message})")
        lines += [f"    {p.result:<8} {p.pod.pod}  ({p.message})" for p in n.pods]
    if not outcomes and not nodes:
        lines.append("nothing to apply")
    lines.append(_resolution(outcomes, resolved))
    prefix = "# kubedrift apply\n\n" if fmt is PlanFormat.MARKDOWN else ""
    joiner = "\n\n" if fmt is PlanFormat.MARKDOWN else "\n"
    return prefix + joiner.join(safe(line) for line in lines) + "\n"


def _resolution(outcomes: Sequence[Outcome], resolved: Sequence[str] | None) -> str:
    total = sum(len(o.write.findings) for o in outcomes if o.result == "applied")
    if resolved is None:
        return "the findings resolve when the next scan no longer sees them (`kubedrift scan`)"
    return f"re-scan: {len(resolved)} of {total} applied findings resolved"


def render_actions(records: Sequence[ActionRecord], fmt: ReportFormat) -> str:
    """`kubedrift history --actions`: the recorded remediations."""
    if fmt in (ReportFormat.JSON, ReportFormat.YAML):
        doc = {"schema": "kubedrift-actions/v1", "actions": [r.to_json() for r in records]}
        return document_text(doc, fmt)
    lines = [
        f"{r.at:%Y-%m-%d %H:%M:%SZ}  {r.actor}  {r.action} {r.object}  "
        f"{', '.join(c['path'] for c in r.changes)}  {r.result}{' (dry run)' if r.dry_run else ''}"
        for r in records
    ]
    return "\n".join(safe(line) for line in lines or ["no actions recorded"]) + "\n"
