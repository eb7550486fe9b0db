"""`kubedrift predict`: which objects and nodes are likely to drift next, and why.

    kubedrift predict --store timeline.db [--horizon 24h|7d] [--top 20] [-o json]
    kubedrift predict --backtest --simulate --seed 7 -o json
    kubedrift predict --store timeline.db --textfile /var/lib/node_exporter/kubedrift.prom

Without `--backtest` the model is trained on the store's own past and ranks what the store
knows at its last scan (or `--at`). With `--backtest` it reports a time-based backtest
(train on weeks 1..k, predict week k+1) against the `recent-repeats` and `random` baselines;
`--simulate` runs it on a generated multi-week history (`--seed`, `--weeks`) in a temporary
SQLite store, read through the same leak-free query as a real one. Exit 0 on success (an
empty store is not an error: nothing is predicted and stderr says why), 1 on an error or
when the history is too short for a backtest.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from kubedrift.cli import reading
from kubedrift.cli.predict_metrics import write_textfile
from kubedrift.cli.predict_render import render_backtest, render_forecast
from kubedrift.cli.reading import ClusterOpt, ColorOpt, OutputOpt, StoreOpt, write
from kubedrift.cli.suppress_store import DEFAULT_STORE
from kubedrift.model import InputError
from kubedrift.predict import learned
from kubedrift.predict.backtest import BacktestOptions, NotEnoughHistory, backtest
from kubedrift.predict.forecast import forecast
from kubedrift.predict.scorers import Hazard, RandomScorer, RecentRepeats, Scorer
from kubedrift.predict.source import last_recorded, read_window, whole_history
from kubedrift.simulate.history import HistorySpec
from kubedrift.simulate.timeline import write_history
from kubedrift.store import SqlStore
from kubedrift.store.readonly import open_existing

HORIZONS = {"24h": timedelta(hours=24), "1d": timedelta(days=1), "7d": timedelta(days=7)}
NO_SKLEARN = "scikit-learn is not installed (pip install 'kubedrift[predict]'): using hazard"


def predict(
    store: StoreOpt = DEFAULT_STORE,
    horizon: Annotated[str, typer.Option(help="How far ahead: 24h or 7d.")] = "7d",
    top: Annotated[
        int, typer.Option(min=1, help="Show the N riskiest (table/markdown/json).")
    ] = 20,
    cluster: ClusterOpt = None,
    at: Annotated[
        str | None,
        typer.Option(help=f"Predict as of this time: {reading.WHEN} (default: last scan)."),
    ] = None,
    run_backtest: Annotated[
        bool, typer.Option("--backtest", help="Report a time-based backtest instead.")
    ] = False,
    simulate: Annotated[
        bool, typer.Option("--simulate", help="Backtest on a generated history, not --store.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the --simulate history.")] = 0,
    weeks: Annotated[int, typer.Option(min=4, max=52, help="Weeks of --simulate history.")] = 8,
    textfile: Annotated[
        Path | None,
        typer.Option(help="Also write predicted-risk gauges here (Prometheus text format)."),
    ] = None,
    output: OutputOpt = None,
    color: ColorOpt = None,
) -> int:
    """Rank objects and nodes by their risk of drifting within the horizon, with reasons."""
    if horizon not in HORIZONS:
        raise InputError(f"{horizon!r} is not a horizon (use 24h or 7d)", where="--horizon")
    if simulate and not run_backtest:
        raise InputError("--simulate generates a history for --backtest; add --backtest")
    if textfile is not None and run_backtest:
        raise InputError("--textfile writes the gauges of a forecast, not of a backtest")
    fmt = reading.choose_format(output)
    span = HORIZONS[horizon]
    if run_backtest:
        text = _backtest(store, span, cluster, simulate, seed, weeks, fmt, color)
    else:
        text = _forecast(store, span, cluster, at, top, fmt, color, textfile)
    write(text)
    return 0


def _scorers(seed: int) -> list[Scorer]:
    model: Scorer = learned.Logistic() if learned.available() else Hazard()
    if not learned.available():
        typer.echo(f"kubedrift: warning: {NO_SKLEARN}", err=True)
    baselines: list[Scorer] = [RecentRepeats(), RandomScorer(seed)]
    return [model, *baselines, *([Hazard()] if model.name != "hazard" else [])]


def _backtest(
    location: str,
    span: timedelta,
    cluster: str | None,
    simulate: bool,
    seed: int,
    weeks: int,
    fmt: reading.ReportFormat,
    color: bool | None,
) -> str:
    options = BacktestOptions(horizon=span)
    if simulate:
        with (
            tempfile.TemporaryDirectory(prefix="kubedrift-sim-") as folder,
            SqlStore.open(str(Path(folder) / "history.db")) as opened,
        ):
            write_history(opened, HistorySpec(seed=seed, weeks=weeks))
            window = whole_history(opened)
    else:
        with open_existing(location) as opened:
            window = whole_history(opened, cluster)
    try:
        result = backtest(window, _scorers(seed), options)
    except NotEnoughHistory as err:
        raise InputError(str(err), where="simulated history" if simulate else location) from None
    meta = {"seed": seed, "weeks": weeks} if simulate else {"store": location}
    return render_backtest(result, meta, fmt, color)


def _forecast(
    location: str,
    span: timedelta,
    cluster: str | None,
    at: str | None,
    top: int,
    fmt: reading.ReportFormat,
    color: bool | None,
    textfile: Path | None,
) -> str:
    with open_existing(location) as opened:
        end = last_recorded(opened, cluster)
        if at is not None:
            cutoff = reading.parse_when(at, "--at", reading.utc_now())
        else:
            cutoff = (end or reading.utc_now()) + timedelta(seconds=1)
        window = read_window(opened, cutoff=cutoff, cluster=cluster)
    if not window.episodes:
        typer.echo(
            "kubedrift: the store holds no findings before the cutoff: nothing to predict", err=True
        )
    scorer: Scorer = learned.Logistic() if learned.available() else Hazard()
    if not learned.available():
        typer.echo(f"kubedrift: warning: {NO_SKLEARN}", err=True)
    result = forecast(window, span, scorer)
    if result.note:
        typer.echo(f"kubedrift: note: {result.note}", err=True)
    if textfile is not None:
        write_textfile(result, window.cutoff, textfile)
    return render_forecast(result, window.cutoff, top, fmt, color)
