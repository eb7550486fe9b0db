"""Desired state: manifests from files, folders, Git, Kustomize and Helm."""

from typing import TYPE_CHECKING

from kubedrift.model.lazy import lazy_names

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
"""Each public name and the module defining it, imported on first use (`model/lazy.py`)."""


__getattr__ = lazy_names(__name__, _WHERE)


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
