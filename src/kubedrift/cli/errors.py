"""How every kubedrift program ends: the one exit-code wrapper of `kubedrift` and `agent`.

`run_cli` runs a typer app and exits with the command's own code (0, or 2 for drift where
the command documents it), 130 on Ctrl-C, and 1 on any error, reported as one line on
stderr, `kubedrift: error: …`:

- every error a user can cause, whatever raised it: kubedrift's own errors, click's usage
  errors (which click would print as a usage block over several lines), and, as a last
  resort, the operating system's (`OSError`: a name too long, a permission the code did not
  foresee) and running out of the memory or recursion budget;
- any other exception is a bug: one line naming its type, message and where it was raised,
  asking for `KUBEDRIFT_DEBUG=1`.

With `KUBEDRIFT_DEBUG=1` (any value but "", "0", "false", "no") the traceback, with its
chained causes, is written before that line, for errors of both kinds. Control characters
in the message (a newline in a file name, in an object's name) are escaped so the line
stays one line.
"""

from __future__ import annotations

import os
import sys
import traceback
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


DEBUG_ENV = "KUBEDRIFT_DEBUG"
USER_ERRORS = (KubedriftError, ClickException, OSError, MemoryError, RecursionError)


def debugging() -> bool:
    """Whether `KUBEDRIFT_DEBUG` asks for tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def bug_line(err: BaseException) -> str:
    """The one line that reports an unexpected exception: its type, message and the
    innermost frame it came from, so a bug report without the traceback is still useful."""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    hint = f"this is a bug in kubedrift; rerun with {DEBUG_ENV}=1 for the traceback"
    return f"kubedrift: error: {one_line(detail)}{where} ({hint})"


def _fail(line: str, err: BaseException) -> NoReturn:
    if debugging():
        traceback.print_exception(err, file=sys.stderr)
    typer.echo(line, err=True)
    sys.exit(1)


def run_cli(app: Callable[..., object]) -> NoReturn:
    """Run a typer app outside standalone mode and exit 0 / its code / 1 / 130."""
    try:
        code = app(standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except USER_ERRORS as err:
        _fail(error_line(err), err)
    except Exception as err:  # a bug: one line, the traceback only when asked for
        _fail(bug_line(err), err)
    sys.exit(code if isinstance(code, int) else 0)
