"""Words that a spreadsheet must show, never run.

Excel and LibreOffice take a cell that starts with = + - or @ for a formula (a leading tab or carriage return
can hide one), so a person's words, a question set's or a kiosk's name could open a link or run a command on
a manager's computer. Every CSV and XLSX cell goes through :func:`spreadsheet_cell`, and question sets refuse
words that :func:`starts_like_formula` (sync/core/questions.py).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters other than tab, line feed and carriage return: XLSX cannot hold them, and one before
an "=" must not hide it."""
_FORMULA = re.compile(r"[\t\r]|[\s\u200b-\u200f\u2060\ufeff]*[=+\-@]")
"""A formula's start: a leading tab or carriage return, or = + - @ after any spaces or invisible characters."""
_LOOK_CLOSER = frozenset(" =+-@")
"""First characters of a printable text that may start a formula (the others that may are not printable)."""


def starts_like_formula(text: str) -> bool:
    """True if a spreadsheet could take ``text`` for a formula, whatever control characters it starts with."""
    return _FORMULA.match(_CONTROL.sub("", text)) is not None


def spreadsheet_cell(value: object) -> object:
    """``value`` as a CSV or XLSX cell may hold it: numbers (and True or False) as they are, anything else as
    text without control characters, after a ' if it would start like a formula (shown, never run)."""
    if isinstance(value, str) and value.isprintable() and value[:1] not in _LOOK_CLOSER:
        return value  # most cells, found faster than by the regexes
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    text = _CONTROL.sub("", text)
    return "'" + text if _FORMULA.match(text) else text
