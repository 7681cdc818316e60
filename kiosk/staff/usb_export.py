"""Export to a USB stick from the staff screen: find the stick, write CSV and XLSX onto it, say what happened.

A stick is a mounted filesystem whose disk the kernel calls removable or reaches through a USB bus, mounted
where desktops and udisks put sticks (under /media, /run/media or /mnt), so the kiosk's own disks (a Pi
that boots from a USB SSD included) are never mistaken for one.

The files are written by :func:`sync.core.export.write_export` (beside their final name, fsynced, then
renamed), both from one read of the store. If either fails, both are removed: the staff see one plain
message and nothing on the stick that looks like a finished export.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kiosk.session.store import Store
from kiosk.session.store_export import KioskSource
from sync.core.export import Format, TimeDetail, write_export

MOUNT_ROOTS = (Path("/media"), Path("/run/media"), Path("/mnt"))
LABELS = Path("/dev/disk/by-label")

NO_STICK = "No USB stick found. Put one in, wait a few seconds, and try again."
STICK_FULL = "The USB stick is full. Delete some files from it or use another stick."
STICK_READ_ONLY = "The USB stick is read-only. If it has a small lock switch, slide it to unlock, then try again."
STICK_GONE = "The USB stick was taken out before the export finished. Put it back in and try again."
NOT_ALLOWED = "The kiosk is not allowed to write on this USB stick. Try another stick, or ask IT."
_MESSAGES = {errno.ENOSPC: STICK_FULL, errno.EDQUOT: STICK_FULL, errno.EFBIG: STICK_FULL,
             errno.EROFS: STICK_READ_ONLY, errno.EACCES: NOT_ALLOWED, errno.EPERM: NOT_ALLOWED,
             errno.EIO: STICK_GONE, errno.ENODEV: STICK_GONE, errno.ENXIO: STICK_GONE, errno.ENOENT: STICK_GONE}


class UsbExportError(Exception):
    """The export did not reach the stick; the message says why in plain words, for the staff screen."""


@dataclass(frozen=True)
class Drive:
    mount: Path
    name: str
    """What to call it on screen: its label (e.g. KINGSTON), else its folder's name."""
    device: str
    read_only: bool
    filesystem: int
    """The mount folder's ``st_dev`` when found: if it changes, the stick was unmounted and the folder left
    behind belongs to the kiosk's own disk, which must not receive the export."""


@dataclass(frozen=True)
class ExportResult:
    count: int
    """Responses written (each file holds them all)."""
    files: tuple[Path, ...]
    drive: Drive

    @property
    def message(self) -> str:
        responses = "1 response" if self.count == 1 else f"{self.count} responses"
        return f"Saved {responses} to the USB stick {self.drive.name} (CSV and Excel). You can take it out now."


def find_usb_drives(mounts: Path = Path("/proc/mounts"), sys_block: Path = Path("/sys/class/block"),
                    labels: Path = LABELS, roots: tuple[Path, ...] = MOUNT_ROOTS) -> list[Drive]:
    """Mounted USB sticks, writable ones first (a read-only one is listed so the screen can say so)."""
    drives: dict[Path, Drive] = {}
    for line in mounts.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 4 or not fields[0].startswith("/dev/"):
            continue
        device, mount, options = fields[0], Path(_unescape_mount(fields[1])), fields[3].split(",")
        if mount in drives or not any(mount.is_relative_to(root) and mount != root for root in roots):
            continue
        name = Path(os.path.realpath(device)).name
        if not _is_usb_or_removable(sys_block / name):
            continue
        try:
            filesystem = mount.stat().st_dev
        except OSError:  # listed, but gone already
            continue
        read_only = "ro" in options or not os.access(mount, os.W_OK)
        drives[mount] = Drive(mount, _label(labels, name) or mount.name, device, read_only, filesystem)
    return sorted(drives.values(), key=lambda drive: drive.read_only)


def _unescape_mount(field: str) -> str:
    """/proc/mounts writes a space in a folder name as \\040 (and tab, newline, backslash likewise)."""
    return re.sub(r"\\([0-7]{3})", lambda octal: chr(int(octal.group(1), 8)), field)


def _is_usb_or_removable(block: Path) -> bool:
    """The kernel's view of the block device (``/sys/class/block/sdb1``): is its disk removable, or on USB?"""
    try:
        device = block.resolve(strict=True)
    except OSError:
        return False
    disk = device.parent if (device / "partition").exists() else device
    try:
        removable = (disk / "removable").read_text().strip() == "1"
    except OSError:
        removable = False
    return removable or any(part.startswith("usb") for part in device.parts)


def _label(labels: Path, device_name: str) -> str | None:
    """The filesystem's label from udev's ``/dev/disk/by-label`` links (``\\x20`` there is a space)."""
    with contextlib.suppress(OSError):
        for link in labels.iterdir():
            if Path(os.readlink(link)).name == device_name:
                raw = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda hexa: bytes([int(hexa.group(1), 16)]),
                             os.fsencode(link.name))
                return raw.decode("utf-8", errors="replace")
    return None


def export_to_usb(store: Store, drives: Sequence[Drive], *, time_detail: TimeDetail = "day") -> ExportResult:
    """The staff screen's button, with ``drives`` from :func:`find_usb_drives`: export to the first (a
    writable one if there is one), or say that no stick was found (see :func:`export_to_drive`)."""
    if not drives:
        raise UsbExportError(NO_STICK)
    return export_to_drive(store, drives[0], time_detail=time_detail)


def export_to_drive(store: Store, drive: Drive, *, time_detail: TimeDetail = "day") -> ExportResult:
    """Write every response as ``feedback-<date>-<kiosk id>.csv`` and ``.xlsx`` in the stick's top folder,
    fsynced; a second export on the same day replaces that day's files. Raises :class:`UsbExportError`.

    ``store`` must belong to the calling thread (SQLite): a worker thread opens its own ``Store(data_dir)``.
    """
    if drive.read_only:
        raise UsbExportError(STICK_READ_ONLY)
    stem = f"feedback-{date.today().isoformat()}-{store.kiosk_id[:8]}"
    formats: tuple[Format, ...] = ("csv", "xlsx")
    source = KioskSource(store)
    written: list[Path] = []
    count = 0
    try:
        with source.reading():  # both files from the same moment, even while sync marks responses sent
            for fmt in formats:
                if drive.mount.stat().st_dev != drive.filesystem:  # unmounted, its empty folder left behind
                    raise FileNotFoundError(errno.ENOENT, "the stick is no longer mounted", str(drive.mount))
                path = drive.mount / f"{stem}.{fmt}"
                count = write_export(source, fmt, path, time_detail=time_detail, progress=False)
                written.append(path)
    except OSError as error:
        for path in written:  # only this export's finished files: one that failed left nothing
            with contextlib.suppress(OSError):  # a stick pulled out cannot be tidied
                path.unlink(missing_ok=True)
        message = _MESSAGES.get(error.errno or 0)
        raise UsbExportError(message or f"The export could not be written to the USB stick "
                                        f"({error.strerror or error}). Try another stick.") from error
    return ExportResult(count, tuple(written), drive)
