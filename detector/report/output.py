"""Where a report page goes: a regular file, replaced atomically and left readable.

An existing path that is not a regular file (a device such as /dev/stdout, a FIFO, a directory) is
refused rather than replaced; a symbolic link is followed, so the file it points to is updated and
the link is kept.
"""

from __future__ import annotations

import errno
import stat
from pathlib import Path

from detector.transport.atomic_file import write_atomic


def write_page(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (mode 0644); returns the file written. Raises ``OSError`` (the
    caller's to map) with a one-line ``strerror``."""
    if str(path) == "-":
        raise OSError(errno.EINVAL, "expected a file path for the HTML report ('-' is not supported)")
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        kind = "a directory" if target.is_dir() else "not a regular file"
        raise OSError(errno.EINVAL, f"{kind}; expected a file path for the HTML report")
    write_atomic(target, text)
    target.chmod(0o644)  # a page to be read (served, mounted), unlike the 0600 temporary file
    return target
