"""kubedrift: find and correct infrastructure drift in Kubernetes clusters running AI workloads."""

__version__ = "0.1.0"
