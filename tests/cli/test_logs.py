"""One log format (issue 17.2): text for terminals, JSON Lines for pipelines, same fields.

The formats themselves, pure; tests/controller/test_watch_surfaces_apiserver.py and
tests/agent/test_agent_apiserver.py check the lines of real `watch`, `serve` and `agent`
processes against `support.logformat`.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubedrift.cli.logs import ENV, LogFormat, configure_logging, log_format_from_env
from kubedrift.model import InputError
from support.logformat import TEXT_LINE, parse_json_line


def _logged(fmt: LogFormat, emit: Any) -> list[str]:
    out = io.StringIO()
    configure_logging(logging.DEBUG, fmt, stream=out)
    try:
        emit(logging.getLogger("kubedrift.test"))
    finally:
        configure_logging(logging.WARNING, LogFormat.TEXT)
    return out.getvalue().splitlines()


def test_text_lines_carry_utc_time_level_logger_and_message() -> None:
    (line,) = _logged(LogFormat.TEXT, lambda log: log.info("synced %d %s", 3, "kinds"))
    assert TEXT_LINE.match(line), line
    assert line.endswith(" INFO kubedrift.test: synced 3 kinds")


def test_json_lines_carry_the_same_fields_and_extras_and_errors() -> None:
    def emit(log: logging.Logger) -> None:
        log.warning("store down", extra={"attempt": 3})
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            log.exception("task failed")

    first, second = (parse_json_line(line) for line in _logged(LogFormat.JSON, emit))
    assert (first["level"], first["logger"], first["message"]) == (
        "warning",
        "kubedrift.test",
        "store down",
    )
    assert first["attempt"] == 3
    assert second["message"] == "task failed"
    assert "RuntimeError: boom" in second["error"]


def test_the_environment_chooses_unless_a_flag_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert log_format_from_env() is LogFormat.TEXT
    monkeypatch.setenv(ENV, "JSON")
    assert log_format_from_env() is LogFormat.JSON
    assert log_format_from_env("text") is LogFormat.TEXT
    monkeypatch.setenv(ENV, "xml")
    with pytest.raises(InputError, match=r"KUBEDRIFT_LOG_FORMAT 'xml': expected text or json"):
        log_format_from_env()


def test_an_unknown_format_is_one_line_and_exit_1(tmp_path: Path) -> None:
    kubedrift = Path(sys.executable).parent / "kubedrift"
    argv = [str(kubedrift), "watch", "--desired", str(tmp_path), "--log-format", "xml"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr == "kubedrift: error: --log-format 'xml': expected text or json\n"


def test_records_go_to_the_stderr_of_the_moment_they_are_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: the handler kept the stderr of the moment `configure_logging` ran, so
    once that stream was replaced and closed every later record failed to write."""
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging(logging.INFO, LogFormat.TEXT)
    try:
        logging.getLogger("kubedrift.test").info("one")
        first.close()
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("kubedrift.test").info("two")
    finally:
        configure_logging(logging.WARNING, LogFormat.TEXT)
    assert "Logging error" not in second.getvalue()
    assert second.getvalue().rstrip().endswith("INFO kubedrift.test: two")


def test_logs_after_a_clirunner_run_reach_the_current_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real case: `kubedrift agent` configures logging inside CliRunner (which swaps
    sys.stderr for the run and closes its stream after); a record logged after the run
    went to that closed stream ("I/O operation on closed file")."""
    from typer.testing import CliRunner

    from kubedrift.cli.main import app

    roots = [f"--{name}-root" for name in ("host", "proc", "sys")]
    args = [arg for root in roots for arg in (root, str(tmp_path))]
    missing = tmp_path / "no-kubeconfig"
    argv = ["agent", "--once", "--node-name", "n1", *args, "--kubeconfig", str(missing)]
    try:
        done = CliRunner().invoke(app, argv)
        assert done.exit_code == 1, done.output
        capsys.readouterr()
        logging.getLogger("kubedrift.agent").warning("after the run")
        err = capsys.readouterr().err
    finally:
        configure_logging(logging.WARNING, LogFormat.TEXT)
    assert "Logging error" not in err
    assert err.rstrip().endswith("WARNING kubedrift.agent: after the run"), err
