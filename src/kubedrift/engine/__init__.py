"""Runs a scan end to end: desired → live → object diff and node analysis → ranked report.

The engine sits between the entry points (cli, api, controller) and the I/O layers; it
owns the order of the steps, not any of their logic.
"""

from kubedrift.engine.requests import DiffRequest, ScanRequest
from kubedrift.engine.scan import run_diff, run_scan

__all__ = ["DiffRequest", "ScanRequest", "run_diff", "run_scan"]
