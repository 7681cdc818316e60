"""Staff exports of responses, from a kiosk (kiosk.session.store_export) or the server: CSV and XLSX for
spreadsheets, JSONL with everything.

CSV and XLSX have one row per response and one column per question (the question's words as the
header), in a stable order: question sets by first use, questions in set order, each choice question's
"tell us why" right after it. CSV is UTF-8 with a BOM so Excel and LibreOffice keep Bengali and Korean
intact. Every cell, headers and the XLSX summary included, is a sync.core.spreadsheet.spreadsheet_cell, so no
words a person, a kiosk or a question set wrote can run as a formula.

Rows go by period (the hour, day or week shown), then by their random id, with no sequence number, so
nothing in a file tells which response came after which within a period.

With ``redact_names`` (``--redact-names``) the names of people in free text become ``[name]``
(sync.core.privacy.redact_names), for a copy to publish or share: the database keeps them as the site's
``privacy.staff_names`` says, so the service can act on them.
"""

from __future__ import annotations

import contextlib
import csv
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal, Protocol, get_args

import orjson
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from tqdm import tqdm

from sync.core.files import atomic_path
from sync.core.privacy import redact_names as redacted
from sync.core.record import read_payload, without_about_you
from sync.core.spreadsheet import spreadsheet_cell

Format = Literal["csv", "jsonl", "xlsx"]
TimeDetail = Literal["hour", "day", "week"]
SUPPRESS_BELOW = 5
"""Counts smaller than this read "fewer than 5" in summaries (the XLSX "Summary" sheet)."""
SUPPRESS_BELOW_VARIABLE = "FEEDBACK_SERVER_SUPPRESS_BELOW"
"""The same threshold for the central dashboard, from the environment (``feedback-server serve
--suppress-below``, and how it reaches the processes of ``serve --workers``)."""
TIME_COLUMNS = ("created_at_device", "received_at")
"""Columns holding a moment: exports show them only to the hour, day or week (default day), so nobody
can match a response to the person seen at the kiosk at 14:07."""
PAYLOAD_COLUMNS = ("question_set", "language", "channel", "complete", "misuse_suspected")
"""Columns every export takes from the response itself, after the source's own columns."""
PROGRESS_STEP = 1000

class ExportSource(Protocol):
    """Where the responses come from: this kiosk's store, or the central server's database."""

    columns: tuple[str, ...]
    """The source's own leading columns, e.g. id and created_at_device. Never ``seq``: it numbers a kiosk's
    responses in the order they were given, which coarsened times are there to hide."""

    def reading(self) -> AbstractContextManager[object]:
        """One consistent read: the count, the columns and the rows agree while saving goes on."""

    def count(self, since: str | None) -> int: ...

    def examples(self, since: str | None) -> list[str]:
        """The payload JSON of one response per question set version, sets in order of first use.
        (Every payload lists every question of its set, so one per version tells all the columns.)"""

    def rows(self, since: str | None, detail: TimeDetail) -> Iterator[tuple[Any, ...]]:
        """Each response as its leading column values followed by its payload JSON, ordered by
        ``period_order(..., detail)`` and then id (see period_order)."""


def coarsen(moment: str, detail: TimeDetail) -> str:
    """``2026-11-23T14:07:31Z`` as ``2026-11-23T14Z`` (hour), ``2026-11-23`` (day) or ``2026-W48`` (week);
    "" for anything that is not such a timestamp. Runs once a row, so it checks the shape and the date with
    ``datetime.fromisoformat`` (C) and cuts the text, instead of ``strptime``/``strftime`` (a third of an
    export's time at 100,000 rows)."""
    if not isinstance(moment, str) or len(moment) < 19 or moment[10] != "T" or not moment[:4].isdigit():
        return ""
    try:
        when = datetime.fromisoformat(moment[:19])
    except ValueError:
        return ""
    if detail == "hour":
        return f"{moment[:13]}Z"
    if detail == "day":
        return moment[:10]
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def period_order(column: str, detail: TimeDetail) -> str:
    """An SQL expression (the same for SQLite and PostgreSQL) on a ``created_at_device`` column that sorts
    rows by the period :func:`coarsen` shows, and is equal within it; exports add ``, id`` to it, so
    within a period rows follow their random ids, never the order they were given in.

    The column must hold timestamps as the protocol checks them (``YYYY-MM-DDTHH:MM:SS…``: digits where
    digits go). Weeks use whole-number arithmetic rather than date functions, which PostgreSQL would
    refuse on a kiosk clock's impossible date such as month 13 (coarsen shows "" for that row; it is
    sorted among the weeks by its digits, still by id within its key)."""
    if detail == "hour":
        return f"substr({column}, 1, 13)"
    if detail == "day":
        return f"substr({column}, 1, 10)"
    # Days since 0000-03-01, a Wednesday (Howard Hinnant's days_from_civil: the year starts in March, so
    # leap days fall at its end); plus 2 makes each run of seven start on a Monday, as ISO weeks do.
    january_or_february = f"(CASE WHEN substr({column}, 6, 2) <= '02' THEN 1 ELSE 0 END)"
    year = f"(CAST(substr({column}, 1, 4) AS INTEGER) - {january_or_february})"
    month_from_march = f"((CAST(substr({column}, 6, 2) AS INTEGER) + 9) % 12)"
    day = f"CAST(substr({column}, 9, 2) AS INTEGER)"
    days = f"(365 * {year} + {year} / 4 - {year} / 100 + {year} / 400 + (153 * {month_from_march} + 2) / 5 + {day} - 1)"
    return f"(({days} + 2) / 7)"


def _coarse_rows(source: ExportSource, since: str | None, detail: TimeDetail) -> Iterator[list[Any]]:
    moments = [i for i, name in enumerate(source.columns) if name in TIME_COLUMNS]
    for row in source.rows(since, detail):
        coarse = list(row)
        for i in moments:
            coarse[i] = coarsen(coarse[i], detail)
        yield coarse


def _answers(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The payload's well-formed answers, without the "About you" ones (only ever counted, never shown beside a
    person's other answers: docs/privacy.md). The server accepts any JSON object as a payload (a newer kiosk may
    add fields), so an odd record must cost its own cells, never the whole export."""
    answers = payload.get("answers")
    if not isinstance(answers, list):
        return []
    return [a for a in answers if isinstance(a, dict) and isinstance(a.get("question"), str)
            and a.get("about_you") is not True]


def _payload(raw: str | bytes, redact_names: bool) -> dict[str, Any]:
    """A stored payload as the export shows it: every free text's names redacted when asked (for publication)."""
    payload = read_payload(raw)
    if not isinstance(payload, dict):
        return {}
    answers = payload.get("answers") if redact_names else None
    if not isinstance(answers, list):
        return payload
    return payload | {"answers": [
        answer | {"text": redacted(answer["text"])} if isinstance(answer, dict) and isinstance(answer.get("text"), str)
        else answer for answer in answers]}


def _text_cell(value: object) -> str:
    return value if isinstance(value, str) else ""


def _words_cell(value: object) -> object:
    """An answer's words as a safe cell ("" for anything that is not text)."""
    return spreadsheet_cell(value) if isinstance(value, str) else ""


def _flag(value: object) -> bool | str:
    return value if isinstance(value, bool) else ""


Columns = list[tuple[str, str, str, str]]
"""``(question_set, question_id, field, header)`` per answer column."""


def _question_columns(examples: list[str]) -> Columns:
    """``(question_set, question_id, field, header)`` for every answer column, in a stable order: sets by
    first use, then their versions, then questions in set order, each "tell us why" after its question."""
    columns: dict[tuple[str, str, str], str] = {}
    for example in examples:
        payload = _payload(example, redact_names=False)
        qset = str(payload.get("question_set", ""))
        for answer in _answers(payload):
            question, text = answer["question"], str(answer.get("question_text", answer["question"]))
            if answer.get("kind") == "choice":
                columns.setdefault((qset, question, "choice_text"), text)
                if answer.get("follow_up_text"):
                    columns.setdefault((qset, question, "text"), f"{text} — {answer['follow_up_text']}")
            else:
                columns.setdefault((qset, question, "text"), text)
    headers = list(columns.values())
    return [(s, q, f, h if headers.count(h) == 1 else f"{h} ({s})") for (s, q, f), h in columns.items()]


def _counted(rows: Iterator[Any], bar: tqdm) -> Iterator[Any]:
    """Pass rows through, moving the progress bar in steps (once per row is a real cost at 100,000)."""
    shown = 0
    for row in rows:
        yield row
        shown += 1
        if shown == PROGRESS_STEP:
            bar.update(shown)
            shown = 0
    bar.update(shown)


def _table(source: ExportSource, since: str | None, detail: TimeDetail, columns: Columns,
           bar: tqdm, redact_names: bool = False) -> Iterator[list[Any]]:
    """Header row, then one row per response; ``columns`` are the answer columns (_question_columns). Every
    value is a spreadsheet_cell: the CSV, the XLSX and its summary write nothing else, so nothing a person, a
    kiosk or a manager wrote can run as a formula (and openpyxl writes a string as a formula only if it starts
    with "=")."""
    yield [spreadsheet_cell(title) for title in (*source.columns, *PAYLOAD_COLUMNS, *(c[3] for c in columns))]
    # (question set, question) -> the cells its chosen answer and its text go to (None: no such column).
    slots: dict[tuple[str, str], list[int | None]] = {}
    for i, (qset, question, field, _header) in enumerate(columns):
        slots.setdefault((qset, question), [None, None])[field == "text"] = i
    no_slots = (None, None)
    empty = [""] * len(columns)
    choice_cells: dict[str, object] = {}  # the few words of a question set's answers, each made a cell once
    for row in _counted(_coarse_rows(source, since, detail), bar):
        payload = _payload(row[-1], redact_names)
        qset = str(payload.get("question_set", ""))
        cells = empty.copy()  # "" is a safe cell as it is; each answer's words go through spreadsheet_cell
        for answer in _answers(payload):
            choice_slot, text_slot = slots.get((qset, answer["question"]), no_slots)
            if choice_slot is not None:
                words = answer.get("choice_text")
                if isinstance(words, str):
                    cell = choice_cells.get(words)
                    if cell is None:
                        cell = choice_cells[words] = spreadsheet_cell(words)
                    cells[choice_slot] = cell
            if text_slot is not None:
                cells[text_slot] = _words_cell(answer.get("text"))
        yield [*map(spreadsheet_cell, (
            *row[:-1], qset, _text_cell(payload.get("language")), _text_cell(payload.get("channel")),
            _flag(payload.get("complete")), _flag(payload.get("misuse_suspected")))), *cells]


def _jsonl(source: ExportSource, since: str | None, detail: TimeDetail, out: IO[str], bar: tqdm,
           redact_names: bool = False) -> None:
    """A line per response: its columns and payload. A payload nested deeper than orjson writes (255 levels; the
    server stored such records before it refused them) costs its own fields, never the whole export."""
    for row in _counted(_coarse_rows(source, since, detail), bar):
        columns = dict(zip(source.columns, row, strict=False))
        try:
            line = orjson.dumps({**columns, **without_about_you(_payload(row[-1], redact_names))})
        except orjson.JSONEncodeError:
            line = orjson.dumps(columns)
        out.write(line.decode("utf-8") + "\n")


def _choice_columns(source: ExportSource, columns: Columns) -> list[int]:
    """Where the chosen answers are in the table (for the summary sheet)."""
    fixed = len(source.columns) + len(PAYLOAD_COLUMNS)
    return [fixed + i for i, column in enumerate(columns) if column[2] == "choice_text"]


def _summary(sheet: Any, header: list[str], tally: dict[int, Counter[str]], suppress_below: int) -> None:
    """How often each answer was chosen. A count below ``suppress_below`` reads "fewer than N", so no
    small group (the two people who answered "Very poor" this week) can be singled out."""
    bold = Font(bold=True)
    sheet.append([_styled(sheet, title, font=bold) for title in ("Question", "Answer", "Responses")])
    for column, counts in tally.items():
        for answer, count in sorted(counts.items(), key=lambda item: -item[1]):
            shown: int | str = count if count >= suppress_below else f"fewer than {suppress_below}"
            sheet.append([header[column], answer, shown])


def _xlsx(rows: Iterator[list[Any]], out: Path, fixed: int, choices: list[int], suppress_below: int) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Responses")
    sheet.freeze_panes = "B2"
    header = next(rows)
    for number in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(number)].width = 14 if number <= fixed else 40
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append([_styled(sheet, title, font=bold, alignment=wrap) for title in header])
    tally: dict[int, Counter[str]] = {column: Counter() for column in choices}
    try:
        for row in rows:
            sheet.append(row)
            for column, counts in tally.items():
                if row[column]:
                    counts[row[column]] += 1
    except BaseException:
        with contextlib.suppress(Exception):
            sheet.close()  # end openpyxl's temporary sheet file now, not noisily when it is garbage-collected
        raise
    _summary(book.create_sheet("Summary"), header, tally, suppress_below)
    book.save(out)


def _styled(sheet: Any, value: str, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, value_ in style.items():
        setattr(cell, name, value_)
    return cell


def write_export(source: ExportSource, fmt: Format, out: Path, *, since: str | None = None,
                 time_detail: TimeDetail = "day", suppress_below: int = SUPPRESS_BELOW,
                 progress: bool | None = None, redact_names: bool = False) -> int:
    """Write every response from ``source`` (from ``since`` on) to ``out``; return how many. With
    ``redact_names``, names in free text read ``[name]`` (a copy to publish).

    The file is written beside ``out`` and renamed into place, so a failed export never leaves a
    half-written file that looks complete, nor a ``.partial`` one.
    """
    if fmt not in get_args(Format):
        raise ValueError(f"unknown export format {fmt!r}")
    with atomic_path(out) as partial, source.reading():
        total = source.count(since)
        bar = tqdm(total=total, unit=" responses", disable=None if progress is None else not progress, leave=False)
        with bar as counter:
            columns = _question_columns(source.examples(since)) if fmt != "jsonl" else []
            if fmt == "xlsx":
                _xlsx(_table(source, since, time_detail, columns, counter, redact_names), partial,
                      len(source.columns) + len(PAYLOAD_COLUMNS), _choice_columns(source, columns), suppress_below)
            else:
                encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
                with partial.open("w", encoding=encoding, newline="") as handle:
                    if fmt == "csv":
                        csv.writer(handle).writerows(_table(source, since, time_detail, columns, counter,
                                                            redact_names))
                    else:
                        _jsonl(source, since, time_detail, handle, counter, redact_names)
    return total
