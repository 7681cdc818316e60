"""Only the user the kiosk or the server runs as can read the answers: folders 0700, files 0600.

An outside review found the server's database ``-rw-r--r--`` in a 0755 folder, and a kiosk's data folder 0755 with
kiosk.db 0644: every comment, concern and password hash readable by anyone with a login on the machine. What was
decided, in three parts, because each misses what the others catch:

* :func:`private_by_default`: the ``kiosk``, ``kiosk-sync`` and ``feedback-server`` commands set umask 077 before
  anything else (kiosk.cli.main.run_command), so all they make is private whatever umask the shell or the service gave
  them: folders, databases, backups, logs, exports, reports. Not done on import: a library that changes its
  caller's umask would surprise it. A file meant for others (an export for a spreadsheet) is shared on purpose.
* The kiosk's data folder and the server's database folder are created with mode 0700 as well
  (kiosk.session.store.Store, sync.server.storage.db), so code that opens them without
  the commands' umask still keeps others out.
* :func:`tighten`: a umask covers only new files, so a folder and database that a version before this one made
  under a wider umask are tightened when they are opened, with a warning in the log saying what was changed: on
  the kiosk by ``open_store`` (``kiosk run`` and ``kiosk-sync`` at start; ``kiosk status``, ``export`` and
  ``simulate``), on the server by ``open_database`` (``feedback-server serve`` at start, and every other command). The
  server tightens rather than refusing to start: a server that will not start loses answers. The database file
  matters most: SQLite gives the ``-wal`` and ``-shm`` files it makes the database file's own mode, not the
  umask's, so a kiosk.db left 0644 keeps making readable WAL files. ``kiosk doctor`` only reports (its checks
  change nothing), with the chmod commands.

The kiosk's data folder is the kiosk's own, so it is always tightened; backups and logs an older version made
inside it are then out of others' reach too, so they are not changed one by one. The server's database may be in
a folder that also holds other things (a home folder, /tmp, /srv/feedback beside the reports): such a folder is
left as it is and only the database made private. A shared folder such as /tmp (sticky bit) is never changed, nor
a file or folder another user owns (``sudo kiosk status`` must not change the kiosk user's files).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm")
"""The database file and those SQLite keeps beside it."""
log = logging.getLogger(__name__)


def private_by_default() -> None:
    """From now on this process makes folders 0700 and files 0600."""
    os.umask(PRIVATE_UMASK)


def database_files(database: Path) -> list[Path]:
    """The database and the -wal and -shm files beside it that exist now."""
    return [path for suffix in SQLITE_SUFFIXES if (path := database.with_name(database.name + suffix)).exists()]


def open_to_others(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o077)


def _mine_and_open(path: Path) -> bool:
    return path.stat().st_uid == os.geteuid() and open_to_others(path)


def holds_only(database: Path) -> bool:
    """True when the database's folder holds nothing but the database's own files: it is the database's folder."""
    allowed = {database.name + suffix for suffix in SQLITE_SUFFIXES}
    try:
        return all(path.name in allowed for path in database.parent.iterdir())
    except OSError:  # a folder this user may pass through but not list is not its own
        return False


def tighten(database: Path, *, folder_too: bool) -> None:
    """Make the database and its -wal and -shm 0600 and, with ``folder_too``, its folder 0700 where they let other
    users in, and log a warning saying what was changed. Nothing to do when the folder is not there yet; a change
    the file system refuses (read-only) is a warning, and the database is opened as before."""
    folder = database.parent
    if not folder.is_dir():
        return
    loose = {path: FILE_MODE for path in database_files(database) if _mine_and_open(path)}
    if folder_too and _mine_and_open(folder) and not folder.stat().st_mode & stat.S_ISVTX:
        loose[folder] = FOLDER_MODE
    if not loose:
        return
    commands = "; ".join(f"chmod {mode:o} {path}" for path, mode in loose.items())
    try:
        for path, mode in loose.items():
            path.chmod(mode)
    except OSError as error:
        log.warning("%s can be read by other users and could not be made private (%s): %s", database,
                    error.strerror or error, commands)
        return
    log.warning("%s could be read by other users: made readable by this user only (%s)", database, commands)
