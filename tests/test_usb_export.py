"""Export to a USB stick from the staff screen. The USB hardware is faked the way the kernel shows it: a
mounts file and a /sys/class/block tree (real symlinks into a devices tree) in tmp_path, whose mount points
are real folders, or real size-limited tmpfs mounts for a full, read-only or pulled-out stick. The exports
are real, from a real store filled by simulated sessions, and read back as a spreadsheet would."""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kiosk.session.simulate import simulate
from kiosk.session.store import Store
from kiosk.staff.usb_export import (
    NO_STICK,
    STICK_FULL,
    STICK_GONE,
    STICK_READ_ONLY,
    Drive,
    UsbExportError,
    export_to_drive,
    export_to_usb,
    find_usb_drives,
)
from tests.test_export import assert_no_formula, review_session

USB_DISK = "devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block"
NVME_DISK = "devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0"
SD_READER = "devices/platform/fe340000.mmc/mmc_host/mmc1/mmc1:aaaa/block"
needs_mount = pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"),
                                 reason="mounting a small tmpfs as a stand-in USB stick needs root (CI runs as root)")


class Machine:
    """The kernel's view of block devices and mounts, under ``root`` in tmp_path."""

    def __init__(self, root: Path):
        self.root = root
        self.sys_block = root / "sys/class/block"
        self.labels = root / "dev/disk/by-label"
        self.media = root / "media"
        self.mounts = root / "proc-mounts"
        for folder in (self.sys_block, self.labels, self.media):
            folder.mkdir(parents=True)
        self.mounts.write_text("proc /proc proc rw,relatime 0 0\n/dev/vda / ext4 rw,relatime 0 0\n")

    def disk(self, name: str, bus_path: str, *, removable: bool) -> None:
        disk = self.root / "sys" / bus_path / name
        disk.mkdir(parents=True)
        (disk / "removable").write_text("1\n" if removable else "0\n")
        self.sys_block.joinpath(name).symlink_to(Path("../..", bus_path, name))

    def partition(self, disk: str, bus_path: str, number: int = 1) -> str:
        name = f"{disk}p{number}" if disk[-1].isdigit() else f"{disk}{number}"
        partition = self.root / "sys" / bus_path / disk / name
        partition.mkdir()
        (partition / "partition").write_text(f"{number}\n")
        self.sys_block.joinpath(name).symlink_to(Path("../..", bus_path, disk, name))
        return name

    def mount(self, device: str, folder: Path, options: str = "rw,nosuid,nodev,relatime", *, label: str = "") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        escaped = str(folder).replace(" ", "\\040")
        with self.mounts.open("a") as mounts:
            mounts.write(f"/dev/{device} {escaped} vfat {options} 0 0\n")
        if label:
            self.labels.joinpath(label).symlink_to(f"../../{device}")
        return folder

    def usb_stick(self, folder_name: str = "KINGSTON", options: str = "rw,nosuid,nodev,relatime", *,
                  disk: str = "sdb", label: str = "") -> Path:
        self.disk(disk, USB_DISK, removable=True)
        return self.mount(self.partition(disk, USB_DISK), self.media / folder_name, options, label=label)

    def drives(self) -> list[Drive]:
        return find_usb_drives(self.mounts, self.sys_block, self.labels, roots=(self.media,))


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path / "machine")


@pytest.fixture
def filled(config, store: Store) -> Store:
    simulate(40, config=config, store=store, seed=8, on_saved=lambda _saved: None)
    return store


@pytest.fixture
def tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Mounts a real tmpfs of the given options on a folder in tmp_path; unmounts whatever is left."""
    mounted: list[Path] = []

    def mount(folder: Path, options: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_usb_stick_is_found_with_its_label_and_the_kiosks_own_disks_are_not(machine):
    stick = machine.usb_stick("MY STICK", label="TEAM\\x20FILES")  # udev escapes a space in a label
    machine.disk("nvme0n1", NVME_DISK, removable=False)
    machine.mount(machine.partition("nvme0n1", NVME_DISK), machine.media / "data-disk")
    machine.disk("sda", USB_DISK, removable=False)  # a Pi booting from a USB SSD: USB, but mounted at /boot
    machine.mount(machine.partition("sda", USB_DISK), machine.root / "boot")
    assert machine.drives() == [Drive(stick, "TEAM FILES", "/dev/sdb1", False, stick.stat().st_dev)]


def test_a_usb_disk_that_says_it_is_fixed_and_a_removable_card_reader_count_as_sticks(machine):
    machine.disk("sdc", USB_DISK, removable=False)  # many USB SSDs report removable=0
    ssd = machine.mount(machine.partition("sdc", USB_DISK), machine.media / "pi" / "SSD")
    machine.disk("mmcblk1", SD_READER, removable=True)
    card = machine.mount("mmcblk1", machine.media / "CARD")  # a card with no partition table
    assert sorted((d.name, d.mount) for d in machine.drives()) == [("CARD", card), ("SSD", ssd)]


def test_nothing_mounted_finds_nothing_and_the_export_button_says_so(machine, filled):
    machine.disk("sdb", USB_DISK, removable=True)  # plugged in but not mounted
    assert machine.drives() == []
    with pytest.raises(UsbExportError) as error:
        export_to_usb(filled, machine.drives())
    assert str(error.value) == NO_STICK == "No USB stick found. Put one in, wait a few seconds, and try again."


def test_a_read_only_stick_is_listed_last_and_refused_without_writing(machine, filled):
    locked = machine.usb_stick("LOCKED", "ro,nosuid,nodev", disk="sdb")
    writable = machine.usb_stick("SPARE", disk="sdc")
    drives = machine.drives()
    assert [(d.mount, d.read_only) for d in drives] == [(writable, False), (locked, True)]
    with pytest.raises(UsbExportError) as error:
        export_to_drive(filled, drives[1])
    assert str(error.value) == STICK_READ_ONLY
    assert STICK_READ_ONLY.startswith("The USB stick is read-only. If it has a small lock switch, slide it to unlock")
    assert list(locked.iterdir()) == []
    assert export_to_usb(filled, drives).drive.mount == writable


def test_export_writes_csv_and_xlsx_that_read_back_with_every_response(machine, filled):
    stick = machine.usb_stick()
    result = export_to_usb(filled, machine.drives())
    stem = f"feedback-{date.today().isoformat()}-{filled.kiosk_id[:8]}"
    assert result.files == (stick / f"{stem}.csv", stick / f"{stem}.xlsx")
    assert sorted(p.name for p in stick.iterdir()) == [f"{stem}.csv", f"{stem}.xlsx"]  # no .partial left
    assert result.count == 40
    assert result.message == "Saved 40 responses to the USB stick KINGSTON (CSV and Excel). You can take it out now."
    with result.files[0].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 1 + 40 and rows[0][0] == "id"
    book = load_workbook(result.files[1], read_only=True)
    assert book.sheetnames == ["Responses", "Summary"]
    sheet_ids = [row[0] for row in book["Responses"].iter_rows(min_row=2, values_only=True)]
    book.close()
    assert sorted(sheet_ids) == sorted(row[0] for row in rows[1:])
    again = export_to_drive(filled, result.drive)  # the same day again: that day's files are replaced
    assert again.files == result.files and sorted(p.name for p in stick.iterdir()) == [f"{stem}.csv", f"{stem}.xlsx"]


def test_a_stick_taken_out_after_it_was_found_gets_a_plain_message(machine, filled):
    stick = machine.usb_stick()
    drive = machine.drives()[0]
    stick.rmdir()  # the desktop removes the folder when the stick goes
    with pytest.raises(UsbExportError) as error:
        export_to_drive(filled, drive)
    assert str(error.value) == STICK_GONE
    assert not stick.exists()


@needs_mount
def test_a_stick_unmounted_under_its_folder_is_not_written_to_the_kiosks_own_disk(machine, filled, tmpfs):
    stick = machine.usb_stick()
    tmpfs(stick, "size=1m")
    drive = machine.drives()[0]
    subprocess.run(["umount", str(stick)], check=True)  # pulled out; the empty folder stays behind
    with pytest.raises(UsbExportError, match=re.escape(STICK_GONE)):
        export_to_drive(filled, drive)
    assert list(stick.iterdir()) == []


@needs_mount
def test_a_nearly_full_stick_says_it_is_full_and_keeps_no_file_of_the_export(machine, filled, tmpfs, tmp_path):
    # How big the two files are, from an export to an ordinary folder.
    sizes = [p.stat().st_size for p in export_to_drive(filled, _folder_drive(tmp_path / "sizes")).files]
    assert sizes[0] > 8192 and sizes[1] > 8192, sizes  # several tmpfs pages each
    stick = tmpfs(machine.usb_stick(), "size=1m,mode=0755")
    # Leave room for the CSV but not for the XLSX as well: the finished CSV must go too.
    free = os.statvfs(stick).f_bavail * os.statvfs(stick).f_frsize
    (stick / "holiday-photos.jpg").write_bytes(b"\0" * (free - sizes[0] - 8192))
    with pytest.raises(UsbExportError) as error:
        export_to_drive(filled, machine.drives()[0])
    assert str(error.value) == STICK_FULL == "The USB stick is full. Delete some files from it or use another stick."
    assert [p.name for p in stick.iterdir()] == ["holiday-photos.jpg"]


@needs_mount
def test_a_read_only_filesystem_that_looked_writable_is_reported_as_read_only(machine, filled, tmpfs):
    stick = tmpfs(machine.usb_stick(), "ro,size=1m")
    drive = machine.drives()[0]
    assert drive.read_only  # the mounts file says rw, but the filesystem refuses writes
    with pytest.raises(UsbExportError, match=re.escape(STICK_READ_ONLY)):
        export_to_drive(filled, dataclasses.replace(drive, read_only=False))  # e.g. remounted read-only just now
    assert list(stick.iterdir()) == []


def _folder_drive(folder: Path) -> Drive:
    folder.mkdir()
    return Drive(folder, folder.name, "/dev/sdz1", False, folder.stat().st_dev)


def test_a_usb_export_of_answers_that_start_like_formulas_holds_only_text(machine, filled):
    filled.save(review_session())
    machine.usb_stick()
    result = export_to_usb(filled, machine.drives())
    assert result.count == 41
    for written in result.files:
        assert_no_formula(written)
