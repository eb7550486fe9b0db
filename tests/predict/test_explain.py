"""Reasons in words and mitigation hints, on hand-made feature rows."""

from __future__ import annotations

import math

import pytest

from kubedrift.predict.explain import hints, reasons
from kubedrift.predict.features import FEATURES, FeatureRow
from kubedrift.predict.learned import LOW
from kubedrift.predict.scorers import Score
from kubedrift.predict.window import Entity
from predict.builders import MONDAY, node, obj


def make(entity: Entity, rules: set[str], pool: str | None = None, **values: float) -> FeatureRow:
    row = tuple(values.get(name, 0.0) for name in FEATURES)
    return FeatureRow(entity, MONDAY, row, (("/spec/replicas", 1.0),), frozenset(rules), pool)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            make(obj("web"), {"field-changed"}, human_share=0.8),
            "move the hand-edited field /spec/replicas under Git",
        ),
        (
            make(obj("web"), {"field-changed"}, controller_share=1.0),
            "/spec/replicas is written by a controller",
        ),
        (
            make(node("n1"), {"peer-mismatch"}, pool="l4", is_node=1),
            "add a NodeProfile for pool l4",
        ),
        (
            make(node("n1"), {"profile-mismatch"}, pool="h100", is_node=1, group_onsets_7d=0.9),
            "pool h100 is mid upgrade wave",
        ),
        (make(obj("web"), {"mutable-image"}), "pin the image by digest"),
        (
            make(obj("db", namespace="nlp-train"), {"pvc-not-backed-up"}),
            "Velero Schedule covering namespace nlp-train",
        ),
    ],
)
def test_hints(row: FeatureRow, expected: str) -> None:
    assert any(expected in hint for hint in hints(row))


def test_a_quiet_profiled_node_gets_no_hint() -> None:
    assert hints(make(node("n1"), {"profile-mismatch"}, pool="h100", is_node=1)) == ()


def test_reasons_use_the_rows_own_numbers_and_the_direction() -> None:
    row = make(obj("web"), set(), onsets_7d=math.log1p(3), group_open_share=0.25)
    score = Score(
        1.0,
        0.7,
        (("onsets_7d", 2.0), ("group_open_share", 1.0), (f"log_hours_since_last{LOW}", 0.5)),
    )
    assert reasons(row, score) == (
        "drifted 3 time(s) in the last 7 days",
        "25% of namespace ml is drifted now",
        "drifted only recently",
    )
