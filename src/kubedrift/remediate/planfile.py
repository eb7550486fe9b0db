"""Reading a plan back from `kubedrift plan -o json` for `kubedrift apply --plan FILE`.

Only the writes (revert, recreate) are read back; a patch holding a masked Secret value is
refused (a plan file never holds Secret values, so it cannot restore them). Bad input is an
`InputError` naming the file and the action at fault.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubedrift.model import MISSING, Category, Finding, InputError, ObjectRef, Severity
from kubedrift.remediate.plan import MASKED, Recreate, Revert, Writing


def read_plan(path: Path) -> tuple[Writing, ...]:
    """The revert and recreate actions of a plan file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read the plan: {err}", where=str(path)) from None
    if not isinstance(doc, dict) or doc.get("schema") != "kubedrift/v1":
        raise InputError("not a kubedrift plan (`kubedrift plan -o json`)", where=str(path))
    entries = doc.get("actions")
    if not isinstance(entries, list):
        raise InputError("the plan has no `actions` list", where=str(path))
    out: list[Writing] = []
    for i, entry in enumerate(entries):
        where = f"{path}: actions[{i}]"
        try:
            action = _writing(entry)
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"malformed action ({err})", where=where) from None
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


def finding_from_json(data: dict[str, Any]) -> Finding:
    """A finding from its `kubedrift/v1` JSON form (values only as far as the plan needs)."""
    obj = data["object"]
    ref = ObjectRef(str(obj["apiVersion"]), str(obj["kind"]), obj.get("namespace"), obj["name"])
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
