"""The Friends and Family Test return's tables: one row per ward, per site and per organisation, with NHS England's
column names in the order its ward, site and trust data use, and the return's checks in plain words.

Column names and order follow NHS England's publication code (nhsengland/fft_pipeline, ``src/fft/config.py``:
the inpatient "Wards", "Sites" and "Trusts" sheets). The mode columns are on the "Trusts" sheet there; the
return adds them after the ward's and site's own columns too, because the data collection asks for modes and a
site may change its mode. "Trust" is NHS England's word for the organisation, whatever kind it is.
Total Eligible is left blank: a kiosk cannot know how many people were eligible to answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.server.domain.timestamps import as_utc
from sync.server.fft.codes import DEFAULT_MODE, MODES, SiteCodes, Ward, all_site_codes, all_wards
from sync.server.fft.counting import ANSWERS, MonthCounts, count_month
from sync.server.fft.suppression import MARK, Reason, Unit, suppress
from sync.server.reports.period import Month
from sync.server.storage.db import kiosks, response_counts

ANSWER_COLUMNS = ("Very Good", "Good", "Neither Good nor Poor", "Poor", "Very Poor", "Don't Know")
"""NHS England's names for the six answers, in the order of :data:`sync.server.fft.counting.ANSWERS`."""
MODE_COLUMNS = tuple(f"Mode {mode}" for mode in MODES)
FIGURES = ("Total Responses", "Total Eligible", "Percentage Positive", "Percentage Negative", *ANSWER_COLUMNS)
SPECIALTIES = ("First Speciality", "Second Speciality")
PLACES = {"Trusts": ("ICB Code", "ICB Name", "Trust Code", "Trust Name"),
          "Sites": ("ICB Code", "ICB Name", "Trust Code", "Trust Name", "Site Code", "Site Name"),
          "Wards": ("ICB Code", "ICB Name", "Trust Code", "Trust Name", "Site Code", "Site Name", "Ward Name")}
"""The columns that say where, for each sheet: NHS England's sheet names, top level first."""
COLUMNS = {"Trusts": (*PLACES["Trusts"], *FIGURES, *MODE_COLUMNS),
           "Sites": (*PLACES["Sites"], *FIGURES, *MODE_COLUMNS),
           "Wards": (*PLACES["Wards"], *FIGURES, *SPECIALTIES, *MODE_COLUMNS)}
Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
"""The return's file types (sync/server/fft/files.py)."""
POSITIVE, NEGATIVE = ("very-good", "good"), ("poor", "very-poor")


@dataclass
class Row:
    """One ward, site or organisation: where, its answers by id and its responses by mode."""

    key: tuple[str, ...]
    place: tuple[str, ...]
    answers: Counter[str] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    specialties: tuple[str, str] = ("", "")

    @property
    def total(self) -> int:
        return self.answers.total()

    def share(self, answers: tuple[str, ...]) -> float | None:
        """Of all its answers, Don't Know included, the fraction that are ``answers``, to 4 places (as NHS
        England's files give them); None with no answers."""
        return round(sum(self.answers[one] for one in answers) / self.total, 4) if self.total else None

    def figures(self) -> list[object]:
        return [self.total, None, self.share(POSITIVE), self.share(NEGATIVE), *(self.answers[one] for one in ANSWERS)]

    def cells(self, level: str, hidden: bool, modes_hidden: bool) -> list[object]:
        """The row as its sheet's cells; every figure ``*`` when ``hidden``, the modes when ``modes_hidden``."""
        figures = [*self.figures(), *(self.modes[mode] for mode in MODES)]
        cut = len(FIGURES)
        if hidden or modes_hidden:
            figures = [MARK if value is not None and (hidden or number >= cut) else value
                       for number, value in enumerate(figures)]
        return [*self.place, *figures[:cut], *(self.specialties if level == "Wards" else ()), *figures[cut:]]


@dataclass
class FftReturn:
    month: Month
    levels: dict[str, dict[tuple[str, ...], Row]]
    """By sheet name (:data:`PLACES`, top level first), the rows by key."""
    checks: list[str]
    """What to look at before submitting, in plain words: nothing answered, codes missing, clocks wrong."""
    responses: int

    @property
    def total(self) -> int:
        return sum(row.total for row in self.levels["Trusts"].values())

    def suppressed(self) -> dict[str, dict[Hashable, Reason]]:
        """What NHS England's publication rules hide, by sheet (:mod:`sync.server.fft.suppression`)."""
        units = [[Unit(key, key[:-1] or None, row.total) for key, row in rows.items()] for rows in self.levels.values()]
        return dict(zip(self.levels, suppress(units), strict=True))

    def sheets(self, *, published: bool) -> dict[str, list[list[object]]]:
        """Each sheet's rows of cells, header first; ``published`` hides what NHS England's rules hide.

        Published, an organisation's modes are hidden too when any of its sites is: a site reports under one
        mode, so the organisation's count for a mode only one hidden site uses would be that site's total."""
        hidden = self.suppressed() if published else {}
        sites_hidden = {key[:1] for key in hidden.get("Sites", {})}
        return {level: [list(COLUMNS[level]), *(
            row.cells(level, key in hidden.get(level, {}), level == "Trusts" and key in sites_hidden)
            for key, row in sorted(rows.items()))] for level, rows in self.levels.items()}


def _organisations(codes: dict[str, SiteCodes]) -> dict[str, tuple[str, str]]:
    """Each organisation code's (ICB code, name): the first site (by name) that gives each, as an admin may
    type the name and the ICB once, at one of the organisation's sites."""
    found: dict[str, tuple[str, str]] = {}
    for site in sorted(codes):
        icb, name = found.get(codes[site].org_code, ("", ""))
        found[codes[site].org_code] = (icb or codes[site].icb_code, name or codes[site].org_name)
    return found


def _place(codes: SiteCodes, organisations: dict[str, tuple[str, str]], sites: str) -> tuple[str, ...]:
    icb, name = organisations.get(codes.org_code, ("", ""))
    return (icb, "", codes.org_code, name, codes.site_code, sites)


def build_return(connection: Connection, counts: MonthCounts, sites: Iterable[str] | None = None) -> FftReturn:
    """The return for the month counted: a ward row for every kiosk that was enrolled at ``sites`` (None: all)
    in the month or answered in it, with 0s where nobody answered."""
    codes, wards = all_site_codes(connection), all_wards(connection)
    kiosk_sites = _kiosks_in_month(connection, counts.month, sites) | counts.answers.keys()
    places = [(codes.get(site) or SiteCodes(site=site, org_code=""), wards.get(kiosk) or Ward(kiosk=kiosk, ward=kiosk),
               counts.answers.get((site, kiosk), Counter())) for site, kiosk in kiosk_sites]
    return FftReturn(counts.month, tabulate(places, _organisations(codes)),
                     _checks(counts, kiosk_sites, codes, wards), counts.responses)


def tabulate(places: Iterable[tuple[SiteCodes, Ward, Counter[str]]],
             organisations: dict[str, tuple[str, str]]) -> dict[str, dict[tuple[str, ...], Row]]:
    """The three sheets' rows from each kiosk's (site codes, ward, answers). Kiosks in one ward count together,
    and so do sites that share an ODS site code."""
    places = list(places)
    site_names: dict[tuple[str, str], set[str]] = {}
    for coded, _ward, _answers in places:
        site_names.setdefault((coded.org_code, coded.site_code or coded.site), set()).add(coded.site)
    levels: dict[str, dict[tuple[str, ...], Row]] = {level: {} for level in PLACES}
    for coded, ward, answers in places:
        site_key = (coded.org_code, coded.site_code or coded.site)
        place = _place(coded, organisations, "; ".join(sorted(site_names[site_key])))
        for level, key, where in (("Trusts", site_key[:1], place[:4]), ("Sites", site_key, place),
                                  ("Wards", (*site_key, ward.ward), (*place, ward.ward))):
            row = levels[level].setdefault(key, Row(key, where))
            row.answers.update(answers)
            row.modes[coded.mode or DEFAULT_MODE] += answers.total()
            if level == "Wards":
                row.specialties = (ward.first_specialty, ward.second_specialty)
    return levels


def _kiosks_in_month(connection: Connection, month: Month, sites: Iterable[str] | None) -> set[tuple[str, str]]:
    """(site, kiosk) of every kiosk enrolled before the month ended and not revoked before it began."""
    start = datetime.combine(month.first, time())
    end = datetime.combine(month.following().first, time())
    query = sa.select(kiosks.c.site, kiosks.c.name, kiosks.c.created_at, kiosks.c.revoked_at)
    if sites is not None:
        query = query.where(kiosks.c.site.in_(tuple(sites)))
    return {(site, name) for site, name, created, revoked in connection.execute(query)
            if as_utc(created) < as_utc(end) and (revoked is None or as_utc(revoked) >= as_utc(start))}


def _duration(seconds: float) -> str:
    """A clock's error in words: "3 minutes", "2 hours", "4 days"."""
    size = abs(seconds)
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if size >= length:
            amount = round(size / length)
            return f"{amount} {unit}{'s' * (amount != 1)}"
    return f"{size:.0f} seconds"


def _checks(counts: MonthCounts, kiosk_sites: set[tuple[str, str]], codes: dict[str, SiteCodes],
            wards: dict[str, Ward]) -> list[str]:
    """The return's checks, most important first."""
    label = counts.month.label
    found = []
    if not counts.total:
        found.append(f"Nobody answered the Friends and Family Test question in {label} (by the kiosks' clocks): "
                     f"every count is 0. {counts.responses:,} responses were given in all.")
    for site in sorted({site for site, _ in kiosk_sites}):
        if site not in codes:
            found.append(f"{site} has no ODS organisation code: set it on the dashboard's Admin page or with "
                         f"`feedback-server fft-codes site \"{site}\" --org-code CODE` before you submit.")
        elif not codes[site].site_code:
            found.append(f"{site} has no ODS site code: NHS England's ward data names the site by it.")
    for site, kiosk in sorted(kiosk_sites):
        if kiosk not in wards:
            found.append(f"Kiosk {kiosk} at {site} has no ward or service set: its answers are under its own name.")
    for (site, kiosk), problems in sorted(counts.wrong_clock.items()):
        why = "; ".join(f"{count:,} {problem}" for problem, count in problems.most_common())
        found.append(f"Kiosk {kiosk} at {site}: {problems.total():,} answers received in {label} are not counted in "
                     f"any month, because the kiosk's clock was wrong when they were given ({why}). Run "
                     "`kiosk doctor` on it and set its clock.")
    for (site, kiosk), skew in sorted(counts.clock_off.items()):
        found.append(f"Kiosk {kiosk} at {site}: its clock was {_duration(skew)} "
                     f"{'behind' if skew > 0 else 'ahead'} at its last sync, so answers given near the start or end "
                     f"of {label} may be counted in the month before or after.")
    return found


def month_return(engine: Engine, month: Month, sites: Iterable[str] | None = None,
                 progress: Callable[[int], None] | None = None) -> FftReturn:
    """Count ``month`` and build its return, in one read of the database (one snapshot on PostgreSQL)."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    chosen = tuple(sites) if sites is not None else None
    with engine.connect().execution_options(**options) as connection, connection.begin():
        return build_return(connection, count_month(connection, month, chosen, progress), chosen)


def responses_given(engine: Engine, month: Month) -> int:
    """How many responses were given in ``month`` (from the dashboard's counts): the length of a progress bar."""
    with engine.connect() as connection:
        return int(connection.execute(
            sa.select(sa.func.coalesce(sa.func.sum(response_counts.c.responses), 0))
            .where(response_counts.c.day >= month.first.isoformat(), response_counts.c.day <= month.last.isoformat())
        ).scalar_one())
