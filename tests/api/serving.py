"""`kubedrift serve` as a process for a test: start it, wait until it answers, stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.apiserver import free_port

KUBEDRIFT = Path(sys.executable).parent / "kubedrift"


@contextmanager
def kubedrift_serve(store: str, log: Path, *args: str) -> Iterator[str]:
    """`kubedrift serve --store STORE ARGS` on a free loopback port; yields its base URL.

    The process must exit 0 on SIGTERM and log no traceback.
    """
    port = free_port()
    argv = [str(KUBEDRIFT), "serve", "--store", store, "--listen", f"127.0.0.1:{port}", *args]
    with log.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(proc, base + "/api/v1/openapi.json", log)
        yield base
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "Traceback" not in log.read_text(), log.read_text()


def _wait_up(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kubedrift serve exited {proc.returncode}: {log.read_text()}")
        if get(url)[0] == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"kubedrift serve did not answer: {log.read_text()}")


def get(url: str, token: str | None = None, method: str = "GET") -> tuple[int, dict[str, str], str]:
    """Status, headers and body of one request; (0, {}, "") when nothing answers."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=15) as resp:
            return int(resp.status), dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        with err:
            return int(err.code), dict(err.headers), err.read().decode()
    except OSError:
        return 0, {}, ""


def get_json(url: str, token: str | None = None) -> tuple[int, Any]:
    """Status and decoded JSON body."""
    status, _, body = get(url, token)
    return status, json.loads(body) if body else None
