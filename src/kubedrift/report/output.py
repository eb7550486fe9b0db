"""Where a report goes: `--out` checked before any work, and written atomically.

The format follows the suffix (`.html`/`.htm`, or `.pdf`). A path whose folder does not
exist, that is a folder, or has another suffix is refused with one line naming it, before
the scan or the store read starts. The file is written beside its final name and renamed
over it (`os.replace`), so a reader never sees half a report and a failed run leaves an
existing report as it was. The mode is the usual 0666 less the umask (a temporary file is
created 0600, which would hide the report from the team it is written for).
"""

from __future__ import annotations

import enum
import os
import tempfile
from pathlib import Path

from kubedrift.model import InputError


class OutputKind(enum.Enum):
    """What `--out` asks for."""

    HTML = "html"
    PDF = "pdf"


_SUFFIXES = {".html": OutputKind.HTML, ".htm": OutputKind.HTML, ".pdf": OutputKind.PDF}


def output_kind(path: Path) -> OutputKind:
    """The format of `path`, or an `InputError` naming it when it cannot be written there."""
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError("the report must be a .html or .pdf file", where=str(path))
    if path.is_dir():
        raise InputError("is a folder, not a file", where=str(path))
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"no such folder: {parent}", where=str(path))
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write in folder {parent}", where=str(path))
    return kind


def write_atomic(path: Path, data: bytes) -> None:
    """`data` at `path`, all or nothing."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
