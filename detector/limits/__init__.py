"""Latent limits read from Kubernetes objects: webhook timeouts and failure policies, client QPS and
burst (from flags or a versioned defaults table), memory limits, PVC and volume-claim-template sizes.

Data flow: objects (``manifests.read_manifests`` from files, ``cluster.read_cluster`` from the API
server) -> ``extract.extract_limits`` -> ``LimitSet`` -> ceilings for signals and configuration
findings (``configuration.configuration_findings``).
"""
