"""Polling a `kubedrift watch` process from a test: wait for a condition, GET an endpoint."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30) -> Any:
    """`check()`'s first truthy value, polled every 0.2 s; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def http_get(url: str) -> tuple[int, str]:
    """Status and body of a GET; (0, "") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status), resp.read().decode()
    except urllib.error.HTTPError as err:
        with err:  # the error holds the response and its socket
            return int(err.code), err.read().decode()
    except OSError:
        return 0, ""
