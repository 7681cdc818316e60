"""The dashboard in a real browser (Chromium, driven by Playwright) against a real server with a year of
invented answers: sign in, read the overview, act on a safeguarding concern, publish "You said, we did"
and see it reach a kiosk, name a theme, download an export. Each page's screenshot is kept
(DASHBOARD_SCREENSHOTS=docs/screenshots refreshes the committed ones)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from kiosk.session.updates import load_you_said_we_did
from sync.server.domain.demo import generate
from sync.server.domain.kiosks import add_kiosk
from sync.server.storage.db import audit_log, concern_queue, open_database
from tests.browser import chromium, keep, sign_in  # noqa: F401  (a fixture)
from tests.conftest import PROJECT
from tests.dashboard import add_people
from tests.server_process import ServerProcess
from tests.test_sync_e2e import Kiosk

pytestmark = pytest.mark.slow
SITES = ["Mile End", "Bow"]
RESPONSES = 3000
SINCE = (date.today() - timedelta(days=200)).isoformat()
"""Before the first invented answer (they go back 120 days)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("browser") / "central.db")
    engine = open_database(db)
    generate(engine, SITES, RESPONSES, days=120, seed=3)
    engine.dispose()
    add_people(db)
    with ServerProcess(db, "--participation", str(PROJECT / "config" / "participation.toml")) as running:
        yield running


@pytest.fixture
def page(chromium, server):  # type: ignore[no-untyped-def]  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


def test_sign_in_and_read_the_overview(page, server, tmp_path):
    page.goto(server.url + "/staff/")
    keep(page, tmp_path, "sign-in")
    sign_in(page, server, "manny")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    bars = page.locator("svg.chart rect.bar")
    assert bars.count() > 10  # a bar per week, at least
    expect(page.get_by_text("Friends and Family Test:").first).to_be_visible()
    assert "Bow" not in page.locator("main").inner_text()  # manny manages Mile End only
    keep(page, tmp_path, "overview")


def test_see_who_is_answering_against_the_expected_mix(page, server, tmp_path):
    sign_in(page, server, "manny")
    page.goto(server.url + f"/staff/participation?site=Mile+End&start={SINCE}")
    findings = page.locator("ul.findings li").all_inner_texts()
    assert findings and all("Mile End" in text or "expected" in text for text in findings)
    assert page.get_by_role("row", name="Bengali").count() == 1
    keep(page, tmp_path, "participation")


def test_download_an_export_with_the_chosen_filters(page, server, tmp_path):
    sign_in(page, server, "manny")
    page.goto(server.url + f"/staff/export?start={SINCE}")
    page.get_by_label("Excel (XLSX), with a summary sheet").check()
    keep(page, tmp_path, "export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith(f"feedback-all-my-sites-{SINCE}-to-") and saved.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(saved, read_only=True)["Responses"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert {row[header.index("site")] for row in rows[1:]} == {"Mile End"}
    assert len(rows) - 1 == RESPONSES // 2  # demo data splits answers evenly between the two sites' kiosks


def test_name_a_theme_and_it_keeps_its_name(page, server, tmp_path):
    sign_in(page, server, "manny")
    page.goto(server.url + f"/staff/themes?side=not-working&start={SINCE}", timeout=180_000)
    first = page.locator("article.theme").first
    proposed = first.locator("h2").inner_text()
    first.get_by_placeholder("New name").fill("Noise at night")
    first.get_by_role("button", name="Rename").click()
    expect(page.get_by_text("The theme is renamed.")).to_be_visible()
    assert page.locator("article.theme h2 strong", has_text="Noise at night").count() == 1
    assert proposed.split(" · ")[0] not in page.locator("article.theme h2").first.inner_text()
    keep(page, tmp_path, "themes")
    engine = open_database(server.db)
    with engine.connect() as connection:  # the audit log names themes by id: their names are people's words
        [detail] = connection.execute(sa.select(audit_log.c.detail).where(audit_log.c.action == "theme-renamed"))
    engine.dispose()
    assert re.fullmatch(r"1 theme → saved #\d+", detail[0]), detail


def test_resolve_a_safeguarding_concern_with_what_was_done(page, server, tmp_path):
    sign_in(page, server, "manny")
    page.get_by_role("link", name="Safeguarding").click()
    keep(page, tmp_path, "safeguarding-queue")
    rows = page.locator("table.queue tr:has(a)")
    waiting = rows.count()
    assert waiting > 0  # the invented answers include a few concerns at each site
    rows.first.locator("a").click()
    expect(page.get_by_text("If someone may be in danger now, call 999.")).to_be_visible()
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_label("What was done").fill("Spoke with the safeguarding lead; referral made to the local authority.")
    keep(page, tmp_path, "safeguarding-concern")
    page.get_by_role("button", name="Resolve").click()
    history = page.locator("section[aria-labelledby=history]").inner_text()
    assert "referral made to the local authority" in history and "manny" in history
    page.goto(server.url + "/staff/concerns")
    assert page.locator("table.queue tr:has(a)").count() == waiting - 1
    page.goto(server.url + "/staff/concerns?show=resolved")
    assert "referral made to the local authority" in page.locator("table.queue").inner_text()



def test_sort_the_safeguarding_queue_and_see_what_is_overdue(page, server, tmp_path):
    """One of the invented concerns (they arrive when the demo is made) has waited three days: it says so."""
    engine = open_database(server.db)
    with engine.begin() as connection:
        oldest = connection.execute(sa.select(concern_queue.c.response_id).where(concern_queue.c.site == "Mile End",
                                                                                 concern_queue.c.status == "open")
                                    .order_by(concern_queue.c.response_id).limit(1)).scalar_one()
        connection.execute(concern_queue.update().where(concern_queue.c.response_id == oldest)
                           .values(received_at=datetime.now(UTC) - timedelta(days=3, hours=1)))
    engine.dispose()
    sign_in(page, server, "manny")
    page.get_by_role("link", name="Safeguarding").click()
    expect(page.get_by_role("heading", name=re.compile("most serious first, then longest waiting"))).to_be_visible()
    row = page.locator(f"table.queue tr:has(a[href$='{oldest}'])")
    expect(row).to_contain_text("Not acknowledged after 3 days (should be within 1 day)")
    page.get_by_role("link", name="Newest said first").click()
    expect(page.get_by_role("heading", name=re.compile("then newest said first"))).to_be_visible()
    assert "sort=said" in page.url
    keep(page, tmp_path, "safeguarding-queue-by-when-said")
    page.get_by_role("link", name="Resolved").click()
    assert "sort=said" in page.url and "show=resolved" in page.url  # the order is kept across the tabs


def test_you_said_we_did_written_in_the_browser_reaches_a_kiosk(page, server, tmp_path, kiosk_env):
    sign_in(page, server, "manny")
    page.get_by_role("link", name="You said, we did").click()
    page.get_by_role("link", name="Add").first.click()
    page.get_by_label("You said", exact=True).fill("The lounge is too cold in the morning.")
    page.get_by_label("We did", exact=True).fill("We fixed the heating. It comes on at 7 now.")
    page.get_by_label("light bulb").check()
    keep(page, tmp_path, "you-said-we-did-writing")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("We fixed the heating. It comes on at 7 now.")).to_be_visible()
    engine = open_database(server.db)
    token = add_kiosk(engine, "lounge-9", "Mile End")
    engine.dispose()
    kiosk = Kiosk(tmp_path, kiosk_env, token)
    kiosk.simulate(1)
    assert kiosk.sync_once(server.url).returncode == 0
    arrived = [(item.said, item.did, item.picture) for item in load_you_said_we_did(kiosk.data)]
    assert ("The lounge is too cold in the morning.", "We fixed the heating. It comes on at 7 now.",
            "light-bulb") in arrived

PAGES = {
    "overview-admin": "/staff/",
    "themes-working": "/staff/themes?site=Bow",
    "safeguarding-all": "/staff/concerns?show=all",
    "you-said-we-did": "/staff/you-said-we-did",
    "participation": "/staff/participation",
    "reports": "/staff/reports",
    "you-said-we-did-add": "/staff/you-said-we-did/add",
    "poster": "/staff/you-said-we-did/poster?site=Mile+End",
    "question-sets": "/staff/questions",
    "question-set-edit": "/staff/questions/edit?site=Bow",
    "question-set-preview": "/staff/questions/built-in/default",
    "question-set-history": "/staff/questions/history?site=Bow",
    "fft-return": "/staff/fft",
    "admin": "/staff/admin",
}


def test_every_page_opens_without_errors_or_blocked_content(page, server, tmp_path):
    """Each page as an admin sees it: it loads, its pictures load, and the browser reports nothing blocked by
    the Content-Security-Policy (an inline style or script would be) and no script errors."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda reply: problems.append(f"{reply.status} {reply.url}") if reply.status >= 400 else None)
    sign_in(page, server, "ada")
    for name, path in PAGES.items():
        response = page.goto(server.url + path, timeout=180_000)
        assert response is not None and response.status == 200, (path, response and response.status)
        broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length")
        assert broken == 0, path
        keep(page, tmp_path, name)
    assert problems == []
