"""The `--predict*` options of `kubedrift watch`, and the `PredictOptions` they make.

`--predict` makes the controller forecast drift from its own timeline store in the
background (`controller.predict`): the `kubedrift_predicted_risk` gauges on `/metrics`, and
"likely to drift" notices before a rollout. `--predict-interval` (seconds, default 3600)
is how often; `--predict-retry` how soon a failed forecast is tried again (default 60).
"""

from __future__ import annotations

from typing import Annotated

import typer

from kubedrift.controller.predict import DEFAULT_INTERVAL, DEFAULT_RETRY, PredictOptions
from kubedrift.model import InputError

PredictOpt = Annotated[
    bool,
    typer.Option(
        "--predict",
        help="Forecast drift from the store in the background: kubedrift_predicted_risk "
        "gauges on /metrics and 'likely to drift' notices during rollouts.",
    ),
]
PredictIntervalOpt = Annotated[
    float | None,
    typer.Option(
        "--predict-interval", help=f"Seconds between forecasts (default {DEFAULT_INTERVAL:g})."
    ),
]
PredictRetryOpt = Annotated[
    float | None,
    typer.Option(
        "--predict-retry",
        help=f"Seconds before a failed forecast is tried again (default {DEFAULT_RETRY:g}).",
    ),
]


def predict_options(
    predict: bool, interval: float | None, retry: float | None
) -> PredictOptions | None:
    """The options, or None without `--predict`; InputError for a bad value or a stray flag."""
    if not predict:
        if interval is not None or retry is not None:
            raise InputError("the --predict-* options need --predict")
        return None
    for flag, value in (("--predict-interval", interval), ("--predict-retry", retry)):
        if value is not None and value <= 0:
            raise InputError(f"{flag} must be positive, not {value:g}")
    return PredictOptions(
        interval=DEFAULT_INTERVAL if interval is None else interval,
        retry=DEFAULT_RETRY if retry is None else retry,
    )
