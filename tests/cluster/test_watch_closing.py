"""A watch left early closes the streamed response under it at once (issue 17's flake).

`async for` does not close the generator it leaves: without `contextlib.aclosing`, the
response of `Connection.stream_lines` (and its socket) stays open until the garbage
collector finalises it, possibly after the event loop has gone, which CI saw as an
"unclosed socket" ResourceWarning in an unrelated later test.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import cast

import pytest

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import ApiResource
from kubedrift.cluster.watch import EventType, WatchEvent, watch
from kubedrift.model import ClusterError
from support.aio import run

CONFIGMAPS = ApiResource("", "v1", "ConfigMap", "configmaps", True)
ADDED = b'{"type": "ADDED", "object": {"metadata": {"name": "a", "resourceVersion": "1"}}}'


class StreamingConnection:
    """Stands in for `Connection.stream_lines`: records whether its stream was closed."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines
        self.closed = False

    async def stream_lines(
        self, path: str, params: Mapping[str, str], *, what: str
    ) -> AsyncGenerator[bytes, None]:
        try:
            for line in self.lines:
                yield line
        finally:
            self.closed = True


def _watch(conn: StreamingConnection) -> AsyncGenerator[WatchEvent, None]:
    # `watch` is an async generator annotated as an iterator (as the informer casts it)
    return cast(AsyncGenerator[WatchEvent, None], watch(cast(Connection, conn), CONFIGMAPS))


def test_closing_the_watch_at_an_event_closes_the_stream() -> None:
    conn = StreamingConnection([ADDED, ADDED])

    async def scenario() -> None:
        events = _watch(conn)
        async with contextlib.aclosing(events):
            async for event in events:
                assert event.type is EventType.ADDED
                break
            assert not conn.closed, "still streaming while the consumer holds the watch"
        assert conn.closed

    run(scenario())


def test_an_unreadable_event_closes_the_stream_before_the_error_arrives() -> None:
    conn = StreamingConnection([ADDED, b"not json", ADDED])

    async def scenario() -> None:
        seen: list[WatchEvent] = []

        async def consume() -> None:
            async for event in _watch(conn):
                seen.append(event)

        with pytest.raises(ClusterError, match="unreadable watch event"):
            await consume()
        assert len(seen) == 1
        assert conn.closed

    run(scenario())


def test_a_stream_the_server_ends_is_closed() -> None:
    conn = StreamingConnection([ADDED])

    async def scenario() -> None:
        assert len([e async for e in _watch(conn)]) == 1
        assert conn.closed

    run(scenario())
