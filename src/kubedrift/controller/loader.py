"""Reading desired state in a worker process, off the watch loop.

Parsing a large desired set is CPU-bound Python (PyYAML builds ~3 KB of dicts per object;
10,000 manifests take about a second): in the watcher's process it would hold the GIL
against the watch loop for that long at every new revision, and leave its parse peak in
the process's RSS for good, since freed small objects rarely give whole arenas back. One
long-lived worker process (started with `spawn`: no fork of a process with threads) runs
`desired.read`, which hands back the objects already encoded; the watcher compiles the
small rest (profiles, ignore and trust rules) itself. Errors cross the boundary as the
`InputError` they are, naming the file and document at fault. The worker exits when the
watcher does, even after a `kill -9` (`controller.lifeline`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Self

from kubedrift.controller import desired as desired_state
from kubedrift.controller.desired import DesiredState
from kubedrift.controller.lifeline import die_with_parent
from kubedrift.model import InputError


class DesiredLoader:
    """`await loader.load(specs, config)`; `close()` (or `with`) stops the worker."""

    def __init__(self, *, in_process: bool = False) -> None:
        self.in_process = in_process
        self._pool: ProcessPoolExecutor | None = None

    async def load(self, specs: tuple[str, ...], config: Path | None) -> DesiredState:
        """Read `specs` in the worker, compile here; `InputError` when they are bad."""
        if self.in_process:
            loaded = await asyncio.to_thread(desired_state.read, specs)
        else:
            loaded = await self._in_worker(specs)
        return await asyncio.to_thread(desired_state.compile_loaded, loaded, config)

    async def _in_worker(self, specs: tuple[str, ...]) -> desired_state.LoadedDesired:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._worker(), desired_state.read, specs)
        except BrokenProcessPool:  # the worker died (OOM-killed, say): one more try
            self.close()
            try:
                return await loop.run_in_executor(self._worker(), desired_state.read, specs)
            except BrokenProcessPool:
                raise InputError(
                    "the process reading desired state died", where="desired"
                ) from None

    def _worker(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def close(self) -> None:
        """Stop the worker process (it is started again by the next `load`)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
