"""`feedback-server export`: every kiosk's responses in one file, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests
from openpyxl import load_workbook

from sync.core.export import PAYLOAD_COLUMNS
from sync.core.protocol import BATCHES_PATH
from sync.server.domain.export import ServerSource
from sync.server.fft.counting import fft_answer
from tests.server_process import (
    FREE_TEXT,
    ServerProcess,
    enrol,
    feedback_server,
    make_batch,
    make_record,
    nested,
)
from tests.test_export import EVIL_SET, answers_against_the_clock, assert_no_formula, expected_order, review_session
from tests.test_sync_e2e import Kiosk

FFT_ANSWER = {"question": "overall", "question_text": "Overall, how was it?", "kind": "choice", "status": "answered",
              "choice": "good", "choice_text": "Good"}


def two_sites(tmp_path, env, db: str) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Two kiosks at two sites, each synced; returns each kiosk's response ids."""
    kiosks = {"lounge": ("Rose House", 40), "reception": ("Mile End", 25)}
    held: dict[str, set[str]] = {}
    with ServerProcess(db) as server:
        for name, (site, count) in kiosks.items():
            (tmp_path / name).mkdir()
            kiosk = Kiosk(tmp_path / name, env, enrol(db, name=name, site=site))
            kiosk.simulate(count, seed=len(name))
            assert kiosk.sync_once(server.url).returncode == 0
            held[name] = kiosk.ids()
    return held


def test_one_file_holds_every_kiosk_with_its_site(tmp_path, kiosk_env, server_database):
    database = server_database
    held = two_sites(tmp_path, kiosk_env, database)
    outputs = {fmt: tmp_path / f"all.{fmt}" for fmt in ("csv", "xlsx", "jsonl")}
    for fmt, out in outputs.items():
        result = feedback_server("export", "--format", fmt, "--out", str(out), db=database)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"Wrote 65 responses to {out}"

    with outputs["csv"].open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    fixed = [*ServerSource.columns, *PAYLOAD_COLUMNS]
    assert header[: len(fixed)] == fixed and "seq" not in header
    assert "How was your time with us?" in header  # the built-in Easy Read set's first question
    by_kiosk = {name: {r[0] for r in rows if r[2] == name} for name in held}
    assert by_kiosk == held
    assert {r[1] for r in rows if r[2] == "lounge"} == {"Rose House"}
    day = re.compile(r"\d{4}-\d{2}-\d{2}")
    created, received = header.index("created_at_device"), header.index("received_at")
    assert all(day.fullmatch(r[created]) and day.fullmatch(r[received]) for r in rows)  # to the day, nothing finer
    assert rows == sorted(rows, key=lambda r: (r[created], r[0]))  # by day, then id, whatever the kiosk

    sheet = load_workbook(outputs["xlsx"], read_only=True)["Responses"]
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == header and len(cells) == 66
    assert {r[0] for r in cells[1:]} == {r[0] for r in rows}

    records = [json.loads(line) for line in outputs["jsonl"].read_text().splitlines()]
    assert {r["id"] for r in records} == held["lounge"] | held["reception"]
    assert all(r["answers"] and r["site"] in ("Rose House", "Mile End") and "seq" not in r for r in records)


@pytest.mark.parametrize("detail", ["hour", "day", "week"])
def test_rows_go_by_period_then_random_id_never_by_time_or_seq(tmp_path, server_database, detail):
    """Answers sent in time order, each id smaller than the last: within a period the latest comes first."""
    token = enrol(server_database)
    given = answers_against_the_clock(detail)
    records = [{**make_record(seq, record_id=rid), "created_at_device": moment}
               for seq, (rid, moment) in enumerate(given, start=1)]
    with ServerProcess(server_database) as server:
        assert server.post_batch(token, make_batch(records, device_id=str(uuid.uuid4()))).json()["accepted"] == 9
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"all.{fmt}"
        result = feedback_server("export", "--format", fmt, "--out", str(out), "--time-detail", detail,
                                 db=server_database)
        assert result.returncode == 0, result.stderr
        if fmt == "csv":
            with out.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        else:
            rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert not any("seq" in row for row in rows)
        assert [(row["id"], row["created_at_device"]) for row in rows] == expected_order(detail)


def test_an_odd_payload_from_a_newer_kiosk_costs_its_own_cells_not_the_export(tmp_path):
    """The server accepts any JSON object as a payload; exporting must still write every row."""
    db = str(tmp_path / "server.db")
    token = enrol(db)
    device = str(uuid.uuid4())
    odd = [make_record(1, {"answers": "not a list", "complete": {"nested": 1}}),
           make_record(2, {"question_set": "default", "answers": [7, {"question": "overall", "kind": "choice",
                                                                       "choice_text": ["not", "text"]}]}),
           make_record(3)]
    with ServerProcess(db) as server:
        response = requests.post(server.url + BATCHES_PATH, json=make_batch(odd, device_id=device),
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 200 and response.json()["accepted"] == 3
    for fmt in ("csv", "xlsx", "jsonl"):
        out = tmp_path / f"all.{fmt}"
        result = feedback_server("export", "--format", fmt, "--out", str(out), db=db)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"Wrote 3 responses to {out}"
    with (tmp_path / "all.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in odd)
    assert {r["complete"] for r in rows} == {"", "True"}


def stored_before_a_fix(tmp_path: Path, payload: str) -> tuple[str, dict[str, Any], str]:
    """Two records sent over HTTP, then the first one's payload replaced in the database by ``payload`` (as a
    server stored it before it refused such records), then every export made; returns the server database,
    the JSONL export's rows by id, and the fine record's id."""
    db = str(tmp_path / "server.db")
    token = enrol(db)
    records = [make_record(seq) for seq in (1, 2)]
    with ServerProcess(db) as server:
        response = requests.post(server.url + BATCHES_PATH, json=make_batch(records, device_id=str(uuid.uuid4())),
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 200 and response.json()["accepted"] == 2
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE responses SET payload = ? WHERE id = ?", (payload, records[0]["id"]))
    for fmt in ("csv", "xlsx", "jsonl"):
        out = tmp_path / f"all.{fmt}"
        result = feedback_server("export", "--format", fmt, "--out", str(out), db=db)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"Wrote 2 responses to {out}"
    rows = {row["id"]: row for row in map(json.loads, (tmp_path / "all.jsonl").read_text().splitlines())}
    assert set(rows) == {record["id"] for record in records}
    return db, rows, records[1]["id"]


def test_a_stored_record_nested_deeper_than_orjson_writes_costs_its_own_fields_not_the_export(tmp_path):
    """The server refuses such records now; one stored before still leaves every export whole."""
    _db, rows, fine = stored_before_a_fix(tmp_path, json.dumps(nested(300)))  # orjson writes at most 255 levels
    [deep] = set(rows) - {fine}
    assert set(rows[deep]) == set(ServerSource.columns)
    assert rows[fine]["answers"] and rows[fine]["site"] == "Mile End"


def test_a_stored_number_beyond_a_floats_range_still_counts_and_exports(tmp_path):
    """The server refuses 1e400 now; a record stored before keeps its answers in every export, in the FFT count
    and among the comments themes are made of (orjson cannot read it; the standard library can)."""
    payload = {"question_set": "default", "answers": [{"question": "what-is-working", "status": "answered",
                                                       "text": FREE_TEXT}, FFT_ANSWER], "score": 1}
    db, rows, fine = stored_before_a_fix(tmp_path, json.dumps(payload).replace('"score": 1', '"score": 1e400'))
    [huge] = set(rows) - {fine}
    with closing(sqlite3.connect(db)) as connection:
        raw = connection.execute("SELECT payload FROM responses WHERE id = ?", (huge,)).fetchone()[0]
    assert "1e400" in raw and fft_answer(raw, frozenset({("default", "overall")})) == "good"
    assert rows[huge]["answers"][0]["text"] == FREE_TEXT and rows[huge]["score"] is None  # infinity: no JSON
    with (tmp_path / "all.csv").open(newline="", encoding="utf-8-sig") as sheet:
        texts = [row for row in csv.DictReader(sheet) if row["id"] in rows]
    assert len(texts) == 2 and all(FREE_TEXT in row.values() for row in texts)


def test_bad_export_arguments_are_one_line(tmp_path):
    result = feedback_server("export", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                             db=str(tmp_path / "missing.db"))
    assert result.returncode != 0 and result.stderr.count("\n") == 1 and result.stderr.startswith("Error:")
    assert list(tmp_path.iterdir()) == []


def test_a_kiosks_formulas_and_a_formula_site_name_export_as_text(tmp_path):
    """The review's record, sent over HTTP by a kiosk enrolled under names that start like formulas."""
    db = str(tmp_path / "server.db")
    token = enrol(db, name="@lounge", site='=HYPERLINK("http://evil.example/site","site")')
    with ServerProcess(db) as server:
        sent = server.post_batch(token, make_batch([make_record(1, review_session().payload())],
                                                   device_id=str(uuid.uuid4())))
        assert sent.status_code == 200 and sent.json()["accepted"] == 1
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"all.{fmt}"
        result = feedback_server("export", "--format", fmt, "--out", str(out), db=db)
        assert result.returncode == 0, result.stderr
        assert_no_formula(out)
    with (tmp_path / "all.csv").open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["site"], row["kiosk"], row["question_set"]) == ("'=HYPERLINK(\"http://evil.example/site\",\"site\")",
                                                              "'@lounge", "'" + EVIL_SET)
