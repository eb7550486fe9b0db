"""The continuous controller: list+watch, incremental re-diff, timeline, alerts."""
