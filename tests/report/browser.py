"""Debian's headless Chromium loading a page from disk, with the network cut and logged.

The page is loaded from a `file://` URL with every host name resolving to nothing and a dead
proxy. Chromium's net log records every request; those the *page* made carry the page's
origin as initiator (`null` for a file), while Chromium's own background traffic (update
checks, spelling dictionaries) says `not an origin` and is ignored.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"]


@dataclass(frozen=True)
class Loaded:
    """What the browser made of a page: its DOM after scripts ran, and its own requests."""

    dom: str
    requests: list[str]


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Debian's chromium is not installed: run scripts/ensure-chromium.sh")
    return found


def _args(work: Path) -> list[str]:
    args = [chromium(), "--headless", "--disable-gpu", "--no-first-run", *OFFLINE]
    args.append(f"--user-data-dir={work / 'profile'}")
    return [*args, "--no-sandbox"] if os.geteuid() == 0 else args


def load(page: Path, work: Path, screenshot: Path | None = None) -> Loaded:
    """Load `page` offline; its DOM, the requests it made, and a screenshot when asked."""
    log = work / "net.json"
    args = [*_args(work), f"--log-net-log={log}", "--dump-dom", page.as_uri()]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    if screenshot is not None:
        shot = [*_args(work), f"--screenshot={screenshot}", "--window-size=1280,3000"]
        subprocess.run([*shot, page.as_uri()], capture_output=True, timeout=120, check=True)
    return Loaded(done.stdout, page_requests(log))


def page_requests(log: Path) -> list[str]:
    """URLs the page itself asked for (file:// loads of the page itself left out)."""
    data = json.loads(log.read_text())
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    out = []
    for event in data["events"]:
        params = event.get("params") or {}
        url, initiator = params.get("url"), params.get("initiator")
        if event["type"] != start or not url or initiator == "not an origin":
            continue
        if not url.startswith("file:"):
            out.append(url)
    return out
