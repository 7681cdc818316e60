"""Reports on a schedule (`feedback-server reports-due`, sync/server/reports/schedule.py): on a real server database
with five months of invented answers at three sites, the command writes exactly the reports due, with totals equal
to a direct count; a second run writes nothing; the next month appears when the date moves on; two sites whose
names make the same file name each keep their own file; a folder that cannot be written is one plain error; and
systemd accepts the daily timer."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.server.domain.demo import generate
from sync.server.domain.kiosks import add_kiosk
from sync.server.reports.period import Month
from sync.server.reports.schedule import complete_months, site_slugs, slug
from sync.server.storage.db import open_database
from sync.server.web.common import known_sites
from tests.report_data import sql_count
from tests.server_process import FEEDBACK_SERVER
from tests.test_service import UNITS, systemd_verify

SITES = {"Bow": "bow", "Mile End": "mile-end", "Poplar": "poplar"}
"""The sites and the file names their reports get."""
ANSWERED_UNTIL = datetime(2026, 7, 31, 20, tzinfo=UTC)
"""Five months of answers, March (from the 3rd) to July 2026."""
FIRST_DAY = "2026-07-10"
"""The first run: April, May and June are the three complete months before it."""
APRIL, MAY, JUNE, JULY = (Month(2026, month) for month in (4, 5, 6, 7))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, sa.Engine]]:
    logging.getLogger("sync.server.domain.batches").setLevel(logging.ERROR)  # not a line per invented concern
    path = str(tmp_path_factory.mktemp("schedule") / "server.db")
    engine = open_database(path)
    generate(engine, list(SITES), 3_000, days=150, seed=11, now=ANSWERED_UNTIL)
    yield path, engine
    engine.dispose()


def month_count(engine: sa.Engine, site: str, month: Month) -> int:
    return sql_count(engine, site, month.first, month.last)


def reports_due(db: str, out_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FEEDBACK_SERVER, "reports-due", "--db", db, "--out-dir", str(out_dir), *options],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def first_run(server: tuple[str, sa.Engine], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The daily run on 10 July 2026, into a folder that does not exist yet; its folder and what it printed."""
    out_dir = tmp_path_factory.mktemp("first") / "reports"
    done = reports_due(server[0], out_dir, "--today", FIRST_DAY)
    assert done.returncode == 0, done.stderr
    return out_dir, done.stdout


def files(out_dir: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``out_dir`` (relative path) with its inode and modification time: a rewrite changes both."""
    return {str(path.relative_to(out_dir)): (path.stat().st_ino, path.stat().st_mtime_ns)
            for path in sorted(out_dir.rglob("*")) if path.is_file()}


def expected(months: list[Month], sites: dict[str, str] = SITES) -> set[str]:
    return {f"{month}/{name}.{fmt}" for month in months for name in sites.values() for fmt in ("html", "pdf")}


def wrote(out_dir: Path, site: str, month: Month, name: str, about: str,
          formats: tuple[str, ...] = ("html", "pdf")) -> str:
    """The line the command prints for a report it wrote."""
    paths = ", ".join(str(out_dir / str(month) / f"{name}.{fmt}") for fmt in formats)
    return f"Wrote {site}, {month.label} ({about}): {paths}"


def pdf_text(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def test_the_first_run_writes_every_sites_report_for_each_complete_month_with_the_counted_totals(server, first_run):
    _, engine = server
    out_dir, printed = first_run
    assert set(files(out_dir)) == expected([APRIL, MAY, JUNE])
    counts = {(site, month): month_count(engine, site, month) for site in SITES for month in (APRIL, MAY, JUNE)}
    assert min(counts.values()) > 100  # every report has figures to show, none suppressed
    assert printed.splitlines() == [
        *(wrote(out_dir, site, month, name, f"{counts[site, month]:,} responses")
          for month in (APRIL, MAY, JUNE) for site, name in SITES.items()),
        f"Wrote 9 new reports to {out_dir}; 0 of the 9 due for April 2026 to June 2026 were there already."]
    for (site, month), count in counts.items():
        html = (out_dir / str(month) / f"{SITES[site]}.html").read_text()
        assert f"<h1>{site}: what people told us in {month.label}</h1>" in html
        total = re.search(rf'<p class="lead"><strong>([^<]+)</strong> responses in {month.label}', html)
        assert total is not None and total.group(1) == f"{count:,}"
        pdf = out_dir / str(month) / f"{SITES[site]}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert f"{count:,} responses in {month.label}" in pdf_text(pdf)
    assert not list(out_dir.rglob("*.part"))  # each written whole through a temporary file


def test_a_second_run_writes_nothing_and_the_next_month_comes_when_the_date_moves_on(server, first_run, tmp_path):
    path, engine = server
    out_dir = tmp_path / "reports"
    shutil.copytree(first_run[0], out_dir)
    before = files(out_dir)
    again = reports_due(path, out_dir, "--today", FIRST_DAY)
    assert again.returncode == 0, again.stderr
    assert again.stdout == (f"Wrote 0 new reports to {out_dir}; 9 of the 9 due for April 2026 to June 2026 were "
                            "there already.\n")
    assert files(out_dir) == before
    (out_dir / "2026-05" / "bow.pdf").unlink()  # lost, or deleted to be made again

    moved_on = reports_due(path, out_dir, "--today", "2026-08-01")
    assert moved_on.returncode == 0, moved_on.stderr
    assert moved_on.stdout.splitlines() == [
        wrote(out_dir, "Bow", MAY, "bow", f"{month_count(engine, 'Bow', MAY):,} responses", ("pdf",)),
        *(wrote(out_dir, site, JULY, name, f"{month_count(engine, site, JULY):,} responses")
          for site, name in SITES.items()),
        f"Wrote 4 new reports to {out_dir}; 5 of the 9 due for May 2026 to July 2026 were there already."]
    after = files(out_dir)
    assert set(after) == expected([APRIL, MAY, JUNE, JULY])  # April stays, though no longer in view
    assert {name: after[name] for name in before if name != "2026-05/bow.pdf"} == \
           {name: stamp for name, stamp in before.items() if name != "2026-05/bow.pdf"}


def test_two_sites_whose_names_make_the_same_file_name_each_keep_their_own(tmp_path):
    path = str(tmp_path / "server.db")
    engine = open_database(path)
    try:
        generate(engine, ["Rose House"], 200, days=20, seed=12, now=datetime(2026, 6, 28, 18, tzinfo=UTC))
        with engine.connect() as connection:
            assert site_slugs(connection, known_sites(connection)) == {"Rose House": "rose-house"}
        add_kiosk(engine, "rose-upper-1", "ROSE HOUSE")  # enrolled later, though it sorts first
        add_kiosk(engine, "rose-dash-1", "Rose-House")
        with engine.connect() as connection:
            names = site_slugs(connection, known_sites(connection))
        count = month_count(engine, "Rose House", JUNE)
    finally:
        engine.dispose()
    fingerprint = {site: f"rose-house-{hashlib.sha256(site.encode()).hexdigest()[:6]}"
                   for site in ("ROSE HOUSE", "Rose-House")}
    assert names == {"Rose House": "rose-house", **fingerprint}  # the first keeps its name: no file is renamed

    done = reports_due(path, tmp_path / "reports", "--today", "2026-07-01", "--months", "1")
    assert done.returncode == 0, done.stderr
    assert set(files(tmp_path / "reports")) == expected([JUNE], names)
    assert done.stdout.splitlines() == [
        wrote(tmp_path / "reports", site, JUNE, names[site], f"{count:,} responses" if site == "Rose House" else
              "nobody answered") for site in sorted(names)] + [
        f"Wrote 3 new reports to {tmp_path / 'reports'}; 0 of the 3 due for June 2026 were there already."]
    for site, name in names.items():
        html = (tmp_path / "reports" / "2026-06" / f"{name}.html").read_text()
        assert f"<h1>{site}: what people told us in June 2026</h1>" in html
        assert ("No one answered at" in html) == (site != "Rose House")


def test_a_folder_that_cannot_be_written_or_a_mistyped_database_is_one_plain_error(server, tmp_path):
    path, _ = server
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cases = [(blocker / "reports", "Not a directory")]
    if os.geteuid() != 0:  # root writes into a read-only folder
        (tmp_path / "read-only").mkdir(mode=0o500)
        cases.append((tmp_path / "read-only", "Permission denied"))
    for out_dir, reason in cases:
        done = reports_due(path, out_dir, "--today", FIRST_DAY)
        assert done.returncode == 1
        assert done.stderr == f"Error: cannot write reports in {out_dir}: {reason}\n"
        assert done.stdout == ""
    done = reports_due(str(tmp_path / "typo.db"), tmp_path / "reports")
    assert done.returncode != 0 and done.stderr.startswith("Error: no server database at ")
    assert done.stderr.count("\n") == 1 and not (tmp_path / "reports").exists()


def test_which_months_are_due_and_how_sites_are_named():
    assert complete_months(date(2026, 1, 1), 3) == [Month(2025, 10), Month(2025, 11), Month(2025, 12)]
    assert complete_months(date(2026, 7, 31), 1) == [JUNE]
    assert [slug(site) for site in ("Mile End", "  St. Mary's Café ", "Rose-House", "বাংলা")] == \
           ["mile-end", "st-mary-s-cafe", "rose-house", "site"]


def test_systemd_accepts_the_daily_reports_timer(tmp_path):
    service, timer = UNITS / "feedback-reports.service", UNITS / "feedback-reports.timer"
    systemd_verify([service, timer], tmp_path)
    assert "feedback-server reports-due --out-dir " in service.read_text()
    settings = timer.read_text().splitlines()
    assert "Persistent=true" in settings and "OnCalendar=*-*-* 06:00:00" in settings
