"""Where the kiosk's logs go, so that months of running never fill its disk.

Under systemd (stderr connected to the journal) every record goes to stderr, one line each, with its
syslog priority in front (``<4>`` for a warning) so that ``journalctl -u feedback-kiosk -p warning``
finds the problems. journald stores, rotates and caps its own files (see
config/systemd/journald-feedback-kiosk.conf); the kiosk writes no log file of its own.

Run by hand, ``kiosk run`` also writes DATA/logs/kiosk.log, rotated at ``LOG_BYTES`` with ``LOG_BACKUPS``
older files kept (so at most 5 MB), and ``kiosk-sync`` writes to stderr as before. Kivy's own file log is
always off: it starts one file per run that grows without limit while the app runs, and keeps 100 of them.
Records below INFO are dropped: a DEBUG line per spoken prompt adds up over months.

Call these before Kivy is imported (Kivy reads KIVY_NO_FILELOG and KIVY_NO_CONSOLELOG at import).
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_BYTES = 1_000_000
LOG_BACKUPS = 4
LOG_FOLDER = "logs"

SYSLOG_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


def under_journal() -> bool:
    """True when systemd connected our stderr to the journal: $JOURNAL_STREAM names stderr's device and
    inode (a child given a pipe or a file inherits the variable, but not the stream)."""
    try:
        device, inode = (int(part) for part in os.environ.get("JOURNAL_STREAM", "").split(":"))
        stat = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError):
        return False
    return (stat.st_dev, stat.st_ino) == (device, inode)


class JournalFormatter(logging.Formatter):
    """``<priority>logger: message`` on one line (journald reads the priority; it adds the time itself)."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record).replace("\n", " | ")  # a traceback stays one journal entry
        return f"<{SYSLOG_PRIORITY.get(record.levelno, 6)}>{text}"


class CappedFileHandler(RotatingFileHandler):
    """A log file that never stops the kiosk: when it cannot be written (the disk is full, exactly when
    the out-of-order screen must still show) the record is dropped. The default would print the error to
    stderr, which Kivy sends back to the log, and round again until the stack overflows."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def _to_journal() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)


def log_app(data_dir: Path) -> Path | None:
    """Logging for ``kiosk run``; returns the log file written by hand-run kiosks (None under systemd)."""
    os.environ["KIVY_NO_FILELOG"] = "1"
    if under_journal():
        os.environ["KIVY_NO_CONSOLELOG"] = "1"  # one line per record in the journal, not two
        _to_journal()
        return None
    folder = data_dir / LOG_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.log"
    handler = CappedFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)  # Kivy adds its console beside it
    return path


def log_job(name: str) -> None:
    """Logging for a job without a screen (``kiosk-sync``): the journal under systemd, else stderr."""
    logging.getLogger().setLevel(logging.INFO)
    if under_journal():
        _to_journal()
    else:
        logging.basicConfig(format=f"%(asctime)s {name} %(levelname)s %(message)s")
