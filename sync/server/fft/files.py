"""The Friends and Family Test return as a file: CSV (the ward rows) or XLSX ("Notes", then NHS England's
"Wards", "Sites" and "Trusts" sheets). Every cell goes through :func:`sync.core.spreadsheet.spreadsheet_cell`, so
a ward or organisation name that starts like a formula is shown, never run.

Two kinds: the **submission** (exact counts, for NHS England's data collection, which suppresses before it
publishes) and the **publication** (NHS England's suppression applied, for a website, a Board paper or a
noticeboard: sync/server/fft/suppression.py). The file is written beside ``out`` and renamed into place, so a
failed write never leaves a half-written return that looks complete.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from sync.core.files import atomic_path
from sync.core.spreadsheet import spreadsheet_cell
from sync.server.fft.tables import FftReturn, Format

PERCENT_COLUMNS = ("Percentage Positive", "Percentage Negative")


def title(made: FftReturn, *, published: bool) -> str:
    """The title NHS England's files carry, and which kind of file this is."""
    kind = "for publication: small numbers suppressed" if published else "for submission to NHS England: exact counts"
    return f"Friends and Family Test (FFT) Data - {made.month.label} ({kind})"


def notes(made: FftReturn, *, published: bool, now: datetime) -> list[str]:
    """The "Notes" sheet's lines: what the file is, and the checks."""
    lines = [title(made, published=published), f"Made by the feedback kiosk server on {now:%d %B %Y at %H:%M} UTC.",
             f"Answers to the Friends and Family Test question: {made.total:,} of {made.responses:,} responses given "
             f"in {made.month.label} (by the kiosks' clocks, UTC)."]
    if published:
        lines.append("* : hidden by NHS England's rules, so that no figure singles out fewer than 5 people "
                     "(docs/fft.md).")
    else:
        lines.append("Exact counts, some below 5: for NHS England's data collection only. Do not publish this file; "
                     "make the publication version to share.")
    return [*lines, *(["Checks before you submit:", *made.checks] if made.checks else ["Checks: none."])]


def write_return(made: FftReturn, fmt: Format, out: Path, *, published: bool, now: datetime) -> None:
    """Write the return to ``out`` atomically."""
    with atomic_path(out) as partial:
        if fmt == "csv":
            _csv(made, partial, published=published)
        else:
            _xlsx(made, partial, published=published, now=now)


def _csv(made: FftReturn, out: Path, *, published: bool) -> None:
    """The ward rows: NHS England's ward-level data is one row per organisation, site and ward."""
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([[spreadsheet_cell(value) for value in row]
                                      for row in made.sheets(published=published)["Wards"]])


def _xlsx(made: FftReturn, out: Path, *, published: bool, now: datetime) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Notes")
    for number, line in enumerate(notes(made, published=published, now=now)):
        sheet.append([_cell(sheet, line, bold=number == 0)])
    for name, rows in reversed(made.sheets(published=published).items()):  # the ward rows, the return, first
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        header, *body = rows
        sheet.append([_cell(sheet, title_, bold=True) for title_ in header])
        percent = {header.index(column) for column in PERCENT_COLUMNS}
        for row in body:
            sheet.append([_cell(sheet, value, percent=number in percent) for number, value in enumerate(row)])
    book.save(out)


def _cell(sheet: object, value: object, *, bold: bool = False, percent: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=spreadsheet_cell(value))
    if bold:
        cell.font = Font(bold=True)
    if percent and isinstance(value, float):
        cell.number_format = "0.0%"
    return cell
