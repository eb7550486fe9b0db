"""The remediation a stored finding would get: `remediate/plan.py` on what the store knows.

The store keeps the drifted field, not the whole desired object, so the plan is built from
a desired object holding that one field at its path (the same body a revert would send).
That is enough for every action but `recreate`, whose body needs the whole object: the page
says so and points to `kubedrift plan`, which reads the desired sources.
"""

from __future__ import annotations

from typing import Any

from kubedrift.diff.pointers import split
from kubedrift.model import MISSING, Finding
from kubedrift.remediate.plan import ActionKind, action_json, build_plan, parse_key, revert_body


def planned_action(finding: Finding) -> dict[str, Any]:
    """The plan's action for `finding` as `kubedrift plan -o json` shows it, less the finding."""
    plan = build_plan([finding], [_desired_of(finding)], [])
    action = action_json(plan.actions[0])
    action.pop("finding", None)
    if action["action"] == ActionKind.RECREATE.value:
        action["reason"] += " (the body here is a skeleton: `kubedrift plan` builds it whole)"
    return action


def _desired_of(finding: Finding) -> dict[str, Any]:
    """A desired object holding the finding's desired value at its path (when it has one)."""
    fields: list[tuple[Any, Any]] = []
    if finding.desired is not MISSING and finding.path.startswith("/"):
        try:
            segments = split(finding.path)
        except ValueError:
            segments = ()
        if segments:
            fields.append((tuple((s, _is_list_key(s)) for s in segments), finding.desired))
    return revert_body(finding.object, fields, None)


def _is_list_key(segment: str) -> bool:
    """`name=app` addresses a list element by key (plan.py's pointer convention)."""
    if "=" not in segment:
        return False
    try:
        parse_key(segment)
    except LookupError:
        return False
    return True
