"""Reading the host's files from inside the agent's container, as if chrooted to its root.

The host's files are mounted under a root (`/host`), and the host's symbolic links are
absolute for the host: `/etc/os-release` may point to `../usr/lib/os-release`, `/var/run`
to `/run`. `HostFS.resolve` follows links itself, inside the root, so an absolute link
never escapes into the container's own files (which would publish the container's
facts as the host's).

A missing file is normal (no fact); any other failure to read (permission denied, a
folder where a file was expected) is noted in `notes` and yields no fact either.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path, PurePosixPath

MAX_LINK_HOPS = 40  # as Linux's own limit on symbolic links per lookup
_MISSING = (errno.ENOENT, errno.ENOTDIR)


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
            with local.open("rb") as f:
                return hashlib.file_digest(f, "sha256").hexdigest()
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


def read_local_text(path: Path, notes: list[str], *, shown: str | None = None) -> str | None:
    """Read a local file (`/proc`, `/sys`); None when missing, a note on other errors."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        _note_unless_missing(err, shown or str(path), notes)
        return None


def _note_unless_missing(err: OSError, shown: str, notes: list[str]) -> None:
    if err.errno not in _MISSING:
        notes.append(f"cannot read {shown}: {err.strerror or type(err).__name__}")
