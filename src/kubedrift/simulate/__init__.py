"""Deterministic GPU fleet simulator shared by tests, the demo and the benchmarks."""
