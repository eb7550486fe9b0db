"""One log format for every long-running command: `watch`, `agent` and `serve`.

Two renderings of the same fields, chosen by `--log-format` (watch) or the environment
variable `KUBEDRIFT_LOG_FORMAT` (every command; the flag wins):

- `text` (default), for a terminal: one line per record,
  `2026-12-03T15:20:00.123Z INFO kubedrift.controller.run: message`, and a traceback
  on the lines after it;
- `json`, for a log pipeline: one JSON object per line (JSON Lines), keys in this order:
  `time` (RFC 3339, UTC, milliseconds, `Z`), `level` (lower case: `debug`, `info`,
  `warning`, `error`, `critical`), `logger` (the dotted logger name), `message` (the
  formatted message), then `error` (the exception and its traceback, when one is logged)
  and any `extra=` fields the call gave, each under its own name.

Both go to stderr (stdout stays for command output) through one handler on the root
logger (a second call replaces it), and this is the only place kubedrift configures
logging. Library loggers whose INFO lines repeat ours (httpx2, alembic, uvicorn's error
log) are kept at WARNING unless the level asked is DEBUG. Nothing here adds secrets:
messages are written by kubedrift's own code, which redacts URLs and never logs tokens.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import sys
import time
from typing import TextIO

from kubedrift.model import InputError

__all__ = ["ENV", "LogFormat", "configure_logging", "log_format_from_env"]

ENV = "KUBEDRIFT_LOG_FORMAT"
_NOISY = ("httpx2", "alembic", "uvicorn.error")
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
"""Attributes every LogRecord has: what is left are the call's `extra=` fields."""


class LogFormat(enum.StrEnum):
    """How log records are written."""

    TEXT = "text"
    JSON = "json"


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours: a second call replaces it; handlers someone else added (pytest's) stay.

    Without a stream of its own it writes to whatever `sys.stderr` is when a record is
    emitted, as `logging.lastResort` does (CPython's `logging._StderrHandler` makes
    `stream` a property returning `sys.stderr`). Binding the stderr of the moment
    `configure_logging` ran sent every later record to a stream that may since have been
    replaced and closed (typer's CliRunner swaps sys.stderr for each invocation), where
    `emit` fails with "I/O operation on closed file".
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        logging.Handler.__init__(self)
        self._fixed = stream

    @property
    def stream(self) -> TextIO:
        return self._fixed if self._fixed is not None else sys.stderr

    @stream.setter
    def stream(self, value: TextIO | None) -> None:  # StreamHandler.setStream assigns it
        self._fixed = value


def _timestamp(record: logging.LogRecord) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """`TIME LEVEL logger: message`, the traceback (if any) on the following lines."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        error = _error(self, record)
        return f"{line}\n{error}" if error else line


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        error = _error(self, record)
        if error:
            out["error"] = error
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        return json.dumps(out, ensure_ascii=False, default=str)


def _error(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    parts = []
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return "\n".join(parts)


def log_format_from_env(given: str | None = None) -> LogFormat:
    """`given` (a flag's value), else `KUBEDRIFT_LOG_FORMAT`, else text; InputError if unknown."""
    raw = given if given is not None else os.environ.get(ENV, LogFormat.TEXT.value)
    try:
        return LogFormat(raw.strip().lower())
    except ValueError:
        where = "--log-format" if given is not None else ENV
        raise InputError(f"{where} {raw!r}: expected text or json") from None


def parse_level(level: str) -> int:
    """`debug`, `info`, `warning` or `error` as a logging level; InputError otherwise."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise InputError(f"--log-level {level!r}: expected debug, info, warning or error")
    return numeric


def configure_logging(
    level: int = logging.INFO,
    fmt: LogFormat | None = None,
    *,
    stream: TextIO | None = None,
) -> None:
    """Send every record at `level` or above to `stream` in `fmt` (default: from the env);
    without `stream`, to the `sys.stderr` of the moment each record is written."""
    chosen = fmt or log_format_from_env()
    handler = _Handler(stream)
    handler.setFormatter(JsonFormatter() if chosen is LogFormat.JSON else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.WARNING if level > logging.DEBUG else logging.NOTSET
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(quiet)
