"""Is there room to keep taking answers? Stop before the disk is full, not after an answer is lost."""

from __future__ import annotations

import shutil
from pathlib import Path


def free_mb(path: Path) -> float:
    """Free space, in MB, on the filesystem holding ``path`` (or its nearest existing parent)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free / 1_000_000


def has_room(path: Path, keep_free_mb: int) -> bool:
    """True while more than ``keep_free_mb`` MB is free ([storage] keep_free_mb in kiosk.toml)."""
    return free_mb(path) > keep_free_mb
