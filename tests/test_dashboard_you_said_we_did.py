"""'You said, we did' on the dashboard, over real HTTP to a real server: managers write items (with words in
Bengali and Korean too, previewed first), kiosks of that site (and no other) receive them, viewers read them,
removal is audited, and the Easy Read poster prints on A4 in a real Chromium."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from kiosk.session.updates import load_you_said_we_did
from sync.core.protocol import Translation, Updates, YouSaidWeDid
from sync.server.domain.kiosks import add_kiosk
from sync.server.domain.site_content import (
    add_you_said_we_did,
    check_you_said_we_did,
    delete_you_said_we_did,
    find_you_said_we_did,
    list_you_said_we_did,
    updates_for_site,
)
from sync.server.storage.db import audit_log, open_database, you_said_we_did
from sync.server.web.you_said_we_did import fits_a_poster_page, poster_pages
from tests.browser import chromium, screenshot_folder  # noqa: F401  (a fixture)
from tests.dashboard import StaffBrowser, add_people, signed_in
from tests.server_process import ServerProcess
from tests.test_server import updates
from tests.test_sync_e2e import Kiosk

A4_POINTS = (595.28, 841.89)
"""210 by 297 mm in PostScript points; Chromium writes 595.92 by 842.88 (its own rounding); Letter is 612 by 792."""
BRAND = (11, 61, 145)
"""The poster's blue (#0b3d91, static/poster.css), of its heading and rules."""
EMPTY_SITE = "Poplar"
POSTER_SITE = "Stepney"
POSTER_ITEMS = [(said[:300], did[:300], picture, when) for said, did, picture, when in [
    ("The garden is messy.", "We planted flowers. We cut the grass every week.", "heart", "2026-10-03"),
    ("It is too noisy at night.", "We have quiet hours after 10 at night.", "", "2026-09-14"),
    ("We want more trips out.", "We go to the park on Fridays. You choose where we go next.", "star", "2026-08-01"),
    ("The food is cold at lunch.", "We bought a new hot trolley.", "thumbs-up", "2026-07-20"),
    ("Staff do not always listen to us. They are busy. We have to ask again and again before things happen.",
     "We now have a meeting every month. You can come and tell us what you think. We write down what you say. "
     "We tell you what we did about it. Staff have more time to talk with you now.", "ear", "2026-06-02"),
    ("There is nowhere quiet to sit.", "We made a quiet room upstairs.", "home", "2026-05-11"),
    ("The bus stop is too far.", "We asked for a new bus stop. It is by the gate now.", "", "2026-04-20"),
]]
"""A poster's worth: four short items, which just fill a page, then a long one with room for one short
item after it but not two."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("yswd") / "central.db")
    add_people(db)
    engine = open_database(db)
    tokens = {site: add_kiosk(engine, f"kiosk-{site.lower().replace(' ', '-')}", site)
              for site in ("Mile End", "Bow", EMPTY_SITE, POSTER_SITE)}
    for said, did, picture, when in POSTER_ITEMS:
        add_you_said_we_did(engine, POSTER_SITE, said, did, picture, date.fromisoformat(when))
    engine.dispose()
    with ServerProcess(db) as running:
        running.tokens = tokens  # type: ignore[attr-defined]
        yield running



def new_item(browser: StaffBrowser, site: str = "Mile End", **changes: str) -> dict[str, Any]:
    """Post the add form as a person would (loading it first); the words are new each time. Returns the
    form sent, with the server's answer under "response"."""
    browser.get("/staff/you-said-we-did/add")
    form: dict[str, Any] = {"site": site, "said": f"The lift is broken {uuid.uuid4().hex[:6]}.",
            "did": f"We mended the lift {uuid.uuid4().hex[:6]}. It works now.", "date": "2026-10-23",
            "picture": "thumbs-up", **changes}
    form["response"] = browser.post("/staff/you-said-we-did/add", form, allow_redirects=False)
    return form


def stored(db: str, said: str) -> list[dict]:
    engine = open_database(db, create=False)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(
                sa.select(you_said_we_did).where(you_said_we_did.c.said == said)).mappings()]
    finally:
        engine.dispose()


def audit_rows(db: str, action: str) -> list[dict]:
    engine = open_database(db, create=False)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(
                sa.select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)).mappings()]
    finally:
        engine.dispose()


def kiosk_items(server: ServerProcess, site: str) -> list[YouSaidWeDid]:
    """What a kiosk at ``site`` gets from ``GET /v1/updates``."""
    response = updates(server, server.tokens[site])  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    return Updates.model_validate(response.json()).you_said_we_did


def sent_to_kiosk(server: ServerProcess, site: str) -> list[str]:
    return [item.said for item in kiosk_items(server, site)]


def test_a_manager_adds_an_item_that_is_listed_and_sent_to_that_sites_kiosks_only(server):
    manny = signed_in(server, "manny")
    item = new_item(manny)
    response = item["response"]
    assert response.status_code == 303, response.text
    page = manny.get(response.headers["location"])
    assert "Added. The kiosks at this site show it after their next sync." in page.text
    assert html.escape(item["said"]) in page.text and "23 October 2026" in page.text
    assert '/staff/you-said-we-did/poster?site=Mile%20End' in page.text  # "Print poster"
    assert item["said"] in sent_to_kiosk(server, "Mile End")
    assert item["said"] not in sent_to_kiosk(server, "Bow")
    [row] = stored(server.db, item["said"])
    assert (row["site"], row["did"], row["picture"], row["date"]) == ("Mile End", item["did"], "thumbs-up",
                                                                      "2026-10-23")
    [added] = [audit for audit in audit_rows(server.db, "added you-said-we-did")
               if audit["detail"] == f"item {row['id']}"]
    assert (added["staff"], added["site"]) == ("manny", "Mile End")  # and not what people said


def test_items_are_listed_newest_first(server):
    manny = signed_in(server, "manny")
    older = new_item(manny, date="2026-03-01")
    newer = new_item(manny, date="2026-04-01")
    page = manny.get("/staff/you-said-we-did?site=Mile+End").text
    assert page.index(html.escape(newer["said"])) < page.index(html.escape(older["said"]))


def test_kiosk_sync_brings_the_item_to_a_real_kiosk_store(server, tmp_path, kiosk_env):
    engine = open_database(server.db, create=False)
    token = add_kiosk(engine, "lounge-sync", "Mile End")
    engine.dispose()
    item = new_item(signed_in(server, "manny"), said="The chairs are hard.", did="We bought soft chairs.")
    assert item["response"].status_code == 303
    kiosk = Kiosk(tmp_path, kiosk_env, token)
    kiosk.simulate(1)  # a kiosk that has collected an answer, as the sync job expects
    result = kiosk.sync_once(server.url)
    assert result.returncode == 0, result.stderr
    arrived = {(entry.said, entry.did, entry.picture, entry.date) for entry in load_you_said_we_did(kiosk.data)}
    assert ("The chairs are hard.", "We bought soft chairs.", "thumbs-up", "2026-10-23") in arrived


BENGALI = Translation(said="লিফট কাজ করে না।", did="আমরা লিফট ঠিক করেছি। এখন এটা কাজ করে।")
KOREAN = Translation(said="승강기가 고장 났어요.", did="승강기를 고쳤어요. 이제 잘 돼요.")


def listed(browser: StaffBrowser, item_id: int) -> str:
    """The item's entry on the list page, as HTML with its spaces collapsed."""
    page = browser.get("/staff/you-said-we-did?site=Mile+End").text
    entry = page[page.index(f'id="item-{item_id}"'):]
    return " ".join(entry[:entry.index("</article>")].split())


def in_languages(**translations: Translation) -> dict[str, str]:
    """The add form's boxes for ``translations`` (``bn=BENGALI``)."""
    return {f"{name}-{tag}": getattr(words, name) for tag, words in translations.items() for name in ("said", "did")}


def test_an_item_with_bengali_and_korean_words_is_stored_listed_and_sent_to_the_kiosks(server):
    manny = signed_in(server, "manny")
    form = manny.get("/staff/you-said-we-did/add").text
    for tag, own_name, name in (("bn", "বাংলা", "Bengali"), ("ko", "한국어", "Korean")):
        assert f'<legend><span lang="{tag}">{own_name}</span> · {name}' in form
        assert f'<textarea id="said-{tag}" name="said-{tag}" lang="{tag}" maxlength="300"' in form
        assert f'<textarea id="did-{tag}" name="did-{tag}" lang="{tag}" maxlength="300"' in form
    item = new_item(manny, **in_languages(bn=BENGALI, ko=KOREAN))
    assert item["response"].status_code == 303, item["response"].text
    [row] = stored(server.db, item["said"])
    assert json.loads(row["translations"]) == {"bn": BENGALI.model_dump(), "ko": KOREAN.model_dump()}
    [sent] = [entry for entry in kiosk_items(server, "Mile End") if entry.said == item["said"]]
    assert (sent.did, sent.translations) == (item["did"], {"bn": BENGALI, "ko": KOREAN})
    entry = listed(manny, row["id"])
    assert ('In English, <span lang="bn">বাংলা</span> (Bengali), <span lang="ko">한국어</span> (Korean).'
            in entry) and "Not in" not in entry
    assert f'We did: <span lang="bn">{BENGALI.did}</span>' in entry
    details = [entry["detail"] for entry in audit_rows(server.db, "added you-said-we-did")]
    assert f"item {row['id']}" in details and not any("লিফট" in detail or "승강기" in detail for detail in details)


def test_the_list_names_the_languages_an_item_lacks(server):
    manny = signed_in(server, "manny")
    item = new_item(manny, **in_languages(bn=BENGALI))
    assert item["response"].status_code == 303
    [row] = stored(server.db, item["said"])
    assert ('In English, <span lang="bn">বাংলা</span> (Bengali). Not in Korean: the kiosks do not show it to people '
            "who choose that language.") in listed(manny, row["id"])
    [plain] = stored(server.db, new_item(manny)["said"])
    assert ("In English. Not in Bengali or Korean: the kiosks do not show it to people who choose those languages."
            in listed(manny, plain["id"])) and "Words in other languages" not in listed(manny, plain["id"])


def test_a_translation_needs_both_boxes_and_keeps_to_the_same_length(server):
    manny = signed_in(server, "manny")
    too_long = "승강기를 고쳤어요. " * 30  # 330 characters
    item = new_item(manny, **{"said-bn": BENGALI.said, "did-ko": too_long})
    response = item["response"]
    assert response.status_code == 400
    page = response.text
    assert 'id="did-bn-problem">Write &#34;We did&#34; in Bengali too, or leave both Bengali boxes empty.' in page
    assert 'id="said-ko-problem">Write &#34;You said&#34; in Korean too, or leave both Korean boxes empty.' in page
    assert (f'id="did-ko-problem">&#34;We did&#34; in Korean has {len(too_long.strip())} characters; make it 300 '
            "or fewer.") in page
    assert '<li><a href="#did-bn">' in page  # the summary at the top links to the box
    assert f'lang="bn" maxlength="300" >{BENGALI.said}</textarea>' in page  # what was typed is kept
    assert f'lang="ko" maxlength="300" aria-invalid="true" aria-describedby="did-ko-problem">{too_long.strip()}' in page
    assert stored(server.db, item["said"]) == []


def test_preview_shows_the_item_in_every_language_given_and_adds_nothing(server):
    manny = signed_in(server, "manny")
    item = new_item(manny, action="preview", **in_languages(bn=BENGALI))
    response = item["response"]
    assert response.status_code == 200
    page = response.text
    preview = page[page.index('<section class="card yswd-preview"'):page.index("</section>")]
    assert "Not added yet: this is a preview." in preview
    assert [tag for tag in ("en", "bn", "ko") if f'id="preview-{tag}"' in preview] == ["en", "bn"]
    assert f'<strong>You said:</strong> <span lang="en">{html.escape(item["said"])}</span>' in preview
    assert f'<strong>You said:</strong> <span lang="bn">{BENGALI.said}</span>' in preview
    assert f'<strong>We did:</strong> <span lang="bn">{BENGALI.did}</span>' in preview
    assert '<h3 id="preview-bn-heading"><span lang="bn">বাংলা</span> · Bengali</h3>' in preview
    assert f'>{BENGALI.said}</textarea>' in page  # the form keeps everything, ready to add
    assert stored(server.db, item["said"]) == []
    del item["response"]
    assert manny.post("/staff/you-said-we-did/add", {**item, "action": "publish"}).status_code == 400


def test_a_manager_writes_bengali_and_korean_in_a_browser_previews_and_a_kiosk_gets_them(
        server, chromium, tmp_path):  # noqa: F811
    manny = signed_in(server, "manny")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.add_cookies([{"name": cookie.name, "value": cookie.value, "url": server.url}
                             for cookie in manny.http.cookies])
        page = context.new_page()
        page.goto(server.url + "/staff/you-said-we-did/add")
        said = f"The lift does not work {uuid.uuid4().hex[:6]}."
        page.get_by_label("You said", exact=True).fill(said)
        page.get_by_label("We did", exact=True).fill("We mended the lift. It works now.")
        page.get_by_label("You said, in Bengali").fill(BENGALI.said)
        page.get_by_label("We did, in Bengali").fill(BENGALI.did)
        page.get_by_label("You said, in Korean").fill(KOREAN.said)
        page.get_by_label("We did, in Korean").fill(KOREAN.did)
        page.get_by_label("thumbs up").check()
        fonts = {tag: page.locator(f"#said-{tag}").evaluate("e => getComputedStyle(e).fontFamily")
                 for tag in ("bn", "ko")}
        assert fonts["bn"].startswith('"Noto Sans Bengali"') and fonts["ko"].startswith('"Noto Sans CJK KR"'), fonts
        page.get_by_role("button", name="Preview").click()
        preview = page.locator("section.yswd-preview")
        expect(preview.get_by_text("Not added yet: this is a preview.")).to_be_visible()
        for tag, own_name, words in (("bn", "বাংলা", BENGALI), ("ko", "한국어", KOREAN)):
            shown = preview.locator(f"#preview-{tag} span[lang={tag}]").all_inner_texts()
            assert shown == [own_name, words.said, words.did], shown
        expect(preview.locator("#preview-en").get_by_text(said)).to_be_visible()
        page.screenshot(path=str(screenshot_folder(tmp_path) / "you-said-we-did-preview-languages.png"), full_page=True)
        assert stored(server.db, said) == []
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.get_by_text("Added. The kiosks at this site show it after their next sync.")).to_be_visible()
        added = page.locator("article.yswd-item", has_text=said)
        expect(added.get_by_text("In English, বাংলা (Bengali), 한국어 (Korean).")).to_be_visible()
    finally:
        context.close()
    [sent] = [item for item in kiosk_items(server, "Mile End") if item.said == said]
    assert sent.translations == {"bn": BENGALI, "ko": KOREAN} and sent.picture == "thumbs-up"


def test_mistakes_are_named_next_to_their_fields_and_what_was_typed_is_kept(server):
    manny = signed_in(server, "manny")
    typed = "We fixed the <b>heating</b> & the lights. " * 8  # 336 characters, with things to escape
    item = new_item(manny, said="", did=typed, date="2026-02-30", picture="no-such-picture")
    response = item["response"]
    assert response.status_code == 400
    page = response.text
    assert 'id="said-problem">Write what people said in &#34;You said&#34;.' in page
    assert f'id="did-problem">&#34;We did&#34; has {len(typed.strip())} characters; make it 300 or fewer.' in page
    assert 'id="date-problem">Write the date as day, month and year' in page
    assert 'id="picture-problem">Choose one of the pictures shown' in page
    assert f">{html.escape(typed.strip())}</textarea>" in page
    assert "<b>heating</b>" not in page
    assert 'value="2026-02-30"' in page and 'aria-invalid="true" aria-describedby="did-problem did-hint"' in page
    assert stored(server.db, typed.strip()) == []
    ahead = new_item(manny, date=(date.today() + timedelta(days=400)).isoformat(), picture="")["response"]
    assert ahead.status_code == 400 and "The date is more than a year from now" in ahead.text
    unchosen = new_item(manny)
    del unchosen["response"], unchosen["picture"]
    refused = manny.post("/staff/you-said-we-did/add", unchosen)
    assert refused.status_code == 400 and "Choose a picture, or &#34;No picture&#34;." in refused.text
    assert html.escape(unchosen["said"]) in refused.text


def test_no_picture_is_a_choice_and_the_kiosk_shows_its_speech_balloon(server):
    item = new_item(signed_in(server, "manny"), picture="")
    assert item["response"].status_code == 303
    assert stored(server.db, item["said"])[0]["picture"] == ""


def test_a_viewer_reads_the_list_and_the_poster_but_cannot_write(server):
    item = new_item(signed_in(server, "manny"))
    vera = signed_in(server, "vera")
    page = vera.get("/staff/you-said-we-did")
    assert page.status_code == 200 and html.escape(item["said"]) in page.text
    assert "Remove this item" not in page.text and "/staff/you-said-we-did/add" not in page.text
    assert vera.get("/staff/you-said-we-did/poster?site=Mile+End").status_code == 200
    assert vera.get("/staff/you-said-we-did/add").status_code == 403
    refused = new_item(vera)["response"]
    assert refused.status_code == 403 and "Only a manager or above can add or remove" in refused.text
    [row] = stored(server.db, item["said"])
    assert vera.post(f"/staff/you-said-we-did/{row['id']}/remove", {"reason": "test"}).status_code == 403
    assert len(stored(server.db, item["said"])) == 1


def test_staff_of_one_site_cannot_touch_another_sites_items_even_by_guessing_ids(server):
    engine = open_database(server.db, create=False)
    said = f"Bow needs a ramp {uuid.uuid4().hex[:6]}."
    bow_item = add_you_said_we_did(engine, "Bow", said, "We built a ramp.", "", date(2026, 10, 1))
    engine.dispose()
    manny = signed_in(server, "manny")
    refused = new_item(manny, site="Bow")
    assert refused["response"].status_code == 403
    assert "You do not have access to the site &#39;Bow&#39;" in refused["response"].text
    assert stored(server.db, refused["said"]) == []
    removal = manny.post(f"/staff/you-said-we-did/{bow_item}/remove", {"reason": "guessing"})
    assert removal.status_code == 403
    assert len(stored(server.db, said)) == 1
    assert manny.get("/staff/you-said-we-did?site=Bow").status_code == 403
    assert manny.get("/staff/you-said-we-did/poster?site=Bow").status_code == 403
    assert said not in manny.get("/staff/you-said-we-did").text
    bo = signed_in(server, "bo")
    assert html.escape(said) in bo.get("/staff/you-said-we-did").text
    assert "Mile End" not in bo.get("/staff/you-said-we-did").text


def test_removal_needs_a_reason_is_audited_and_kiosks_stop_getting_the_item(server):
    manny = signed_in(server, "manny")
    item = new_item(manny)
    [row] = stored(server.db, item["said"])
    manny.get("/staff/you-said-we-did")
    no_reason = manny.post(f"/staff/you-said-we-did/{row['id']}/remove", {"reason": "   "})
    assert no_reason.status_code == 400
    assert f'id="reason-{row["id"]}-problem">Say why you are removing it.' in no_reason.text
    assert len(stored(server.db, item["said"])) == 1
    unsigned = manny.post(f"/staff/you-said-we-did/{row['id']}/remove", {"reason": "no token"}, with_token=False)
    assert unsigned.status_code == 403 and len(stored(server.db, item["said"])) == 1
    removed = manny.post(f"/staff/you-said-we-did/{row['id']}/remove?site=Mile+End",
                         {"reason": "Added by mistake"}, allow_redirects=False)
    assert removed.status_code == 303
    page = manny.get(removed.headers["location"]).text
    assert "Removed. The kiosks at this site stop showing it after their next sync." in page
    assert html.escape(item["said"]) not in page and stored(server.db, item["said"]) == []
    assert item["said"] not in sent_to_kiosk(server, "Mile End")
    [audit] = [entry for entry in audit_rows(server.db, "removed you-said-we-did")
               if entry["detail"].startswith(f"item {row['id']};")]
    assert (audit["staff"], audit["site"], audit["detail"]) == ("manny", "Mile End",
                                                                 f"item {row['id']}; reason: Added by mistake")
    again = manny.post(f"/staff/you-said-we-did/{row['id']}/remove", {"reason": "twice"})
    assert again.status_code == 404 and "Perhaps someone removed it already" in again.text
    assert manny.post("/staff/you-said-we-did/abc/remove", {"reason": "x"}).status_code == 400


def test_the_poster_of_a_site_with_nothing_yet_says_so_in_plain_words(server):
    page = signed_in(server, "ada").get(f"/staff/you-said-we-did/poster?site={EMPTY_SITE}")
    assert page.status_code == 200
    assert "We have nothing to tell you here yet." in page.text
    assert "Tell us what you think at the kiosk." in page.text


def test_the_poster_is_easy_read_with_its_own_print_stylesheet(server):
    ada = signed_in(server, "ada")
    page = ada.get(f"/staff/you-said-we-did/poster?site={POSTER_SITE}&items=20")
    assert page.status_code == 200
    text = page.text
    assert "/staff/static/poster.css" in text and "style=" not in text and "<script" not in text
    assert "<h1>You said, we did</h1>" in text and "October 2026" in text and "2026-10-03" not in text
    assert "<p><strong>We did:</strong> We planted flowers.</p><p>We cut the grass every week.</p>" in text
    assert "Tell us what you think at the kiosk." in text and "You do not have to give your name." in text
    sheets = text.count('<section class="sheet"')
    assert sheets == len(poster_pages([dict(zip(("said", "did"), item[:2], strict=True)) for item in POSTER_ITEMS],
                                      POSTER_SITE)) > 1
    assert f"Page 1 of {sheets}" in text
    css = ada.get("/staff/static/poster.css").text
    assert "size: A4 portrait" in css and "font-style: italic" not in css and "uppercase" not in css
    assert ada.get(f"/staff/you-said-we-did/poster?site={POSTER_SITE}").text.count('<section class="sheet"') == 1
    assert ada.get(f"/staff/you-said-we-did/poster?site={POSTER_SITE}&items=99").status_code == 400
    assert ada.get("/staff/you-said-we-did/poster").status_code == 400


def test_pages_share_out_items_by_length_four_at_most():
    short = {"said": "Too cold.", "did": "We fixed the heating."}
    long = {"said": POSTER_ITEMS[4][0], "did": POSTER_ITEMS[4][1]}
    assert [len(page) for page in poster_pages([short] * 9, "Mile End")] == [4, 4, 1]
    assert [len(page) for page in poster_pages([short, long, short, long, long], "Mile End")] == [2, 2, 1]
    assert fits_a_poster_page("Mile End", long["said"], long["did"])


def test_an_item_too_long_for_a_page_of_the_poster_is_refused(server):
    manny = signed_in(server, "manny")
    said = "We want to go out more. We get bored. " * 7  # 266 characters in 14 sentences
    did = "We go out every week now. We go to the park. " * 6  # 270 in 12
    refused = new_item(manny, said=said, did=did)["response"]
    assert refused.status_code == 400
    assert ('id="did-problem">Together, &#34;You said&#34; and &#34;We did&#34; are too long for one page of the '
            "poster. Make &#34;We did&#34; shorter") in refused.text
    assert html.escape(said.strip()) in refused.text
    assert stored(server.db, said.strip()) == []


def poppler(tool: str) -> bool:
    """Whether poppler-utils' ``tool`` is here; CI installs it (.ci/setup), so there it must be."""
    if shutil.which(tool):
        return True
    if os.environ.get("CI") == "true":
        pytest.fail(f"{tool} is missing: .ci/setup --test installs poppler-utils")
    return False


def test_the_poster_prints_on_a4_in_chromium_with_large_plain_type(server, tmp_path, chromium):  # noqa: F811
    viewer_of_all = signed_in(server, "ada")
    address = f"{server.url}/staff/you-said-we-did/poster?site={POSTER_SITE}&items=20"
    expected_pages = viewer_of_all.get(address.removeprefix(server.url)).text.count('<section class="sheet"')
    problems: list[str] = []
    context = chromium.new_context()
    try:
        context.add_cookies([{"name": cookie.name, "value": cookie.value, "url": server.url}
                             for cookie in viewer_of_all.http.cookies])
        page = context.new_page()
        page.on("console", lambda message: problems.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
        assert page.goto(address).status == 200
        page.emulate_media(media="print")
        sizes = page.evaluate("""() => ({
            heading: parseFloat(getComputedStyle(document.querySelector('h1')).fontSize),
            smallest: Math.min(...[...document.querySelectorAll('.sheet .words p, .when')]
                               .map(e => parseFloat(getComputedStyle(e).fontSize))),
            italic: [...document.querySelectorAll('body *')].filter(e => getComputedStyle(e).fontStyle !== 'normal')
                    .length,
            capitals: [...document.querySelectorAll('body *')]
                      .filter(e => getComputedStyle(e).textTransform !== 'none').length,
            pictures: [...document.querySelectorAll('.sheet img')].filter(i => !i.complete || !i.naturalWidth)
                      .length,
            tools: getComputedStyle(document.querySelector('.poster-tools')).display})""")
        pdf = page.pdf(format="A4", print_background=True)
    finally:
        context.close()
    points = 96 / 72  # CSS pixels in a point
    assert sizes["heading"] >= 40 * points and sizes["smallest"] >= 24 * points
    assert (sizes["italic"], sizes["capitals"], sizes["pictures"], sizes["tools"]) == (0, 0, 0, "none")
    assert not problems, problems  # a stylesheet or picture refused by the Content-Security-Policy, or missing
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(width) - A4_POINTS[0]) < 2 and abs(float(height) - A4_POINTS[1]) < 2
                         for width, height in boxes), boxes
    (tmp_path / "poster.pdf").write_bytes(pdf)
    if poppler("pdfinfo"):  # the page count, which shows no item spilled over onto a page of its own
        info = subprocess.run(["pdfinfo", str(tmp_path / "poster.pdf")], capture_output=True, text=True, check=True)
        assert re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE).group(1) == str(expected_pages)
        assert re.search(r"^Page size:.*\(A4\)$", info.stdout, re.MULTILINE), info.stdout
    if poppler("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(tmp_path / "poster.pdf"),
                        str(tmp_path / "page")], check=True, timeout=120)
        [png] = tmp_path.glob("page*.png")
        with Image.open(png) as image:
            rgb = image.convert("RGB")
        assert abs(rgb.width - 496) <= 2 and abs(rgb.height - 702) <= 2  # A4 at 60 dots per inch
        blue_rows = [y for y in range(rgb.height) if all(abs(have - want) < 30 for have, want in
                                                          zip(rgb.getpixel((rgb.width // 2, y)), BRAND, strict=True))]
        assert blue_rows and blue_rows[0] < rgb.height * 0.15 and blue_rows[-1] > rgb.height * 0.8, blue_rows
        """The rule under the heading at the top of the page, the one above the footer at its bottom."""


def test_items_are_listed_found_and_deleted_on_sqlite_and_postgresql(server_database):
    engine = open_database(server_database)
    try:
        first = add_you_said_we_did(engine, "Mile End", "Too cold.", "We fixed the heating.", "", date(2026, 9, 1))
        later = add_you_said_we_did(engine, "Mile End", "Too dark.", "New lights.", "light-bulb", date(2026, 10, 1),
                                    {"ko": KOREAN, "bn": BENGALI})
        same_day = add_you_said_we_did(engine, "Mile End", "Too loud.", "Quiet hours.", "", date(2026, 10, 1))
        elsewhere = add_you_said_we_did(engine, "Bow", "No ramp.", "We built one.", "", date(2026, 11, 1))
        with engine.connect() as connection:
            assert [item["id"] for item in list_you_said_we_did(connection, ["Mile End"])] == [same_day, later, first]
            assert [item["id"] for item in list_you_said_we_did(connection, ["Bow", "Mile End"], limit=1)] == [
                elsewhere, same_day]
            found = find_you_said_we_did(connection, later)
            assert found is not None and (found["site"], found["picture"], found["date"], found["translations"]) == (
                "Mile End", "light-bulb", "2026-10-01", {"bn": BENGALI.model_dump(), "ko": KOREAN.model_dump()})
            assert updates_for_site(connection, "Mile End").you_said_we_did[1].translations == {"bn": BENGALI,
                                                                                                  "ko": KOREAN}
        with engine.begin() as connection:
            assert delete_you_said_we_did(connection, later) is True
            assert delete_you_said_we_did(connection, later) is False
        with engine.connect() as connection:
            assert find_you_said_we_did(connection, later) is None
            assert [item["id"] for item in list_you_said_we_did(connection, ["Mile End"])] == [same_day, first]
    finally:
        engine.dispose()


def test_the_rules_for_an_item_name_each_field_that_is_wrong():
    today = date(2026, 11, 23)
    assert check_you_said_we_did("Too cold.", "We fixed it.", "heart", today, today) == {}
    assert check_you_said_we_did("Too cold.", "We fixed it.", "", today + timedelta(days=366), today) == {}
    problems = check_you_said_we_did(" ", "x" * 301, "nope", today + timedelta(days=367), today)
    assert set(problems) == {"said", "did", "picture", "date"}
    assert check_you_said_we_did("a", "b", "", date(1999, 12, 31), today)["date"].endswith("check the year.")
