"""Remediation plans (pure) and their execution against the cluster."""
