"""Desired state: manifests from files, folders, Git, Kustomize and Helm."""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubedrift.desired.config import KubedriftConfig, load_config, parse_config
    from kubedrift.desired.documents import Location, SourcedObject
    from kubedrift.desired.render import RenderOptions
    from kubedrift.desired.sources import DesiredSet, load_desired

_WHERE = {
    "KubedriftConfig": "kubedrift.desired.config",
    "load_config": "kubedrift.desired.config",
    "parse_config": "kubedrift.desired.config",
    "Location": "kubedrift.desired.documents",
    "SourcedObject": "kubedrift.desired.documents",
    "RenderOptions": "kubedrift.desired.render",
    "DesiredSet": "kubedrift.desired.sources",
    "load_desired": "kubedrift.desired.sources",
}
"""Each public name and the module defining it, imported on first use (`__getattr__`)."""


def __getattr__(name: str) -> Any:
    """`name` from its module, imported now (PEP 562): importing one submodule of this
    package does not import all of them (start-up time, issue 18.5)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DesiredSet",
    "KubedriftConfig",
    "Location",
    "RenderOptions",
    "SourcedObject",
    "load_config",
    "load_desired",
    "parse_config",
]
