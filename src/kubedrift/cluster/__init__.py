"""The Kubernetes API and snapshot files: the only place that talks to a cluster."""
