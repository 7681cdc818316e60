"""Writing a file whole or not at all, and so that it survives a power cut: the one way the project replaces a file
(exports, reports, the staff PIN, updates from the server, merged fonts, synthesised and recorded prompts).

The new contents go to a temporary file in the same folder (so the rename cannot cross filesystems), which is
flushed to the disk, renamed over the target in one step, and then the folder itself is flushed so the new name
survives too. That is the strongest durability any caller needs (a USB stick pulled out as soon as we say
"Wrote", a PIN file after a power cut); for the others it costs a few milliseconds on files written rarely.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Make a file's contents, or a folder's list of names, survive a power cut. A pipe or a device (an export
    written to /dev/stdout) has nothing to flush."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path, *, shared: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` for the caller to write (itself or through a library that wants a file
    name). When the block ends, that file replaces ``path`` durably (see the module); if it raises, the
    temporary file is removed and ``path`` is as it was.

    The temporary file is ``<name>.partial``, except with ``shared``: for a file several processes may make at
    once (a prompt cache, a report), each gets its own ``.<name>.<random>.partial``."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial" if shared else f"{path.name}.partial")
    try:
        yield partial
        fsync_path(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def write_atomically(path: Path, data: str | bytes) -> None:
    """``data`` (text is written as UTF-8) as the whole of ``path``, durably: see :func:`atomic_path`."""
    with atomic_path(path) as partial:
        partial.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
