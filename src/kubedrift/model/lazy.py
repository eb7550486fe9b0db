"""A package's public names imported on first use (PEP 562), so importing one submodule of
the package does not import all of them (start-up time, issue 18.5).

    __getattr__ = lazy_names(__name__, {"load_desired": "kubedrift.desired.sources", ...})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: each name in `where` from the module named
    there, imported at the first use and then kept in the package's globals."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
