"""Where kubedrift leans on a library's internals, and the one error that says it broke.

kubedrift uses five things its libraries do not promise to keep (issue 17.6), each behind
one module that is the only place touching it, with a test that exercises it for real:

- `cluster/lightkube_seam.py`: lightkube's `config.client_adapter` (the configured
  httpx2 client, TLS and auth from a kubeconfig, without lightkube's object layer);
- `net/httpcore_seam.py`: httpx2's connection pool's network backend, wrapped so a
  socket whose TLS handshake is cancelled is closed (httpcore2 leaks it);
- `cli/click_seam.py`: the click exception class typer raises (typer >= 0.2x vendors
  click as `typer._click`, older ones use plain click);
- `cli/coercion_seam.py`: typer's `build_runtime_param`, to convert str/Path/Enum option
  values without importing pydantic (start-up time, issue 18.5; it falls back to typer's
  own coercion, and its test fails, when typer changes);
- `controller/uvicorn_seam.py`: a `uvicorn.Server` subclass overriding `capture_signals`
  and `startup` (uvicorn has no switch to leave the process's signals alone).

When one of them changes, the seam raises `LibraryChanged`, whose one line names the
library, its installed version, the internal that changed, and the seam to update — not
an AttributeError deep in a traceback.
"""

from __future__ import annotations

from kubedrift.model.errors import KubedriftError


class LibraryChanged(KubedriftError):
    """An internal API of a dependency that kubedrift relies on is not as it expects."""


def installed_version(distribution: str) -> str:
    """The installed version of `distribution`, or "(not installed)"."""
    from importlib import metadata  # only when a seam broke: it costs every start-up ~10 ms

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def library_changed(
    distribution: str, internal: str, seam: str, err: BaseException
) -> LibraryChanged:
    """The error for `internal` of `distribution` no longer working as `seam` uses it."""
    version = installed_version(distribution)
    return LibraryChanged(
        f"{distribution} {version} changed {internal}, an internal API kubedrift uses "
        f"({type(err).__name__}: {err}); update {seam} or install the {distribution} "
        "version kubedrift was tested with",
        where=f"{distribution} {version}",
    )
