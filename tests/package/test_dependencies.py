"""Every module kubedrift imports is declared in pyproject.toml, and the version is in one place.

The imports are read from the source (every `import`/`from` at any depth, and the string
given to `importlib.import_module`), mapped to the distributions that provide them in this
environment, and compared with `[project.dependencies]` and the extras. The floors and the
built wheel are checked by installing them: `make package-check` (scripts/package_check.py).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubedrift import __version__
from kubedrift.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "kubedrift"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# Modules loaded at run time by another library, not by an import statement of kubedrift:
# SQLAlchemy's `postgresql+psycopg` dialect imports psycopg (store/engine.py).
LOADED_BY_OTHERS = {"psycopg": "postgres"}
EXTRAS = ("gpu", "postgres", "report", "predict")
"""The user-facing extras (`test` is for developers)."""
# Imported only as a fallback for older typer, which depends on click itself (cli/main.py).
PROVIDED_BY = {"click": "typer"}


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalised (PEP 503)."""
    found = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def imported_modules(root: Path) -> dict[str, set[str]]:
    """Top-level modules imported anywhere under `root` that are neither stdlib nor kubedrift."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names = [node.args[0].value]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "kubedrift":
                    found.setdefault(top, set()).add(str(path.relative_to(root)))
    return found


def declared() -> dict[str, str]:
    """Declared distribution → "" for a core dependency, else the user-facing extra."""
    names = {_name(r): "" for r in PROJECT["dependencies"]}
    for extra in EXTRAS:
        names.update({_name(r): extra for r in PROJECT["optional-dependencies"][extra]})
    return names


def distribution_of(module: str) -> str:
    """The distribution that provides a top-level module in this environment."""
    if module in PROVIDED_BY:
        return PROVIDED_BY[module]
    providers = importlib.metadata.packages_distributions().get(module)
    assert providers, f"no installed distribution provides {module!r}"
    names = sorted({_name(p) for p in providers})
    # lightkube-models installs into the `lightkube` package too: the namesake wins.
    return _name(module) if _name(module) in names else names[0]


def test_the_scanner_sees_imports_of_every_kind() -> None:
    modules = imported_modules(SRC)
    assert "yaml" in modules  # import yaml
    assert "lightkube" in modules  # from lightkube.config... import
    assert "pynvml" in modules  # importlib.import_module("pynvml")
    assert "os" not in modules


def test_every_imported_module_is_declared() -> None:
    deps = declared()
    missing = {
        module: sorted(files)
        for module, files in imported_modules(SRC).items()
        if distribution_of(module) not in deps
    }
    assert missing == {}, "imported but not declared in pyproject.toml"


def test_every_declared_dependency_is_used() -> None:
    used = {distribution_of(m) for m in imported_modules(SRC)}
    used |= {_name(extra_module) for extra_module in LOADED_BY_OTHERS}
    assert set(declared()) - used == set()


def test_optional_modules_come_only_with_their_extra() -> None:
    deps = declared()
    assert deps[distribution_of("pynvml")] == "gpu"
    assert deps["psycopg"] == "postgres"
    assert deps["matplotlib"] == "report"
    assert deps["scikit-learn"] == "predict"
    assert all(deps[distribution_of(m)] == "" for m in ("lightkube", "httpx2", "yaml"))


def test_every_requirement_has_a_floor_the_package_check_pins() -> None:
    requirements = PROJECT["dependencies"] + [
        r for extra in EXTRAS for r in PROJECT["optional-dependencies"][extra]
    ]
    assert all(">=" in r for r in requirements)


def test_the_version_is_kept_only_in_the_package() -> None:
    assert "version" not in PROJECT
    assert PROJECT["dynamic"] == ["version"]
    assert importlib.metadata.version("kubedrift") == __version__


@pytest.mark.parametrize("args", [["--version"], ["version"]])
def test_kubedrift_prints_its_version(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    assert result.output == f"kubedrift {__version__}\n"
