"""The Friends and Family Test return (sync/server/fft/) on SQLite and PostgreSQL: its totals equal a direct SQL
count of the stored answers, Easy Read and standard sets count alike by answer id, a wrong kiosk clock is flagged
and left out, an empty month says so, codes are checked and audited, and `feedback-server fft-return` writes a
CSV and an XLSX that LibreOffice opens and openpyxl reads back."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from sync.server.domain.demo import generate
from sync.server.domain.kiosks import add_kiosk
from sync.server.fft.codes import FftCodesError, SiteCodes, Ward, set_site_codes, set_ward
from sync.server.fft.counting import ANSWERS
from sync.server.fft.tables import COLUMNS, month_return
from sync.server.reports.period import Month
from sync.server.storage.db import audit_log, kiosks, open_database
from tests.server_process import feedback_server
from tests.test_export import read_table
from tests.test_server_aggregates import record, send, session

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OCTOBER = Month(2026, 10)
SITES = ["Mile End", "Bow"]


@pytest.fixture
def demo(server_database):
    engine = open_database(server_database)
    generate(engine, SITES, 3000, days=90, seed=4, now=NOW)
    yield engine
    engine.dispose()


def direct_sql_counts(engine: sa.Engine, month: Month) -> Counter[tuple[str, str]]:
    """(kiosk, answer) -> how many, counted by the database itself from the payloads' JSON."""
    if engine.dialect.name == "postgresql":
        sql = ("SELECT r.kiosk, a->>'choice', count(*) FROM responses r, "
               "jsonb_array_elements(CAST(r.payload AS jsonb)->'answers') a WHERE r.created_at_device >= :start AND "
               "r.created_at_device < :end AND a->>'question' = 'overall' AND a->>'status' = 'answered' GROUP BY 1, 2")
    else:
        sql = ("SELECT r.kiosk, json_extract(a.value, '$.choice'), count(*) FROM responses r, "
               "json_each(r.payload, '$.answers') a WHERE r.created_at_device >= :start AND r.created_at_device < :end "
               "AND json_extract(a.value, '$.question') = 'overall' AND json_extract(a.value, '$.status') = 'answered' "
               "GROUP BY 1, 2")
    with engine.connect() as connection:
        rows = connection.execute(sa.text(sql), {"start": month.first.isoformat(),
                                                 "end": month.following().first.isoformat()})
        return Counter({(kiosk, answer): count for kiosk, answer, count in rows})


def test_the_returns_counts_equal_a_direct_sql_count_of_the_demo_data(demo):
    made = month_return(demo, OCTOBER)
    direct = direct_sql_counts(demo, OCTOBER)
    wards = made.levels["Wards"]
    assert {(key[-1], answer): row.answers[answer] for key, row in wards.items() for answer in ANSWERS
            if row.answers[answer]} == dict(direct)
    assert made.total == direct.total() > 500
    assert made.levels["Trusts"][("",)].total == made.total  # no codes yet: one organisation with no code
    assert any("Mile End has no ODS organisation code" in check for check in made.checks)


def test_easy_read_and_standard_answers_count_alike_by_answer_id(server_database):
    engine = open_database(server_database)
    add_kiosk(engine, "rose-1", "Rose House")
    day = "2026-10-14"
    send(engine, [record(1, session("neither", question_set="easy-read", answer_text="OK"), day),
                  record(2, session("neither", question_set="default"), day),
                  record(3, session("very-poor", question_set="easy-read", answer_text="Very bad"), day),
                  record(4, session(None, "yes"), day)], kiosk="rose-1", site="Rose House")
    made = month_return(engine, OCTOBER)
    [row] = made.levels["Wards"].values()
    assert row.answers == Counter({"neither": 2, "very-poor": 1}) and made.responses == 4
    cells = dict(zip(COLUMNS["Wards"], made.sheets(published=False)["Wards"][1], strict=True))
    assert (cells["Neither Good nor Poor"], cells["Very Poor"], cells["Total Responses"]) == (2, 1, 3)
    assert (cells["Percentage Positive"], cells["Percentage Negative"], cells["Mode Other"]) == (0.0, 0.3333, 3)
    engine.dispose()


def test_a_wrong_clock_is_flagged_and_its_answers_left_out_of_every_month(server_database):
    engine = open_database(server_database)
    add_kiosk(engine, "rose-1", "Rose House")
    this_month = Month(datetime.now(UTC).year, datetime.now(UTC).month)
    ahead = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%d")
    given_now = record(1, session("good"))  # given this moment: a fixed hour of today is later than 00:30
    given_now["created_at_device"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    send(engine, [given_now, record(2, session("poor"), "1970-01-01"), record(3, session("poor"), ahead)],
         kiosk="rose-1", site="Rose House")
    with engine.begin() as connection:
        connection.execute(kiosks.update().values(clock_skew_seconds=2 * 3600))
    made = month_return(engine, this_month)
    assert made.total == 1
    [wrong] = [check for check in made.checks if "not counted" in check]
    assert "2 answers received in" in wrong and "clock not set" in wrong and "clock ahead" in wrong
    assert any("its clock was 2 hours behind at its last sync" in check for check in made.checks)
    assert month_return(engine, Month(1970, 1)).total == 0
    engine.dispose()


def test_a_month_with_no_answers_says_so_and_lists_each_ward_at_0(demo):
    made = month_return(demo, Month(2026, 12).following())
    assert made.total == 0 and made.checks[0].startswith("Nobody answered the Friends and Family Test question in "
                                                         "January 2027")
    assert {row.total for row in made.levels["Wards"].values()} == {0} and len(made.levels["Wards"]) == 4


def test_codes_are_checked_for_their_shape_and_every_change_is_audited(server_database):
    engine = open_database(server_database)
    add_kiosk(engine, "rose-1", "Rose House")
    with engine.begin() as connection:
        stored = set_site_codes(connection, SiteCodes("Rose House", " rwd ", "Rose Trust", "rwdla"), "ada")
        set_site_codes(connection, SiteCodes("Rose House", "RWD", "Rose Trust", "RWDLA", "qmf", "Telephone"), "ada")
        set_ward(connection, Ward("rose-1", "Willow ward", "710 -  Adult mental illness"), "ada")
    assert (stored.org_code, stored.site_code) == ("RWD", "RWDLA")
    for wrong, said in ((SiteCodes("Rose House", "R"), "not the shape of an ODS organisation code"),
                        (SiteCodes("Rose House", "RWD", site_code="XYZ12"), "start with its own code"),
                        (SiteCodes("Rose House", "RWD", icb_code="ABC"), "not the shape of an ICB code"),
                        (SiteCodes("Rose House", "RWD", mode="Kiosk"), "collection mode must be one of"),
                        (SiteCodes("Nowhere", "RWD"), "no kiosk stands at a site called 'Nowhere'")):
        with pytest.raises(FftCodesError, match=said), engine.begin() as connection:
            set_site_codes(connection, wrong, "ada")
    for ward, said in ((Ward("rose-1", "Ash", "71"), "not a main specialty"), (Ward("nobody", "Ash"), "no kiosk")):
        with pytest.raises(FftCodesError, match=said), engine.begin() as connection:
            set_ward(connection, ward, "ada")
    with engine.connect() as connection:
        log = connection.execute(sa.select(audit_log.c.action, audit_log.c.site, audit_log.c.detail)
                                 .order_by(audit_log.c.id)).all()
    assert [tuple(row) for row in log] == [
        ("fft-site-codes", "Rose House",
         "site Rose House; org_code RWD; org_name Rose Trust; site_code RWDLA; mode Other"),
        ("fft-site-codes", "Rose House", "icb_code (none) → QMF; mode Other → Telephone"),
        ("fft-ward", "Rose House", "kiosk rose-1; ward Willow ward; first_specialty 710 - Adult mental illness")]
    engine.dispose()


@pytest.fixture
def demo_file(tmp_path):
    db = str(tmp_path / "central.db")
    engine = open_database(db)
    generate(engine, SITES, 1500, days=90, seed=5, now=NOW)
    with engine.begin() as connection:
        set_site_codes(connection, SiteCodes("Mile End", "RWD", "=HYPERLINK(\"x\")", "RWDLA"), "ada")
        set_ward(connection, Ward("mile-end-1", "Willow ward", "710"), "ada")
    engine.dispose()
    return db


def test_the_command_writes_the_ward_rows_as_csv_and_says_what_to_check(demo_file, tmp_path):
    out = tmp_path / "fft.csv"
    result = feedback_server("fft-return", "--period", "2026-10", "--out", str(out), db=demo_file)
    assert result.returncode == 0, result.stderr
    assert "Wrote the Friends and Family Test return for October 2026" in result.stdout
    assert "Bow has no ODS organisation code" in result.stdout
    header, *rows = read_table(out)
    assert tuple(header) == COLUMNS["Wards"]
    willow = next(row for row in rows if row[header.index("Ward Name")] == "Willow ward")
    assert willow[header.index("Trust Name")] == "'=HYPERLINK(\"x\")"  # shown, never run
    assert willow[header.index("First Speciality")] == "710"
    bad = feedback_server("fft-return", "--period", "2026-Q3", "--out", str(out), db=demo_file)
    assert bad.returncode != 0 and "give a month" in bad.stderr


def test_the_cli_sets_codes_and_refuses_a_bad_one_in_one_line(demo_file):
    ok = feedback_server("fft-codes", "site", "Bow", "--org-code", "rwd", "--site-code", "RWDBW", db=demo_file)
    assert ok.returncode == 0 and "organisation RWD" in ok.stdout
    bad = feedback_server("fft-codes", "site", "Bow", "--site-code", "XX", db=demo_file)
    assert bad.returncode != 0 and bad.stderr.startswith("Error: 'XX' is not the shape of an ODS site code")
    listed = feedback_server("fft-codes", "list", db=demo_file)
    assert "RWDBW" in listed.stdout and "Willow ward" in listed.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("publish", [False, True])
def test_the_xlsx_opens_in_libreoffice_and_reads_back_with_openpyxl(demo_file, tmp_path, publish):
    out = tmp_path / "fft-2026-10.xlsx"
    result = feedback_server("fft-return", "--period", "2026-10", "--out", str(out), *(["--publish"] * publish),
                             db=demo_file)
    assert result.returncode == 0, result.stderr
    converted = tmp_path / "converted"
    opened = subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
                             "--convert-to", "xlsx", "--outdir", str(converted), str(out)],
                            capture_output=True, text=True, timeout=240)
    assert opened.returncode == 0, opened.stderr
    ours, theirs = openpyxl.load_workbook(out), openpyxl.load_workbook(converted / out.name)
    assert ours.sheetnames == theirs.sheetnames == ["Notes", "Wards", "Sites", "Trusts"]
    for name in ("Wards", "Sites", "Trusts"):
        written = [[cell for cell in row] for row in ours[name].iter_rows(values_only=True)]
        read = [[cell for cell in row] for row in theirs[name].iter_rows(values_only=True)]
        assert written == read and tuple(written[0]) == COLUMNS[name]
    assert theirs["Notes"]["A1"].value.startswith("Friends and Family Test (FFT) Data - October 2026")
    assert ("for publication" in theirs["Notes"]["A1"].value) == publish


def test_the_benchmark_runs_on_a_small_database_and_agrees_with_raw_sql(tmp_path):
    """A smoke run of bench/bench_fft.py: it asserts the return's count equals its raw SQL count."""
    bench = Path(__file__).resolve().parent.parent / "bench" / "bench_fft.py"
    result = subprocess.run([sys.executable, str(bench), "--responses", "400", "--db", str(tmp_path / "bench.db"),
                             "--repeat", "1"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "raw SQL count" in result.stdout and "ratio" in result.stdout
