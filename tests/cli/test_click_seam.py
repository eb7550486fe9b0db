"""The click typer raises, resolved in `cli/click_seam.py` only.

If typer moves its vendored click again, the usage error below is not an instance of the
class the seam found, and every usage error would end in a traceback: this fails first,
naming typer's version.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kubedrift.cli import click_seam
from kubedrift.cli.main import app
from kubedrift.model.seams import LibraryChanged, installed_version


def test_a_usage_error_typer_raises_is_the_seams_click_exception() -> None:
    result = CliRunner().invoke(app, ["scan", "--no-such-flag"], standalone_mode=False)
    version = f"typer {installed_version('typer')}"
    assert result.exception is not None, version
    assert isinstance(result.exception, click_seam.ClickException), (
        f"{version} raised {type(result.exception).__module__}."
        f"{type(result.exception).__name__}, not {click_seam.ClickException.__module__}"
        ".ClickException: update src/kubedrift/cli/click_seam.py"
    )


def test_the_cli_prints_that_usage_error_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from kubedrift.cli.errors import run_cli

    def bad(standalone_mode: bool) -> int:
        return int(app(["scan", "--no-such-flag"], standalone_mode=standalone_mode))

    with pytest.raises(SystemExit) as ended:
        run_cli(bad)
    assert ended.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("kubedrift: error: No such option: --no-such-flag"), err
    assert err.count("\n") == 1


def test_no_click_at_all_is_one_line_naming_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(click_seam, "_CANDIDATES", ("typer._no_such_click.exceptions",))
    with pytest.raises(LibraryChanged) as caught:
        click_seam._click_exception()
    message = str(caught.value)
    assert f"typer {installed_version('typer')} changed" in message
    assert "src/kubedrift/cli/click_seam.py" in message
