"""Reading the host's files from inside the agent's container, as if chrooted to its root.

The host's files are mounted under a root (`/host`), and the host's symbolic links are
absolute for the host: `/etc/os-release` may point to `../usr/lib/os-release`, `/var/run`
to `/run`. `HostFS.resolve` follows links itself, inside the root, so an absolute link
never escapes into the container's own files (which would publish the container's
facts as the host's).

A missing file is normal (no fact); any other failure to read (permission denied, a
folder where a file was expected) is noted in `notes` and yields no fact either.

Every read is bounded: a file is opened with `O_NONBLOCK` (a FIFO never blocks the open)
and read only if it is a regular file (`/dev/zero`, a FIFO or a socket is noted and
skipped), and text is read up to `MAX_TEXT` bytes, a digest up to `MAX_HASHED`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path, PurePosixPath

MAX_LINK_HOPS = 40  # as Linux's own limit on symbolic links per lookup
MAX_TEXT = 4 * 1024 * 1024  # /proc/modules, dpkg's status file: well under this
MAX_HASHED = 256 * 1024 * 1024  # configuration files are kilobytes
_CHUNK = 1024 * 1024
_MISSING = (errno.ENOENT, errno.ENOTDIR)


class _NotRegular(OSError):
    """A FIFO, device or socket where a file was expected: never read."""


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path` if it is a regular file (never blocks on a FIFO)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        raise _NotRegular(errno.EINVAL, "not a regular file")
    return fd


def read_bounded(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of the regular file `path`; OSError when it holds more."""
    chunks: list[bytes] = []
    size = 0
    with os.fdopen(open_regular(path), "rb", buffering=0) as f:
        # In chunks: procfs refuses one read() as large as the limit (a sysctl file answers
        # ENOMEM to a count at or above KMALLOC_MAX_SIZE, 4 MiB on x86_64).
        while chunk := f.read(_CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise OSError(errno.EFBIG, f"larger than {limit:,} bytes")
    return b"".join(chunks)


_CHUNK = 64 * 1024


class HostFS:
    """Files of the host mounted at `root`; host paths are absolute (`/etc/os-release`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notes: list[str] = []

    def resolve(self, path: str) -> Path | None:
        """The local path of the host's `path`, links followed inside the root; None if absent."""
        try:
            return self._resolve(path)
        except OSError as err:
            _note_unless_missing(err, path, self.notes)
            return None

    def _resolve(self, path: str) -> Path | None:
        done: list[str] = []
        todo = list(PurePosixPath(path).parts[1:])
        hops = 0
        while todo:
            part = todo.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            local = self.root.joinpath(*done, part)
            if not local.is_symlink():
                if not local.exists():
                    return None
                done.append(part)
                continue
            hops += 1
            if hops > MAX_LINK_HOPS:
                self.notes.append(f"{path}: too many levels of symbolic links")
                return None
            target = PurePosixPath(os.readlink(local))
            todo = list(target.parts[1:] if target.is_absolute() else target.parts) + todo
            if target.is_absolute():
                done = []
        return self.root.joinpath(*done)

    def read_text(self, path: str) -> str | None:
        """The text of the host's file `path` (UTF-8, undecodable bytes replaced), or None."""
        local = self.resolve(path)
        return None if local is None else read_local_text(local, self.notes, shown=path)

    def sha256(self, path: str) -> str | None:
        """The hex SHA-256 of the host's regular file `path`, or None."""
        local = self.resolve(path)
        if local is None:
            return None
        try:
            return _digest(local)
        except OSError as err:
            _note_unless_missing(err, path, self.notes)
            return None

    def files_in(self, folder: str) -> list[str]:
        """Host paths of the regular files directly in `folder` (links resolved), sorted."""
        local = self.resolve(folder)
        if local is None or not local.is_dir():
            return []
        try:
            names = sorted(os.listdir(local))
        except OSError as err:
            _note_unless_missing(err, folder, self.notes)
            return []
        paths = [f"{folder.rstrip('/')}/{name}" for name in names]
        return [p for p in paths if self._is_file(p)]

    def _is_file(self, path: str) -> bool:
        local = self.resolve(path)
        try:
            return local is not None and local.is_file()
        except OSError as err:
            _note_unless_missing(err, path, self.notes)
            return False


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(open_regular(path), "rb") as f:
        while chunk := f.read(_CHUNK):
            size += len(chunk)
            if size > MAX_HASHED:
                raise OSError(errno.EFBIG, f"larger than {MAX_HASHED:,} bytes")
            digest.update(chunk)
    return digest.hexdigest()


def read_local_text(path: Path, notes: list[str], *, shown: str | None = None) -> str | None:
    """Read a local file (`/proc`, `/sys`); None when missing, a note on other errors."""
    try:
        return read_bounded(path, MAX_TEXT).decode("utf-8", errors="replace")
    except OSError as err:
        _note_unless_missing(err, shown or str(path), notes)
        return None


def _note_unless_missing(err: OSError, shown: str, notes: list[str]) -> None:
    if err.errno not in _MISSING:
        notes.append(f"cannot read {shown}: {err.strerror or type(err).__name__}")
