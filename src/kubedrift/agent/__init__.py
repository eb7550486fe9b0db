"""The node agent: collects host and GPU facts the API cannot see and publishes them.

    names        fact names (documented there) and `NATURALLY_UNIQUE_FACTS`; imports nothing
    options      `CollectOptions`: what to collect, where the host's files are
    hostfs       reading the host's files under a root, links followed inside it
    kernel       /proc and /sys: command line, sysctls, modules, transparent huge pages
    packages     /etc/os-release and dpkg package versions
    configfiles  SHA-256 of kubelet, containerd, NVIDIA toolkit and CDI files
    nvml         GPU facts behind the `NvmlApi` seam (real `pynvml` or recorded values)
    collect      one collection: all of the above merged
    service      collect → publish (`kubedrift.cluster.publish`) once, or in a loop

The command line is `kubedrift.cli.agent`; the manifests are in `deploy/agent/`.
"""
