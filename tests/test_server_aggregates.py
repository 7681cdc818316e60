"""The dashboard's counts (sync/server/domain/aggregates.py) on SQLite and PostgreSQL: they equal a count over the
stored payloads whatever arrives (duplicates, conflicts, odd payloads, batches at once), lose exactly what
retention forgets, start right when migration 0005 counts an existing database, and answer the
dashboard's questions by site, question set and period."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from alembic import command

from sync.core.clock import utc_now
from sync.core.protocol import Batch, payload_hash
from sync.core.record import AnswerRecord, SessionRecord, canonical_json
from sync.server.api.auth import Kiosk
from sync.server.domain import retention
from sync.server.domain.aggregates import (
    AnswerShare,
    Filters,
    QuestionDistribution,
    answer_distributions,
    friends_and_family,
    participation,
    question_sets_seen,
    response_totals,
    responses_per_week,
)
from sync.server.domain.batches import store_batch
from sync.server.domain.kiosks import add_kiosk
from sync.server.domain.site_content import set_question_set
from sync.server.storage.db import (
    answer_counts,
    answer_labels,
    database_url,
    insert_responses,
    migration_config,
    open_database,
    response_counts,
    responses,
)
from tests.server_process import make_batch

OVERALL = ["very-good", "good", "neither", "poor", "very-poor", "dont-know"]
"""The Friends and Family Test answers of config/questions/default.toml, in its order."""
WORDS = {"very-good": "Very good", "good": "Good", "neither": "Neither good nor poor", "poor": "Poor",
         "very-poor": "Very poor", "dont-know": "Don't know", "yes": "Yes", "sometimes": "Sometimes", "no": "No"}
ROSE, MILE = "Rose House", "Mile End"


@pytest.fixture
def engine(server_database) -> Iterator[sa.Engine]:
    opened = open_database(server_database)
    add_kiosk(opened, "rose-1", ROSE)
    add_kiosk(opened, "mile-1", MILE)
    yield opened
    opened.dispose()


def session(overall: str | None = "good", listen: str | None = None, *, language: str = "en", channel: str = "touch",
            complete: bool = True, question_set: str = "default", question_text: str = "Overall, how was it?",
            answer_text: str | None = None) -> dict[str, Any]:
    """A payload as the kiosk's flow makes it: ``overall`` and ``listen`` answered (None: skipped)."""
    answers = []
    for question, choice, text in (("overall", overall, question_text), ("listen", listen, "Do we listen?")):
        answers.append(AnswerRecord(question=question, question_text=text, kind="choice",
                                    status="answered" if choice else "skipped", choice=choice,
                                    choice_text=(question == "overall" and answer_text) or WORDS.get(choice or ""),
                                    text="the lift is broken" if choice == "poor" else None))
    answers.append(AnswerRecord(question="working", question_text="What is working?", kind="text", status="answered",
                                text="the garden"))
    return SessionRecord(question_set=question_set, question_set_version=1, language=language, answers=answers,
                         complete=complete, channel=channel).payload()


def record(seq: int, payload: dict[str, Any], day: str = "2026-01-07", record_id: str | None = None) -> dict[str, Any]:
    return {"id": record_id or str(uuid.uuid4()), "seq": seq, "created_at_device": f"{day}T10:30:00Z",
            "payload": payload, "sha256": payload_hash(payload)}


def send(engine: sa.Engine, records: list[dict[str, Any]], *, kiosk: str = "rose-1", site: str = ROSE,
         device: str | None = None) -> Any:
    batch = Batch.model_validate(make_batch(records, device_id=device or str(uuid.uuid4())))
    return store_batch(engine, Kiosk(name=kiosk, site=site), batch)


def held_counts(engine: sa.Engine) -> tuple[dict[tuple, tuple[int, int]], dict[tuple, int]]:
    """The count tables as they are: response_counts and answer_counts, by key."""
    with engine.connect() as connection:
        counted = {tuple(row[:5]): (row.responses, row.complete) for row in connection.execute(sa.select(
            response_counts.c.site, response_counts.c.day, response_counts.c.question_set,
            response_counts.c.language, response_counts.c.channel, response_counts.c.responses,
            response_counts.c.complete))}
        answered = {tuple(row[:5]): row[5] for row in connection.execute(sa.select(
            answer_counts.c.site, answer_counts.c.day, answer_counts.c.question_set, answer_counts.c.question,
            answer_counts.c.answer, answer_counts.c["count"]))}
    return counted, answered


def direct_counts(engine: sa.Engine) -> tuple[dict[tuple, tuple[int, int]], dict[tuple, int]]:
    """The same, counted here from every stored payload: what the tables must hold."""
    counted: Counter[tuple] = Counter()
    complete: Counter[tuple] = Counter()
    answered: Counter[tuple] = Counter()
    with engine.connect() as connection:
        rows = connection.execute(sa.select(responses.c.site, responses.c.created_at_device, responses.c.payload)).all()
    for site, created, text in rows:
        payload = orjson.loads(text)
        question_set = payload.get("question_set", "")  # tests' odd payloads are tested on their own
        key = (site, created[:10], question_set, payload.get("language", ""), payload.get("channel", ""))
        counted[key] += 1
        complete[key] += payload.get("complete") is True
        for answer in payload.get("answers", []):
            if answer["status"] == "answered" and "choice" in answer:
                answered[(site, created[:10], question_set, answer["question"], answer["choice"])] += 1
    return {key: (n, complete[key]) for key, n in counted.items()}, dict(answered)


def mixed_records(first_seq: int = 1) -> list[dict[str, Any]]:
    """Responses over three weeks, two sets, two languages and both channels."""
    shapes = [
        (session("very-good", "yes"), "2026-01-05"),
        (session("good", "sometimes", channel="voice"), "2026-01-07"),
        (session("poor", None, complete=False), "2026-01-07"),
        (session("good", "no", language="bn", question_text="সব মিলিয়ে", answer_text="ভালো"), "2026-01-13"),
        (session("very-poor", "yes", question_set="feelings"), "2026-01-14"),
        (session(None, "yes"), "2026-01-20"),
        (session("dont-know", "no", language="ko"), "2026-01-21"),
    ]
    return [record(first_seq + n, payload, day) for n, (payload, day) in enumerate(shapes)]


def test_counts_equal_a_direct_count_after_duplicates_conflicts_and_rejections(engine):
    rose_device = str(uuid.uuid4())
    first = mixed_records()
    assert send(engine, first, device=rose_device).accepted == 7
    assert send(engine, first, device=rose_device).duplicate == 7  # a resent batch adds nothing
    changed = record(2, session("very-poor"), record_id=first[1]["id"])
    broken = record(9, session("good"))
    broken["sha256"] = "0" * 64
    receipt = send(engine, [changed, broken, *mixed_records(10)], device=rose_device)
    assert (receipt.accepted, receipt.conflict, len(receipt.rejected)) == (7, 1, 1)
    assert send(engine, mixed_records(), kiosk="mile-1", site=MILE).accepted == 7
    counted, answered = held_counts(engine)
    assert (counted, answered) == direct_counts(engine)
    assert sum(n for n, _ in counted.values()) == 21
    assert counted[(ROSE, "2026-01-07", "default", "en", "touch")] == (2, 0)  # each batch's one walked away from
    assert counted[(ROSE, "2026-01-07", "default", "en", "voice")] == (2, 2)
    assert answered[(ROSE, "2026-01-07", "default", "overall", "good")] == 2  # the conflict's very-poor is not counted
    assert (ROSE, "2026-01-07", "default", "overall", "very-poor") not in answered
    assert not any(key[3] == "working" for key in answered)  # text questions have no choice to count


def test_batches_sent_at_once_are_all_counted(engine):
    senders = 6

    def send_some(n: int) -> None:
        for b in range(4):
            send(engine, [record(b * 10 + i + 1, session(OVERALL[i % 6], "yes")) for i in range(10)],
                 kiosk="rose-1", site=ROSE, device=str(uuid.uuid4()))

    threads = [threading.Thread(target=send_some, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counted, answered = held_counts(engine)
    assert (counted, answered) == direct_counts(engine)
    assert counted == {(ROSE, "2026-01-07", "default", "en", "touch"): (senders * 40, senders * 40)}


def age(engine: sa.Engine, ids: list[str], days: int = 40) -> None:
    with engine.begin() as connection:
        connection.execute(sa.update(responses).where(responses.c.id.in_(ids))
                           .values(received_at=utc_now() - timedelta(days=days)))


def test_retention_subtracts_exactly_what_it_forgets(engine, monkeypatch):
    monkeypatch.setattr(retention, "CHUNK", 4)  # several chunks, each its own transaction
    old = mixed_records() + [record(20 + n, session("good", "yes"), "2026-01-30") for n in range(3)]
    recent = mixed_records(40)
    send(engine, old)
    send(engine, recent, kiosk="mile-1", site=MILE)
    age(engine, [r["id"] for r in old])
    assert retention.forget_older_than(engine, 30).forgotten == 10
    counted, answered = held_counts(engine)
    assert (counted, answered) == direct_counts(engine)
    assert {key[0] for key in counted} == {MILE}  # rows that reached zero are gone, not kept at 0
    assert {key[0] for key in answered} == {MILE}
    assert retention.forget_older_than(engine, 30).forgotten == 0


def test_retention_and_new_batches_at_once_keep_the_counts_exact(engine, monkeypatch):
    monkeypatch.setattr(retention, "CHUNK", 5)
    old = [record(n, session(OVERALL[n % 6], "no")) for n in range(1, 61)]
    send(engine, old)
    age(engine, [r["id"] for r in old])
    forgetting = threading.Thread(target=retention.forget_older_than, args=(engine, 30))
    forgetting.start()
    for b in range(6):  # the same site, day and answers as those being forgotten
        send(engine, [record(b * 10 + i + 1, session(OVERALL[i % 6], "no")) for i in range(10)], kiosk="mile-1",
             site=ROSE)
    forgetting.join()
    counted, answered = held_counts(engine)
    assert (counted, answered) == direct_counts(engine)
    assert counted == {(ROSE, "2026-01-07", "default", "en", "touch"): (60, 60)}


def labels(engine: sa.Engine) -> dict[tuple, tuple[str, str, str]]:
    with engine.connect() as connection:
        return {tuple(row[:3]): tuple(row[3:]) for row in connection.execute(sa.select(
            answer_labels.c.question_set, answer_labels.c.question, answer_labels.c.answer,
            answer_labels.c.question_text, answer_labels.c.answer_text, answer_labels.c.language))}


def batches_over_time() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(kiosk, site, records) in the order they arrive; the words of one answer change on the way, and a
    Bengali answer comes after them."""
    return [
        ("rose-1", ROSE, mixed_records()),
        ("mile-1", MILE, mixed_records(1)),
        ("rose-1", ROSE, [record(30, session("good", answer_text="Good enough"), "2026-01-09")]),
        ("rose-1", ROSE, [record(31, session("good", language="bn", question_text="সব", answer_text="ভালো"))]),
        ("mile-1", MILE, [record(32, {"odd": True}), record(33, session("neither", "yes", channel="voice"))]),
    ]


def test_labels_are_the_newest_words_but_english_is_not_replaced_by_another_language(engine):
    for kiosk, site, records in batches_over_time():
        send(engine, records, kiosk=kiosk, site=site)
    held = labels(engine)
    assert held[("default", "overall", "good")] == ("Overall, how was it?", "Good enough", "en")
    assert held[("default", "overall", "dont-know")] == ("Overall, how was it?", "Don't know", "ko")  # only in Korean
    send(engine, [record(60, session("dont-know", language="en-GB", answer_text="Not sure"))])
    send(engine, [record(61, session("dont-know", language="ko", answer_text="모르겠어요"))])
    assert labels(engine)[("default", "overall", "dont-know")] == ("Overall, how was it?", "Not sure", "en-GB")


def test_migration_backfill_gives_the_counts_live_counting_gives(server_database, tmp_path):
    """Responses stored at revision 0004, then counted by 0005, against the same batches counted live (on a
    SQLite file: there is one PostgreSQL test database)."""
    _backfill_matches_live(server_database, str(tmp_path / "live.db"))


def _backfill_matches_live(backfilled_url: str, live_url: str) -> None:
    live = open_database(live_url)
    add_kiosk(live, "rose-1", ROSE)
    add_kiosk(live, "mile-1", MILE)
    batches = batches_over_time()
    for kiosk, site, records in batches:
        send(live, records, kiosk=kiosk, site=site)
    old = sa.create_engine(database_url(backfilled_url))
    with old.begin() as connection:
        command.upgrade(migration_config(connection), "0004")
    start = utc_now() - timedelta(days=1)
    with old.begin() as connection:
        for n, (kiosk, site, records) in enumerate(batches):  # as the server at 0004 stored them
            insert_responses(connection, [
                {"id": r["id"], "kiosk": kiosk, "site": site, "device_id": str(uuid.uuid4()), "seq": r["seq"],
                 "created_at_device": r["created_at_device"], "received_at": start + timedelta(minutes=n),
                 "sha256": r["sha256"], "payload": canonical_json(r["payload"]),
                 "question_set": r["payload"].get("question_set", ""), "question_set_version": 1}
                for r in records])
    old.dispose()
    backfilled = open_database(backfilled_url)
    try:
        assert held_counts(backfilled) == held_counts(live) == direct_counts(live)
        assert labels(backfilled) == labels(live)
        # the newest words, but the Bengali ones did not replace English ones
        assert labels(live)[("default", "overall", "good")] == ("Overall, how was it?", "Good enough", "en")
    finally:
        backfilled.dispose()
        live.dispose()


def test_migration_backfill_reads_in_chunks(server_database):
    """More responses than one chunk of the backfill (5,000), as a kiosk's backlog would be."""
    url = server_database
    old = sa.create_engine(database_url(url))
    with old.begin() as connection:
        command.upgrade(migration_config(connection), "0004")
        now = utc_now()
        rows = []
        for n in range(5_300):
            payload = session(OVERALL[n % 6], "yes" if n % 2 else None, language="en" if n % 3 else "bn")
            rows.append({"id": str(uuid.uuid4()), "kiosk": "rose-1", "site": ROSE, "device_id": "d", "seq": n + 1,
                         "created_at_device": f"2026-01-{1 + n % 28:02d}T09:00:00Z", "received_at": now,
                         "sha256": payload_hash(payload), "payload": canonical_json(payload),
                         "question_set": "default", "question_set_version": 1})
        insert_responses(connection, rows)
    old.dispose()
    engine = open_database(url)
    try:
        assert held_counts(engine) == direct_counts(engine)
        assert sum(n for n, _ in held_counts(engine)[0].values()) == 5_300
    finally:
        engine.dispose()


def test_odd_payloads_are_counted_as_far_as_they_go_and_never_stop_a_batch(engine):
    odd = [
        {},
        {"question_set": ["not", "text"], "language": 7, "channel": None, "complete": "yes", "answers": "none"},
        {"question_set": "de\x00fault", "language": "e\x00n", "complete": True, "answers": [
            None, 3, "answered", {"status": "answered"}, {"status": "answered", "question": "overall"},
            {"status": "answered", "question": "overall", "choice": 5},
            {"status": "skipped", "question": "overall", "choice": "good"},
            {"status": "answered", "question": "ov\x00erall", "choice": "go\x00od", "question_text": 4,
             "choice_text": "G\x00ood"},
            {"status": "answered", "question": "overall", "choice": "good"},  # twice in one response: once
            {"status": "answered", "question": "q" * 300, "choice": "c" * 300, "question_text": "Q" * 5000,
             "choice_text": "C" * 5000},
        ]},
        {"question_set": "s" * 300, "language": "l" * 100, "channel": "c" * 100, "answers": [{}]},
    ]
    receipt = send(engine, [record(n + 1, payload) for n, payload in enumerate(odd)])
    assert (receipt.accepted, receipt.rejected) == (4, [])
    counted, answered = held_counts(engine)
    day = "2026-01-07"
    assert counted == {(ROSE, day, "", "", ""): (2, 0), (ROSE, day, "default", "en", ""): (1, 1),
                       (ROSE, day, "s" * 100, "l" * 20, "c" * 20): (1, 0)}
    assert answered == {(ROSE, day, "default", "overall", "good"): 1, (ROSE, day, "default", "q" * 100, "c" * 100): 1}
    assert labels(engine) == {("default", "q" * 100, "c" * 100): ("Q" * 1000, "C" * 200, "en")}


def test_responses_per_week_are_zero_filled_and_filtered_by_site_set_and_period(engine):
    send(engine, mixed_records())
    send(engine, mixed_records(), kiosk="mile-1", site=MILE)
    send(engine, [record(50, session("good"), "2026-02-20")], kiosk="mile-1", site=MILE)
    period = Filters(sites=(ROSE, MILE), question_set=None, start=date(2026, 1, 7), end=date(2026, 2, 3))
    weeks = [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2)]
    default_only = Filters(sites=(MILE,), question_set="default", start=date(2026, 1, 1), end=date(2026, 3, 1))
    nobody = Filters(sites=("Elm Court",), question_set=None, start=date(2026, 1, 5), end=date(2026, 1, 11))
    none = Filters(sites=(), question_set=None, start=date(2026, 1, 1), end=date(2026, 3, 1))
    with engine.connect() as connection:
        # 2026-01-05 is before the period: the week of the 5th holds only the 7th's two
        assert responses_per_week(connection, period) == {site: list(zip(weeks, [2, 2, 2, 0, 0], strict=True))
                                                          for site in (ROSE, MILE)}
        assert response_totals(connection, period) == {ROSE: 6, MILE: 6}
        assert response_totals(connection, default_only) == {MILE: 7}  # not the "feelings" one, but 20 February
        by_week = responses_per_week(connection, default_only)[MILE]
        assert sum(n for _, n in by_week) == 7 and by_week[0] == (date(2025, 12, 29), 0) and len(by_week) == 9
        assert responses_per_week(connection, nobody) == {"Elm Court": [(date(2026, 1, 5), 0)]}
        assert response_totals(connection, nobody) == {"Elm Court": 0}
        assert (responses_per_week(connection, none), response_totals(connection, none)) == ({}, {})
        assert answer_distributions(connection, none) == []
        assert participation(connection, Filters((ROSE,), None, date(2026, 1, 1), date(2026, 1, 31))) == {
            "language": {"bn": 1, "en": 5, "ko": 1}, "channel": {"touch": 6, "voice": 1}}
        assert question_sets_seen(connection, [ROSE]) == ["default", "feelings"]
        assert question_sets_seen(connection, ["Elm Court"]) == question_sets_seen(connection, []) == []


def test_answers_come_in_the_built_in_sets_order_with_its_words(engine):
    answers = ["very-good", "good", "good", "poor", "good", "neither", "very-good", "dont-know"]
    send(engine, [record(n, session(choice, "no" if n % 3 else "yes")) for n, choice in enumerate(answers, 1)])
    period = Filters(sites=(ROSE,), question_set="default", start=date(2026, 1, 1), end=date(2026, 1, 31))
    with engine.connect() as connection:
        overall, listen = answer_distributions(connection, period)
    # config/questions/default.toml: its order, its words, its answers nobody chose at 0
    words = "Overall, how was your experience of our service?"
    assert overall == QuestionDistribution("default", "overall", words, 8, [
        AnswerShare("very-good", "Very good", 2), AnswerShare("good", "Good", 3),
        AnswerShare("neither", "Neither good nor poor", 1), AnswerShare("poor", "Poor", 1),
        AnswerShare("very-poor", "Very poor", 0), AnswerShare("dont-know", "Don't know", 1)])
    assert friends_and_family(overall) == (5 / 8, 1 / 8)
    assert [(a.answer, a.count) for a in listen.answers] == [("yes", 2), ("sometimes", 0), ("no", 6)]
    assert friends_and_family(listen) is None


OURS = """
id = "ours"
version = {version}
title = "Our questions"
{first}
{second}
"""
FOOD = """
[[questions]]
id = "food"
kind = "choice"
text = "How was the food?"
picture = "star"
  [[questions.answers]]
  id = "tasty"
  text = "Tasty"
  picture = "face-happy"
  [[questions.answers]]
  id = "bland"
  text = "Bland"
  picture = "face-neutral"
  [[questions.answers]]
  id = "cold"
  text = "Cold"
  picture = "face-sad"
"""
STAFF = """
[[questions]]
id = "staff"
kind = "choice"
text = "Were the staff kind?"
picture = "heart"
  [[questions.answers]]
  id = "yes"
  text = "Yes"
  picture = "thumbs-up"
  [[questions.answers]]
  id = "no"
  text = "No"
  picture = "thumbs-down"
"""


def chosen(question_set: str, **choices: str) -> dict[str, Any]:
    """A payload answering each question (keyword) with a choice whose words are the payload's own."""
    return {"question_set": question_set, "question_set_version": 1, "language": "en", "complete": True,
            "channel": "touch", "answers": [
                {"question": question, "question_text": f"{question}?", "kind": "choice", "status": "answered",
                 "choice": choice, "choice_text": choice.upper()} for question, choice in choices.items()]}


def test_a_set_the_server_holds_gives_the_order_and_an_unknown_one_goes_by_count(engine, tmp_path):
    for site, version, first, second in ((ROSE, 1, FOOD, STAFF), (MILE, 2, STAFF, FOOD)):
        path = tmp_path / f"ours-{version}.toml"
        path.write_text(OURS.format(version=version, first=first, second=second), encoding="utf-8")
        set_question_set(engine, site, path)  # Mile End's is newer, and asks about the staff first
    records = [record(1, chosen("ours", parking="full", staff="maybe", food="cold")),
               record(2, chosen("ours", staff="maybe", food="cold")),
               record(3, chosen("ours", staff="no", food="cold")),
               record(4, chosen("ours", staff="maybe", food="tasty")),
               record(5, chosen("local", b="x")), record(6, chosen("local", a="x", b="y")),
               record(7, chosen("local", b="y")), record(8, chosen("local", b="y"))]
    send(engine, records)
    send(engine, [record(1, chosen("ours", food="tasty", staff="yes"))], kiosk="mile-1", site=MILE)
    with engine.connect() as connection:
        rose = answer_distributions(connection, Filters((ROSE,), None, date(2026, 1, 1), date(2026, 1, 31)))
        mile = answer_distributions(connection, Filters((MILE,), "ours", date(2026, 1, 1), date(2026, 1, 31)))
    assert [(d.question_set, d.question, d.text, d.total) for d in rose] == [
        ("local", "b", "b?", 4), ("local", "a", "a?", 1),  # a set the server never had: most answered first
        ("ours", "food", "How was the food?", 4), ("ours", "staff", "Were the staff kind?", 4),
        ("ours", "parking", "parking?", 1)]  # a question the set no longer has, after its own
    assert rose[0].answers == [AnswerShare("y", "Y", 3), AnswerShare("x", "X", 1)]
    assert rose[2].answers == [AnswerShare("tasty", "Tasty", 1), AnswerShare("bland", "Bland", 0),
                               AnswerShare("cold", "Cold", 3)]
    assert rose[3].answers == [AnswerShare("yes", "Yes", 0), AnswerShare("no", "No", 1),
                               AnswerShare("maybe", "MAYBE", 3)]  # an answer the set no longer has
    assert [d.question for d in mile] == ["staff", "food"]


def test_friends_and_family_needs_the_four_answers_and_someone_answering():
    fft = [AnswerShare(answer, answer, n) for answer, n in zip(OVERALL, [10, 5, 3, 1, 1, 0], strict=True)]
    assert friends_and_family(QuestionDistribution("default", "overall", "", 20, fft)) == (0.75, 0.1)
    assert friends_and_family(QuestionDistribution("default", "overall", "", 0, [
        AnswerShare(a.answer, a.text, 0) for a in fft])) is None
    assert friends_and_family(QuestionDistribution("s", "q", "", 3, fft[:4])) is None


def test_on_sqlite_the_count_tables_are_stored_in_key_order(tmp_path):
    """WITHOUT ROWID: a period's rows are read in one pass of the key (the overview over a million responses
    took 2.3x as long without it); autogenerate does not compare this, so it is checked here."""
    engine = open_database(str(tmp_path / "counts.db"))
    try:
        with engine.connect() as connection:
            tables = dict(connection.execute(sa.text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE name IN ('response_counts', 'answer_counts', 'answer_labels')")).all())
    finally:
        engine.dispose()
    assert len(tables) == 3 and all(sql.rstrip().endswith("WITHOUT ROWID") for sql in tables.values())
