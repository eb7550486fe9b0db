"""Reading a plan back from `kubedrift plan -o json` for `kubedrift apply --plan FILE`.

The writes (revert, recreate) and the node actions (cordon, drain, uncordon) are read
back; a patch holding a masked Secret value is refused (a plan file never holds Secret
values, so it cannot restore them). A node action's patch is only what the plan showed:
`apply` re-reads the node and builds the patch again, and evicts only the pods the file
lists, each by its uid. Bad input is an `InputError` naming the file and the action at fault.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubedrift.model import MISSING, Category, Finding, InputError, ObjectRef, Severity
from kubedrift.remediate.plan import (
    MASKED,
    Action,
    Cordon,
    Drain,
    NodeAction,
    PodNote,
    Recreate,
    Revert,
    Uncordon,
    Writing,
)


def read_plan(path: Path) -> tuple[Action, ...]:
    """The writes and node actions of a plan file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read the plan: {err}", where=str(path)) from None
    if not isinstance(doc, dict) or doc.get("schema") != "kubedrift/v1":
        raise InputError("not a kubedrift plan (`kubedrift plan -o json`)", where=str(path))
    entries = doc.get("actions")
    if not isinstance(entries, list):
        raise InputError("the plan has no `actions` list", where=str(path))
    out: list[Action] = []
    for i, entry in enumerate(entries):
        where = f"{path}: actions[{i}]"
        try:
            node = _node_action(entry)
            action = _writing(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InputError(f"malformed action ({err})", where=where) from None
        if node is not None:
            out.append(node)
        if action is not None:
            if _masked(action.patch):
                raise InputError(
                    "a Secret's values are not in a plan file; apply it with --desired",
                    where=where,
                )
            out.append(action)
    return tuple(out)


def _writing(entry: dict[str, Any]) -> Writing | None:
    kind = entry["action"]
    if kind not in ("revert", "recreate"):
        return None
    finding = finding_from_json(entry["finding"])
    patch = entry["patch"]
    if not isinstance(patch, dict):
        raise TypeError("patch is not an object")
    secret = finding.object.kind == "Secret"
    if kind == "revert":
        return Revert(finding, reason=str(entry.get("reason", "")), patch=patch, secret=secret)
    return Recreate(finding, reason=str(entry.get("reason", "")), patch=patch, secret=secret)


def _node_action(entry: dict[str, Any]) -> NodeAction | None:
    kind = entry["action"]
    if kind not in ("cordon", "drain", "uncordon"):
        return None
    finding = finding_from_json(entry["finding"])
    patch = entry.get("patch") or {}
    if not isinstance(patch, dict):
        raise TypeError("patch is not an object")
    reason = str(entry.get("reason", ""))
    if kind == "uncordon":
        uncordon = "unschedulable" in (patch.get("spec") or {})
        return Uncordon(finding, reason=reason, uncordon=uncordon, patch=patch)
    taint = str(entry["taint"]).partition("=")[2].rpartition(":")[0]
    if not taint:
        raise ValueError(f"taint {entry['taint']!r} is not kubedrift.io/drift=<rule>:NoSchedule")
    pods = tuple(_pod_note(p) for p in entry.get("pods") or ())
    node_class = Drain if kind == "drain" else Cordon
    return node_class(finding, reason=reason, taint=taint, patch=patch, pods=pods)


def _pod_note(data: dict[str, Any]) -> PodNote:
    job = data.get("job")
    return PodNote(
        pod=_ref(data["pod"]),
        uid=str(data.get("uid") or ""),
        fate=str(data["fate"]),
        why=str(data.get("why", "")),
        job=_ref(job) if job else None,
    )


def _ref(obj: dict[str, Any]) -> ObjectRef:
    return ObjectRef(str(obj["apiVersion"]), str(obj["kind"]), obj.get("namespace"), obj["name"])


def finding_from_json(data: dict[str, Any]) -> Finding:
    """A finding from its `kubedrift/v1` JSON form (values only as far as the plan needs)."""
    ref = _ref(data["object"])
    return Finding(
        category=Category(data["category"]),
        severity=Severity(data["severity"]),
        object=ref,
        path=str(data["path"]),
        desired=data.get("desired", MISSING),
        live=data.get("live", MISSING),
        rule=str(data["rule"]),
        message=str(data.get("message", "")),
        manager=data.get("manager"),
    )


def _masked(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_masked(v) for v in value.values())
    if isinstance(value, list):
        return any(_masked(v) for v in value)
    return bool(value == MASKED)
