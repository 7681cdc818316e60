"""Who is answering at a site, against who the organisation expects to hear from (issue 9).

Care organisations have a duty to check that everyone can take part. A site's answers are counted by
language, by channel (touch, voice, keyboard or switch) and by the optional "About you" questions (age band,
who the person is: sync/core/questions.py, ``about_you``), and set beside a **reference mix**: the shares a
site expects, written by the involvement lead in a small TOML file (``feedback-server serve --participation
FILE``; example in config/participation.toml). What comes out is a few plain sentences that say who is
missing, e.g. "No one has answered in Bengali at Mile End from 1 September to 30 November 2026."

Small counts are suppressed as everywhere else (docs/privacy.md, "Small numbers"): each way of telling people
apart is a table whose total a reader knows (the site's responses are on the overview), so a count under the
threshold reads "fewer than N", one beside it that would give it away reads "hidden"
(:func:`sync.server.web.common.hidden_counts`), and neither gets a share. Zero is shown: "no one" singles no
one out, and it is the finding that matters most.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import pydantic
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.core.config_files import TomlFile
from sync.core.plain_words import in_words
from sync.core.questions import base_language
from sync.server.domain.aggregates import Filters, answer_distributions, participation
from sync.server.domain.languages import language_names
from sync.server.storage.db import answer_counts, response_counts
from sync.server.web.common import exact, table_shown

PARTICIPATION_VARIABLE = "FEEDBACK_PARTICIPATION"
"""The reference mix file for every worker process of ``feedback-server serve --participation``."""
Dimension = Literal["language", "channel"]
CHANNEL_NAMES = {"touch": "touch", "voice": "voice", "keyboard": "a keyboard or switch", "": "not recorded"}
UNDER_SHARE = 0.5
"""A group is "fewer than expected" below this fraction of its expected share."""
SHARE_TOLERANCE = 1.0
"""Expected shares are whole percentages adding up to 100, give or take this much for rounding."""

Percent = Annotated[float, pydantic.Field(ge=0, le=100)]


class Expected(pydantic.BaseModel):
    """The shares one site expects, in percent: ``language = { en = 60, bn = 40 }``."""

    model_config = pydantic.ConfigDict(extra="forbid")
    language: dict[str, Percent] = {}
    channel: dict[str, Percent] = {}
    about_you: dict[str, dict[str, Percent]] = {}
    """By "About you" question id, then answer id: ``about_you.about-who = { uses-service = 70, ... }``."""

    @pydantic.field_validator("language", "channel")
    @classmethod
    def _adds_up(cls, shares: dict[str, float]) -> dict[str, float]:
        if shares and abs(sum(shares.values()) - 100) > SHARE_TOLERANCE:
            raise ValueError(f"the shares add up to {sum(shares.values()):g}, not 100")
        return shares

    @pydantic.field_validator("about_you")
    @classmethod
    def _each_adds_up(cls, questions: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for shares in questions.values():
            cls._adds_up(shares)
        return questions


class ReferenceMix(pydantic.BaseModel):
    """The whole file: ``[default]`` for every site, and ``[sites."Mile End"]`` where one site differs."""

    model_config = pydantic.ConfigDict(extra="forbid")
    default: Expected = Expected()
    sites: dict[str, Expected] = {}

    def for_site(self, site: str) -> Expected:
        """The site's own expectations, each dimension falling back to the default when the site leaves it out."""
        own = self.sites.get(site)
        if own is None:
            return self.default
        return Expected(language=own.language or self.default.language, channel=own.channel or self.default.channel,
                        about_you=own.about_you or self.default.about_you)


def load_reference_mix(path: Path) -> ReferenceMix:
    """Read and check the file; a problem raises :class:`sync.core.config_files.ConfigError` naming line and field."""
    return TomlFile(path).validate(ReferenceMix)


def reference_mix_from(path: str | Path | None) -> ReferenceMix:
    """The file's mix, or an empty one (nothing compared) when no file is given."""
    return load_reference_mix(Path(path)) if path else ReferenceMix()


def group_name(dimension: Dimension, group: str) -> str:
    """'Bengali', 'voice': how a sentence names the group."""
    if dimension == "channel":
        return CHANNEL_NAMES.get(group, group)
    return language_names(group)[0] if group else "a language not recorded"


@dataclass(frozen=True)
class Section:
    """One way of telling people apart: by language, by channel, or by the answers to one "About you" question."""

    heading: str
    counts: dict[str, int]
    """Answers in the period, by group."""
    names: dict[str, str]
    """Each group's words: 'Bengali', 'voice', 'Family or carer'."""
    last_days: dict[str, date]
    expected: dict[str, float]
    """Percent of answers the site expects from each group ({} when the reference mix says nothing)."""
    how: Callable[[str], str]
    """A group's name as the sentences say it: 'in Bengali', 'by voice', 'from people who said "Visitor"'."""


@dataclass(frozen=True)
class GroupRow:
    section: str
    group: str
    name: str
    answers: str
    """The count as shown: "fewer than 5" when small, "hidden" when it would give a small one away."""
    share: str
    """"12%", or '' when the count is not shown."""
    expected: str
    """"40%", or '' when the reference mix does not mention the group."""
    last_day: date | None
    """The last day anyone answered in this group at the site, up to the period's end (any time before it)."""


@dataclass(frozen=True)
class SiteParticipation:
    site: str
    start: date
    end: date
    total: int
    rows: list[GroupRow]
    findings: list[str]
    """Plain sentences, most important first: who did not answer at all, then who answered less than expected."""
    has_reference: bool


def _group(dimension: Dimension, value: str) -> str:
    """Languages by their base language ('en-GB' and 'en' are both English), as the mix names them."""
    return base_language(value) if dimension == "language" and value else value


def _folded(pairs: Iterable[tuple[str, int]], dimension: Dimension) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value, count in pairs:
        counts[_group(dimension, value)] = counts.get(_group(dimension, value), 0) + count
    return counts


def _latest(rows: Iterable[tuple[str, str]], fold: Callable[[str], str] = str) -> dict[str, date]:
    last: dict[str, date] = {}
    for value, day in rows:
        last[fold(value)] = max(last.get(fold(value), date.min), date.fromisoformat(day))
    return last


def _by_payload(connection: Connection, site: str, filters: Filters, expected: Expected) -> list[Section]:
    """By language and by channel: counted from every response."""
    found = participation(connection, filters)
    sections = []
    for dimension, heading, how in (("language", "By language", "in {}"), ("channel", "By how they answered", "by {}")):
        column = response_counts.c[dimension]
        last = _latest(connection.execute(
            sa.select(column, sa.func.max(response_counts.c.day))
            .where(response_counts.c.site == site, response_counts.c.day <= filters.end.isoformat())
            .group_by(column)), lambda value, dimension=dimension: _group(dimension, value))
        counts = _folded(found[dimension].items(), dimension)
        wanted: dict[str, float] = getattr(expected, dimension)
        names = {group: group_name(dimension, group) for group in {*counts, *wanted}}
        sections.append(Section(heading, counts, names, last, wanted, how.format))
    return sections


def _by_about_you(connection: Connection, site: str, filters: Filters, expected: Expected) -> list[Section]:
    """By the answers to each "About you" question that sorts people into groups (never the gate question)."""
    sections = []
    for asked in answer_distributions(connection, filters):
        if not asked.person_groups:
            continue
        last = _latest(connection.execute(
            sa.select(answer_counts.c.answer, sa.func.max(answer_counts.c.day))
            .where(answer_counts.c.site == site, answer_counts.c.question_set == asked.question_set,
                   answer_counts.c.question == asked.question, answer_counts.c["count"] > 0,
                   answer_counts.c.day <= filters.end.isoformat())
            .group_by(answer_counts.c.answer)))
        sections.append(Section(asked.text, {answer.answer: answer.count for answer in asked.answers},
                                {answer.answer: answer.text for answer in asked.answers}, last,
                                expected.about_you.get(asked.question, {}),
                                lambda name: f"from people who said \u201c{name}\u201d"))
    return sections


def gather_participation(connection: Connection, site: str, start: date, end: date, mix: ReferenceMix,
                         suppress_below: int, question_set: str | None = None) -> SiteParticipation:
    """One site's answers in the period (to one question set, or all) by language, channel and "About you"
    groups, beside what the site expects."""
    filters = Filters(sites=(site,), question_set=question_set, start=start, end=end)
    expected = mix.for_site(site)
    sections = _by_payload(connection, site, filters, expected) + _by_about_you(connection, site, filters, expected)
    rows: list[GroupRow] = []
    missing: list[str] = []
    fewer: list[str] = []
    period = f"from {in_words(start)} to {in_words(end)}"
    for section in sections:
        total = sum(section.counts.values())
        groups = sorted({*section.counts, *(group for group, share in section.expected.items() if share > 0)})
        written = table_shown({group: section.counts.get(group, 0) for group in groups}, suppress_below)
        for group in groups:
            count = section.counts.get(group, 0)
            name = section.names.get(group, group)
            visible = exact(written[group])
            share = f"{round(100 * count / total)}%" if total and visible else ""
            wanted = section.expected.get(group)
            rows.append(GroupRow(section.heading, group, name, written[group], share,
                                 f"{wanted:g}%" if wanted is not None else "", section.last_days.get(group)))
            if not wanted:
                continue
            how = section.how(name)
            if count == 0:
                before = section.last_days.get(group)
                missing.append(f"No one has answered {how} at {site} {period}. "
                               + (f"The last answer {how} was on {in_words(before)}." if before
                                  else f"No one has ever answered {how} there."))
            elif visible and count / total < UNDER_SHARE * wanted / 100:
                fewer.append(f"Fewer answers {how} than expected: {share} of answers, against {wanted:g}% expected.")
            elif written[group] == f"fewer than {suppress_below}" and total * wanted / 100 >= 2 * suppress_below:
                fewer.append(f"Fewer than {suppress_below} answers {how}, against {wanted:g}% expected.")
    responses = sum(sections[0].counts.values())
    return SiteParticipation(site, start, end, responses, rows, missing + fewer,
                             has_reference=bool(expected.language or expected.channel or expected.about_you))
