"""Reports on a schedule: `feedback-server reports-due`, run once a day by config/systemd/feedback-reports.timer.

Each run works out every report that is due, and writes, as HTML and PDF, only those not already in the
folder. So running it again changes nothing, a day the server was off is made up the next day, and deleting
a file makes the next run write it again (after a kiosk sent a month's answers late, say).

What is due is a list, :data:`DUE_KINDS`: one function per kind of report, given the complete months in view
(the last ``--months``, oldest first), returning each report of that kind whose period ends in one of them.
Today there is one kind, the monthly team report for every site. A quarterly report is one more function,
``quarterly_reports``, returning the reports for the quarters that end in those months (folder ``2026-Q3``),
added to the tuple.

The command's ``--db`` and ``--redact-names`` are the server's usual options, added where it is registered
(sync/server/cli.py): importing them here would import the command line from inside itself.
"""

from __future__ import annotations

import hashlib
import re
import sys
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.export import SUPPRESS_BELOW, SUPPRESS_BELOW_VARIABLE
from sync.server.cli_options import participation_option
from sync.server.domain.participation import ReferenceMix
from sync.server.domain.timestamps import as_utc
from sync.server.reports.period import Month
from sync.server.storage.db import kiosks, open_database, question_sets, you_said_we_did

if TYPE_CHECKING:  # the reports themselves are imported when one is made: every feedback-server command loads this
    from sync.server.reports.render import Format

DEFAULT_MONTHS = 3
NEVER = datetime.max
FINGERPRINT = 6
"""Hex digits of a site name's SHA-256 that tell apart two sites whose names make the same file name."""


@dataclass(frozen=True)
class Page:
    html: str
    about: str
    """A few words for the line the command prints, e.g. "1,234 responses" or "nobody answered"."""


@dataclass(frozen=True)
class DueReport:
    folder: str
    """The period, as the folder it goes in: ``2026-10``."""
    name: str
    """The file name without its extension: the site's slug for a site's report."""
    title: str
    """What it is, for people: "Mile End, October 2026"."""
    make: Callable[[int, ReferenceMix, bool], Page]
    """Gathers and renders it, given the suppression threshold, who each site expects to hear from and whether to
    redact people's names in comments; called only when a file is missing."""

    def path(self, out_dir: Path, fmt: Format) -> Path:
        return out_dir / self.folder / f"{self.name}.{fmt}"


DueKind = Callable[[Engine, list[Month]], list[DueReport]]


def slug(site: str) -> str:
    """A site name as a file name anyone can type: ASCII lower case, words joined by dashes."""
    plain = unicodedata.normalize("NFKD", site).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "site"


def site_slugs(connection: Connection, sites: list[str]) -> dict[str, str]:
    """Each site's file name. When two names make the same slug ("Mile End", "Mile-End"), the site the server
    heard of first keeps it and the others add a fingerprint of their exact name ("mile-end-3f2a1c"): no
    report is written over another's, and no site's file name changes when another site is added later."""
    groups: dict[str, list[str]] = defaultdict(list)
    for site in sites:
        groups[slug(site)].append(site)
    first = _first_heard_of(connection) if any(len(group) > 1 for group in groups.values()) else {}
    names = {}
    for base, group in groups.items():
        group.sort(key=lambda site: (first.get(site, NEVER), site))
        names[group[0]] = base
        names.update({site: f"{base}-{hashlib.sha256(site.encode()).hexdigest()[:FINGERPRINT]}" for site in group[1:]})
    return names


def _first_heard_of(connection: Connection) -> dict[str, datetime]:
    """When each site first appeared: its first kiosk, question set or "You said, we did" item (never deleted)."""
    first: dict[str, datetime] = {}
    for table in (kiosks, question_sets, you_said_we_did):
        for site, moment in connection.execute(sa.select(table.c.site, sa.func.min(table.c.created_at))
                                               .group_by(table.c.site)):
            moment = as_utc(moment).replace(tzinfo=None)
            first[site] = min(first.get(site, moment), moment)
    return first


def monthly_reports(engine: Engine, months: list[Month]) -> list[DueReport]:
    """The monthly team report of every site the server knows, for each month (sync/server/reports/monthly.py)."""
    from sync.server.web.common import known_sites, shown

    with engine.connect() as connection:
        names = site_slugs(connection, known_sites(connection))

    def maker(site: str, month: Month) -> Callable[[int, ReferenceMix, bool], Page]:
        def make(suppress_below: int, reference_mix: ReferenceMix, redact_names: bool) -> Page:
            from sync.server.reports.monthly import gather_monthly
            from sync.server.reports.render import monthly_html

            report = gather_monthly(engine, site, month, reference_mix=reference_mix, suppress_below=suppress_below,
                                    redact_names=redact_names)
            about = "nobody answered" if report.empty else f"{shown(report.responses, suppress_below)} responses"
            return Page(monthly_html(report, suppress_below), about)
        return make

    return [DueReport(str(month), names[site], f"{site}, {month.label}", maker(site, month))
            for month in months for site in sorted(names)]


DUE_KINDS: tuple[DueKind, ...] = (monthly_reports,)
"""Every kind of report the schedule writes; add a kind here (see the module's docstring)."""


def complete_months(today: date, count: int) -> list[Month]:
    """The ``count`` whole months before ``today``'s month, oldest first."""
    return Month(today.year, today.month).previous().back(count)


def check_out_dir(out_dir: Path) -> None:
    """Make the folder if needed and prove a file can be written in it, before any report is gathered."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise click.ClickException(f"cannot write reports in {out_dir}: {exc.strerror or exc}") from None


@click.command("reports-due")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The folder for the reports, one folder per month inside it, e.g. 2026-10/mile-end.pdf "
                   "(made if missing).")
@click.option("--months", type=click.IntRange(1, 24), default=DEFAULT_MONTHS, show_default=True, metavar="N",
              help="How many complete months back to look: any report still missing from them is written (after "
                   "the server was off, or for a new site).")
@click.option("--suppress-below", envvar=SUPPRESS_BELOW_VARIABLE, type=click.IntRange(1, 100), default=SUPPRESS_BELOW,
              show_default=True, metavar="N",
              help=f"Any count below N reads \"fewer than N\", as on the dashboard. Also ${SUPPRESS_BELOW_VARIABLE}.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Work as if today were this day (default: today).")
@participation_option
def reports_due(out_dir: Path, months: int, suppress_below: int, today: datetime | None, reference_mix: ReferenceMix,
                redact_names: bool, db: str) -> None:
    """Write every report that is due and not written yet: each site's monthly team report for last month,
    as HTML and PDF, in OUT-DIR/YYYY-MM/. Reports already there are left alone, so this can run every day
    (config/systemd/feedback-reports.timer) and a missed day is made up the next.

    Example: feedback-server reports-due --out-dir /srv/feedback/reports
    """
    from tqdm import tqdm

    from sync.server.reports.render import FORMATS, write_report

    engine = open_database(db, create=False)  # first: a mistyped --db leaves no empty reports folder behind
    check_out_dir(out_dir)
    window = complete_months(today.date() if today else date.today(), months)
    due = [report for kind in DUE_KINDS for report in kind(engine, window)]
    missing = [(report, formats) for report in due
               if (formats := [fmt for fmt in FORMATS if not report.path(out_dir, fmt).exists()])]
    with tqdm(total=len(missing), unit=" reports", disable=None, leave=False) as bar:
        for report, formats in missing:
            bar.set_description(report.title)
            page = report.make(suppress_below, reference_mix, redact_names)
            paths = [report.path(out_dir, fmt) for fmt in formats]
            for fmt, path in zip(formats, paths, strict=True):
                try:
                    path.parent.mkdir(exist_ok=True)
                    write_report(page.html, fmt, path)
                except OSError as exc:  # a full disk: what was written stays, the rest is written next time
                    raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
            bar.write(f"Wrote {report.title} ({page.about}): {', '.join(map(str, paths))}", file=sys.stdout)
            bar.update()
    span = window[0].label if months == 1 else f"{window[0].label} to {window[-1].label}"
    click.echo(f"Wrote {len(missing)} new reports to {out_dir}; {len(due) - len(missing)} of the {len(due)} due for "
               f"{span} were there already.")
