"""Each entity's risk of drifting within 24 h and 7 days, as reports, the API and metrics show it.

    table = assess(window)            # both horizons, the model each used, notes
    table.of(entity)                  # an object's or node's risk (None: never drifted)
    table.to_json(limit=20)           # the `risk` block of `kubedrift/v1` documents

One `RiskTable` per cutoff answers every surface (the report's "top risks" chart, the
`risk` field of the API's findings, the controller's gauge and its "likely to drift"
notices), so they all agree. A store too young to say anything is not an error: the table
is empty and its `notes` say "not enough history" and why. With little history, or without
scikit-learn (the `predict` extra), the transparent hazard baseline ranks, and `models`
says which model produced each horizon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kubedrift.model.times import rfc3339
from kubedrift.predict import learned
from kubedrift.predict.backtest import DAY, WEEK, horizon_label
from kubedrift.predict.features import HistoryIndex
from kubedrift.predict.forecast import Forecast, Prediction, forecast
from kubedrift.predict.scorers import Hazard, Scorer
from kubedrift.predict.window import Entity, Window

MIN_HISTORY = DAY
"""Less recorded history than this is "not enough": rates over a few hours are noise."""
HORIZONS = (DAY, WEEK)
DAY_LABEL, WEEK_LABEL = horizon_label(DAY), horizon_label(WEEK)
NOT_ENOUGH = "not enough history to predict drift"
NO_SKLEARN = (
    "scikit-learn is not installed (pip install 'kubedrift[predict]'): "
    "ranked by the transparent hazard baseline"
)

ScorerFactory = Callable[[], Scorer]

LEVELS = (("high", 0.5, 1.01), ("medium", 0.2, 0.5), ("low", 0.0, 0.2))
"""Probability bands of the `level` label of the risk gauges: [low, high)."""


def default_scorer() -> Scorer:
    """The logistic regression when scikit-learn is installed, else the hazard baseline."""
    return learned.Logistic() if learned.available() else Hazard()


@dataclass(frozen=True, slots=True)
class EntityRisk:
    """One object's or node's probability of a new drift episode per horizon, and why."""

    entity: Entity
    pool: str | None
    probabilities: tuple[tuple[str, float], ...]
    """(horizon label, probability), e.g. (("24h", 0.08), ("7d", 0.41))."""
    reason: str | None
    """The top contribution to its 7-day risk, in words (None when the model gives none)."""
    likely: str | None
    """The field or fact most likely to drift (its most frequent past path)."""
    hint: str | None = None

    def probability(self, horizon: str) -> float:
        """Its probability for a horizon label (`24h`, `7d`); 0 for an unknown label."""
        return dict(self.probabilities).get(horizon, 0.0)

    @property
    def week(self) -> float:
        """Its 7-day probability (how tables are ranked)."""
        return self.probability(WEEK_LABEL)

    def to_json(self) -> dict[str, object]:
        """The `risk` of one entity in `kubedrift/v1` documents."""
        return {
            "within": {h: round(p, 4) for h, p in self.probabilities},
            "reason": self.reason,
            "likely_path": self.likely,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class RiskTable:
    """Every known entity's risk at one cutoff, riskiest (7 days) first."""

    cutoff: datetime | None
    models: tuple[tuple[str, str], ...] = ()
    """(horizon label, model name): which model produced each horizon's probabilities."""
    risks: tuple[EntityRisk, ...] = ()
    notes: tuple[str, ...] = ()
    _index: dict[Entity, EntityRisk] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._index.update((r.entity, r) for r in self.risks)

    @property
    def enough(self) -> bool:
        """False when the store held too little history to predict anything."""
        return bool(self.models)

    def of(self, entity: Entity) -> EntityRisk | None:
        """The risk of one entity (None: it never drifted before the cutoff, or no history)."""
        return self._index.get(entity)

    def only(self, keep: Callable[[Entity], bool]) -> RiskTable:
        """The same table with the entities `keep` accepts (a report's namespace, say)."""
        return RiskTable(
            self.cutoff, self.models, tuple(r for r in self.risks if keep(r.entity)), self.notes
        )

    def top(self, limit: int) -> tuple[EntityRisk, ...]:
        """The `limit` riskiest entities."""
        return self.risks[:limit]

    def level_counts(self, horizon: str) -> dict[str, int]:
        """How many entities fall in each of `LEVELS` for a horizon label."""
        return {
            name: sum(low <= r.probability(horizon) < high for r in self.risks)
            for name, low, high in LEVELS
        }

    def model_text(self) -> str:
        """`logistic-regression (24h), hazard (7d)`, or `logistic-regression` when one."""
        names = {m for _, m in self.models}
        if len(names) == 1:
            return names.pop()
        return ", ".join(f"{m} ({h})" for h, m in self.models)

    def to_json(self, limit: int | None = None) -> dict[str, object]:
        """The whole table (or its top `limit`) as a `kubedrift/v1` block."""
        chosen = self.risks if limit is None else self.risks[:limit]
        return {
            "enough_history": self.enough,
            "cutoff": None if self.cutoff is None else rfc3339(self.cutoff),
            "models": dict(self.models),
            "notes": list(self.notes),
            "entities": [{"object": _entity_json(r), **r.to_json()} for r in chosen],
        }


def assess(
    window: Window,
    scorer: ScorerFactory = default_scorer,
    *,
    min_history: timedelta = MIN_HISTORY,
) -> RiskTable:
    """Both horizons' forecasts at the window's cutoff, merged per entity."""
    short = _too_short(window, min_history)
    if short is not None:
        return RiskTable(window.cutoff, notes=(short,))
    index = HistoryIndex(window)  # one for both horizons: their rows share most values
    made = [forecast(window, horizon, scorer(), index) for horizon in HORIZONS]
    notes = [f"{horizon_label(f.horizon)}: {f.note}" for f in made if f.note]
    if any(f.model == "hazard" for f in made) and not learned.available():
        notes.insert(0, NO_SKLEARN)
    return RiskTable(
        window.cutoff,
        tuple((horizon_label(f.horizon), f.model) for f in made),
        _merge(made),
        tuple(notes),
    )


def _too_short(window: Window, min_history: timedelta) -> str | None:
    start = window.start
    if start is None:
        return f"{NOT_ENOUGH}: the store holds no drift before {rfc3339(window.cutoff)}"
    span = window.cutoff - start
    if span < min_history:
        hours = span.total_seconds() / 3600
        return (
            f"{NOT_ENOUGH}: drift recorded over {hours:.1f} h only; "
            f"predictions need at least {min_history.total_seconds() / 3600:.0f} h"
        )
    return None


def _merge(made: Iterable[Forecast]) -> tuple[EntityRisk, ...]:
    by_entity: dict[Entity, dict[str, Prediction]] = {}
    for result in made:
        label = horizon_label(result.horizon)
        for p in result.predictions:
            by_entity.setdefault(p.entity, {})[label] = p
    risks = [_risk(entity, parts) for entity, parts in by_entity.items()]
    return tuple(sorted(risks, key=lambda r: (-r.week, -r.probability(DAY_LABEL), r.entity)))


def _risk(entity: Entity, parts: dict[str, Prediction]) -> EntityRisk:
    main = parts.get(WEEK_LABEL) or next(iter(parts.values()))
    reasons = main.reasons or next((p.reasons for p in parts.values() if p.reasons), ())
    return EntityRisk(
        entity,
        main.pool,
        tuple((h, parts[h].probability) for h in (DAY_LABEL, WEEK_LABEL) if h in parts),
        reasons[0] if reasons else None,
        main.likely[0][0] if main.likely else None,
        main.hints[0] if main.hints else None,
    )


def _entity_json(risk: EntityRisk) -> dict[str, object]:
    e = risk.entity
    return {
        "cluster": e.cluster,
        "group": e.group,
        "kind": e.kind,
        "namespace": e.namespace or None,
        "name": e.name,
        "pool": risk.pool,
    }
