"""Node profiles, peer comparison, GPU-stack rules and AI workload impact (pure: no I/O)."""
