"""The one place that knows which click typer raises: `typer._click` or plain click.

typer >= 0.2x vendors click as `typer._click` (a private module) and raises its exception
classes, which are not plain click's: catching `click.ClickException` would miss every usage
error and let it print a traceback. `ClickException` here is the class typer raises, found
once at import. tests/cli/test_seams.py makes typer raise a usage error and checks it is an
instance of this class, so a typer that moves its click again fails that test (with
`LibraryChanged` naming typer's version), not a user's command line.
"""

from __future__ import annotations

import importlib

from kubedrift.model.seams import library_changed

SEAM = "src/kubedrift/cli/click_seam.py"
_CANDIDATES = ("typer._click.exceptions", "click.exceptions")


def _click_exception() -> type[Exception]:
    errors: list[str] = []
    for module in _CANDIDATES:
        try:
            found = importlib.import_module(module).ClickException
        except (ImportError, AttributeError) as err:
            errors.append(f"{module}: {err}")
            continue
        if isinstance(found, type) and issubclass(found, Exception):
            return found
        errors.append(f"{module}.ClickException is not an exception class")
    internal = " or ".join(f"{m}.ClickException" for m in _CANDIDATES)
    raise library_changed("typer", internal, SEAM, ImportError("; ".join(errors)))


ClickException: type[Exception] = _click_exception()
"""The base of the usage errors typer raises (missing option, bad value, unknown command)."""
