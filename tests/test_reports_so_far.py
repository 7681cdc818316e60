"""Reports on a period that is not over, read from the PDF's text: a December report made on 7 December counts
"so far, 7 of 31 days" and compares with 1 to 7 November, not all of November; the Board report and its Easy Read
version likewise for a quarter. Each site's Friends and Family Test is given beside the period before's, with the
change in words: a real change as "up from", one within chance said to be so.

The answers are placed on known days (tests/dashboard.seed) so that a whole-month comparison would give a very
different sentence ("down 89%") from the like-for-like one."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.server.reports.easy_read import easy_read_html
from sync.server.reports.monthly import gather_monthly
from sync.server.reports.period import Month, Quarter, SoFar, day_range
from sync.server.reports.quarterly import gather_quarterly
from sync.server.reports.render import monthly_html, quarterly_html, write_report
from sync.server.storage.db import open_database
from tests.dashboard import payload, seed, with_kind_staff

TODAY = date(2026, 12, 7)
DECEMBER, NOVEMBER, Q4 = Month(2026, 12), Month(2026, 11), Quarter(2026, 4)


def _answers(good: int, poor: int) -> list[dict]:
    """``good`` answers of Very good (and Yes, the staff were kind), ``poor`` of Poor (and No)."""
    return [with_kind_staff(payload("very-good"), True)] * good + [with_kind_staff(payload("poor"), False)] * poor


def _day(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    """Mile End: 1 to 7 November 50 of 100 said Very good or Good, 1 to 7 December 96 of 120 (a real rise); the
    rest of November 1,000 more answers. Bow: 40 of 50, then 42 of 50 (within chance). A third of a quarter
    before: July and early September at Mile End, and a busy late September."""
    db = str(tmp_path_factory.mktemp("so-far") / "server.db")
    for number, (site, when, good, poor) in enumerate([
            ("Mile End", _day(11, 3), 50, 50), ("Mile End", _day(11, 20), 700, 300), ("Mile End", _day(12, 5), 96, 24),
            ("Bow", _day(11, 4), 40, 10), ("Bow", _day(11, 21), 100, 20), ("Bow", _day(12, 6), 42, 8),
            ("Mile End", _day(7, 10), 30, 10), ("Mile End", _day(9, 5), 30, 10), ("Mile End", _day(9, 25), 900, 100)]):
        seed(db, site, f"kiosk-{number}", _answers(good, poor), at=when)
    engine = open_database(db, create=False)
    yield engine
    engine.dispose()


def _pdf_text(tmp_path: Path, html: str) -> str:
    out = tmp_path / "report.pdf"
    write_report(html, "pdf", out)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def _no_themes(texts: list[str]) -> None:
    pytest.fail(f"these answers have no comments to group, yet {len(texts)} were encoded")


def test_one_helper_says_how_much_of_a_period_has_happened() -> None:
    happened = SoFar(DECEMBER.first, DECEMBER.last, TODAY)
    assert (happened.finished, happened.words, happened.through) == \
        (False, "so far, 7 of 31 days", "1 to 7 December 2026")
    assert happened.same_days(NOVEMBER.first, NOVEMBER.last) == (date(2026, 11, 1), date(2026, 11, 7))
    over = SoFar(NOVEMBER.first, NOVEMBER.last, TODAY)
    assert (over.finished, over.words, over.same_days(date(2026, 10, 1), date(2026, 10, 31))) == \
        (True, "", (date(2026, 10, 1), date(2026, 10, 31)))
    assert SoFar(DECEMBER.first, DECEMBER.last, date(2026, 11, 30)).days_done == 0
    # 1 October to 7 December is 68 days; the quarter before's first 68 run to 6 September (July 31 + August 31 + 6)
    quarter = SoFar(Q4.first, Q4.last, TODAY)
    assert (quarter.days_done, quarter.days) == (68, 92)
    assert quarter.same_days(date(2026, 7, 1), date(2026, 9, 30)) == (date(2026, 7, 1), date(2026, 9, 6))
    assert day_range(date(2026, 11, 30), date(2026, 12, 6)) == "30 November to 6 December 2026"


def test_an_unfinished_month_says_so_far_and_compares_the_same_days(engine: sa.Engine, tmp_path: Path) -> None:
    report = gather_monthly(engine, "Mile End", DECEMBER, today=TODAY, encode=_no_themes)
    assert (report.responses, report.previous) == (120, 100)
    text = _pdf_text(tmp_path, monthly_html(report, 5))
    assert ("120 responses in December 2026 so far (1 to 7 December 2026, 7 of 31 days), up 20% on the same days "
            "of November 2026 (1 to 7 November 2026).") in text
    assert "December 2026 is not over: this report counts 1 to 7 December 2026, 7 of 31 days" in text
    assert "down 89%" not in text and "on November 2026" not in text
    # the Friends and Family Test beside the same days of November, the change real: 80% against 50%
    assert ("80% said Very good or Good, up from 50% in the same days of November 2026 (1 to 7 November 2026)"
            in text)
    # another choice question: its most chosen answer's share, likewise
    assert "Yes: 80%, up from 50% in the same days of November 2026 (1 to 7 November 2026)." in text
    # the six months' table: each month's share, the last against the same days of November
    assert "Dec 2026 so far" in text and "Up 30 points" in text


def test_a_change_within_chance_is_said_to_be_so(engine: sa.Engine, tmp_path: Path) -> None:
    text = _pdf_text(tmp_path, monthly_html(gather_monthly(engine, "Bow", DECEMBER, today=TODAY,
                                                           encode=_no_themes), 5))
    assert ("84% said Very good or Good, about the same as the 80% in the same days of November 2026 (1 to 7 "
            "November 2026); the difference is within chance") in text
    assert "up from" not in text and "down from" not in text


def test_a_finished_month_is_compared_with_all_of_the_month_before(engine: sa.Engine, tmp_path: Path) -> None:
    report = gather_monthly(engine, "Mile End", NOVEMBER, today=TODAY, encode=_no_themes)
    text = _pdf_text(tmp_path, monthly_html(report, 5))
    assert "1,100 responses in November 2026." in text  # none in October: no change to give
    assert "so far" not in text and "not over" not in text
    # the six months' table gives the Friends and Family Test's share each month (750 of 1,100)
    assert "Very good or Good none 75% none 89% none 68%" in text


def test_the_board_report_compares_each_sites_share_with_the_quarter_before(engine: sa.Engine, tmp_path: Path) -> None:
    report = gather_quarterly(engine, ["Mile End", "Bow"], Q4, today=TODAY, encode=_no_themes)
    assert report.compared_with == (date(2026, 7, 1), date(2026, 9, 6))
    assert [site.previous for site in report.sites] == [80, 0]
    text = _pdf_text(tmp_path, quarterly_html(report, 5))
    assert ("October to December 2026 is not over: this report counts 1 October to 7 December 2026, 68 of 92 days, "
            "and compares them with the same days of July to September 2026 (1 July to 6 September 2026).") in text
    assert "Same days of Jul to Sep 2026" in text and "Very good or Good at each site, against the same days" in text
    # Mile End's share: 846 of 1,220 this quarter so far (69%), 60 of 80 before (75%): within chance
    assert ("Mile End: 69% said Very good or Good, about the same as the 75% in the same days of July to "
            "September 2026 (1 July to 6 September 2026); the difference is within chance.") in text
    assert "up 29%" not in text


def test_the_easy_read_report_says_the_quarter_is_not_over(engine: sa.Engine, tmp_path: Path) -> None:
    report = gather_quarterly(engine, ["Mile End"], Q4, today=TODAY, encode=_no_themes)
    text = _pdf_text(tmp_path, easy_read_html(report, 5))
    assert "It is from 1 October to 7 December 2026." in text
    assert "October to December 2026 is not over yet." in text
    assert "That is more than in the first 68 days of July to September 2026." in text
    finished = _pdf_text(tmp_path, easy_read_html(gather_quarterly(engine, ["Mile End"], Quarter(2026, 3), today=TODAY,
                                                                   encode=_no_themes), 5))
    assert "It is from July to September 2026." in finished and "not over" not in finished
