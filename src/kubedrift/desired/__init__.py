"""Desired state: manifests from files, folders, Git, Kustomize and Helm."""

from kubedrift.desired.config import KubedriftConfig, load_config, parse_config
from kubedrift.desired.documents import Location, SourcedObject
from kubedrift.desired.render import RenderOptions
from kubedrift.desired.sources import DesiredSet, load_desired

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
