"""Counts for the staff dashboard, kept up to date as responses arrive and are forgotten, so a page over a
million responses reads a few thousand rows instead of parsing a million JSON payloads.

Three tables (sync/server/storage/db.py): ``response_counts`` (responses and complete ones, by site, day given,
question set, language and channel), ``answer_counts`` (choices, by site, day, set, question and answer)
and ``answer_labels`` (the newest words seen for each answer, English preferred). The day is the day the
person answered, as the kiosk's clock had it: ``created_at_device[:10]``.

The counts always equal a count over the rows of ``responses``, because they change in the same
transaction as those rows: :func:`add_stored` counts exactly the records a batch inserted (not
duplicates, not conflicts; sync/server/domain/batches.py), :func:`subtract_forgotten` exactly the rows
retention deleted (sync/server/domain/retention.py). Migration 0005 counted the responses held before. One
function, :meth:`Tally.add`, decides what a response counts as, for all three.

What is counted, from any payload however odd (a missing key, a wrong type): every stored response, once,
under its ``question_set``, ``language`` and ``channel`` if they are text ('' if not), and as complete
if ``complete`` is ``true``. An answer counts when its ``status`` is ``"answered"`` and it names a
``question`` and a ``choice`` (text questions have no choice and are not counted); a response counts a
given (question, choice) once. Text is cut to the column's length and loses NUL characters (PostgreSQL
text cannot hold them). A ``created_at_device`` that does not start with a date counts under day ''.

Concurrency: counts are added with ``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n``, so two
batches counting the same row never lose an update. Every transaction takes these rows in one order
(``response_counts``, then ``answer_counts``, then ``answer_labels``; within each, in key order, Python's
order of text, which is PostgreSQL's ``COLLATE "C"``), and only after its own inserts and deletes of
responses, so two transactions never wait on each other in a cycle. Batches from one site on one day add
to the same few rows, so on PostgreSQL each waits from its upsert until the one before it has committed:
counting is the last write of ``store_batch`` but one, and labels that would not change are not written
(nor locked). A row that retention brings to zero is deleted, so the tables do not fill with the zeros of
days long forgotten.

The queries at the end are what the dashboard's pages ask; small counts are returned as they are (the
pages suppress them).
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sync.core.record import read_payload
from sync.server.domain.site_content import built_in_question_sets
from sync.server.storage.db import answer_counts, answer_labels, question_sets, response_counts

LABEL_LANGUAGE = "en"
"""The dashboard's language: words seen in it are kept as labels over newer words in another language, so a
chart does not switch to Korean because the last person answered in Korean."""
FRIENDS_AND_FAMILY_GOOD = ("very-good", "good")
FRIENDS_AND_FAMILY_POOR = ("poor", "very-poor")
"""Answer ids of the NHS Friends and Family Test question (config/questions/default.toml, "overall")."""
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

ResponseKey = tuple[str, str, str, str, str]
"""(site, day, question_set, language, channel): ``response_counts``' key, in its order."""
AnswerKey = tuple[str, str, str, str, str]
"""(site, day, question_set, question, answer): ``answer_counts``' key, in its order."""
LabelKey = tuple[str, str, str]
"""(question_set, question, answer): ``answer_labels``' key."""


def column_text(value: object, limit: int) -> str:
    """Text from a payload as a column holds it: '' unless text, cut to ``limit``, no NUL characters
    (PostgreSQL text cannot hold them). ``store_batch`` copies its columns out of payloads with it too."""
    if not isinstance(value, str):
        return ""
    return (value.replace("\x00", "") if "\x00" in value else value)[:limit]


def _day(created_at_device: object) -> str:
    day = created_at_device[:10] if isinstance(created_at_device, str) else ""
    return day if _DAY.fullmatch(day) else ""


def _in_label_language(language: str) -> bool:
    return language == LABEL_LANGUAGE or language.startswith(LABEL_LANGUAGE + "-")


class Label(NamedTuple):
    question_text: str
    answer_text: str
    language: str
    rank: tuple[bool, str, str]
    """Which label wins: in :data:`LABEL_LANGUAGE` first, then the newest (received, then given)."""


@dataclass
class Tally:
    """What some responses count for, by the keys of the three tables: what one batch adds, one chunk of
    retention takes away, or migration 0005 found. Keep :meth:`add` stable: that migration uses it."""

    responses: dict[ResponseKey, list[int]] = field(default_factory=dict)
    """key -> [responses, complete]"""
    answers: Counter[AnswerKey] = field(default_factory=Counter)
    labels: dict[LabelKey, Label] = field(default_factory=dict)

    def add(self, site: str, created_at_device: object, payload: object, *, received_at: str = "") -> None:
        """Count one stored response; ``payload`` as parsed (anything: odd ones count as far as they can).
        ``received_at`` orders labels between responses received at different times."""
        # written for speed (it runs for every record of every batch): 2 to 3 µs for a typical response
        data: Mapping[str, Any] = payload if isinstance(payload, dict) else {}
        site, day = column_text(site, 100), _day(created_at_device)
        question_set = column_text(data.get("question_set"), 100)
        language = column_text(data.get("language"), 20)
        key = (site, day, question_set, language, column_text(data.get("channel"), 20))
        counts = self.responses.get(key)
        if counts is None:
            counts = self.responses[key] = [0, 0]
        counts[0] += 1
        if data.get("complete") is True:
            counts[1] += 1
        answers = data.get("answers")
        if not isinstance(answers, list):
            return
        rank: tuple[bool, str, str] | None = None
        counted: set[tuple[str, str]] = set()
        for answer in answers:
            if not isinstance(answer, dict) or answer.get("status") != "answered":
                continue
            question, choice = column_text(answer.get("question"), 100), column_text(answer.get("choice"), 100)
            if not question or not choice or (question, choice) in counted:
                continue
            counted.add((question, choice))
            self.answers[(site, day, question_set, question, choice)] += 1
            if rank is None:
                rank = (_in_label_language(language), received_at, column_text(created_at_device, 40))
            held = self.labels.get((question_set, question, choice))
            if held is None or rank >= held.rank:
                question_text = column_text(answer.get("question_text"), 1000)
                answer_text = column_text(answer.get("choice_text"), 200)
                if question_text and answer_text:
                    self.labels[(question_set, question, choice)] = Label(question_text, answer_text, language, rank)


def add_stored(connection: Connection, site: str, stored: Iterable[tuple[str, object]]) -> None:
    """Count responses ``store_batch`` has just inserted at ``site``: ``(created_at_device, payload)`` each."""
    tally = Tally()
    for created_at_device, payload in stored:
        tally.add(site, created_at_device, payload)
    if not tally.responses:
        return
    adding_responses, adding_answers, relabelling = _upserts(connection.dialect.name)
    _execute(connection, adding_responses, [
        {"site": key[0], "day": key[1], "question_set": key[2], "language": key[3], "channel": key[4],
         "responses": counts[0], "complete": counts[1]} for key, counts in sorted(tally.responses.items())])
    _execute(connection, adding_answers, [
        {"site": key[0], "day": key[1], "question_set": key[2], "question": key[3], "answer": key[4], "count": n}
        for key, n in sorted(tally.answers.items())])
    _execute(connection, relabelling, [
        {"question_set": key[0], "question": key[1], "answer": key[2], "question_text": label.question_text,
         "answer_text": label.answer_text, "language": label.language} for key, label in sorted(tally.labels.items())])


def subtract_forgotten(connection: Connection, deleted: Iterable[tuple[str, str, str]]) -> None:
    """Take away responses retention has just deleted: ``(site, created_at_device, payload_json)`` each.
    Rows that reach zero are deleted; labels stay (they are words of the question set, not of a person)."""
    tally = Tally()
    for site, created_at_device, payload_json in deleted:
        tally.add(site, created_at_device, read_payload(payload_json))  # None: no details
    if not tally.responses:
        return
    _subtract(connection, response_counts, ("responses", "complete"), [
        {"k_site": key[0], "k_day": key[1], "k_question_set": key[2], "k_language": key[3], "k_channel": key[4],
         "responses": counts[0], "complete": counts[1]} for key, counts in sorted(tally.responses.items())])
    _subtract(connection, answer_counts, ("count",), [
        {"k_site": key[0], "k_day": key[1], "k_question_set": key[2], "k_question": key[3], "k_answer": key[4],
         "count": n} for key, n in sorted(tally.answers.items())])


@lru_cache(maxsize=2)
def _upserts(dialect: str) -> tuple[Any, Any, Any]:
    """The statements that add to ``response_counts`` and ``answer_counts`` and relabel, made once."""
    return (_adding(dialect, response_counts, ("responses", "complete")), _adding(dialect, answer_counts, ("count",)),
            _relabelling(dialect))


def _inserting(dialect: str, table: sa.Table, *,
               skip: Callable[[sa.TableValuedAlias], sa.ColumnElement[bool]] | None = None) -> Any:
    """INSERT into ``table`` of rows given as :func:`_execute` passes them. On PostgreSQL that is one short
    statement whose one parameter is all the rows as a JSON array (as ``db.insert_responses`` does: per-row
    statements cost the server more than the counting), taken in key order (``COLLATE "C"`` is Python's
    order of text, the order :func:`_subtract` takes rows in), leaving out the rows ``skip`` says need no
    writing, so that they are not locked either."""
    if dialect != "postgresql":
        return sqlite.insert(table)
    given = (sa.func.json_to_recordset(sa.cast(sa.bindparam("rows", type_=sa.Text), postgresql.JSON))
             .table_valued(*(sa.column(column.name, column.type) for column in table.columns))
             .render_derived("given", with_types=True))
    rows = sa.select(*given.c).order_by(*(given.c[column.name].collate("C") for column in table.primary_key.columns))
    if skip is not None:
        rows = rows.where(sa.not_(skip(given)))
    return postgresql.insert(table).from_select([column.name for column in table.columns], rows)


def _adding(dialect: str, table: sa.Table, counts: tuple[str, ...]) -> Any:
    statement = _inserting(dialect, table)
    return statement.on_conflict_do_update(index_elements=list(table.primary_key.columns), set_={
        name: table.c[name] + statement.excluded[name] for name in counts})


def _in_label_language_sql(column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    return sa.or_(column == LABEL_LANGUAGE, column.like(LABEL_LANGUAGE + "-%"))


def _label_stays(held: Any, new: Any) -> sa.ColumnElement[bool]:
    """The held words need no change: the same as the new, or in :data:`LABEL_LANGUAGE` when the new are not."""
    return sa.or_(sa.and_(held.question_text == new.question_text, held.answer_text == new.answer_text,
                          held.language == new.language),
                  sa.and_(_in_label_language_sql(held.language), sa.not_(_in_label_language_sql(new.language))))


def _relabelling(dialect: str) -> Any:
    """New words replace the held ones unless :func:`_label_stays`; most batches bring the words already held,
    and those rows are then neither written nor (on PostgreSQL) locked."""
    held = answer_labels.alias("held")

    def already_held(given: sa.TableValuedAlias) -> sa.ColumnElement[bool]:
        return sa.exists().where(*(held.c[column.name] == given.c[column.name]
                                   for column in answer_labels.primary_key.columns), _label_stays(held.c, given.c))

    statement = _inserting(dialect, answer_labels, skip=already_held)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=list(answer_labels.primary_key.columns),
        set_={"question_text": new.question_text, "answer_text": new.answer_text, "language": new.language},
        where=sa.not_(_label_stays(answer_labels.c, new)))


def _subtract(connection: Connection, table: sa.Table, counts: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Lower ``counts`` by the amounts in ``rows`` (keys as ``k_<column>``), in key order, then delete the rows
    whose first count reached zero."""
    key = sa.and_(*(column == sa.bindparam("k_" + column.name) for column in table.primary_key.columns))
    _execute(connection, table.update().where(key).values({name: table.c[name] - sa.bindparam(name)
                                                            for name in counts}), rows)
    _execute(connection, table.delete().where(key, table.c[counts[0]] <= 0),
             [{name: value for name, value in row.items() if name.startswith("k_")} for row in rows])


def _execute(connection: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """``statement`` for ``rows``: executemany, or one JSON array for a statement from :func:`_inserting` on
    PostgreSQL."""
    if not rows:
        return
    if connection.dialect.name == "postgresql" and isinstance(statement, postgresql.Insert):
        connection.execute(statement, {"rows": orjson.dumps(rows).decode("utf-8")})
    else:
        connection.execute(statement, rows)


# --- what the dashboard asks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    sites: tuple[str, ...]
    """The sites to include (already limited to those the staff member may see); empty: none."""
    question_set: str | None
    """One question set's id, or None for all."""
    start: date
    """The first day, by the day people answered (inclusive)."""
    end: date
    """The last day (inclusive)."""


@dataclass(frozen=True)
class AnswerShare:
    answer: str
    """The answer's id."""
    text: str
    """Its words: the question set's own, else the newest seen, else the id."""
    count: int


@dataclass(frozen=True)
class QuestionDistribution:
    question_set: str
    question: str
    text: str
    total: int
    """Answers chosen for this question in the period: the sum of ``answers``' counts."""
    answers: list[AnswerShare]
    """In the question set's order when the server knows the set (its answers nobody chose included, at 0),
    then any others by count, most first."""
    person_groups: bool = False
    """An "About you" question whose answers are groups people belong to (age band, who they are), as the
    server's copy of the set says: "Who is answering" counts by them (sync/server/domain/participation.py)."""


def _chosen(table: sa.Table, filters: Filters) -> sa.ColumnElement[bool]:
    where = [table.c.site.in_(filters.sites), table.c.day >= filters.start.isoformat(),
             table.c.day <= filters.end.isoformat()]
    if filters.question_set is not None:
        where.append(table.c.question_set == filters.question_set)
    return sa.and_(*where)


def responses_per_week(connection: Connection, filters: Filters) -> dict[str, list[tuple[date, int]]]:
    """For each site (in ``filters.sites``' order): responses in each ISO week (its Monday) that overlaps the
    period, every week listed, 0 for none. A week cut by the period counts only its days inside it."""
    if not filters.sites:
        return {}
    mondays = []
    monday = filters.start - timedelta(days=filters.start.weekday())
    while monday <= filters.end:
        mondays.append(monday)
        monday += timedelta(days=7)
    weeks = {site: dict.fromkeys(mondays, 0) for site in filters.sites}
    rows = connection.execute(
        sa.select(response_counts.c.site, response_counts.c.day, sa.func.sum(response_counts.c.responses))
        .where(_chosen(response_counts, filters)).group_by(response_counts.c.site, response_counts.c.day))
    for site, day, count in rows:
        try:
            given = date.fromisoformat(day)
        except ValueError:  # a kiosk clock's impossible date (2026-02-30) sorts inside the period
            continue
        weeks[site][given - timedelta(days=given.weekday())] += int(count)
    return {site: list(counts.items()) for site, counts in weeks.items()}


def response_totals(connection: Connection, filters: Filters) -> dict[str, int]:
    """Responses in the period, for each site in ``filters.sites`` (0 for none)."""
    totals = dict.fromkeys(filters.sites, 0)
    if filters.sites:
        totals.update((site, int(count)) for site, count in connection.execute(
            sa.select(response_counts.c.site, sa.func.sum(response_counts.c.responses))
            .where(_chosen(response_counts, filters)).group_by(response_counts.c.site)))
    return totals


def participation(connection: Connection, filters: Filters) -> dict[str, dict[str, int]]:
    """Responses in the period by ``"language"`` and by ``"channel"`` ('' where the payload did not say)."""
    found: dict[str, dict[str, int]] = {"language": {}, "channel": {}}
    if not filters.sites:
        return found
    for name, shares in found.items():
        column = response_counts.c[name]
        rows = connection.execute(sa.select(column, sa.func.sum(response_counts.c.responses))
                                  .where(_chosen(response_counts, filters)).group_by(column).order_by(column))
        shares.update((value, int(count)) for value, count in rows)
    return found


def question_sets_seen(connection: Connection, sites: Iterable[str]) -> list[str]:
    """The ids of the question sets the responses held from ``sites`` were given with, sorted ('' left out)."""
    sites = tuple(sites)
    if not sites:
        return []
    return list(connection.execute(
        sa.select(response_counts.c.question_set).distinct()
        .where(response_counts.c.site.in_(sites), response_counts.c.question_set != "")
        .order_by(response_counts.c.question_set)).scalars())


def answer_distributions(connection: Connection, filters: Filters) -> list[QuestionDistribution]:
    """How each choice question was answered in the period: question sets by id; within one, questions in
    the set's order (any it no longer has after, most answered first)."""
    if not filters.sites:
        return []
    counted: dict[tuple[str, str], Counter[str]] = {}
    for question_set, question, answer, count in connection.execute(
            sa.select(answer_counts.c.question_set, answer_counts.c.question, answer_counts.c.answer,
                      sa.func.sum(answer_counts.c["count"]))
            .where(_chosen(answer_counts, filters))
            .group_by(answer_counts.c.question_set, answer_counts.c.question, answer_counts.c.answer)):
        if count:
            counted.setdefault((question_set, question), Counter())[answer] = int(count)
    if not counted:
        return []
    set_ids = sorted({question_set for question_set, _ in counted})
    labels: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for question_set, question, answer, question_text, answer_text in connection.execute(
            sa.select(answer_labels.c.question_set, answer_labels.c.question, answer_labels.c.answer,
                      answer_labels.c.question_text, answer_labels.c.answer_text)
            .where(answer_labels.c.question_set.in_(set_ids))):
        labels.setdefault((question_set, question), {})[answer] = (question_text, answer_text)
    known = _question_sets(connection, set_ids, filters.sites)
    found = []
    for question_set in set_ids:
        questions = known.get(question_set, {})
        order = {question: position for position, question in enumerate(questions)}
        asked = sorted((key for key in counted if key[0] == question_set),
                       key=lambda key: (order.get(key[1], len(order)), -sum(counted[key].values()), key[1]))
        for key in asked:
            found.append(_distribution(key, counted[key], questions.get(key[1]), labels.get(key, {})))
    return found


def _distribution(key: tuple[str, str], counts: Counter[str], defined: _Question | None,
                  seen: dict[str, tuple[str, str]]) -> QuestionDistribution:
    question_set, question = key
    texts = dict(defined.answers) if defined else {}
    ids = list(texts) + sorted((answer for answer in counts if answer not in texts),
                               key=lambda answer: (-counts[answer], answer))
    answers = [AnswerShare(answer, texts.get(answer) or seen.get(answer, ("", answer))[1], counts[answer])
               for answer in ids]
    text = defined.text if defined else next((words for words, _ in seen.values()), question)
    return QuestionDistribution(question_set, question, text, sum(counts.values()), answers,
                                person_groups=bool(defined and defined.person_groups))


def friends_and_family(distribution: QuestionDistribution) -> tuple[float, float] | None:
    """For a Friends and Family Test question (its answers include very-good, good, poor and very-poor):
    (share answering Very good or Good, share answering Poor or Very poor), as fractions of every answer
    to it, "Neither" and "Don't know" included. None for any other question, or one nobody answered."""
    counts = {answer.answer: answer.count for answer in distribution.answers}
    if not set(FRIENDS_AND_FAMILY_GOOD + FRIENDS_AND_FAMILY_POOR) <= counts.keys() or distribution.total <= 0:
        return None
    return (sum(counts[a] for a in FRIENDS_AND_FAMILY_GOOD) / distribution.total,
            sum(counts[a] for a in FRIENDS_AND_FAMILY_POOR) / distribution.total)


def friends_and_family_answers(distributions: Sequence[QuestionDistribution]) -> QuestionDistribution | None:
    """The answers to the Friends and Family Test question, counted together over the question sets that ask it
    (it is one national question, whichever set carries it); None when none of them does."""
    asked = [distribution for distribution in distributions if friends_and_family(distribution) is not None]
    if not asked:
        return None
    counts: Counter[str] = Counter()
    texts: dict[str, str] = {}
    for distribution in asked:
        for answer in distribution.answers:
            counts[answer.answer] += answer.count
            texts.setdefault(answer.answer, answer.text)
    return QuestionDistribution(asked[0].question_set if len(asked) == 1 else "", asked[0].question, asked[0].text,
                                counts.total(), [AnswerShare(answer, text, counts[answer])
                                                 for answer, text in texts.items()])

def with_friends_and_family_together(distributions: list[QuestionDistribution]) -> list[QuestionDistribution]:
    """``distributions``, led by the Friends and Family Test counted over every set when more than one set asks
    it (the Easy Read and the standard wording at one site): the figure a team reports is the one question."""
    asked = [distribution for distribution in distributions if friends_and_family(distribution) is not None]
    together = friends_and_family_answers(asked) if len(asked) > 1 else None
    return [together, *distributions] if together else distributions


# --- question sets, for the order and words of questions and answers ----------------------------------------


@dataclass(frozen=True)
class _Question:
    text: str
    answers: tuple[tuple[str, str], ...]
    """(id, words) of each answer, in order."""
    person_groups: bool = False
    """``about_you = true`` and no answer that finishes the session (that one is the "would you like to?")."""


def _question_sets(connection: Connection, set_ids: list[str],
                   sites: tuple[str, ...]) -> dict[str, dict[str, _Question]]:
    """Each set's questions, in order: the newest the server stored for one of ``sites``, else for any
    site, else the kiosk's built-in set with that id (config/questions). Sets found nowhere are left out."""
    newest: dict[str, tuple[bool, int]] = {}
    for row_id, set_id, site in connection.execute(
            sa.select(question_sets.c.id, question_sets.c.set_id, question_sets.c.site)
            .where(question_sets.c.set_id.in_(set_ids))):
        rank = (site in sites, row_id)
        newest[set_id] = max(rank, newest.get(set_id, rank))
    found = dict(_builtin_question_sets())
    if newest:
        for set_id, toml in connection.execute(
                sa.select(question_sets.c.set_id, question_sets.c.toml)
                .where(question_sets.c.id.in_([row_id for _, row_id in newest.values()]))):
            questions = _parse_question_set(toml)
            if questions:
                found[set_id] = questions
    return {set_id: found[set_id] for set_id in set_ids if set_id in found}


@lru_cache(maxsize=64)
def _parse_question_set(toml: str) -> dict[str, _Question]:
    """The questions of a set's TOML, read leniently: a set stored years ago under older rules still gives its
    order and words. {} if it is not TOML at all."""
    try:
        data = tomllib.loads(toml)
    except tomllib.TOMLDecodeError:
        return {}
    questions: dict[str, _Question] = {}
    for question in data.get("questions") or []:
        if not isinstance(question, dict) or not isinstance(question.get("id"), str):
            continue
        answers = tuple((answer["id"], column_text(answer.get("text"), 200))
                        for answer in question.get("answers") or []
                        if isinstance(answer, dict) and isinstance(answer.get("id"), str))
        words = column_text(question.get("text"), 1000) or question["id"]
        given = [answer for answer in question.get("answers") or [] if isinstance(answer, dict)]
        groups = question.get("about_you") is True and not any(answer.get("finish") is True for answer in given)
        questions.setdefault(question["id"], _Question(words, answers, groups))
    return questions


@lru_cache(maxsize=1)
def _builtin_question_sets() -> tuple[tuple[str, dict[str, _Question]], ...]:
    found = []
    for text in built_in_question_sets().values():
        set_id = tomllib.loads(text).get("id")
        if isinstance(set_id, str):
            found.append((set_id, _parse_question_set(text)))
    return tuple(found)
