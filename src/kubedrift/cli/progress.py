"""Progress for long operations: a spinner with the current step, only on a terminal."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.status import Status


class Progress:
    """`with Progress() as p: p.update("reading desired")` — silent when stderr is not a tty."""

    def __init__(self) -> None:
        self._status: Status | None = None
        if sys.stderr.isatty():  # rich only for people at a terminal: it costs ~40 ms to import
            from rich.console import Console

            self._status = Console(stderr=True).status("starting")

    def __enter__(self) -> Progress:
        if self._status is not None:
            self._status.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()

    def update(self, message: str) -> None:
        """Show `message` as the current step."""
        if self._status is not None:
            self._status.update(message)
