"""The store's error: what a database failure becomes before it leaves this package.

    KubedriftError
    └── StoreError   the timeline database cannot be opened, migrated, read or written

SQLAlchemy, Alembic and driver exceptions never cross the store's boundary; `where` names
the database by its URL with any password hidden.
"""

from __future__ import annotations

from kubedrift.model import KubedriftError


class StoreError(KubedriftError):
    """The timeline database failed; `where` is its URL without the password."""
