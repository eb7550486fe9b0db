"""kubedrift's own error tree; each renders as one clear line naming what is at fault.

    KubedriftError
    ├── InputError     bad desired/live input: a file, a document in it, an object
    └── ClusterError   the cluster cannot be reached or refused a request

Library exceptions never cross an I/O boundary: the I/O layers translate them to these.
"""

from __future__ import annotations


class KubedriftError(Exception):
    """Base of every error kubedrift reports to a user (exit code 1, no traceback)."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Exception pickles its args only, which would drop `where` (errors cross from
        # the process that reads desired state); rebuild without calling __init__, whose
        # signature subclasses may change.
        return (_rebuild, (type(self), self.message, self.where))


def _rebuild(cls: type[KubedriftError], message: str, where: str | None) -> KubedriftError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.message, error.where = message, where
    return error


class InputError(KubedriftError):
    """Malformed input; `where` names the file, and the document or object within it."""


class ClusterError(KubedriftError):
    """The cluster was unreachable, refused access, or answered unexpectedly."""
