"""Predictions in words: why a row scored high, and what would lower the risk.

`reasons(row, score)` turns the top contributing features into sentences with the row's own
numbers ("drifted 3 times in the last 7 days"); `hints(row)` gives concrete mitigations for
what the history shows, the fix kubedrift itself can help with first.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from kubedrift.model.rules import NodeRule, WorkloadRule
from kubedrift.predict.features import FeatureRow
from kubedrift.predict.learned import LOW
from kubedrift.predict.scorers import Score


def _count(row: FeatureRow, name: str) -> int:
    return round(math.expm1(row.value(name)))


def _phrase(row: FeatureRow, feature: str) -> str:
    """One sentence per feature, with this row's values."""
    group = f"pool {row.pool}" if row.entity.is_node else f"namespace {row.entity.namespace}"
    phrases: dict[str, Callable[[], str]] = {
        "onsets_1d": lambda: f"drifted {_count(row, 'onsets_1d')} time(s) in the last 24 h",
        "onsets_7d": lambda: f"drifted {_count(row, 'onsets_7d')} time(s) in the last 7 days",
        "onsets_28d": lambda: f"drifted {_count(row, 'onsets_28d')} time(s) in the last 28 days",
        "log_hours_since_last": lambda: "its last drift was a while ago (it comes back in cycles)",
        "open_now": lambda: "is drifted right now",
        "rate_per_week": lambda: f"drifts {row.value('rate_per_week'):.1f} times a week on average",
        "seasonal_rate": lambda: "usually drifts at this time of the week",
        "human_share": lambda: f"{row.value('human_share'):.0%} of its drift was hand edits",
        "controller_share": lambda: (
            f"{row.value('controller_share'):.0%} of its drift came from a controller"
        ),
        "human_x_weekday_horizon": lambda: "hand-edited, and the horizon covers working days",
        "distinct_paths": lambda: f"drifted on {row.value('distinct_paths'):.0f} different fields",
        "log_mean_duration_h": lambda: "its drift tends to last",
        "group_onsets_1d": lambda: f"{group} drifted a lot in the last 24 h",
        "group_onsets_7d": lambda: f"{group} drifted a lot in the last 7 days (a wave or incident)",
        "group_open_share": lambda: (
            f"{row.value('group_open_share'):.0%} of {group} is drifted now"
        ),
        "is_node": lambda: "is a node",
        "unprofiled_pool": lambda: f"{group} has no NodeProfile (peer comparison only)",
        "workload_rule_share": lambda: "repeats a workload rule finding",
        "hazard": lambda: f"its own and its {group}'s drift rate",
    }
    return phrases[feature]()


_LOW = {
    "log_hours_since_last": "drifted only recently",
    "log_mean_duration_h": "its drift is usually fixed quickly, then comes back",
    "is_node": "is an object, not a node",
    "human_share": "little of its drift was hand edits (controllers and rules repeat)",
    "controller_share": "little of its drift came from a controller",
}


def _low_phrase(feature: str) -> str:
    return _LOW.get(feature, f"a low {feature.replace('_', ' ')}")


def reasons(row: FeatureRow, score: Score) -> tuple[str, ...]:
    """The top contributions of a score, in words (`name:low`: risky by being low)."""
    return tuple(
        _low_phrase(feature.removesuffix(LOW)) if feature.endswith(LOW) else _phrase(row, feature)
        for feature, _ in score.contributions
    )


def hints(row: FeatureRow) -> tuple[str, ...]:
    """Mitigations for a risky entity, most specific first."""
    out: list[str] = []
    top = row.likely_paths[0][0] if row.likely_paths else ""
    if WorkloadRule.PVC_NOT_BACKED_UP in row.rules:
        out.append(
            f"protect its training PVC with a Velero Schedule covering namespace "
            f"{row.entity.namespace}"
        )
    if WorkloadRule.MUTABLE_IMAGE in row.rules:
        out.append("pin the image by digest (image@sha256:…) instead of a mutable tag")
    if row.entity.is_node and NodeRule.PEER_MISMATCH in row.rules:
        out.append(f"add a NodeProfile for pool {row.pool}: it is compared with its peers only")
    elif row.entity.is_node and row.value("group_onsets_7d") > 0.3:
        out.append(
            f"pool {row.pool} is mid upgrade wave: update its NodeProfile to the new version "
            "and roll the rest of the pool before scheduling long jobs on it"
        )
    if not row.entity.is_node and row.value("human_share") >= 0.5 and top:
        out.append(f"move the hand-edited field {top} under Git (or `kubedrift adopt` it)")
    elif not row.entity.is_node and row.value("controller_share") >= 0.5 and top:
        out.append(
            f"{top} is written by a controller: trust it (an ignore rule) or drop it from Git"
        )
    return tuple(out)
