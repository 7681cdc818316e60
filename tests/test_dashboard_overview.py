"""The overview: its figures equal the answers stored, small counts never show, and the charts' geometry."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from sync.server.domain.aggregates import AnswerShare, QuestionDistribution
from sync.server.storage.db import open_database
from sync.server.web.charts import share_segments, weekly_bars
from tests.dashboard import add_people, payload, seed, signed_in
from tests.server_process import ServerProcess

MILE_END = {"very-good": 12, "good": 9, "neither": 5, "poor": 6, "very-poor": 3, "dont-know": 5}
"""40 answers at Mile End; Very poor was chosen 3 times, too few to show on its own."""


def distribution(**counts: int) -> QuestionDistribution:
    answers = [AnswerShare(answer, answer, count) for answer, count in counts.items()]
    return QuestionDistribution("default", "overall", "Overall?", sum(counts.values()), answers)


def test_an_answer_chosen_by_few_is_grouped_with_the_next_smallest_so_neither_can_be_worked_out():
    segments = share_segments(distribution(**{"very-good": 10, "good": 3, "poor": 7, "neither": 12}), 5)
    assert [segment.label for segment in segments[:2]] == ["very-good", "neither"]
    assert segments[-1].label.startswith("Other answers (2)") and segments[-1].value == "31%"
    assert round(sum(segment.width for segment in segments), 6) == 100


def test_too_few_answers_or_too_few_kinds_of_answer_show_no_breakdown():
    assert share_segments(distribution(yes=2, no=2), 5) is None
    assert share_segments(distribution(yes=40, no=3), 5) is None  # "no" would be the total minus 40
    assert share_segments(distribution(yes=40, no=30), 5) is not None


def test_a_week_with_a_few_responses_is_a_stub_not_to_scale_and_cut_weeks_are_marked():
    monday = date(2026, 11, 2)
    weeks = [(monday + timedelta(weeks=week), count) for week, count in enumerate((0, 3, 40, 30))]
    chart = weekly_bars(weeks, 40, 5, start=monday + timedelta(days=2), end=monday + timedelta(days=27))
    empty, few, many, beside = chart.bars
    assert empty.height == 0 and empty.value == "0"
    assert few.few and few.value == "fewer than 5"
    assert few.height == pytest.approx(many.height * 5 / 40 / 2)  # half the height of a bar of 5
    assert beside.few and beside.value == "hidden" and beside.height == few.height  # 73 less 40 and 30 would be 3
    assert (empty.partial, few.partial, many.partial) == (True, False, False)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("overview") / "central.db")
    add_people(db)
    seed(db, "Mile End", "lounge-1", [payload(answer) for answer, count in MILE_END.items() for _ in range(count)])
    seed(db, "Bow", "hall-1", [payload("good")] * 3)
    with ServerProcess(db) as running:
        yield running


def test_the_friends_and_family_test_figures_equal_the_answers_stored(server):
    page = signed_in(server, "vera").get("/staff/").text
    good = (MILE_END["very-good"] + MILE_END["good"]) / 40
    poor = (MILE_END["poor"] + MILE_END["very-poor"]) / 40
    assert f"<strong>{good:.0%}</strong> Very good or Good" in page
    assert f"<strong>{poor:.0%}</strong> Poor or Very poor" in page
    # Very poor's 3 would be hidden, and with it the test's "Poor or Very poor" would give it away (22% of 40 less
    # Poor's 6): the chart shows the test's two groups instead, as counts of the same table
    assert re.search(r"Very good or Good:\s*<strong>21 \(52%\)</strong>", page)
    assert re.search(r"Poor or Very poor:\s*<strong>9 \(22%\)</strong>", page)
    assert not re.search(r">(Very good|Good|Poor|Very poor): ", page) and "Other answers" not in page


def test_a_site_with_fewer_answers_than_the_threshold_shows_no_count_or_breakdown(server):
    page = signed_in(server, "bo").get("/staff/").text
    assert "fewer than 5" in page and ">3<" not in page and "(100%)" not in page
    assert "Too few answers to show without singling someone out." in page
    assert "Friends and Family Test" not in page  # three people's shares would single them out
    assert "Too few responses to show week by week" in page


@pytest.mark.parametrize("period", ["start=9999-12-01", "start=9999-12-01&end=9999-12-31", "end=0001-01-01",
                                    "start=0001-01-01&end=0001-01-05"])
def test_a_date_out_of_range_is_refused_with_the_reason(server, period):
    page = signed_in(server, "vera").get(f"/staff/?{period}")
    assert page.status_code == 400 and "choose a date from 1970 to 2999" in page.text


def test_a_report_period_out_of_range_is_refused_with_the_reason(server):
    ada = signed_in(server, "ada")
    for form in ({"kind": "monthly", "month": "9999-12", "site": "Mile End"},
                 {"kind": "quarterly", "quarter": "9999-Q4"}):
        ada.get("/staff/reports")
        refused = ada.post("/staff/reports", {**form, "format": "html"})
        assert refused.status_code == 400 and "like 2026-10" in refused.text


def test_the_easy_read_and_standard_wordings_count_together_as_the_friends_and_family_test(tmp_path):
    """A site where new kiosks ask in Easy Read words and an older one in the standard words: the overview leads
    with the one national question counted over both, equal to a direct count of the stored answers."""
    db = str(tmp_path / "central.db")
    add_people(db)
    easy = {"very-good": 9, "good": 7, "neither": 4, "poor": 6, "very-poor": 5, "dont-know": 5}
    easy_read = [payload(answer) | {"question_set": "easy-read"} for answer, count in easy.items()
                 for _ in range(count)]
    seed(db, "Mile End", "lounge-1", [payload(answer) for answer, count in MILE_END.items() for _ in range(count)])
    seed(db, "Mile End", "lounge-2", easy_read)
    engine = open_database(db)
    with engine.connect() as connection:
        stored = dict(connection.execute(sa.text(
            "SELECT json_extract(a.value, '$.choice'), count(*) FROM responses, json_each(payload, '$.answers') a "
            "WHERE json_extract(a.value, '$.question') = 'overall' GROUP BY 1")).all())
    engine.dispose()
    assert stored == {answer: MILE_END[answer] + easy[answer] for answer in easy}
    with ServerProcess(db) as running:
        page = signed_in(running, "vera").get("/staff/").text
    total = sum(stored.values())
    together = page.index(f"{total} answers · every question set together")
    assert together < page.index("40 answers · default") and together < page.index("36 answers · easy-read")
    good = (stored["very-good"] + stored["good"]) / total
    assert f"<strong>{good:.0%}</strong> Very good or Good" in page[together:]
    # each set's own answers beside those together would give the other set's away by subtraction
    assert page.count("Counted in the Friends and Family Test above") == 2
    assert page.count("Friends and Family Test: <strong>") == 1
