"""The Overview in a real browser (Chromium) on answers placed on known days: each site's Friends and Family Test
beside the period before's, the change in words (a real rise as "up from", a small one said to be within chance),
never all sites combined silently; a period not over counts its days so far and compares as many days of the period
before; and times read in UK time, BST in summer.

The period chosen runs from 9 days ago to 20 days ahead (30 days, 10 of them so far); the period before is the 30
days before it, and its first 10 days are compared. Many answers in the rest of the period before would change
every figure if the whole of it were compared."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from sync.server.reports.period import Month, day_range
from sync.server.storage.db import audit_log, open_database
from tests.browser import chromium, keep, sign_in  # noqa: F401  (a fixture)
from tests.dashboard import add_people, payload, seed, with_kind_staff
from tests.server_process import ServerProcess

pytestmark = pytest.mark.slow
TODAY = date.today()
START, END = TODAY - timedelta(days=9), TODAY + timedelta(days=20)
BEFORE_FIRST = START - timedelta(days=30)
SAME_DAYS = day_range(BEFORE_FIRST, BEFORE_FIRST + timedelta(days=9))
PERIOD = f"/staff/?start={START.isoformat()}&end={END.isoformat()}"


def _answers(good: int, poor: int) -> list[dict]:
    """``good`` answers of Very good (and Yes, the staff were kind), ``poor`` of Poor (and No)."""
    return [with_kind_staff(payload("very-good"), True)] * good + [with_kind_staff(payload("poor"), False)] * poor


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Mile End: 50 of 100 said Very good or Good in the first 10 days of the period before, 96 of 120 so far
    (a real rise). Bow: 40 of 50, then 42 of 50 (within chance). Both: 500 answers, mostly Poor, later in the
    period before."""
    db = str(tmp_path_factory.mktemp("trends") / "central.db")
    before = datetime.combine(BEFORE_FIRST + timedelta(days=2), datetime.min.time(), UTC) + timedelta(hours=11)
    later = before + timedelta(days=20)
    now = datetime.combine(START + timedelta(days=3), datetime.min.time(), UTC) + timedelta(hours=11)
    for number, (site, when, good, poor) in enumerate([
            ("Mile End", before, 50, 50), ("Mile End", later, 100, 400), ("Mile End", now, 96, 24),
            ("Bow", before, 40, 10), ("Bow", later, 100, 400), ("Bow", now, 42, 8)]):
        seed(db, site, f"kiosk-{number}", _answers(good, poor), at=when)
    add_people(db)
    with ServerProcess(db) as running:
        yield running


@pytest.fixture
def page(chromium, server):  # type: ignore[no-untyped-def]  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def test_each_sites_share_beside_the_period_before_with_the_change_in_words(page, server, tmp_path):
    sign_in(page, server, "ada")
    page.goto(server.url + PERIOD)
    table = page.locator("table.fft-sites")
    before = f"the same days of the 30 days before ({SAME_DAYS})"
    expect(table.get_by_role("row", name="Mile End").get_by_role("cell")).to_have_text(
        ["Mile End", "80%", "20%", "50%", f"Up from 50% in {before}."])
    expect(table.get_by_role("row", name="Bow").get_by_role("cell")).to_have_text(
        ["Bow", "84%", "16%", "80%", f"About the same as the 80% in {before}; the difference is within chance."])
    # all sites' figure is labelled as such, never the only one
    expect(table.get_by_role("row", name="All 2 sites together").get_by_role("cell")).to_have_text(
        ["All 2 sites together", "81%", "19%", "", ""])
    expect(page.get_by_role("heading", name="Friends and Family Test at each site")).to_be_visible()
    expect(page.get_by_text("all 2 sites together").first).to_be_visible()
    # another choice question, over both sites: its most chosen answer's share beside the period before's
    expect(page.get_by_text(f"Yes: 81%, up from 60% in {before}.")).to_be_visible()
    keep(page, tmp_path, "overview-fft-by-site")


def test_a_period_not_over_counts_its_days_so_far(page, server, tmp_path):
    sign_in(page, server, "ada")
    page.goto(server.url + PERIOD)
    expect(page.locator("#period-note")).to_have_text(
        f"{day_range(START, END)} is not over: these figures are for {day_range(START, TODAY)}, so far, 10 of 30 "
        f"days, compared with the same days of the 30 days before ({SAME_DAYS}).")
    expect(page.get_by_role("heading", name="Responses so far: 170")).to_be_visible()
    # a period that is over says nothing of the kind, and compares the whole period before
    page.goto(server.url + f"/staff/?start={BEFORE_FIRST.isoformat()}&end={(START - timedelta(days=1)).isoformat()}")
    expect(page.get_by_role("heading", name="Responses: 1,150")).to_be_visible()
    assert page.locator("#period-note").count() == 0


def test_times_read_in_uk_time_bst_in_summer(page, server, tmp_path):
    engine = open_database(server.db, create=False)
    try:
        with engine.begin() as connection:  # two sign-ins in the log: one in July, one in January
            for moment in (datetime(2026, 7, 1, 12, 5, tzinfo=UTC), datetime(2026, 1, 15, 12, 5, tzinfo=UTC)):
                connection.execute(audit_log.insert().values(at=moment, staff="ada", action="signed-in"))
    finally:
        engine.dispose()
    sign_in(page, server, "ada")
    page.goto(server.url + "/staff/admin")
    expect(page.get_by_role("columnheader", name="When (UK time)")).to_be_visible()
    expect(page.get_by_role("cell", name="1 July 2026, 13:05 BST")).to_be_visible()
    expect(page.get_by_role("cell", name="15 January 2026, 12:05 GMT")).to_be_visible()
    assert "UTC" not in page.locator("main").inner_text()
    keep(page, tmp_path, "admin-uk-time")


def test_the_fft_return_for_this_month_says_it_is_not_over(page, server, tmp_path):
    month = Month(TODAY.year, TODAY.month)
    sign_in(page, server, "manny")
    page.goto(server.url + f"/staff/fft?month={month}")
    expect(page.locator(".period-note")).to_have_text(
        f"{month.label} is not over: these are the answers from {day_range(month.first, TODAY)}, so far, "
        f"{TODAY.day} of {month.last.day} days. Submit the return after the month ends.")
    page.goto(server.url + f"/staff/fft?month={month.previous()}")
    assert page.locator(".period-note").count() == 0
