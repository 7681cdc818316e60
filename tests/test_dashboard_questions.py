"""Question sets on the dashboard, over real HTTP to a real server on a real SQLite file: editing,
uploading, checking with the kiosk's rules, versions, preview, history, and who may do it."""

from __future__ import annotations

import html
import re
import sqlite3
from contextlib import closing

import pytest
import requests
from markupsafe import escape
from playwright.sync_api import expect

from kiosk.session.settings import BUILTIN_CONFIG
from sync.core.protocol import UPDATES_PATH, Updates
from sync.core.questions import find_picture
from sync.server.domain.kiosks import add_kiosk
from sync.server.domain.site_content import PICTURE_DIRS, VersionTaken, publish_question_set, updates_for_site
from sync.server.domain.staff import add_staff
from sync.server.storage.db import open_database
from sync.server.web.questions import history_of
from tests.browser import chromium, screenshot_folder  # noqa: F401  (a fixture)
from tests.dashboard import (
    CHUNKED_FORM,
    PASSWORD,
    StaffBrowser,
    add_people,
    bytes_written,
    chunked_form,
    mixed_answers,
    seed,
    signed_in,
)
from tests.server_process import ServerProcess

DEFAULT = (BUILTIN_CONFIG / "questions/default.toml").read_text(encoding="utf-8")
FEELINGS = (BUILTIN_CONFIG / "questions/feelings.toml").read_text(encoding="utf-8")
OVERALL = "Overall, how was your experience of our service?"
CHANGED = "Overall, how was your time with us?"
_TEXTAREA = re.compile(r'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', re.S)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("questions") / "central.db")
    add_people(db)
    seed(db, "Mile End", "lounge-1", mixed_answers(5))
    seed(db, "Bow", "hall-1", mixed_answers(5))
    engine = open_database(db)
    add_staff(engine, "stella", PASSWORD, "manager", ["Stepney"])
    add_staff(engine, "pat", PASSWORD, "manager", ["Poplar"])
    add_kiosk(engine, "poplar-1", "Poplar")
    tokens = {"Stepney": add_kiosk(engine, "stepney-1", "Stepney")}
    publish_question_set(engine, "Bow", FEELINGS, "feelings.toml")  # Bow has a set of its own from the start
    engine.dispose()
    with ServerProcess(db) as running:
        running.tokens = tokens  # type: ignore[attr-defined]
        yield running



def textarea(page: requests.Response) -> str:
    """What the editor holds, as a browser reads it (it drops one newline straight after the tag)."""
    found = _TEXTAREA.search(page.text)
    assert found, page.text
    return html.unescape(found.group(1)).removeprefix("\n")


def stored(server: ServerProcess, site: str) -> list[tuple[str, int, str]]:
    with closing(sqlite3.connect(server.db)) as connection:
        return connection.execute("SELECT set_id, version, toml FROM question_sets WHERE site = ? ORDER BY id",
                                  (site,)).fetchall()


def publish(browser: StaffBrowser, site: str, text: str, **extra: str) -> requests.Response:
    """Post the editor as a browser does: its line breaks as CR LF."""
    return browser.post("/staff/questions/edit", {"site": site, "text": text.replace("\n", "\r\n"),
                                                  "action": "publish", **extra})


def test_a_manager_changes_a_question_and_the_sites_kiosks_get_it_at_their_next_sync(server):
    stella = signed_in(server, "stella")
    listed = stella.get("/staff/questions")
    assert listed.status_code == 200 and "Stepney" in listed.text and "built-in “default” set" in listed.text
    assert "Mile End" not in listed.text and "Bow" not in listed.text
    editor = stella.get("/staff/questions/edit?site=Stepney")
    assert textarea(editor) == DEFAULT  # nothing sent yet: the editor starts from the kiosk's built-in set

    first = publish(stella, "Stepney", textarea(editor))
    assert first.status_code == 200 and first.url.endswith("/staff/questions?done=published&site=Stepney")
    assert "Published “default” version 1. Kiosks at Stepney will show it after their next sync." in first.text

    text = textarea(stella.get("/staff/questions/edit?site=Stepney"))
    changed = text.replace(OVERALL, CHANGED, 1).replace("version = 1", "version = 2", 1)
    second = publish(stella, "Stepney", changed)
    assert "Published “default” version 2. Kiosks at Stepney will show it after their next sync." in second.text
    assert [(set_id, version) for set_id, version, _ in stored(server, "Stepney")] == [("default", 1), ("default", 2)]

    history = stella.get("/staff/questions/history?site=Stepney")
    rows = re.findall(r"<tr>\s*<td>“default” version (\d)(.*?)</td>\s*<td>\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d "
                      r"(?:GMT|BST)</td>\s*<td>(\w+)</td>", history.text)  # when, in UK time
    assert [(version, by) for version, _, by in rows] == [("2", "stella"), ("1", "stella")]
    assert "on the kiosks now" in rows[0][1] and "on the kiosks now" not in rows[1][1]

    response = requests.get(server.url + UPDATES_PATH, timeout=30,
                            headers={"Authorization": f"Bearer {server.tokens['Stepney']}"})
    updates = Updates.model_validate_json(response.text)
    assert updates.question_set is not None and updates.question_set.version == 2
    assert updates.question_set.toml == changed  # the browser's CR LF are the file's LF again
    assert f'text = "{CHANGED}"' in updates.question_set.toml and f'text = "{OVERALL}"' not in updates.question_set.toml

    with closing(sqlite3.connect(server.db)) as connection:
        audit = connection.execute("SELECT staff, action, site, detail FROM audit_log WHERE site = 'Stepney' "
                                   "ORDER BY id").fetchall()
    assert audit == [("stella", "question-set-published", "Stepney", "default v1"),
                     ("stella", "question-set-published", "Stepney", "default v2")]

    again = publish(stella, "Stepney", changed)
    assert "Nothing changed" in again.text and len(stored(server, "Stepney")) == 2


def test_changed_words_under_a_used_version_are_refused_and_the_next_free_version_is_one_click(server):
    manny = signed_in(server, "manny")
    changed = DEFAULT.replace(OVERALL, CHANGED, 1)  # still version 1: the kiosks' built-in words
    refused = publish(manny, "Mile End", changed)
    assert refused.status_code == 400
    assert "Version 1 of the question set “default” is built into every kiosk with other words" in refused.text
    assert "raise “version” to 2" in refused.text and textarea(refused) == changed
    assert stored(server, "Mile End") == []

    raised = manny.post("/staff/questions/edit", {"site": "Mile End", "text": textarea(refused), "use_version": "2"})
    assert "Published “default” version 2. Kiosks at Mile End will show it after their next sync." in raised.text
    [(set_id, version, toml)] = stored(server, "Mile End")
    assert (set_id, version) == ("default", 2) and toml == changed.replace("version = 1", "version = 2", 1)

    other = toml.replace(CHANGED, "How was it?", 1)
    clash = publish(manny, "Mile End", other)
    assert clash.status_code == 400 and textarea(clash) == other
    assert "was already sent to the kiosks at Mile End with other words" in clash.text
    assert 'name="use_version" value="3"' in clash.text and "Publish as version 3" in clash.text
    assert len(stored(server, "Mile End")) == 1


def test_every_version_is_kept_with_who_published_it_on_both_databases(server_database):
    engine = open_database(server_database)
    try:
        publish_question_set(engine, "Bow", DEFAULT, "default.toml", staff="manny")
        second = DEFAULT.replace(OVERALL, CHANGED, 1).replace("version = 1", "version = 2", 1)
        publish_question_set(engine, "Bow", second.replace("\n", "\r\n"), "mine.toml", staff="ada")
        publish_question_set(engine, "Bow", DEFAULT, "default.toml")  # back to version 1, from the command line
        with pytest.raises(VersionTaken) as sent:
            publish_question_set(engine, "Bow", second.replace(CHANGED, "How was it?"), "mine.toml", staff="ada")
        assert str(sent.value) == ("version 2 of question set 'default' was already sent to site 'Bow' with other "
                                   "content; raise 'version' in mine.toml")
        assert (sent.value.built_in, sent.value.next_free) == (False, 3)
        with pytest.raises(VersionTaken) as built_in:  # kiosks everywhere answer version 1 with the built-in words
            publish_question_set(engine, "Stepney", DEFAULT.replace(OVERALL, CHANGED, 1), "mine.toml", staff="ada")
        assert (built_in.value.built_in, built_in.value.next_free) == (True, 2)
        with engine.connect() as connection:
            history = history_of(connection, "Bow")
            newest = updates_for_site(connection, "Bow").question_set
        assert [(entry["version"], entry["by"]) for entry in history] == [(1, None), (2, "ada"), (1, "manny")]
        assert newest is not None and newest.toml == DEFAULT
        with engine.connect() as connection:
            assert updates_for_site(connection, "Stepney").question_set is None
    finally:
        engine.dispose()


def line_of(text: str, words: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if words in line)


TITLE, THUMBS_UP = line_of(DEFAULT, 'title = "Tell us'), line_of(DEFAULT, 'picture = "thumbs-up"')
BROKEN = [
    ("syntax", DEFAULT.replace('title = "Tell us what you think"', 'title = "Tell us what you think', 1),
     [f"On line {TITLE}: this is not written the way a question set must be", f"Line {TITLE} reads:"]),
    ("picture", DEFAULT.replace('picture = "thumbs-up"', 'picture = "smiel"', 1),
     [rf"On line {THUMBS_UP} at question 2, answer 1, picture \(questions\[2\]\.answers\[1\]\.picture\): there is "
      r"no picture called &#39;smiel&#39;", r'<code class="qs-line">picture = &#34;smiel&#34;</code>']),
    ("missing", DEFAULT.replace('text = "What is working? What is the best thing that has happened?"\n', "", 1),
     [r"On line \d+ at question 3, text \(questions\[3\]\.text\): “text” is missing"]),
    ("formula", DEFAULT.replace(f'text = "{OVERALL}"', 'text = "=HYPERLINK(\\"http://evil.example/q\\",\\"q\\")"', 1),
     [rf"On line {line_of(DEFAULT, OVERALL)} at question 1, text \(questions\[1\]\.text\): must not start with =, \+, "
      "- or @"]),
]


@pytest.mark.parametrize(("problem", "text", "expected"), BROKEN, ids=[case[0] for case in BROKEN])
def test_a_broken_set_is_refused_naming_line_and_field_and_the_text_is_kept(server, problem, text, expected):
    manny = signed_in(server, "manny")
    before = stored(server, "Mile End")
    for action in ("preview", "publish"):
        refused = manny.post("/staff/questions/edit", {"site": "Mile End", "text": text, "action": action})
        assert refused.status_code == 400 and "This question set cannot be used yet" in refused.text
        for pattern in expected:
            assert re.search(pattern, refused.text), (pattern, refused.text)
        assert textarea(refused) == text
    assert stored(server, "Mile End") == before


def test_a_file_is_uploaded_and_checked_naming_the_file(server):
    ada = signed_in(server, "ada")
    ada.get("/staff/questions/edit?site=Bow")
    upload = FEELINGS.replace('title = "How do you feel?"', 'title = "How are you today?"', 1).replace(
        "version = 1", "version = 2", 1)
    sent = ada.post("/staff/questions/upload", {"site": "Bow", "action": "publish"},
                    files={"file": ("bow-questions.toml", upload.encode("utf-8"), "application/toml")})
    assert "Published “feelings” version 2. Kiosks at Bow will show it after their next sync." in sent.text
    assert stored(server, "Bow")[-1] == ("feelings", 2, upload)

    broken = upload.replace('picture = "heart"', 'picture = "hart"', 1)
    refused = ada.post("/staff/questions/upload", {"site": "Bow", "action": "publish"},
                       files={"file": ("C:\\Users\\ada\\my set.toml", broken.encode("utf-8"))})
    assert refused.status_code == 400 and "In the file my set.toml on line 14 at question 1, picture" in refused.text
    assert "/tmp" not in refused.text and "question_set.toml" not in refused.text and textarea(refused) == broken

    previewed = ada.post("/staff/questions/upload", {"site": "Bow", "action": "preview"},
                         files={"file": ("again.toml", ("\ufeff" + upload).encode("utf-8"))})
    assert previewed.status_code == 200 and "Not published yet" in previewed.text
    assert "How are you today?" in previewed.text and textarea(previewed) == upload
    assert len(stored(server, "Bow")) == 2


@pytest.mark.parametrize(("content", "reason"), [
    ('# Questions for the café, £5 off\nid = "cafe"\nversion = 1\n'.encode("cp1252"),
     "The file odd.toml is not UTF-8 text"),
    (FEELINGS.encode("utf-8") + b"#" * 250_000, "The file odd.toml is larger than 200 KB"),
    (b"", "Choose a question set file"),
])
def test_files_that_cannot_be_question_sets_are_refused_with_the_reason(server, content, reason):
    ada = signed_in(server, "ada")
    ada.get("/staff/questions/edit?site=Bow")
    before = stored(server, "Bow")
    name = "odd.toml" if content else ""
    refused = ada.post("/staff/questions/upload", {"site": "Bow", "action": "publish"},
                       files={"file": (name, content, "application/octet-stream")})
    assert refused.status_code == 400 and reason in refused.text
    assert stored(server, "Bow") == before


def test_a_huge_form_is_refused_before_it_is_read(server):
    manny = signed_in(server, "manny")
    manny.get("/staff/questions/edit?site=Mile End")
    refused = manny.post("/staff/questions/edit", {"site": "Mile End", "text": "#" * 2_100_000, "action": "publish"})
    assert refused.status_code == 413 and "larger than 2 MB" in refused.text


def test_a_huge_upload_sent_in_chunks_is_cut_off_at_the_limit_not_written_to_disk(server):
    manny = signed_in(server, "manny")
    manny.get("/staff/questions/edit?site=Mile End")
    before = bytes_written(server.process.pid)
    fields = {"csrf_token": manny.csrf, "site": "Mile End", "action": "publish"}
    refused = manny.http.post(server.url + "/staff/questions/upload", data=chunked_form(fields, 20),
                              headers={"Content-Type": CHUNKED_FORM}, timeout=60)  # no Content-Length to check
    assert refused.status_code == 413 and "larger than 2 MB" in refused.text
    assert bytes_written(server.process.pid) - before < 2_000_000  # not the 20 MB sent


def test_a_file_nested_too_deeply_to_read_is_refused_with_the_reason(server):
    ada = signed_in(server, "ada")
    ada.get("/staff/questions/edit?site=Bow")
    before = stored(server, "Bow")
    nested = "a = " + "[" * 5000 + "]" * 5000 + "\n"  # 10 KB
    uploaded = ada.post("/staff/questions/upload", {"site": "Bow", "action": "publish"},
                        files={"file": ("deep.toml", nested.encode("utf-8"))})
    typed = ada.post("/staff/questions/edit", {"site": "Bow", "text": nested, "action": "preview"})
    for refused in (uploaded, typed):
        assert refused.status_code == 400 and "lists or tables are nested too deeply" in refused.text
    assert "In the file deep.toml" in uploaded.text
    assert stored(server, "Bow") == before


def test_a_typed_set_over_the_limit_is_refused_and_kept(server):
    manny = signed_in(server, "manny")
    manny.get("/staff/questions/edit?site=Mile End")
    text = DEFAULT + "#" * 200_001
    refused = manny.post("/staff/questions/edit", {"site": "Mile End", "text": text, "action": "publish"})
    assert refused.status_code == 400 and "larger than 200 KB" in refused.text and textarea(refused) == text


def test_the_preview_shows_every_question_and_a_picture_for_every_answer_in_every_language(server):
    manny = signed_in(server, "manny")
    manny.get("/staff/questions/edit?site=Mile End")
    before = stored(server, "Mile End")
    page = manny.post("/staff/questions/edit", {"site": "Mile End", "text": DEFAULT, "action": "preview"})
    assert page.status_code == 200 and "Preview: how the kiosks will show it" in page.text
    from sync.core.questions import load_question_set

    qset = load_question_set(BUILTIN_CONFIG / "questions/default.toml", PICTURE_DIRS)
    sections = {tag: page.text.split(f'id="lang-{tag}"')[1].split("</section>")[0] for tag in ("en", "bn", "ko")}
    for question in qset.questions:
        assert str(escape(question.text)) in sections["en"]
        assert f'<img src="/staff/pictures/{question.picture}.png"' in sections["en"]
        for answer in question.answers:
            assert f'<img src="/staff/pictures/{answer.picture}.png" alt="Picture: {answer.picture}"' in sections["en"]
            assert str(escape(answer.text)) in sections["en"]
            for tag in ("bn", "ko"):
                assert answer.translations[tag].text in sections[tag]
        for tag in ("bn", "ko"):
            assert question.translations[tag].text in sections[tag]
            assert f'<div lang="{tag}">' in sections[tag]
    assert "Tell us why" in sections["en"] and 'src="/staff/pictures/pencil.png"' in sections["en"]
    assert " style=" not in page.text  # the CSP forbids inline styles
    assert stored(server, "Mile End") == before  # a preview publishes nothing
    assert manny.get("/staff/pictures/face-very-sad.png").headers["content-type"] == "image/png"


def test_stored_versions_and_built_in_sets_can_be_previewed(server):
    manny = signed_in(server, "manny")
    built_in = manny.get("/staff/questions/built-in/feelings")
    assert built_in.status_code == 200 and "How do you feel about your support today?" in built_in.text
    assert all(f"/staff/pictures/{name}.png" in built_in.text for name in re.findall(r'picture = "([\w-]+)"', FEELINGS)
               if find_picture(name, PICTURE_DIRS))
    with closing(sqlite3.connect(server.db)) as connection:
        [version_id] = connection.execute("SELECT min(id) FROM question_sets WHERE site = 'Bow'").fetchone()
    ada = signed_in(server, "ada")
    page = ada.get(f"/staff/questions/versions/{version_id}")
    assert page.status_code == 200 and "“feelings” version 1 at Bow" in page.text
    assert "the server&#39;s command line" in page.text  # stored without the dashboard, so nobody is named
    download = ada.get(f"/staff/questions/versions/{version_id}/download")
    assert download.text == FEELINGS and 'filename="feelings-v1.toml"' in download.headers["content-disposition"]


def test_viewers_cannot_see_or_change_question_sets(server):
    vera = signed_in(server, "vera")
    vera.get("/staff/")
    for path in ("/staff/questions", "/staff/questions/edit?site=Mile End", "/staff/questions/history?site=Mile End"):
        assert vera.get(path).status_code == 403
    refused = vera.post("/staff/questions/edit", {"site": "Mile End", "text": DEFAULT, "action": "publish"})
    assert refused.status_code == 403 and "Only a manager or above can change question sets." in refused.text


def test_a_manager_of_another_site_is_refused_whether_the_site_is_in_the_address_or_the_form(server):
    manny = signed_in(server, "manny")
    manny.get("/staff/questions/edit?site=Mile End")
    with closing(sqlite3.connect(server.db)) as connection:
        [bow_version] = connection.execute("SELECT min(id) FROM question_sets WHERE site = 'Bow'").fetchone()
    before = stored(server, "Bow")
    for path in ("/staff/questions/edit?site=Bow", "/staff/questions/history?site=Bow",
                 f"/staff/questions/versions/{bow_version}", f"/staff/questions/versions/{bow_version}/download",
                 f"/staff/questions/edit?site=Mile End&from={bow_version}", "/staff/questions/edit?site=Nowhere"):
        assert manny.get(path).status_code == 403, path
    assert "Bow" not in manny.get("/staff/questions").text
    changed = FEELINGS.replace("version = 1", "version = 9", 1)
    assert publish(manny, "Bow", changed).status_code == 403
    assert manny.post("/staff/questions/upload", {"site": "Bow", "action": "publish"},
                      files={"file": ("x.toml", changed.encode("utf-8"))}).status_code == 403
    assert stored(server, "Bow") == before


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(server):
    manny = signed_in(server, "manny")
    manny.get("/staff/questions/edit?site=Mile End")
    before = stored(server, "Mile End")
    changed = DEFAULT.replace("version = 1", "version = 7", 1)
    refused = manny.post("/staff/questions/edit", {"site": "Mile End", "text": changed, "action": "publish"},
                         with_token=False)
    assert refused.status_code == 403 and "This form has expired" in refused.text
    uploaded = manny.post("/staff/questions/upload", {"site": "Mile End", "action": "publish"}, with_token=False,
                          files={"file": ("x.toml", changed.encode("utf-8"))})
    assert uploaded.status_code == 403
    assert stored(server, "Mile End") == before


@pytest.mark.slow
def test_in_a_real_browser_a_clash_is_one_click_and_the_preview_draws_every_picture_and_script(
        chromium, server, tmp_path):  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused_by_csp: list[str] = []
    page.on("console", lambda message: refused_by_csp.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(server.url + "/staff/sign-in")
    page.get_by_label("Name").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(server.url + "/staff/questions")
    page.get_by_role("link", name="Change the questions at Poplar").click()
    editor = page.get_by_role("textbox", name="The question set")
    assert editor.input_value() == DEFAULT
    editor.fill(DEFAULT.replace(OVERALL, CHANGED, 1))
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_text("Not published yet")).to_be_visible()
    assert page.locator("#lang-en .qs-question p").first.inner_text() == CHANGED
    pictures = page.locator("#lang-en .qs-tile img")
    assert pictures.count() == 19  # 6 and 3 answers to the feedback questions, 2, 4 and 4 to "About you"
    page.wait_for_load_state("load")
    unloaded = page.evaluate("() => [...document.querySelectorAll('.qs-language img')].filter(i => !i.naturalWidth)"
                             ".map(i => i.src)")
    assert unloaded == []
    bengali = page.locator('#lang-bn div[lang="bn"] .qs-question p').first
    assert bengali.inner_text() == "সব মিলিয়ে, আমাদের সেবা আপনার কেমন লেগেছে?"
    assert "Noto Sans Bengali" in bengali.evaluate("element => getComputedStyle(element).fontFamily")
    page.screenshot(path=str(screenshot_folder(tmp_path) / "question-set-preview.png"), full_page=True)

    page.get_by_role("button", name="Publish to the kiosks at Poplar", exact=True).click()
    expect(page.get_by_text("is built into every kiosk with other words")).to_be_visible()
    page.get_by_role("button", name="Publish as version 2").click()
    expect(page.get_by_text("Published “default” version 2. Kiosks at Poplar will show it after their next sync."
                            )).to_be_visible()
    [(set_id, version, toml)] = stored(server, "Poplar")
    assert (set_id, version) == ("default", 2) and f'text = "{CHANGED}"' in toml and "\r" not in toml
    assert refused_by_csp == []
    context.close()
