"""A live JSON `List` read item by item, so that the whole document is never held.

`kubectl get -o json` writes `{"apiVersion": "v1", "items": [...], "kind": "List", ...}`;
100,000 Deployments are 1.6 GB of it, and decoding it whole takes ~5 GiB of dicts. Here the
file is read in windows (`WINDOW` bytes, grown only for an item larger than a window) and
each item is decoded on its own by msgspec as soon as its bytes are in, then handed over:
memory is bounded by a window plus the largest item, whatever the file's size.

Finding where an item ends costs no Python loop over its bytes:

- a pretty-printed item (kubectl's layout) opens on a line of its own and closes with `}` at
  the same indentation: the first such line after its start is tried as its end, and
  decoding that span whole either succeeds (then it *is* the item: a JSON value cannot be
  a proper prefix of another, so a parse that closes exactly there closes there in the
  file too) or tells, in its "trailing characters (byte N)" error, where the item really
  ends;
- otherwise msgspec skips the value (`msgspec.Raw`, C speed), and the same error names the
  byte after it; then the span is decoded.

Only the plain case is read this way; everything else raises `NotStreamable`, and the
caller reads the file whole, as before, with the whole read's checks and messages: not
JSON, invalid or truncated JSON, no `items` array, items without their own `kind` and
`apiVersion` (a `DeploymentList`'s items take them from the List, whose `kind` kubectl writes
after the items), an item that is not a valid object, a List whose `kind` does not end in
`List`, keys other than `apiVersion`, `kind` and `metadata` before `items` (a single object,
not a List), a duplicate top-level key, a decoder that does not bound nesting itself.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from kubedrift.desired.documents import Location, check_object, decoder_bounds_depth
from kubedrift.model import InputError

__all__ = ["WINDOW", "NotStreamable", "stream_list"]

WINDOW = 16 * 1024 * 1024
"""Bytes read at a time."""
BATCH = 1024 * 1024
"""Bytes of items decoded by one call: small enough that the objects of one batch, freed
as they are handed over, leave memory the next batch reuses."""

_ANY = msgspec.json.Decoder()
_KEY = msgspec.json.Decoder(str)
_RAW = msgspec.json.Decoder(msgspec.Raw)
_WS = re.compile(rb"[ \t\r\n]*")
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)$")
_BEFORE_ITEMS = frozenset({"apiVersion", "kind", "metadata"})


class NotStreamable(Exception):
    """The file is not a plain JSON List this reader handles: read it whole instead."""


def stream_list(path: Path, *, window: int = WINDOW) -> Iterator[dict[str, Any]]:
    """Each item of the JSON List in `path`, in order, checked as `read_objects` checks it.

    Raises `NotStreamable` (possibly after some items, at the latest at the end of the
    file) when the file is anything but a plain List: the caller must then drop what it
    got and read the file whole (see the module doc).
    """
    if _SHIFT is None or not decoder_bounds_depth():
        raise NotStreamable("this msgspec does not bound nesting or name trailing bytes")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        raise NotStreamable(str(exc)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # a folder, a FIFO: never waited on
        os.close(fd)
        raise NotStreamable("not a regular file")
    # a file smaller than a window gets a buffer of its size, not 16 MiB of zeroes to write
    size = max(1, min(window, info.st_size))
    with os.fdopen(fd, "rb", buffering=0) as fh:
        yield from _List(_Window(fh, size), str(path)).items()


class _Window:
    """The unread bytes of the file: `buf[pos:end]`, refilled a window at a time."""

    __slots__ = ("buf", "end", "eof", "fh", "pos", "size")

    def __init__(self, fh: Any, size: int) -> None:
        self.fh, self.size = fh, size
        self.buf = bytearray(2)  # nothing read: pos = end = 1, the spare bytes around
        self.pos = self.end = 1
        self.eof = False

    def more(self) -> bool:
        """Read the next window after the unread bytes; False at the end of the file.

        One buffer, reused (fresh pages for every window cost more system time than the
        decoding saves), grown to twice the unread bytes when an item is larger than a
        window. The unread bytes move to offset 1 and a byte is spare at the end, so `run`
        can bracket a span of items in place."""
        if self.eof:
            return False
        left = self.end - self.pos
        unread = self.buf[self.pos : self.end]
        if len(self.buf) < max(self.size, 2 * left) + 2:
            self.buf = bytearray(max(self.size, 2 * left) + 2)
        self.buf[1 : 1 + left] = unread
        view, filled = memoryview(self.buf), 1 + left
        try:
            while filled < len(self.buf) - 1:
                got = self.fh.readinto(view[filled : len(self.buf) - 1])
                if not got:
                    self.eof = True
                    break
                filled += got
        finally:
            view.release()
        self.pos, self.end = 1, filled
        return filled > 1 + left

    def peek(self) -> int:
        """The next byte that is not JSON whitespace (pos left on it), or -1 at the end."""
        while True:
            match = _WS.match(self.buf, self.pos, self.end)
            self.pos = match.end() if match else self.pos
            if self.pos < self.end:
                return self.buf[self.pos]
            if not self.more():
                return -1

    def expect(self, char: bytes) -> None:
        """Step over `char` (after whitespace), or refuse the file."""
        if self.peek() != char[0]:
            raise NotStreamable(f"expected {char!r}")
        self.pos += 1

    def value(self, decoder: msgspec.json.Decoder[Any]) -> Any:
        """The JSON value starting at `pos` (after whitespace), decoded; `pos` moves past it."""
        if self.peek() < 0:
            raise NotStreamable("the file ends where a value should start")
        while True:
            start, view = self.pos, memoryview(self.buf)[: self.end]
            guess = self._guess_end()
            if guess is not None:
                try:
                    value = decoder.decode(view[start:guess])
                except msgspec.DecodeError as exc:
                    after = _trailing(exc)
                    if after is not None:
                        return self._decode(decoder, view, start + after)
                except (msgspec.ValidationError, RecursionError) as exc:
                    raise NotStreamable(str(exc)) from None
                else:
                    self.pos = guess
                    return value
            try:
                _RAW.decode(view[start:])
            except msgspec.DecodeError as exc:
                after = _trailing(exc)
                if after is not None:
                    return self._decode(decoder, view, start + after)
                # Cut by the window ("truncated", or "invalid character" inside an
                # escape or a literal): read on; at the end of the file it is invalid.
                if not self.more():
                    raise NotStreamable(str(exc)) from None
                continue
            except RecursionError as exc:
                raise NotStreamable(str(exc)) from None
            # The value runs to the end of what is read: complete, unless more follows
            # (a number or literal cut by the window: read on and decode again).
            if not self.more():
                return self._decode(decoder, view, self.end)

    def _decode(self, decoder: msgspec.json.Decoder[Any], view: memoryview, stop: int) -> Any:
        try:
            value = decoder.decode(view[self.pos : stop])
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise NotStreamable(str(exc)) from None
        self.pos = stop
        return value

    def run(self) -> list[Any]:
        """The items from `pos` to the last one that surely ends in the window, decoded
        by one call (kubectl's layout, see the module doc); else the one item at `pos`."""
        if self.peek() < 0:
            raise NotStreamable("the file ends where an item should start")
        closing = self._closing()
        if closing is not None:
            buf, pos = self.buf, self.pos
            found = buf.rfind(closing, pos, min(self.end, pos + BATCH))
            if found < 0:
                found = buf.rfind(closing, pos, self.end)
            if found >= 0:
                stop = found + len(closing)
                # Bracketed in place: the bytes before and after the span (a comma or
                # whitespace, or the spare bytes `more` keeps) are put back after.
                before, after = buf[pos - 1], buf[stop]
                buf[pos - 1], buf[stop] = 0x5B, 0x5D  # "[", "]"
                try:
                    with memoryview(buf) as view:
                        values: list[Any] = _ANY.decode(view[pos - 1 : stop + 1])
                except (msgspec.DecodeError, RecursionError):
                    values = []  # not where items end after all: one at a time
                finally:
                    buf[pos - 1], buf[stop] = before, after
                if values:
                    self.pos = stop
                    return values
        return [self.value(_ANY)]

    def _guess_end(self) -> int | None:
        """Where a pretty-printed object at `pos` likely ends: after the first `}` at its
        own indentation (None when it is not on a line of its own, or no such `}` is read)."""
        closing = self._closing()
        if closing is None:
            return None
        found = self.buf.find(closing, self.pos, self.end)
        return None if found < 0 else found + len(closing)

    def _closing(self) -> bytes | None:
        """The line that closes the object at `pos` in kubectl's layout: its own
        indentation, then `}` (None when the object does not start a line)."""
        buf, pos = self.buf, self.pos
        if buf[pos] != 0x7B:  # "{"
            return None
        line = buf.rfind(b"\n", 0, pos) + 1
        if line == 0 or buf.count(b" ", line, pos) != pos - line:
            return None
        return b"\n" + b" " * (pos - line) + b"}"


def _trailing(exc: msgspec.DecodeError) -> int | None:
    """The offset of the character msgspec names in "trailing characters (byte N)": the
    value ended before it (whitespace between them is decoded with the value)."""
    match = _TRAILING.search(str(exc))
    return int(match.group(1)) - (_SHIFT or 0) if match else None


def _shift() -> int | None:
    """How far msgspec's "byte N" is past the trailing character's offset: 1 in msgspec
    0.18 to 0.23, which name the byte after it; measured, not assumed (None: a msgspec
    that no longer says, and then no file is streamed)."""
    try:
        _RAW.decode(b"1 ,")
    except msgspec.DecodeError as exc:
        match = _TRAILING.search(str(exc))
        if match:
            return int(match.group(1)) - 2
    return None


_SHIFT = _shift()


class _List:
    """The top level of the document: keys before `items`, the items, keys after."""

    def __init__(self, window: _Window, where: str) -> None:
        self.window, self.where = window, where
        self.head: dict[str, Any] = {}

    def items(self) -> Iterator[dict[str, Any]]:
        window = self.window
        window.expect(b"{")
        seen_items = False
        if window.peek() == ord("}"):
            raise NotStreamable("an empty object, not a List")
        while True:
            key = window.value(_KEY)
            window.expect(b":")
            if key == "items":
                if seen_items:
                    raise NotStreamable("items given twice")
                seen_items = True
                yield from self._items()
            elif key in self.head or (not seen_items and key not in _BEFORE_ITEMS):
                raise NotStreamable(f"key {key!r} here: not a plain List")
            else:
                window.peek()
                self.head[key] = window.value(_ANY)
            char = window.peek()
            window.pos += 1
            if char == ord("}"):
                break
            if char != ord(","):
                raise NotStreamable("expected ',' or '}'")
            window.peek()
        if window.peek() != -1:
            raise NotStreamable("more after the List")
        kind = self.head.get("kind")
        if not (seen_items and isinstance(kind, str) and kind.endswith("List")):
            raise NotStreamable("not a List")

    def _items(self) -> Iterator[dict[str, Any]]:
        window = self.window
        window.expect(b"[")
        if window.peek() == ord("]"):
            window.pos += 1
            return
        index = 0
        while True:
            batch = window.run()
            batch.reverse()  # popped in order, so each item is freed once handed over
            while batch:
                item = batch.pop()
                if not (isinstance(item, dict) and "kind" in item and "apiVersion" in item):
                    raise NotStreamable("an item without its own kind and apiVersion")
                try:
                    check_object(item, Location(self.where, None, index))
                except InputError as exc:
                    raise NotStreamable(str(exc)) from None
                yield item
                index += 1
            char = window.peek()
            window.pos += 1
            if char == ord("]"):
                return
            if char != ord(","):
                raise NotStreamable("expected ',' or ']'")
