"""Who is answering at a site, against who the organisation expects to hear from (issue 9).

Care organisations have a duty to check that everyone can take part. A site's answers are counted by
language and by channel (touch, voice, keyboard or switch) and set beside a **reference mix**: the shares a
site expects, written by the involvement lead in a small TOML file (``feedback-server serve --participation
FILE``; example in config/participation.toml). What comes out is a few plain sentences that say who is
missing, e.g. "No one has answered in Bengali at Mile End from 1 September to 30 November 2026."

Small counts are suppressed as everywhere else (docs/privacy.md): a count under the threshold reads "fewer than
N" and no share is worked out of it. Zero is shown: "no one" singles no one out, and it is the finding that
matters most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import pydantic
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.config_files import TomlFile
from kiosk.questions import base_language
from sync.server.aggregates import Filters, participation
from sync.server.db import response_counts
from sync.server.web.common import shown
from sync.server.web.questions import language_names

PARTICIPATION_VARIABLE = "FEEDBACK_PARTICIPATION"
"""The reference mix file for every worker process of ``feedback-server serve --participation``."""
Dimension = Literal["language", "channel"]
DIMENSIONS: tuple[Dimension, ...] = ("language", "channel")
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

    @pydantic.field_validator("language", "channel")
    @classmethod
    def _adds_up(cls, shares: dict[str, float]) -> dict[str, float]:
        if shares and abs(sum(shares.values()) - 100) > SHARE_TOLERANCE:
            raise ValueError(f"the shares add up to {sum(shares.values()):g}, not 100")
        return shares


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
        return Expected(language=own.language or self.default.language, channel=own.channel or self.default.channel)


def load_reference_mix(path: Path) -> ReferenceMix:
    """Read and check the file; a problem raises :class:`kiosk.config_files.ConfigError` naming line and field."""
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
class GroupRow:
    dimension: Dimension
    group: str
    name: str
    answers: str
    """The count as shown: "fewer than 5" when small."""
    share: str
    """"12%", or '' when the count is suppressed."""
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


def _counts(connection: Connection, site: str, start: date, end: date,
            question_set: str | None) -> dict[Dimension, dict[str, int]]:
    found = participation(connection, Filters(sites=(site,), question_set=question_set, start=start, end=end))
    counts: dict[Dimension, dict[str, int]] = {dimension: {} for dimension in DIMENSIONS}
    for dimension in DIMENSIONS:
        for value, count in found[dimension].items():
            group = _group(dimension, value)
            counts[dimension][group] = counts[dimension].get(group, 0) + count
    return counts


def _last_days(connection: Connection, site: str, end: date, dimension: Dimension) -> dict[str, date]:
    column = response_counts.c[dimension]
    rows = connection.execute(sa.select(column, sa.func.max(response_counts.c.day))
                              .where(response_counts.c.site == site, response_counts.c.day <= end.isoformat())
                              .group_by(column))
    last: dict[str, date] = {}
    for value, day in rows:
        group = _group(dimension, value)
        last[group] = max(last.get(group, date.min), date.fromisoformat(day))
    return last


def _day(moment: date) -> str:
    return f"{moment.day} {moment:%B %Y}"


def gather_participation(connection: Connection, site: str, start: date, end: date, mix: ReferenceMix,
                         suppress_below: int, question_set: str | None = None) -> SiteParticipation:
    """One site's answers in the period (to one question set, or all) by language and channel, beside what the
    site expects."""
    counts = _counts(connection, site, start, end, question_set)
    total = sum(counts["language"].values())
    expected = mix.for_site(site)
    rows: list[GroupRow] = []
    missing: list[str] = []
    fewer: list[str] = []
    period = f"from {_day(start)} to {_day(end)}"
    for dimension in DIMENSIONS:
        wanted: dict[str, float] = getattr(expected, dimension)
        last = _last_days(connection, site, end, dimension)
        for group in sorted(set(counts[dimension]) | {group for group, share in wanted.items() if share > 0}):
            count = counts[dimension].get(group, 0)
            name = group_name(dimension, group)
            visible = count == 0 or count >= suppress_below
            share = f"{round(100 * count / total)}%" if total and visible else ""
            rows.append(GroupRow(dimension, group, name, shown(count, suppress_below), share,
                                 f"{wanted[group]:g}%" if group in wanted else "", last.get(group)))
            if wanted.get(group, 0) <= 0:
                continue
            how = f"in {name}" if dimension == "language" else f"by {name}"
            if count == 0:
                before = last.get(group)
                missing.append(f"No one has answered {how} at {site} {period}. "
                               + (f"The last answer {how} was on {_day(before)}." if before
                                  else f"No one has ever answered {how} there."))
            elif visible and count / total < UNDER_SHARE * wanted[group] / 100:
                fewer.append(f"Fewer answers {how} than expected: {share} of answers, against "
                             f"{wanted[group]:g}% expected.")
            elif not visible and total * wanted[group] / 100 >= 2 * suppress_below:
                fewer.append(f"Fewer than {suppress_below} answers {how}, against {wanted[group]:g}% expected.")
    return SiteParticipation(site, start, end, total, rows, missing + fewer,
                             has_reference=bool(expected.language or expected.channel))
