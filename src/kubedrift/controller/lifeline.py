"""A worker process's lifeline to its parent: when the watcher dies, its workers die too.

`kill -9` of the watcher runs none of its clean-up, so the desired-state worker process
(`controller.loader`) would live on as an orphan, holding its memory and any Git checkout,
until someone noticed it. `die_with_parent(pid)` runs in the worker as its pool initializer
and makes the worker exit as soon as its parent is gone, by two means:

- on Linux, `prctl(PR_SET_PDEATHSIG, SIGKILL)` through `ctypes`: the kernel kills the worker
  the moment its parent exits (prctl(2): the signal is sent when the *thread* that created
  the child exits; the pool's worker is started from the event loop's thread, which lives
  as long as the watcher);
- everywhere, a daemon thread that polls `os.getppid()`: once the parent is gone the worker
  is re-parented (to init or a subreaper), so the parent id changes and the thread exits
  the process. It also covers the race in which the parent died before `prctl` ran.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
"""From <linux/prctl.h>."""

POLL_SECONDS = 1.0


def die_with_parent(parent: int, poll: float = POLL_SECONDS) -> None:
    """Exit this process when `parent` (the pid that started it) is no longer its parent."""
    _set_parent_death_signal()
    if os.getppid() != parent:  # the parent died before we got here
        os._exit(1)
    watcher = threading.Thread(
        target=_poll_parent, args=(parent, poll), name="kubedrift-lifeline", daemon=True
    )
    watcher.start()


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):  # no libc or no prctl: the poll still covers it
        return False


def _poll_parent(parent: int, poll: float) -> None:
    while os.getppid() == parent:
        time.sleep(poll)
    os._exit(1)  # no clean-up: the parent that would want results is gone
