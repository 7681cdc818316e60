"""`feedback-server export`: every kiosk's responses in one file, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import json

from openpyxl import load_workbook

from kiosk.export import PAYLOAD_COLUMNS
from sync.server.export import ServerSource
from tests.server_process import ServerProcess, enrol, feedback_server
from tests.test_sync_e2e import Kiosk


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
    assert header[: len(fixed)] == fixed
    assert "Overall, how was your experience of our service?" in header
    by_kiosk = {name: {r[0] for r in rows if r[2] == name} for name in held}
    assert by_kiosk == held
    assert {r[1] for r in rows if r[2] == "lounge"} == {"Rose House"}
    assert all(r[5].endswith("Z") for r in rows)  # received_at, UTC as text

    sheet = load_workbook(outputs["xlsx"], read_only=True)["Responses"]
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == header and len(cells) == 66
    assert {r[0] for r in cells[1:]} == {r[0] for r in rows}

    records = [json.loads(line) for line in outputs["jsonl"].read_text().splitlines()]
    assert {r["id"] for r in records} == held["lounge"] | held["reception"]
    assert all(r["answers"] and r["site"] in ("Rose House", "Mile End") for r in records)


def test_bad_export_arguments_are_one_line(tmp_path):
    result = feedback_server("export", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                             db=str(tmp_path / "missing.db"))
    assert result.returncode != 0 and result.stderr.count("\n") == 1 and result.stderr.startswith("Error:")
    assert list(tmp_path.iterdir()) == []
