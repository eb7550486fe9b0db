"""Object normalization and comparison of desired against live (pure: no I/O)."""
