"""Drift prediction from the timeline: features, scorers, backtest, forecast (pure but source).

    window = read_window(store, cutoff=now)            # source: the only I/O, leak-free SQL
    rows = feature_table(window, horizon=DAY)          # features: one row per entity
    result = backtest(whole_history(store), [Logistic(), RecentRepeats(), RandomScorer()])
    ranked = forecast(window, WEEK, Logistic())        # predictions with reasons and hints

Modules: `window` (Entity, Episode, Window: what may be known at a cutoff), `features`
(HistoryIndex, the feature table, labels), `scorers` (recent-repeats, random, hazard),
`learned` (logistic regression, scikit-learn, optional extra), `metrics` (precision@k,
recall@k, ROC-AUC, Brier, calibration), `backtest` (time-based folds), `explain` (reasons
and mitigation hints), `forecast` (train on a store's past, rank its present), `source`
(reading a window from a SQL store; the one module that does I/O).
"""
