"""Debian's chromium, headless, driven over the Chrome DevTools Protocol (CDP) by websocket.

No Playwright browser download is possible offline, and none is needed: chromium started
with `--remote-debugging-port` serves the protocol, and `websockets`' sync client speaks it.
`Browser.open()` starts it with a throwaway profile; `page.goto(url)` loads a page and waits
for its load event; `page.problems` collects every console error, uncaught exception and
browser log error (a CSP violation, a failed resource) since the last `goto`;
`page.evaluate(js)` returns a JSON value; `page.screenshot(path)` writes a PNG.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_binary() -> str | None:
    """The first Chromium on PATH (Debian: /usr/bin/chromium)."""
    return next((p for name in CANDIDATES if (p := shutil.which(name))), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Page:
    """One tab: send commands, wait for events, remember what went wrong."""

    ws: ClientConnection
    problems: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events meanwhile are handled)."""
        call_id = next(self._ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline, method)
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def wait_event(self, name: str, timeout: float = 30) -> dict[str, Any]:
        """The parameters of the next event called `name`."""
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline, name)
            if message.get("method") == name:
                return dict(message.get("params", {}))

    def goto(self, url: str, timeout: float = 30) -> None:
        """Load `url` and wait for its load event; problems restart from here."""
        self.problems.clear()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired", timeout)
        self.settle()

    def settle(self, seconds: float = 0.3) -> None:
        """Read events for a moment (late console errors arrive after the load event)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                left = max(deadline - time.monotonic(), 0.01)
                self._handle(json.loads(self.ws.recv(timeout=left)))
            except TimeoutError:
                return

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (awaited if a promise)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for_navigation(self, action: str, timeout: float = 30) -> None:
        """Run `action` (JavaScript) that navigates, and wait for the new page's load."""
        self.problems.clear()
        self.send("Runtime.evaluate", expression=action)
        self.wait_event("Page.loadEventFired", timeout)
        self.settle()

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page."""
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    def _receive(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"chromium: no answer to {waiting_for}")
        message = json.loads(self.ws.recv(timeout=left))
        self._handle(message)
        return dict(message)

    def _handle(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
            self.problems.append("console: " + " ".join(args))
        elif method == "Runtime.exceptionThrown":
            self.problems.append("exception: " + json.dumps(params.get("exceptionDetails"))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.problems.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())


class Browser:
    """A headless chromium process with one page; use as a context manager."""

    def __init__(self, binary: str, *, width: int = 1280, height: int = 900) -> None:
        self.binary = binary
        self.size = (width, height)
        self.profile = Path(tempfile.mkdtemp(prefix="kubedrift-chromium-"))
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.page: Page | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Page:
        argv = [
            self.binary,
            "--headless=new",
            "--no-sandbox",  # tests run as root in a container: chromium refuses otherwise
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--window-size={self.size[0]},{self.size[1]}",
            f"--user-data-dir={self.profile}",
            f"--remote-debugging-port={self.port}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            ws_url = self._page_socket(timeout=60)
            ws = self._stack.enter_context(connect(ws_url, max_size=None, open_timeout=30))
            self.page = Page(ws)
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.page.send(f"{domain}.enable")
        except BaseException:
            self.__exit__()
            raise
        return self.page

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _page_socket(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/json/list"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    targets = json.loads(resp.read())
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError("chromium did not open its DevTools port")
