"""The timeline store's suppressions, for commands that read them (scan, diff, and through
`cli/scan_request.py` plan, apply, report and adopt).

Light on purpose: `scan` and `diff` call `store_suppressions` on every run, so SQLAlchemy is
imported only when a store is there to read (start-up time, issue 18.5); without `--store`,
the default file is read only when it exists (a scan must not create a database as a side
effect).
"""

from __future__ import annotations

from pathlib import Path

from kubedrift.cli.options import DEFAULT_STORE
from kubedrift.model.suppression import Suppression

__all__ = ["DEFAULT_STORE", "store_suppressions"]  # DEFAULT_STORE is declared in cli/options.py


def store_suppressions(store: str | None) -> tuple[Suppression, ...]:
    """The suppressions kept in `store`, read without writing: none when the store (the
    default file when `store` is None) does not exist yet. Reading never creates a store:
    `apply` with a bad plan file must not leave an empty database behind."""
    if store is None:
        if not Path(DEFAULT_STORE).is_file():
            return ()
        store = DEFAULT_STORE
    from kubedrift.store.engine import parse_url
    from kubedrift.store.readonly import open_existing

    url = parse_url(store)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return ()
    with open_existing(store) as opened:
        return tuple(row.suppression for row in opened.suppressions())
