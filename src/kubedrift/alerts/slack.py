"""The Slack incoming-webhook body: one readable message per group of alerts of one cluster.

    {"text": "<headline and lines>", "blocks": [header, section(s), context]}

Each line names severity, object (Kind/namespace/name), path, `desired → live` and the
field manager; firing lines come first, then resolved ones, at most `max_lines` in all and
"+k more" after them. `text` holds the whole message too: Slack shows it in notifications,
and Slack-compatible receivers that ignore blocks (Mattermost, Rocket.Chat) show only it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubedrift.alerts.events import Alert, AlertStatus, firing_and_resolved
from kubedrift.alerts.summary import display_value
from kubedrift.model import Severity

SECTION_LIMIT = 3000  # Slack's limit for a section's text
HEADER_LIMIT = 150  # and for a header's
VALUE_LIMIT = 60

_ICONS = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.HIGH: ":red_circle:",
    Severity.MEDIUM: ":large_orange_circle:",
    Severity.LOW: ":large_yellow_circle:",
    Severity.INFO: ":large_blue_circle:",
}
_RESOLVED_ICON = ":white_check_mark:"


def slack_body(
    cluster: str, alerts: Sequence[Alert], *, max_lines: int, link: str = ""
) -> dict[str, Any]:
    """The body of one Slack message for `alerts`."""
    firing, resolved = firing_and_resolved(list(alerts))
    ordered = [*firing, *resolved]
    lines = [alert_line(a) for a in ordered[:max_lines]]
    more = len(ordered) - len(lines)
    head = headline(cluster, len(firing), len(resolved))
    notes = [f"cluster *{_escape(cluster)}*"]
    if more:
        notes.insert(0, f"+{more} more")
    if link:
        notes.append(f"<{link}|open kubedrift>")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:HEADER_LIMIT]}},
        {"type": "section", "text": _mrkdwn("\n".join(lines)[:SECTION_LIMIT])},
        {"type": "context", "elements": [_mrkdwn(" · ".join(notes))]},
    ]
    text = "\n".join([head, *lines, *([f"+{more} more"] if more else [])])
    return {"text": text, "blocks": blocks}


def headline(cluster: str, firing: int, resolved: int) -> str:
    """E.g. `kubedrift: 3 drift findings firing, 1 resolved in prod-a`."""
    parts = []
    if firing:
        parts.append(f"{firing} drift finding{'s' if firing != 1 else ''} firing")
    if resolved:
        parts.append(f"{resolved} resolved")
    return f"kubedrift: {', '.join(parts) or 'no findings'} in {cluster}"


def alert_line(alert: Alert) -> str:
    """One finding as a mrkdwn line."""
    f = alert.finding
    resolved = alert.status is AlertStatus.RESOLVED
    icon = _RESOLVED_ICON if resolved else _ICONS[f.severity]
    desired = _code(display_value(f.desired, VALUE_LIMIT))
    live = _code(display_value(f.live, VALUE_LIMIT))
    state = "resolved " if resolved else ""
    if alert.ended is not None:
        state = f"suppression expired ({_escape(alert.ended.label())}) "
    elif f.suppression is not None:
        state = f"{_escape(f.suppression.label())} "
    line = f"{icon} {state}*{f.severity.value.upper()}* {_code(str(f.object))} "
    line += f"{_code(f.path)}: {desired} → {live}"
    if f.manager:
        line += f" · by {_escape(f.manager)}"
    return line


def _code(text: str) -> str:
    return "`" + _escape(text).replace("`", "'") + "`"


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters (the only three it asks to escape)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text or " "}
