"""How a failed command ends: one line on stderr, `kubedrift: error: …`, and exit code 1.

Every error a user can cause becomes one line, whatever raised it: kubedrift's own errors,
click's usage errors (which click would print as a usage block over several lines), and,
as a last resort, the operating system's (`OSError`: a name too long, a permission the
code did not foresee) and running out of the memory or recursion budget. Control
characters in the message (a newline in a file name, in an object's name) are escaped so
the line stays one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

import typer

from kubedrift.cli.click_seam import ClickException
from kubedrift.model import KubedriftError

_ESCAPES = {c: f"\\x{c:02x}" for c in range(32)} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def one_line(text: str) -> str:
    """`text` with control characters escaped (so it prints as exactly one line)."""
    return text.translate(_ESCAPES)


def error_line(err: BaseException) -> str:
    """The one line that reports `err`."""
    if isinstance(err, ClickException):
        message = f"{err.format_message()} (see --help)"  # type: ignore[attr-defined]
    elif isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename is not None else ""
        message = f"{where}{err.strerror or err}"
    elif isinstance(err, MemoryError):
        message = "out of memory"
    elif isinstance(err, RecursionError):
        message = "input nested too deeply"
    else:
        message = str(err)
    return f"kubedrift: error: {one_line(message)}"


def run_cli(app: Callable[..., object]) -> NoReturn:
    """Run a typer app outside standalone mode and exit 0 / its code / 1 / 130."""
    try:
        code = app(standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except (KubedriftError, ClickException, OSError, MemoryError, RecursionError) as err:
        typer.echo(error_line(err), err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
