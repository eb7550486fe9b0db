"""typer's option-value coercion without pydantic, in `cli/coercion_seam.py` only.

The seam relies on typer internals (`typer.core.build_runtime_param`, `typer._coercion.
RuntimeParam`, `typer._param_types.coerce_cli_path/coerce_cli_choice`). If typer moves one,
the seam leaves typer alone and the first test fails naming typer's version. The others run
one small typer app twice over many values, once through the seam and once through typer's
own pydantic adapters, and require the same values, exit codes and messages.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import pytest
import typer
import typer.core
from typer.testing import CliRunner

from kubedrift.cli import coercion_seam
from kubedrift.model.seams import installed_version


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


def _app() -> typer.Typer:
    app = typer.Typer(rich_markup_mode=None)

    @app.command()
    def show(
        where: Annotated[Path, typer.Argument()],
        *,
        text: Annotated[str | None, typer.Option()] = None,
        path: Annotated[Path | None, typer.Option()] = None,
        existing: Annotated[
            Path | None, typer.Option(exists=True, dir_okay=False, resolve_path=True)
        ] = None,
        color: Annotated[Color, typer.Option()] = Color.RED,
        loose: Annotated[Color | None, typer.Option(case_sensitive=False)] = None,
        flag: Annotated[bool, typer.Option()] = False,
        count: Annotated[int, typer.Option(min=0, max=9)] = 1,
        many: Annotated[list[str] | None, typer.Option()] = None,
        paths: Annotated[list[Path] | None, typer.Option()] = None,
    ) -> None:
        values = [where, text, path, existing, color, loose, flag, count, many, paths]
        typer.echo(repr([(type(v).__name__, v) for v in values]))

    @app.command()
    def other() -> None:
        """Two commands, so `show` is a subcommand as kubedrift's are."""

    return app


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), ["show", *args])
    exception = "" if result.exception is None else type(result.exception).__name__
    return result.exit_code, result.output, exception


CASES = [
    ["x"],
    [""],
    ["-"],
    ["~/a/"],
    ["a\x00b"],
    ["x", "--text", ""],
    ["x", "--text", "é ü"],
    ["x", "--path", "rel/../p"],
    ["x", "--path", ""],
    ["x", "--existing", "pyproject.toml"],
    ["x", "--existing", "no-such-file"],
    ["x", "--existing", "tests"],
    ["x", "--color", "green"],
    ["x", "--color", "GREEN"],
    ["x", "--color", "blue"],
    ["x", "--loose", "GrEeN"],
    ["x", "--loose", "blue"],
    ["x", "--flag"],
    ["x", "--count", "3"],
    ["x", "--count", "12"],
    ["x", "--count", "a"],
    ["x", "--many", "a", "--many", ""],
    ["x", "--paths", "a", "--paths", "b/"],
    [],
]


def test_the_seam_is_installed_with_this_typer() -> None:
    import kubedrift.cli.main  # noqa: F401  (installs the seam, as the entry point does)

    version = f"typer {installed_version('typer')}"
    assert coercion_seam.disabled() is None, (
        f"{version} changed an internal cli/coercion_seam.py relies on "
        f"({coercion_seam.disabled()}): option values go through pydantic again; update "
        f"{coercion_seam.SEAM}"
    )
    assert typer.core.build_runtime_param is coercion_seam.build_runtime_param  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", CASES, ids=repr)
def test_values_and_errors_are_typers_own(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    coercion_seam.install()
    through_seam = _run(args)
    monkeypatch.setattr(typer.core, "build_runtime_param", coercion_seam._STATE["original"])
    through_typer = _run(args)
    assert through_seam == through_typer


def test_a_typer_without_the_internals_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer import _coercion

    class Moved:
        """A RuntimeParam that is no longer a dataclass with typer's fields."""

    coercion_seam.install()
    before = coercion_seam._STATE["original"]
    monkeypatch.setattr(typer.core, "build_runtime_param", before)
    monkeypatch.setattr(coercion_seam, "_STATE", {"disabled": "not installed yet"})
    monkeypatch.setattr(_coercion, "RuntimeParam", Moved)
    coercion_seam.install()
    reason = coercion_seam.disabled()
    assert reason is not None
    assert "typer._coercion.RuntimeParam fields" in reason
    assert typer.core.build_runtime_param is before  # type: ignore[attr-defined]
    code, out, _ = _run(["x", "--color", "green"])  # typer's own path still works
    assert code == 0
    assert "Color.GREEN" in out
