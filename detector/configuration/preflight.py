"""Checks on a command's inputs that need no heavy library, made before pandas is imported.

A missing ``--data`` or ``--manifests`` path, or a live run without a ``prometheus:`` block, fails in a
fraction of a second instead of after 1-3 s of imports. The readers keep their own checks (they are
also called from library code and tests); these only answer sooner, with the same messages.
"""

from __future__ import annotations

from pathlib import Path

from detector.configuration.schema import Config
from detector.errors import ConfigError, DataError


def require_prometheus(config: Config, config_path: str) -> None:
    """A live run (no ``--data``) needs ``prometheus: {url: ...}`` (from the file, ``--prometheus`` or the environment)."""
    if config.prometheus is None:
        raise ConfigError(
            "a live run needs 'prometheus: {url: ...}' (or pass --data DIR for exported files)", location=f"{config_path}: prometheus"
        )


def require_data_directory(directory: str) -> None:
    """``--data`` must be an existing directory (its files are checked when read)."""
    path = Path(directory)
    if not path.exists():
        raise DataError("data directory not found", location=directory)
    if not path.is_dir():
        raise DataError("expected a directory of NAME.json / NAME.csv files, got a file", location=directory)


def require_manifests(config: Config, manifests: str | None) -> None:
    """The manifests read (``--manifests``, else ``kubernetes.manifests``: a directory or one file) must exist."""
    directory = manifests or (config.kubernetes.manifests if config.kubernetes else None)
    if directory and not Path(directory).exists():
        raise ConfigError("manifests directory not found", location=directory)
