"""One read of the store in a spawned child process: what the overview's charts
(`reportview.ChildDrawer`) and the predicted risk (`risk.ChildAssess`) are made by.

A drawing or a model training in a thread of the server holds the interpreter lock while
requests wait, and leaves matplotlib, numpy and the period's episodes in the server's
memory; a child process of its own per run does neither. `spawn`, not `fork`: the server
runs threads, and a forked child would inherit their locks (Python's multiprocessing
documentation warns). The child opens the store read-only from its URL, which reaches it
through the start pipe, never argv; a daemonic child ends with the server.

A server that stops while a thread of it is starting a child must let that start finish:
the interpreter otherwise ends the thread between spawning the child and writing its start
data, and the child dies printing "EOFError: Ran out of input" into the server's log (seen
in `make soak`). Starts happen under one lock, which an exit hook takes for good; it runs
before multiprocessing's own hook (registered earlier: hooks run last-in, first-out), which
then ends every started daemonic child.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util  # its exit hook first, so ours (below) runs before it
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kubedrift.store import SqlStore

T = TypeVar("T")

_starting = threading.Lock()
_stopped: list[bool] = []
"""Non-empty once the process is exiting: no child is started after that."""


@atexit.register
def _stop_starting() -> None:
    """Wait for a child being started, then refuse to start more (see the docstring)."""
    with _starting:
        _stopped.append(True)


def in_child(name: str, url: str, work: Callable[..., T], *args: Any) -> T:
    """`work(store, *args)` in a child process on the store at `url`, and its value; a
    failure there is raised here as one RuntimeError line. `work` must be a module-level
    function (it is pickled by name)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_run, args=(sender, url, work, *args), name=f"kubedrift-{name}", daemon=True
    )
    with _starting:
        if _stopped:
            sender.close()
            receiver.close()
            raise RuntimeError(f"the {name} process was not started: the server is stopping")
        child.start()
    sender.close()
    try:
        status, value = receiver.recv()
    except EOFError as err:
        child.join(5)
        raise RuntimeError(f"the {name} process ended (exit code {child.exitcode})") from err
    finally:
        receiver.close()
    child.join(5)
    if status != "ok":
        raise RuntimeError(value)
    return value  # type: ignore[no-any-return]


def _run(sender: Any, url: str, work: Callable[..., object], *args: Any) -> None:
    """The child's side: open the store read-only, do the work, send the result."""
    from kubedrift.store.readonly import open_existing

    store: SqlStore
    try:
        with open_existing(url) as store:
            sender.send(("ok", work(store, *args)))
    except Exception as err:  # said to the parent, which logs it and retries later
        sender.send(("error", f"{type(err).__name__}: {err}"))
    finally:
        sender.close()
