"""Desired state: manifests from files, folders, Git, Kustomize and Helm."""
