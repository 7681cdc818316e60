"""The quarterly report across sites and its Easy Read version (sync/server/reports/quarterly.py, easy_read.py),
on the year of invented answers the monthly report is tested on (tests/report_data.py): totals equal direct SQL
counts, small counts are suppressed in the HTML and the PDF (no count beside a total gives one away), a quarter nobody
answered in says so, the Easy Read page has its pictures and no percentages, and `feedback-server report` and
the dashboard's Reports page make them, the latter over real HTTP from the real server."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.server.domain.site_content import add_you_said_we_did
from sync.server.reports.easy_read import MOST_WORDS, easy_read_html, how_many, people_in
from sync.server.reports.period import Quarter, parse_period
from sync.server.reports.quarterly import QuarterlyReport, gather_quarterly
from sync.server.reports.render import quarterly_html, write_report
from sync.server.storage.db import audit_log, open_database
from tests.dashboard import StaffBrowser, add_people, payload, seed, signed_in
from tests.report_data import EMPTY, SITES, TINY, make_report_database, sql_count
from tests.server_process import ServerProcess

Q3, Q4 = Quarter(2026, 3), Quarter(2026, 4)
"""Q4 holds October and November, and the tiny site's 3 responses."""
FEEDBACK_SERVER = str(Path(sys.executable).parent / "feedback-server")
CHANGES = [("Mile End", "The lounge is too cold in the morning.", "We fixed the heating. It comes on at 7 now.",
            "light-bulb", date(2026, 8, 14)),
           ("Bow", "There is not enough to do at weekends.", "We started a music group on Saturdays.", "",
            date(2026, 9, 2)),
           ("Bow", "The garden gate is broken.", "We mended the gate.", "", date(2026, 5, 20))]
"""Two "You said, we did" items in the third quarter and one before it."""


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, sa.Engine]]:
    path = str(tmp_path_factory.mktemp("quarterly") / "server.db")
    engine = make_report_database(path)
    for site, said, did, picture, when in CHANGES:
        add_you_said_we_did(engine, site, said, did, picture, when)
    yield path, engine
    engine.dispose()


@pytest.fixture(scope="module")
def reports(database: tuple[str, sa.Engine]) -> dict[Quarter, QuarterlyReport]:
    _, engine = database
    # made after both quarters are over, whatever day the tests run: each is compared with the whole quarter before
    # (a quarter not over is compared with the same days: tests/test_reports_so_far.py)
    return {quarter: gather_quarterly(engine, [], quarter, today=date(2027, 1, 1)) for quarter in (Q3, Q4)}


def _text(html: str) -> str:
    """The words of a page, not its styles or markup, on one line."""
    return " ".join(re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.DOTALL).split())


def _pdf_text(tmp_path: Path, html: str, name: str = "report") -> str:
    out = tmp_path / f"{name}.pdf"
    write_report(html, "pdf", out)
    return " ".join(subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def _sql_overall(engine: sa.Engine, site: str, quarter: Quarter) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(sa.text(
            "SELECT json_extract(a.value, '$.choice'), count(*) FROM responses, json_each(payload, '$.answers') a "
            "WHERE site = :site AND substr(created_at_device, 1, 10) BETWEEN :first AND :last AND "
            "json_extract(a.value, '$.question') = 'overall' AND json_extract(a.value, '$.status') = 'answered' "
            "GROUP BY 1"), {"site": site, "first": str(quarter.first), "last": str(quarter.last)}).all())


def test_quarters_are_parsed_and_named_and_months_still_are() -> None:
    assert parse_period(" 2026-q3 ") == Q3 and str(Q3) == "2026-Q3"
    assert Q3.label == "July to September 2026" and (Q3.first, Q3.last) == (date(2026, 7, 1), date(2026, 9, 30))
    assert Quarter(2026, 1).previous() == Quarter(2025, 4) and Quarter(2026, 1).label == "January to March 2026"
    assert str(parse_period("2026-10")) == "2026-10"
    for text in ("2026-Q5", "2026-Q0", "Q3", "2026-13"):
        with pytest.raises(Exception, match=r"write a month like 2026-10, or a quarter like 2026-Q3"):
            parse_period(text)


def test_totals_equal_a_direct_count_of_the_responses(database, reports) -> None:
    _, engine = database
    report = reports[Q3]
    assert [site.site for site in report.sites] == sorted([*SITES, TINY, EMPTY])
    for site in report.sites:
        assert site.responses == sql_count(engine, site.site, Q3.first, Q3.last)
        assert site.previous == sql_count(engine, site.site, Q3.previous().first, Q3.previous().last)
        if site.site in SITES:
            assert site.responses > 2000 and site.friends_and_family is not None
            assert {a.answer: a.count for a in site.friends_and_family.answers if a.count} == \
                _sql_overall(engine, site.site, Q3)
            assert site.themes["working"].themes and site.themes["not-working"].themes
        with engine.connect() as connection:
            concerns = connection.execute(sa.text(
                "SELECT count(*) FROM concern_queue q JOIN responses r ON r.id = q.response_id WHERE q.site = :site "
                "AND substr(r.created_at_device, 1, 10) BETWEEN '2026-07-01' AND '2026-09-30'"),
                {"site": site.site}).scalar_one()
        assert site.concerns.raised == concerns == sum(site.concerns.by_status.values())
    assert report.responses == sum(sql_count(engine, site, Q3.first, Q3.last) for site in SITES)
    assert report.friends_and_family is not None
    assert report.friends_and_family.total == sum(site.friends_and_family.total for site in report.sites
                                                  if site.friends_and_family)
    assert [(item["site"], item["said"]) for site in report.sites for item in site.changes] == \
        [("Bow", CHANGES[1][1]), ("Mile End", CHANGES[0][1])]  # not May's item


def test_counts_beside_a_total_never_give_a_small_one_away_in_easy_read_words() -> None:
    assert people_in({"Bow": 120, "Poplar": 80}, 5) == {"Bow": "120 people", "Poplar": "80 people"}
    # 123 less Bow's 120 would give Poplar's 3 away
    assert people_in({"Bow": 120, "Poplar": 3}, 5) == {"Bow": "5 or more people", "Poplar": "a few people"}
    assert people_in({"Bow": 4, "Poplar": 4}, 5) == {"Bow": "some people", "Poplar": "some people"}  # 8: 4 and 4
    assert [how_many(part, 100, 5) for part in (70, 50, 20, 4, 0)] == \
        ["Most people", "About half of the people", "Some people", "A few people", "No one"]


def test_small_counts_are_suppressed_in_html_and_pdf(database, reports, tmp_path: Path) -> None:
    _, engine = database
    report = reports[Q4]
    tiny = next(site for site in report.sites if site.site == TINY)
    assert tiny.responses == 3
    counts = {site: sql_count(engine, site, Q4.first, Q4.last) for site in SITES}
    smallest = min(SITES, key=lambda site: (counts[site], site))
    answered = {site.site: site.friends_and_family.total for site in report.sites
                if site.friends_and_family and site.site != TINY}
    next_lowest = min((total, site) for site, total in answered.items() if total)[1]
    html = quarterly_html(report, 5)
    for text in (_text(html), _pdf_text(tmp_path, html)):
        assert re.search(r"Tiny Place fewer than 5 0 too few answers to show", text)
        assert f"All sites {report.responses:,} " in text
        assert not re.search(r"\b[1-4] (responses|answers|comments|people)\b", text)
        for site in SITES:  # the exact total less the others would be Tiny Place's 3: the smallest other is hidden
            assert re.search(rf"{site} {'hidden' if site == smallest else f'{counts[site]:,}'} ", text)
        # NHS England's rules: beside Tiny Place's too few answers, the next lowest site's test is hidden too, so all
        # sites' test can be given (less the others' it is two sites', not Tiny Place's)
        assert re.search(rf"{next_lowest} [^%]*hidden \(beside a site with too few\)", text)
        assert "not shown (it would give one site away)" not in text
        assert re.search(r"^\S+ \S+ \S+ \d+% \d+%", text.split(f"All sites {report.responses:,} ")[1])
    assert "fewer than 5" not in _text(quarterly_html(reports[Q3], 5)).split("How many answered")[1].split(
        "Responses from")[0]  # nothing small at any site in the third quarter


def test_a_quarter_nobody_answered_in_says_so(database, tmp_path: Path) -> None:
    _, engine = database
    for sites, sentence in (([], "No one answered at any of these sites from January to March 2025."),
                            ([EMPTY], "No one answered at Rose House from July to September 2026.")):
        report = gather_quarterly(engine, sites, parse_period("2025-Q1") if not sites else Q3)
        assert report.empty
        html = quarterly_html(report, 5)
        assert sentence in _text(html) and sentence in _pdf_text(tmp_path, html)
        easy = _text(easy_read_html(report, 5))
        assert "No one used the kiosk this time." in easy and "What is good" not in easy


def test_the_easy_read_version_has_pictures_short_lines_and_no_percentages(reports, tmp_path: Path) -> None:
    html = easy_read_html(reports[Q4], 5)
    assert html.count('src="data:image/png;base64,') >= 10 and 'src="http' not in html and "<link" not in html
    assert "%" not in html  # not in the words, and not even in the styles
    lines = [" ".join(re.sub(r"<[^>]+>", " ", line).split())
             for line in re.findall(r"<(?:p|h1|h2)\b[^>]*>(.*?)</(?:p|h1|h2)>", html, flags=re.DOTALL)]
    assert len(lines) > 30 and max(len(line.split()) for line in lines) <= MOST_WORDS
    text = _text(html)
    assert "Tiny Place: a few people." in text and "fewer than 5" not in text and "FFT" not in text
    assert "That is fewer than in July to September 2026." in text  # two exact totals: nothing small in either
    assert not re.search(r"\b[1-4] (people|person)\b", text)
    assert f"{reports[Q4].responses:,} people told us in all." in text
    assert text.count("5 or more people") == 1  # the tiny site's 3 stay hidden: the smallest other site is too
    pdf = _pdf_text(tmp_path, html, "easy-read")
    assert "%" not in pdf and "Tiny Place: a few people." in pdf and "fewer than 5" not in pdf
    third = _text(easy_read_html(reports[Q3], 5))
    assert "You said: The lounge is too cold in the morning. We did: We fixed the heating. It comes on at 7 now." \
        in third and "We mended the gate" not in third
    assert re.search(r"(Most people|About half of the people|Some people) said good or very good\.", third)
    words = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "easy-read.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    heights = [float(bottom) - float(top) for top, bottom in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" '
                                                                         r'yMax="([\d.]+)"', words)]
    assert heights and min(heights) >= 16 * 1.2  # the smallest text is 16pt; a box is 1.24 times its font size


def test_the_command_makes_both_and_refuses_what_it_cannot_make(database, tmp_path: Path) -> None:
    path, engine = database
    made = {"quarterly.pdf": ["--period", "2026-Q3", "--format", "pdf"],
            "easy.html": ["--period", "2026-Q4", "--site", "Bow", "--site", TINY, "--easy-read", "--format", "html"]}
    running = {name: subprocess.Popen([FEEDBACK_SERVER, "report", "--db", path, *arguments, "--out",
                                       str(tmp_path / name)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for name, arguments in made.items()}
    said = {}
    for name, process in running.items():
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        assert "\r" not in err  # no progress bar when stderr is not a terminal
        said[name] = out.strip()
    total = sum(sql_count(engine, site, Q3.first, Q3.last) for site in SITES)
    assert said["quarterly.pdf"] == f"Wrote the report for 6 sites from July to September 2026 ({total:,} " \
                                    f"responses) to {tmp_path / 'quarterly.pdf'}"
    both = sql_count(engine, "Bow", Q4.first, Q4.last) + sql_count(engine, TINY, Q4.first, Q4.last)
    assert said["easy.html"] == f"Wrote the Easy Read report for 2 sites from October to December 2026 ({both:,} " \
                                f"responses) to {tmp_path / 'easy.html'}"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(tmp_path / "quarterly.pdf"), str(tmp_path / "page")],
                   check=True)
    assert len(list(tmp_path.glob("page-*.png"))) >= 2
    easy = _text((tmp_path / "easy.html").read_text())
    assert "Bow: " in easy and "Tiny Place: a few people." in easy and "Mile End" not in easy
    for arguments, message in (
            (["--period", "2026-10", "--site", "Bow", "--easy-read"], "Error: The Easy Read version is of the "
                                                                      "quarterly report: give a quarter"),
            (["--period", "2026-10"], "Error: A monthly report is for one site: give --site once"),
            (["--period", "2026-Q5"], "Error: The period '2026-Q5' is not a month or a quarter"),
            (["--period", "2026-Q3", "--site", "Bow", "--site", "Nowhere"],
             "Error: There is no site called 'Nowhere'.")):
        done = subprocess.run([FEEDBACK_SERVER, "report", "--db", path, *arguments, "--out", str(tmp_path / "x.pdf")],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and done.stderr.startswith(message) and done.stderr.count("\n") == 1
    assert not (tmp_path / "x.pdf").exists()


@pytest.fixture(scope="module")
def server(database: tuple[str, sa.Engine]) -> Iterator[ServerProcess]:
    path, _ = database
    add_people(path)  # ada: admin; manny: manager of Mile End (tests/dashboard.py)
    with ServerProcess(path) as running:
        yield running


def _download(browser: StaffBrowser, **form: str | list[str]) -> tuple[int, str, str, bytes]:
    browser.get("/staff/reports")
    response = browser.post("/staff/reports", form)
    return (response.status_code, response.headers.get("content-type", ""),
            response.headers.get("content-disposition", ""), response.content)


def test_the_dashboard_downloads_each_kind_of_report(server, tmp_path: Path) -> None:
    manny = signed_in(server, "manny")
    page = manny.get("/staff/reports").text
    assert '<a href="/staff/reports" aria-current="page">Reports</a>' in page
    assert 'value="Mile End"' in page and 'value="Bow"' not in page  # only the sites he may see
    status, kind, disposition, body = _download(manny, kind="monthly", month="2026-10", format="pdf")  # his one site
    assert (status, kind) == (200, "application/pdf") and body.startswith(b"%PDF-")
    assert disposition == 'attachment; filename="monthly-team-report-mile-end-2026-10.pdf"'
    (tmp_path / "monthly.pdf").write_bytes(body)
    assert "Mile End: what people told us in October 2026" in " ".join(subprocess.run(
        ["pdftotext", str(tmp_path / "monthly.pdf"), "-"], capture_output=True, text=True, check=True).stdout.split())
    ada = signed_in(server, "ada")
    status, kind, disposition, body = _download(ada, kind="quarterly", quarter="2026-Q3", format="html")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert disposition == 'attachment; filename="quarterly-report-all-my-sites-2026-Q3.html"'
    assert "<h1>What people told us from July to September 2026</h1>" in body.decode()
    assert "Bow, Mile End, Poplar, Rose House, Stepney, Tiny Place" in body.decode()
    status, kind, disposition, body = _download(ada, kind="easy-read", site=["Bow", TINY], quarter="2026-Q4",
                                                format="pdf")
    assert (status, disposition) == (200, 'attachment; filename="easy-read-report-bow-tiny-place-2026-Q4.pdf"')
    (tmp_path / "easy.pdf").write_bytes(body)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "easy.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "What you told us" in text and "Tiny Place: a few people." in text and "%" not in text
    engine = open_database(server.db, create=False)
    with engine.connect() as connection:
        audited = connection.execute(sa.select(audit_log.c.staff, audit_log.c.detail)
                                     .where(audit_log.c.action == "report-downloaded").order_by(audit_log.c.id)).all()
    engine.dispose()
    assert [tuple(row) for row in audited] == [
        ("manny", "monthly report for 2026-10 as pdf; sites: Mile End"),
        ("ada", "quarterly report for 2026-Q3 as html; sites: Bow, Mile End, Poplar, Rose House, Stepney, Tiny Place"),
        ("ada", "easy-read report for 2026-Q4 as pdf; sites: Bow, Tiny Place")]


def test_the_dashboard_refuses_a_report_it_cannot_make_in_plain_words(server) -> None:
    ada, manny = signed_in(server, "ada"), signed_in(server, "manny")
    for form, reason in (
            ({"kind": "monthly", "site": ["Bow", "Poplar"], "month": "2026-10"}, "is for one site: tick just one"),
            ({"kind": "monthly", "month": "2026-10"}, "is for one site: tick just one"),
            ({"kind": "easy-read", "quarter": "2026-10"}, "The Easy Read report needs a quarter, such as 2026-Q3."),
            ({"kind": "quarterly", "quarter": "2026-Q7"}, "The period &#39;2026-Q7&#39; is not a month or a quarter"),
            ({"kind": "yearly", "quarter": "2026-Q3"}, "Choose which report to make"),
            ({"kind": "quarterly", "quarter": "2026-Q3", "format": "docx"}, "Choose PDF or HTML"),
            ({"kind": "quarterly", "quarter": "2026-Q3", "site": "Nowhere"}, "There is no site called")):
        ada.get("/staff/reports")
        refused = ada.post("/staff/reports", form)
        assert refused.status_code == 400 and reason in refused.text, (form, refused.text[-600:])
        assert "attachment" not in refused.headers.get("content-disposition", "")
    manny.get("/staff/reports")
    assert manny.post("/staff/reports", {"kind": "quarterly", "quarter": "2026-Q3", "site": "Bow"}).status_code == 403


def test_the_reports_page_and_downloads_need_someone_signed_in(server) -> None:
    stranger = StaffBrowser(server.url)
    for response in (stranger.get("/staff/reports", allow_redirects=False),
                     stranger.post("/staff/reports", {"kind": "quarterly", "quarter": "2026-Q3"},
                                   allow_redirects=False)):
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")
    ada = signed_in(server, "ada")
    ada.get("/staff/reports")
    assert ada.post("/staff/reports", {"kind": "quarterly", "quarter": "2026-Q3"}, with_token=False).status_code == 403


def test_quarterly_figures_on_sqlite_and_postgresql(server_database: str) -> None:
    """The queries behind the quarterly report, on both databases the server runs on (a handful of answers)."""
    seed(server_database, "Mile End", "lounge-1", [payload("good")] * 6 + [payload("poor", "the lift is broken",
                                                                                   concerns=["unsafe"])])
    seed(server_database, "Bow", "hall-1", [payload("very-good")] * 2)
    given = datetime.now(UTC) - timedelta(days=3)
    quarter = Quarter(given.year, (given.month - 1) // 3 + 1)
    engine = open_database(server_database, create=False)
    try:
        add_you_said_we_did(engine, "Bow", "More music.", "We started a music group.", "", given.date())
        report = gather_quarterly(engine, [], quarter, encode=lambda texts: pytest.fail("nothing to group"))
    finally:
        engine.dispose()
    bow, mile_end = report.sites
    assert (mile_end.site, mile_end.responses, bow.site, bow.responses) == ("Mile End", 7, "Bow", 2)
    assert mile_end.concerns.raised == 1 and mile_end.concerns.by_category == {"Feeling unsafe, or a danger in the "
                                                                               "place": 1}
    assert report.friends_and_family is not None and report.friends_and_family.total == 9
    assert [item["said"] for item in bow.changes] == ["More music."]
    text = _text(quarterly_html(report, 5))
    assert "Bow fewer than 5 " in text and "Mile End hidden " in text and "All sites 9 " in text
