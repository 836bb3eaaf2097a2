"""slowburn: find slow-building configuration risk in months of Prometheus history."""

__version__ = "0.1.0"
