"""The store's suppressions for `scan`, `diff` and `plan`, without their import cost.

`scan` and `diff` must not import SQLAlchemy and Alembic unless they need them (start-up
time, see cli/lazy.py): the store is imported only when one is named or the default store
file exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kubedrift.model.suppression import Suppression

DEFAULT_STORE = "./kubedrift-timeline.db"
"""As `kubedrift.cli.reading.DEFAULT_STORE` (not imported: it pulls in the renderers)."""

ReadStoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="KUBEDRIFT_STORE",
        help="Timeline store whose `kubedrift suppress` entries apply (SQLite file or "
        f"postgresql:// URL; default: {DEFAULT_STORE} when it exists).",
    ),
]


def store_suppressions(store: str | None) -> tuple[Suppression, ...]:
    """The suppressions of `store`; of the default store file only when it exists (a scan,
    a plan or an apply that writes nothing must not create a database as a side effect)."""
    store = store or DEFAULT_STORE
    if store == DEFAULT_STORE and not Path(DEFAULT_STORE).is_file():
        return ()
    from kubedrift.store import SqlStore

    with SqlStore.open(store) as opened:
        return tuple(row.suppression for row in opened.suppressions())
