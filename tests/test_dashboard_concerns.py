"""The safeguarding queue: acknowledging, assigning and resolving flagged responses, over real HTTP to a real
server on a real SQLite file; and the steps themselves (sync/server/domain/safeguarding.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from sync.server.domain.safeguarding import (
    ConcernError,
    ConcernNotFound,
    ConcernNotPermitted,
    QueueItem,
    acknowledge,
    add_note,
    assign,
    eligible_staff,
    list_concerns,
    load_concern,
    open_count,
    reopen,
    resolve,
)
from sync.server.domain.staff import StaffMember, add_staff, load_member, set_disabled
from sync.server.storage.db import audit_log, concern_events, concern_queue, database_url, open_database, responses
from sync.server.web.common import ago
from tests.dashboard import PASSWORD, add_people, payload, seed, signed_in
from tests.server_process import ServerProcess

WORDS = "a worker hit me and i have bruises"
STEPS = ("acknowledge", "assign", "note", "resolve", "reopen")


def add_more_people(db: str) -> None:
    """Besides tests.dashboard.PEOPLE: bea manages Bow, sam manages Mile End, dora managed it until disabled."""
    engine = open_database(db)
    add_staff(engine, "bea", PASSWORD, "manager", ["Bow"])
    add_staff(engine, "sam", PASSWORD, "manager", ["Mile End"])
    add_staff(engine, "dora", PASSWORD, "manager", ["Mile End"])
    set_disabled(engine, "dora", True)
    engine.dispose()


def flag(db: str, site: str, text: str = WORDS, concerns: tuple[str, ...] = ("abuse-physical",), *,
         urgent: bool = False) -> str:
    """One flagged response from a new kiosk at ``site`` (``urgent``: read as "may be at risk now"); its id."""
    flagged = payload("poor", text, list(concerns)) | ({"concern_urgent": True} if urgent else {})
    [response_id] = seed(db, site, f"kiosk-{uuid.uuid4().hex[:8]}", [flagged])
    return response_id


def state(db: str, response_id: str) -> dict[str, Any]:
    """The queue row, its events (oldest first) and the audit log lines naming it, read from the database."""
    engine = sa.create_engine(database_url(db))
    try:
        with engine.connect() as connection:
            row = connection.execute(sa.select(concern_queue).where(concern_queue.c.response_id == response_id)
                                     ).mappings().one()
            events = connection.execute(sa.select(concern_events).where(concern_events.c.response_id == response_id)
                                        .order_by(concern_events.c.id)).mappings().all()
            audits = connection.execute(sa.select(audit_log).where(audit_log.c.detail.startswith(response_id))
                                        .order_by(audit_log.c.id)).mappings().all()
    finally:
        engine.dispose()
    return {"status": row["status"], "assigned_to": row["assigned_to"], "note": row["note"],
            "events": [(event["staff"], event["action"], event["assigned_to"], event["note"]) for event in events],
            "audit": [(line["staff"], line["action"], line["site"], line["detail"]) for line in audits]}


# ---------------------------------------------------------------------------------------- over real HTTP


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("concerns") / "central.db")
    add_people(db)
    add_more_people(db)
    with ServerProcess(db) as running:
        yield running



def test_the_queue_lists_newest_first_in_plain_words_without_the_words_said(server):
    older = flag(server.db, "Mile End", "they hit me", ("abuse-physical",))
    newer = flag(server.db, "Mile End", "i want to end it all", ("self-harm", "unsafe"))
    page = signed_in(server, "manny").get("/staff/concerns")
    assert page.status_code == 200
    assert page.text.index(newer) < page.text.index(older)
    assert "Physical abuse" in page.text and "Self-harm or suicide" in page.text
    assert "abuse-physical" not in page.text
    assert "If someone may be in danger now, call 999." in page.text
    assert re.search(r'class="status red">Open<', page.text) and "Nobody yet" in page.text
    assert re.search(rf'{newer}">(just now|\d+ minutes? ago)</a>', page.text)
    assert "they hit me" not in page.text and "end it all" not in page.text  # the words are on the item's page
    engine = open_database(server.db)
    with engine.connect() as connection:
        waiting = open_count(connection, {"Mile End"})
    engine.dispose()
    assert f'<span class="badge">{waiting}<span class="badge-words"> open</span>' in page.text
    assert "style=" not in page.text and "<script" not in page.text  # the Content-Security-Policy allows neither


def test_may_be_at_risk_now_comes_first_and_says_so(server):
    """A concern the kiosk read as urgent (it showed the help screen) is listed above newer ones for review."""
    urgent = flag(server.db, "Mile End", "he hits me every night", ("abuse-physical",), urgent=True)
    review = flag(server.db, "Mile End", "my purse went missing", ("abuse-financial",))
    manny = signed_in(server, "manny")
    page = manny.get("/staff/concerns").text
    assert page.index(urgent) < page.index(review)
    assert page.count("May be at risk now") == 1
    assert "showed the person how to get help" in manny.get(f"/staff/concerns/{urgent}").text
    assert "did not show the person a help screen" in manny.get(f"/staff/concerns/{review}").text


def test_the_page_sorts_and_warns_of_a_concern_waiting_too_long(server):
    """The page's default is the most serious first; a concern nobody acknowledged within a day says so in red
    words, and one said days before it arrived says that too (every seeded answer was given 3 days ago)."""
    money = flag(server.db, "Mile End", "someone took my pension", ("abuse-financial",))
    waiting = flag(server.db, "Mile End", "i want to die", ("self-harm",))
    engine = open_database(server.db)
    with engine.begin() as connection:
        connection.execute(concern_queue.update().where(concern_queue.c.response_id == waiting)
                           .values(received_at=datetime.now(UTC) - timedelta(days=2, hours=1)))
    engine.dispose()
    manny = signed_in(server, "manny")
    page = manny.get("/staff/concerns").text
    assert page.index(waiting) < page.index(money)
    assert '"may be at risk now" first, then most serious first, then longest waiting' in page
    row = page[page.index(waiting):page.index("</tr>", page.index(waiting))]
    assert "Not acknowledged after 2 days (should be within 1 day)" in html.unescape(row)
    assert "Said 3 days before it arrived" not in row  # it arrived 2 days ago
    money_row = page[page.index(money):page.index("</tr>", page.index(money))]
    assert "Said 3 days before it arrived" in money_row and "Not acknowledged" not in money_row
    newest = manny.get("/staff/concerns?sort=arrived").text
    assert newest.index(money) < newest.index(waiting) and 'aria-current="page">Newest to arrive first' in newest
    refused = manny.get("/staff/concerns?sort=alphabetical")
    assert refused.status_code == 400 and "Most serious first" in refused.text


def test_a_manager_reads_the_words_acknowledges_assigns_and_resolves_with_a_note(server):
    response_id = flag(server.db, "Mile End")
    manny = signed_in(server, "manny")
    page = manny.get(f"/staff/concerns/{response_id}")
    assert page.status_code == 200
    assert f"<blockquote>{WORDS}</blockquote>" in page.text
    assert "Overall, how was your experience of our service?" in page.text and "<strong>Poor</strong>" in page.text
    assert "By touch" in page.text and "en-GB" in page.text and "Mile End" in page.text
    assert '<label for="resolve-text">What was done</label>' in page.text
    assert all(f'action="/staff/concerns/{response_id}/{step}"' in page.text
               for step in ("acknowledge", "assign", "note", "resolve"))

    done = manny.post(f"/staff/concerns/{response_id}/acknowledge", {})
    assert done.url.endswith("?done=acknowledged") and "Acknowledged. Others who open" in done.text
    assert 'class="status amber">Acknowledged<' in done.text
    assigned = manny.post(f"/staff/concerns/{response_id}/assign", {"to": "sam"})
    assert assigned.status_code == 200 and "Assigned to sam by manny" in assigned.text
    reason = "Rang the site lead; the worker is suspended and the police were told."
    resolved = manny.post(f"/staff/concerns/{response_id}/resolve", {"note": reason})
    assert resolved.status_code == 200 and resolved.url.endswith("?done=resolved")
    assert reason in resolved.text and "Resolved by manny" in resolved.text
    assert f'action="/staff/concerns/{response_id}/reopen"' in resolved.text
    assert f'action="/staff/concerns/{response_id}/resolve"' not in resolved.text

    assert state(server.db, response_id) == {
        "status": "resolved", "assigned_to": "sam", "note": reason,
        "events": [("manny", "acknowledge", None, ""), ("manny", "assign", "sam", ""),
                   ("manny", "resolve", "sam", reason)],
        "audit": [("manny", "concern-acknowledged", "Mile End", response_id),
                  ("manny", "concern-assigned", "Mile End", f"{response_id} to sam"),
                  ("manny", "concern-resolved", "Mile End", response_id)]}
    assert WORDS not in server.output() and reason not in server.output()


def test_resolving_without_saying_what_was_done_is_refused_and_changes_nothing(server):
    response_id = flag(server.db, "Mile End")
    manny = signed_in(server, "manny")
    manny.get(f"/staff/concerns/{response_id}")
    for blank in ({}, {"note": "   \n  "}):
        refused = manny.post(f"/staff/concerns/{response_id}/resolve", blank)
        assert refused.status_code == 400
        shown = html.unescape(refused.text)
        assert 'Write what was done in "What was done"' in shown and "Nothing was changed" in shown
    assert state(server.db, response_id) == {"status": "open", "assigned_to": None, "note": "", "events": [],
                                             "audit": []}


def test_an_impossible_step_is_refused_with_a_clear_message(server):
    response_id = flag(server.db, "Mile End")
    manny = signed_in(server, "manny")
    manny.get(f"/staff/concerns/{response_id}")
    assert manny.post(f"/staff/concerns/{response_id}/resolve", {"note": "false alarm: a film"}).status_code == 200
    again = manny.post(f"/staff/concerns/{response_id}/resolve", {"note": "again"})
    assert again.status_code == 400 and "already resolved" in again.text
    late = manny.post(f"/staff/concerns/{response_id}/acknowledge", {})
    assert late.status_code == 400 and "Reopen it first" in late.text
    assert [event[1] for event in state(server.db, response_id)["events"]] == ["resolve"]
    assert manny.post(f"/staff/concerns/{response_id}/delete", {}).status_code == 404
    for missing in (str(uuid.uuid4()), "not-an-id", "%00"):
        assert manny.get(f"/staff/concerns/{missing}").status_code == 404
    assert manny.post(f"/staff/concerns/{uuid.uuid4()}/resolve", {"note": "x"}).status_code == 404
    assert manny.get("/staff/concerns?show=everything").status_code == 400
    assert '"Site" must be' in html.unescape(signed_in(server, "ada").get("/staff/concerns?site=%00").text)


def test_someone_assigned_must_be_a_manager_who_may_see_the_site(server):
    response_id = flag(server.db, "Mile End")
    manny = signed_in(server, "manny")
    page = manny.get(f"/staff/concerns/{response_id}")
    offered = re.findall(r'<option value="([^"]+)"', page.text.split('id="to"')[1].split("</select>")[0])
    assert offered == ["ada", "manny", "sam"]  # not bea (Bow), vera (a viewer) or dora (disabled)
    for name in ("bea", "vera", "dora", "nobody", ""):
        refused = manny.post(f"/staff/concerns/{response_id}/assign", {"to": name})
        assert refused.status_code == 400 and '"Assign to"' in html.unescape(refused.text)
    assert state(server.db, response_id)["events"] == []


def test_a_viewer_cannot_see_or_touch_the_queue(server):
    response_id = flag(server.db, "Mile End")
    vera = signed_in(server, "vera")
    assert vera.get("/staff/concerns").status_code == 403
    item = vera.get(f"/staff/concerns/{response_id}")
    assert item.status_code == 403 and WORDS not in item.text
    vera.get("/staff/")  # a page that gives her a form token
    for step in STEPS:
        refused = vera.post(f"/staff/concerns/{response_id}/{step}", {"note": "seen", "to": "manny"})
        assert refused.status_code == 403 and "Only a manager" in refused.text
    assert state(server.db, response_id)["events"] == []


def test_a_manager_of_another_site_gets_403_for_its_list_items_and_steps(server):
    bow = flag(server.db, "Bow", "my money was taken", ("abuse-financial",))
    manny = signed_in(server, "manny")
    assert bow not in manny.get("/staff/concerns?show=all").text
    assert manny.get("/staff/concerns?site=Bow").status_code == 403
    item = manny.get(f"/staff/concerns/{bow}")
    assert item.status_code == 403 and "my money was taken" not in item.text
    manny.get("/staff/concerns")
    for step in STEPS:
        assert manny.post(f"/staff/concerns/{bow}/{step}", {"note": "seen", "to": "manny"}).status_code == 403
    assert state(server.db, bow)["events"] == []
    bea = signed_in(server, "bea")
    assert bow in bea.get("/staff/concerns?site=Bow").text and "Financial abuse" in bea.get("/staff/concerns").text
    assert bea.get(f"/staff/concerns/{bow}").status_code == 200


def test_a_step_without_the_form_token_is_refused_and_changes_nothing(server):
    response_id = flag(server.db, "Mile End")
    manny = signed_in(server, "manny")
    manny.get(f"/staff/concerns/{response_id}")
    for sent in ({"note": "done"}, {"note": "done", "csrf_token": "forged"}):
        refused = manny.post(f"/staff/concerns/{response_id}/resolve", sent, with_token=False)
        assert refused.status_code == 403 and "This form has expired" in refused.text
    assert state(server.db, response_id)["status"] == "open" and state(server.db, response_id)["events"] == []


def test_resolved_concerns_leave_the_default_view_and_are_listed_under_resolved_with_the_reason(server):
    response_id = flag(server.db, "Mile End", "nobody helps me wash", ("neglect",))
    manny = signed_in(server, "manny")
    assert response_id in manny.get("/staff/concerns").text
    reason = "Checked the care plan with the team leader; help to wash is now twice a day."
    manny.get(f"/staff/concerns/{response_id}")
    manny.post(f"/staff/concerns/{response_id}/resolve", {"note": reason})
    current = manny.get("/staff/concerns")
    assert response_id not in current.text and reason not in current.text
    listed = manny.get("/staff/concerns?show=resolved")
    assert response_id in listed.text and reason in listed.text and "What was done:" in listed.text
    assert response_id in manny.get("/staff/concerns?show=all").text
    why = "The person said more at the residents' meeting."
    reopened = manny.post(f"/staff/concerns/{response_id}/reopen", {"note": why})
    assert reopened.url.endswith("?done=reopened") and "Reopened by manny" in reopened.text
    assert response_id in manny.get("/staff/concerns").text
    assert state(server.db, response_id)["status"] == "open"
    assert state(server.db, response_id)["audit"][-1][1] == "concern-reopened"


@pytest.mark.parametrize(("before", "said"), [
    (timedelta(seconds=59), "just now"), (timedelta(minutes=1), "1 minute ago"),
    (timedelta(minutes=59), "59 minutes ago"), (timedelta(hours=1), "1 hour ago"),
    (timedelta(hours=47), "47 hours ago"), (timedelta(days=2), "2 days ago"), (timedelta(days=13), "13 days ago"),
    (timedelta(days=14), "2 weeks ago"), (timedelta(days=62), "8 weeks ago"), (timedelta(days=95), "3 months ago"),
    (timedelta(seconds=-30), "just now")])
def test_how_long_ago_reads_as_people_say_it(before, said):
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert ago(now - before, now) == said


# ---------------------------------------------------------------------- the steps, on SQLite and PostgreSQL


@pytest.fixture
def queue(server_database: str):  # type: ignore[no-untyped-def]
    """A database with staff and three flagged responses: two at Mile End (the second newer), one at Bow."""
    add_people(server_database)
    add_more_people(server_database)
    ids = {"first": flag(server_database, "Mile End", "they hit me"),
           "second": flag(server_database, "Mile End", "i feel scared at night", ("unsafe",)),
           "bow": flag(server_database, "Bow", "my money was taken", ("abuse-financial",))}
    engine = open_database(server_database)
    yield engine, ids
    engine.dispose()


def member(engine: sa.Engine, name: str) -> StaffMember:
    with engine.connect() as connection:
        found = load_member(connection, name)
    assert found is not None
    return found


def test_each_step_records_history_state_and_audit_in_one_go(queue):
    engine, ids = queue
    manny, response_id = member(engine, "manny"), ids["first"]
    assert assign(engine, manny, response_id, "sam") == "acknowledged"  # being given to someone is acknowledging it
    assert add_note(engine, manny, response_id, "Sam is on shift tomorrow.") == "acknowledged"
    assert resolve(engine, member(engine, "sam"), response_id, "Spoke to the person; reported to the council.") \
        == "resolved"
    assert reopen(engine, member(engine, "ada"), response_id, "A second comment came in.") == "open"
    assert acknowledge(engine, manny, response_id) == "acknowledged"
    with engine.connect() as connection:
        concern = load_concern(connection, response_id)
        audits = connection.execute(sa.select(audit_log.c.staff, audit_log.c.action, audit_log.c.detail)
                                    .order_by(audit_log.c.id)).all()
    assert concern is not None
    assert [(event.staff, event.action, event.assigned_to, event.note) for event in concern.history] == [
        ("manny", "assign", "sam", ""), ("manny", "note", "sam", "Sam is on shift tomorrow."),
        ("sam", "resolve", "sam", "Spoke to the person; reported to the council."),
        ("ada", "reopen", "sam", "A second comment came in."), ("manny", "acknowledge", "sam", "")]
    assert [event.at for event in concern.history] == sorted(event.at for event in concern.history)
    item = concern.item
    assert (item.status, item.assigned_to, item.note) == ("acknowledged", "sam", "A second comment came in.")
    assert item.updated_at == concern.history[-1].at
    concern_lines = [line for line in audits if line.action.startswith("concern-")]
    assert [line.action for line in concern_lines] == ["concern-assigned", "concern-noted", "concern-resolved",
                                                       "concern-reopened", "concern-acknowledged"]
    assert all(line.detail.split(" ")[0] == response_id and "hit" not in line.detail for line in concern_lines)


def test_a_concern_shows_the_words_and_what_was_chosen(queue):
    engine, ids = queue
    with engine.connect() as connection:
        concern = load_concern(connection, ids["second"])
    assert concern is not None and concern.held
    assert [(answer.question_text, answer.choice_text, answer.text) for answer in concern.words] == [
        ("Overall, how was your experience of our service?", "Poor", "i feel scared at night")]
    assert (concern.language, concern.channel, concern.item.site, concern.item.categories) == \
        ("en-GB", "touch", "Mile End", ("unsafe",))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", concern.item.given)
    with engine.begin() as connection:  # the response forgotten: the queue row and its history still show
        connection.execute(responses.delete().where(responses.c.id == ids["second"]))
    resolve(engine, member(engine, "manny"), ids["second"], "Spoke to the night staff.")
    with engine.connect() as connection:
        forgotten = load_concern(connection, ids["second"])
        assert load_concern(connection, str(uuid.uuid4())) is None
    assert forgotten is not None and not forgotten.held and forgotten.words == [] and len(forgotten.history) == 1
    add_note(engine, member(engine, "manny"), ids["second"], "seen\x00 twice")  # PostgreSQL text holds no NUL
    with engine.connect() as connection:
        noted = load_concern(connection, ids["second"])
    assert noted is not None and noted.item.note == "seen twice"


def test_impossible_steps_are_refused_and_change_nothing(queue):
    engine, ids = queue
    manny, response_id = member(engine, "manny"), ids["first"]
    refusals = [
        (lambda: reopen(engine, manny, response_id, "why"), "not resolved"),
        (lambda: resolve(engine, manny, response_id, "  "), "What was done"),
        (lambda: add_note(engine, manny, response_id, ""), "Note box was empty"),
        (lambda: reopen(engine, manny, response_id, ""), "Why reopen it"),
        (lambda: add_note(engine, manny, response_id, "x" * 5001), "keep it under 5,000"),
    ]
    for attempt, message in refusals:
        with pytest.raises(ConcernError, match=message):
            attempt()
    acknowledge(engine, manny, response_id)
    with pytest.raises(ConcernError, match="already acknowledged"):
        acknowledge(engine, manny, response_id)
    resolve(engine, manny, response_id, "done")
    for attempt, message in [(lambda: resolve(engine, manny, response_id, "again"), "already resolved"),
                             (lambda: assign(engine, manny, response_id, "sam"), "Reopen it first"),
                             (lambda: acknowledge(engine, manny, response_id), "Reopen it first")]:
        with pytest.raises(ConcernError, match=message):
            attempt()
    with engine.connect() as connection:
        concern = load_concern(connection, response_id)
        audited = connection.execute(sa.select(sa.func.count()).select_from(audit_log)
                                     .where(audit_log.c.action.startswith("concern-"))).scalar_one()
    assert concern is not None and [event.action for event in concern.history] == ["acknowledge", "resolve"]
    assert concern.item.note == "done" and audited == 2


def test_only_managers_who_may_see_the_site_act_and_only_they_are_assigned(queue):
    engine, ids = queue
    with pytest.raises(ConcernNotPermitted, match="Only a manager"):
        acknowledge(engine, member(engine, "vera"), ids["first"])
    with pytest.raises(ConcernNotPermitted, match="Mile End"):
        acknowledge(engine, member(engine, "bea"), ids["first"])
    with pytest.raises(ConcernNotFound):
        acknowledge(engine, member(engine, "ada"), str(uuid.uuid4()))
    with engine.connect() as connection:
        assert eligible_staff(connection, "Mile End") == ["ada", "manny", "sam"]
        assert eligible_staff(connection, "Bow") == ["ada", "bea"]
    for name in ("bea", "vera", "bo", "dora", "nobody", ""):
        with pytest.raises(ConcernError, match='"Assign to"'):
            assign(engine, member(engine, "manny"), ids["first"], name)
    assign(engine, member(engine, "ada"), ids["bow"], "bea")
    with pytest.raises(ConcernError, match="already assigned to bea"):
        assign(engine, member(engine, "bea"), ids["bow"], "bea")
    with engine.connect() as connection:
        untouched = load_concern(connection, ids["first"])
    assert untouched is not None and untouched.item.status == "open" and untouched.history == []


def test_the_queue_lists_newest_first_by_view_and_site_with_counts(queue):
    engine, ids = queue
    manny = member(engine, "manny")
    resolve(engine, manny, ids["first"], "done")
    acknowledge(engine, member(engine, "bea"), ids["bow"])
    with engine.connect() as connection:
        mile_end = {"Mile End"}
        current = list_concerns(connection, mile_end)
        assert [item.response_id for item in current.items] == [ids["second"]]
        assert current.counts == {"open": 1, "acknowledged": 0, "resolved": 1}
        resolved = list_concerns(connection, mile_end, "resolved")
        assert [(item.response_id, item.note) for item in resolved.items] == [(ids["first"], "done")]
        everything = list_concerns(connection, None, "all")
        assert [item.response_id for item in everything.items] == [ids["bow"], ids["second"], ids["first"]]
        assert everything.counts == {"open": 1, "acknowledged": 1, "resolved": 1}
        assert list_concerns(connection, set(), "all").items == []
        assert [open_count(connection, sites) for sites in (mile_end, {"Bow"}, None, set())] == [1, 0, 1, 0]
        with pytest.raises(ConcernError):
            list_concerns(connection, None, "everything")  # type: ignore[arg-type]


def test_the_queue_sorts_by_seriousness_by_arrival_or_by_when_it_was_said(queue, server_database):
    """Urgent first in every order; then the most serious kind (a risk to life before money), the longest
    waiting first among equals; or the newest to arrive; or the newest said, by the kiosk's clock."""
    engine, ids = queue  # arrived in this order: first (physical abuse), second (unsafe), bow (financial abuse)
    ids["both"] = flag(server_database, "Bow", "they take my money and i want to die", ("abuse-financial", "self-harm"))
    ids["urgent"] = flag(server_database, "Bow", "my purse went", ("abuse-financial",), urgent=True)
    said = {"first": "2026-11-02T09:00:00Z", "second": "2026-11-04T09:00:00Z", "bow": "2026-11-03T09:00:00Z",
            "both": "2026-11-01T09:00:00Z", "urgent": "2026-11-01T08:00:00Z"}
    with engine.begin() as connection:
        for name, moment in said.items():
            connection.execute(responses.update().where(responses.c.id == ids[name]).values(created_at_device=moment))
    with engine.connect() as connection:
        def listed(order: str) -> list[str]:
            found = list_concerns(connection, None, order=order).items  # type: ignore[arg-type]
            return [next(name for name, given in ids.items() if given == item.response_id) for item in found]

        assert listed("serious") == ["urgent", "both", "first", "second", "bow"]
        assert listed("arrived") == ["urgent", "both", "bow", "second", "first"]
        assert listed("said") == ["urgent", "second", "bow", "first", "both"]
        with pytest.raises(ConcernError, match="order"):
            list_concerns(connection, None, order="alphabetical")  # type: ignore[arg-type]


def test_a_concern_waiting_too_long_or_arriving_late_says_so():
    now = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)

    def item(status: str, waited: timedelta, *, urgent: bool = False, said_before: timedelta = timedelta(0)
             ) -> QueueItem:
        arrived = now - waited
        return QueueItem(response_id="x", site="Bow", kiosk="k", categories=("neglect",), status=status,  # type: ignore[arg-type]
                         assigned_to=None, note="", received_at=arrived, updated_at=arrived, urgent=urgent,
                         given=(arrived - said_before).strftime("%Y-%m-%dT%H:%M:%SZ"))

    assert item("open", timedelta(minutes=50), urgent=True).overdue(now) == ""
    assert item("open", timedelta(hours=3), urgent=True).overdue(now) == \
        "Not acknowledged after 3 hours (should be within 1 hour)"
    assert item("open", timedelta(hours=20)).overdue(now) == ""
    assert item("open", timedelta(days=3, hours=2)).overdue(now) == \
        "Not acknowledged after 3 days (should be within 1 day)"
    assert item("acknowledged", timedelta(days=20)).overdue(now) == ""
    assert item("acknowledged", timedelta(days=30)).overdue(now) == \
        "Not resolved after 30 days (should be within 28 days)"
    assert item("resolved", timedelta(days=90)).overdue(now) == ""
    assert item("open", timedelta(0), said_before=timedelta(days=1)).arrived_late == ""
    assert item("open", timedelta(0), said_before=timedelta(days=9)).arrived_late == "Said 9 days before it arrived"
    assert item("open", timedelta(0), said_before=timedelta(days=70)).arrived_late == \
        "Said 10 weeks before it arrived"


def test_managers_resolving_at_once_resolve_it_once(queue):
    engine, ids = queue
    people = [member(engine, name) for name in ("manny", "sam", "ada", "manny", "sam")]
    warm = [engine.connect() for _ in people]  # so no thread is held up opening a connection while others race
    for connection in warm:
        connection.close()
    start = threading.Barrier(len(people))
    outcomes: list[str] = []

    def resolve_it(who: StaffMember) -> None:
        start.wait()
        try:
            resolve(engine, who, ids["first"], f"handled by {who.name}")
            outcomes.append("resolved")
        except ConcernError as refused:
            outcomes.append(str(refused))

    threads = [threading.Thread(target=resolve_it, args=(who,)) for who in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["This concern is already resolved."] * (len(people) - 1) + ["resolved"]
    with engine.connect() as connection:
        concern = load_concern(connection, ids["first"])
    assert concern is not None and [event.action for event in concern.history] == ["resolve"]


def test_about_you_answers_never_show_beside_a_flagged_response(server):
    """"About you" answers are only ever counted (issue 9), even on the safeguarding page."""
    flagged = payload("poor", WORDS, ["abuse-physical"])
    flagged["answers"].append({"question": "about-age", "question_text": "How old are you?", "kind": "choice",
                               "status": "answered", "choice": "65-or-over", "choice_text": "65 or over",
                               "about_you": True})
    [response_id] = seed(server.db, "Mile End", f"kiosk-{uuid.uuid4().hex[:8]}", [flagged])
    page = signed_in(server, "manny").get(f"/staff/concerns/{response_id}").text
    assert f"<blockquote>{WORDS}</blockquote>" in page and "<strong>Poor</strong>" in page
    assert "How old are you?" not in page and "65 or over" not in page
