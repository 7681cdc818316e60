"""The monthly team report (sync/server/reports/, `feedback-server report`) on a year of invented answers:
its figures equal direct SQL counts over the responses, small counts are suppressed in the HTML and the PDF
alike, a site or month where nobody answered says so, and the command writes real HTML and PDF files.

The dataset (tests/report_data.py: demo.generate through the server's own store_batch) is made once for the
module; so is the sentence encoder, loaded in this process for the themes as the server would."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.server.domain.aggregates import AnswerShare, QuestionDistribution
from sync.server.reports.monthly import MonthlyReport, gather_monthly
from sync.server.reports.period import Month, ReportError, parse_month
from sync.server.reports.render import friends_and_family, monthly_html, write_report
from sync.server.storage.db import open_database
from sync.server.web.common import table_shown
from tests.report_data import EMPTY, SITES, TINY, make_report_database, sql_count

OCTOBER = Month(2026, 10)
FEEDBACK_SERVER = str(Path(sys.executable).parent / "feedback-server")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, sa.Engine]]:
    """The shared dataset (tests/report_data.py)."""
    path = str(tmp_path_factory.mktemp("reports") / "server.db")
    engine = make_report_database(path)
    yield path, engine
    engine.dispose()


def _sql_count(engine: sa.Engine, site: str, month: Month) -> int:
    return sql_count(engine, site, month.first, month.last)


def _sql_answers(engine: sa.Engine, site: str, month: Month, question: str, question_set: str = "") -> dict[str, int]:
    """Answers chosen to ``question``, counted straight from the stored payloads; in every set unless one is named."""
    with engine.connect() as connection:
        return dict(connection.execute(sa.text(
            "SELECT json_extract(a.value, '$.choice'), count(*) FROM responses, json_each(payload, '$.answers') a "
            "WHERE site = :site AND substr(created_at_device, 1, 7) = :month AND json_extract(a.value, '$.question') "
            "= :question AND json_extract(a.value, '$.status') = 'answered' "
            "AND (:set = '' OR json_extract(payload, '$.question_set') = :set) GROUP BY 1"),
            {"site": site, "month": str(month), "question": question, "set": question_set}).all())


@pytest.fixture(scope="module")
def october(database: tuple[str, sa.Engine]) -> dict[str, MonthlyReport]:
    _, engine = database
    return {site: gather_monthly(engine, site, OCTOBER) for site in [*SITES, TINY, EMPTY]}


def _pdf_text(tmp_path: Path, html: str) -> str:
    out = tmp_path / "report.pdf"
    write_report(html, "pdf", out)
    return subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_totals_equal_a_direct_count_of_the_responses(database, october) -> None:
    _, engine = database
    for site in SITES:
        report = october[site]
        assert report.responses == _sql_count(engine, site, OCTOBER) > 500
        assert [count for _, count in report.trend] == [_sql_count(engine, site, month) for month in OCTOBER.back(6)]
        assert sum(count for _, count in report.weeks) == report.responses
        assert sum(kiosk.responses for kiosk in report.kiosks) == report.responses
        assert all(kiosk.days_in_use == 31 for kiosk in report.kiosks)
        # the FFT first, over both sets (the Easy Read and the standard wording), then each set's own questions
        fft = report.questions[0]
        assert (fft.question, fft.question_set) == ("overall", "")
        assert {a.answer: a.count for a in fft.answers if a.count} == _sql_answers(engine, site, OCTOBER, "overall")
        for question_set in ("easy-read", "default"):
            for question in ("overall", "listen"):
                shown = next(q for q in report.questions if (q.question_set, q.question) == (question_set, question))
                assert {a.answer: a.count for a in shown.answers if a.count} == _sql_answers(
                    engine, site, OCTOBER, question, question_set)
        with engine.connect() as connection:
            concerns = connection.execute(sa.text(
                "SELECT count(*) FROM concern_queue q JOIN responses r ON r.id = q.response_id WHERE q.site = :site "
                "AND substr(r.created_at_device, 1, 7) = '2026-10'"), {"site": site}).scalar_one()
        assert report.concerns.raised == concerns == sum(report.concerns.by_status.values())
        assert report.themes["working"].themes and report.themes["not-working"].themes
        assert all(theme.examples for side in report.themes.values() for theme in side.themes)


def test_the_friends_and_family_test_in_its_standard_form(october, tmp_path: Path) -> None:
    overall = next(q for q in october["Bow"].questions if q.question == "overall")
    counts = {a.answer: a.count for a in overall.answers}
    good = round(100 * (counts["very-good"] + counts["good"]) / overall.total)
    poor = round(100 * (counts["poor"] + counts["very-poor"]) / overall.total)
    html = monthly_html(october["Bow"], 5)
    assert f"<strong>{good}%</strong> said Very good or Good" in html
    assert f"<strong>{poor}%</strong> said Poor or Very poor" in html
    few = QuestionDistribution("default", "overall", "Overall?", 85, [
        AnswerShare(answer, answer, count) for answer, count in
        (("very-good", 40), ("good", 30), ("neither", 10), ("poor", 3), ("very-poor", 0), ("dont-know", 2))])
    assert friends_and_family(few, 5) == ["82%", "fewer than 5 people"]
    assert friends_and_family(QuestionDistribution("default", "overall", "Overall?", 4, few.answers[:2]), 5) is None


def test_small_counts_are_suppressed_in_html_and_pdf(october, tmp_path: Path) -> None:
    tiny = october[TINY]
    assert tiny.responses == 3
    html = monthly_html(tiny, 5)
    plain = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.DOTALL)  # the words, not the print CSS
    for text in (plain, _pdf_text(tmp_path, html)):
        text = " ".join(text.split())
        assert "fewer than 5 responses in October 2026" in text
        assert "Too few answers to show without singling someone out" in text
        assert "%" not in text  # every percentage would come from fewer than 5 people
        assert not re.search(r"\b[1-4] (responses|answers|comments)\b", text)
        assert re.search(r"tiny-place-1 \w+ \d+ of 31 (fewer than 5|0) ", text)
    big = monthly_html(october["Mile End"], 5)
    assert "fewer than 5" not in big.split("How many answered")[1].split("How people answered")[0]
    assert "<strong>fewer than 5000</strong> responses" in monthly_html(october["Mile End"], 5000)  # as given


def test_a_site_or_month_nobody_answered_says_so(database, october, tmp_path: Path) -> None:
    _, engine = database
    for report, sentence in ((october[EMPTY], "No one answered at Rose House in October 2026."),
                             (gather_monthly(engine, "Bow", Month(2025, 6)), "No one answered at Bow in June 2025.")):
        assert report.empty and not report.themes
        html = monthly_html(report, 5)
        assert sentence in html
        assert sentence in " ".join(_pdf_text(tmp_path, html).split())
    assert [kiosk.name for kiosk in october[EMPTY].kiosks] == ["rose-1"]


def test_bad_input_is_refused_in_plain_words(database) -> None:
    _, engine = database
    with pytest.raises(ReportError, match=r"There is no site called 'Nowhere'\. Sites the server knows: Bow, "):
        gather_monthly(engine, "Nowhere", OCTOBER)
    for text in ("2026-13", "October", "2026-1", "26-10"):
        with pytest.raises(ReportError, match="like 2026-10"):
            parse_month(text)
    assert parse_month(" 2026-01 ").back(3) == [Month(2025, 11), Month(2025, 12), Month(2026, 1)]
    assert Month(2024, 2).last.day == 29 and Month(2026, 12).following() == Month(2027, 1)


def test_the_command_writes_html_and_pdf(database, tmp_path: Path) -> None:
    path, _ = database
    base = [FEEDBACK_SERVER, "report", "--db", path, "--site", "Mile End", "--period", "2026-10"]
    running = {fmt: subprocess.Popen([*base, "--format", fmt, "--out", str(tmp_path / f"october.{fmt}")],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for fmt in ("html", "pdf")}
    for fmt, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.strip() == f"Wrote the report for Mile End in October 2026 ({_count(path)} responses) to " \
                              f"{tmp_path / f'october.{fmt}'}"
        assert "\r" not in err  # no progress bar when stderr is not a terminal
    html = (tmp_path / "october.html").read_text()
    assert "<h1>Mile End: what people told us in October 2026</h1>" in html and "<svg" in html
    assert (tmp_path / "october.pdf").read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(tmp_path / "october.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 2 <= len(pages) <= 4 and all(page.stat().st_size > 5000 for page in pages)
    for arguments, message in (
            (["--site", "Nowhere", "--period", "2026-10"], "Error: There is no site called 'Nowhere'."),
            (["--site", "Bow", "--period", "2026-13"], "Error: The period '2026-13' is not a month"),
            (["--site", "Bow", "--period", "2026-10", "--out", str(tmp_path / "no" / "x.pdf")],
             "Error: Invalid value for --out: the folder")):
        done = subprocess.run([FEEDBACK_SERVER, "report", "--db", path, *arguments,
                               *([] if "--out" in arguments else ["--out", str(tmp_path / "x.pdf")])],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and done.stderr.startswith(message) and done.stderr.count("\n") == 1
    assert not (tmp_path / "x.pdf").exists()


def _count(path: str) -> str:
    engine = open_database(path, create=False)
    try:
        return f"{_sql_count(engine, 'Mile End', OCTOBER):,}"
    finally:
        engine.dispose()


@pytest.mark.parametrize(("counts", "written"), [
    ([40, 30, 3], ["40", "hidden", "fewer than 5"]),  # 73 - 40 - 30 would give the 3 away: hide 30 too
    ([40, 3], ["hidden", "fewer than 5"]),
    ([40, 30, 0], ["40", "30", "0"]),  # nothing hidden, nothing to give away
    ([40, 2, 3], ["40", "fewer than 5", "fewer than 5"]),  # 5 more: 1+4, 2+3, ...: neither can be told
    ([10, 5, 1], ["hidden", "hidden", "fewer than 5"]),  # 6 less a hidden 5 or more (at most 10) leaves 1
    ([4, 4, 0], ["not shown", "not shown", "0"]),  # 8 in two counts below 5 is 4 and 4, whatever is hidden
    ([1, 1], ["fewer than 5", "fewer than 5"]),  # the total is "fewer than 5" as well
])
def test_parts_of_an_exact_total_never_give_a_hidden_count_away(counts, written):
    assert list(table_shown({f"c{index}": count for index, count in enumerate(counts)}, 5).values()) == written
