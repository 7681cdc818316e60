"""Reports as people read them: small counts suppressed, then a printable HTML page (Jinja2) and a PDF.

Suppression is the dashboard's rule (docs/privacy.md, "Small numbers"), through the dashboard's own helpers:
any count below the threshold reads "fewer than N" (:func:`sync.server.web.common.shown`), every table of counts
that add up to a total hides the ones that would give a small count away
(:func:`sync.server.web.common.table_shown`), answer charts draw hidden answers together
(:func:`sync.server.web.charts.share_segments`), and no percentage is worked out of a hidden count. Totals are
given exactly. The HTML and the PDF are made from the same page, so they suppress the same cells.

PDF by WeasyPrint, not a headless browser: it is a Python library (no browser process to start, find or keep
up to date on a server; about a tenth of a second a page), it honours print CSS such as ``@page`` margins and
page numbers, and it draws the inline SVG charts itself. It needs Debian's Pango (libpango-1.0-0,
libpangoft2-1.0-0), which .ci/setup installs. Inline SVG there does not see the page's stylesheet, so the
charts carry their colours as SVG attributes (templates/_charts.html).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from sync.core.files import atomic_path
from sync.core.plain_words import in_words
from sync.server.domain.safeguarding import STATUS_LABELS, STATUSES
from sync.server.domain.theme_store import SIDES
from sync.server.reports.comment_themes import ReportTheme
from sync.server.reports.monthly import THEME_SIDES, Concerns, MonthlyReport
from sync.server.reports.period import SoFar, day_range
from sync.server.reports.quarterly import QuarterlyReport
from sync.server.web.charts import answer_cards, friends_and_family, weekly_bars
from sync.server.web.common import NOT_SHOWN, exact, shown, table_shown, templates, when
from sync.server.web.fft_trend import all_sites_row, compared_rows, fft_change, with_changes

THEMES_PER_SITE = 3
"""The Board report's themes at each site on each side, each with one example comment (the monthly report,
for the team itself, gives five with two)."""

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")


def change(count: int, before: int, suppress_below: int) -> str:
    """"up 12%", "down 3%" or "no change" on the period before; '' when either count is hidden or there was
    none before."""
    if count < suppress_below or before < suppress_below:
        return ""
    percent = round(100 * (count - before) / before)
    return "no change" if percent == 0 else f"{'up' if percent > 0 else 'down'} {abs(percent)}%"


def _change_on(count: int, before: int, suppress_below: int) -> str:
    """The change as a sentence goes on to name the month before: "up 12% on", "the same as"."""
    words = change(count, before, suppress_below)
    return "the same as" if words == "no change" else f"{words} on" if words else ""


def _themes(themes: Sequence[ReportTheme], suppress_below: int) -> list[ReportTheme]:
    """The themes a report lists: those of at least ``suppress_below`` comments. A smaller one's count, beside
    the side's total and the other themes', could be worked out (a theme has at least three comments)."""
    return [theme for theme in themes if theme.comments >= suppress_below]


def period_words(label: str, happened: SoFar) -> str:
    """A period as a report names it: "December 2026", or "December 2026 so far (1 to 7 December 2026, 7 of 31
    days)" while it is not over."""
    if happened.finished:
        return label
    return f"{label} so far ({happened.through}, {happened.days_done} of {happened.days} days)"


def compared_words(label: str, happened: SoFar, first: date, last: date) -> str:
    """The period compared with: "November 2026", or "the same days of November 2026 (1 to 7 November 2026)"."""
    return label if happened.finished else f"the same days of {label} ({day_range(first, last)})"


def _trend(report: MonthlyReport, suppress_below: int) -> list[dict[str, str]]:
    """The six months' responses and Friends and Family Test shares, each share's change on the month before in
    short words (the last month, when not over, against the same days of the one before)."""
    rows = []
    for index, ((earlier, count), answers) in enumerate(zip(report.trend, report.trend_friends_and_family,
                                                            strict=True)):
        written = friends_and_family(answers, suppress_below) if answers else None
        last = index == len(report.trend) - 1
        before = report.previous_friends_and_family if last else \
            report.trend_friends_and_family[index - 1] if index else None
        change = fft_change(answers, before, suppress_below)
        rows.append({"month": earlier.short + (" so far" if last and not report.so_far.finished else ""),
                     "count": shown(count, suppress_below),
                     "good": written[0] if written else "too few answers" if answers and answers.total else "none",
                     "change": change.short if change else ""})
    return rows


def monthly_context(report: MonthlyReport, suppress_below: int) -> dict[str, Any]:
    """What the template shows: every count already written as a person may see it. Concerns by kind are a table
    too: one concern can be of several kinds, so their sum is not the total, but it is at least the total.
    A month not over is compared with the same days of the month before, and says so."""
    month = report.month
    responses = table_shown({kiosk.name: kiosk.responses for kiosk in report.kiosks}, suppress_below)
    top = max((count for _, count in report.weeks), default=0)
    previous = compared_words(month.previous().label, report.so_far, *report.compared_with)
    trend = _trend(report, suppress_below)
    return {
        "report": report, "suppress_below": suppress_below, "made": when(report.made_at),
        "title": f"{report.site}: monthly report, {month.label}",
        "total": shown(report.responses, suppress_below),
        "period": period_words(month.label, report.so_far),
        "change": _change_on(report.responses, report.previous, suppress_below), "previous": previous,
        "trend": trend, "trend_shares": any(row["good"].endswith("%") for row in trend),
        "chart": weekly_bars(report.weeks, top, suppress_below, month.first, month.last),
        "questions": with_changes(answer_cards(report.questions, suppress_below), report.previous_questions,
                                  report.previous_friends_and_family, previous, suppress_below),
        "sides": [{"title": SIDES[side], "comments": shown(found.comments, suppress_below),  # type: ignore[index]
                   "themes": [{"name": theme.name, "comments": shown(theme.comments, suppress_below),
                               "examples": theme.examples, "named_by_staff": theme.named_by_staff}
                              for theme in _themes(found.themes, suppress_below)]}
                  for side, found in report.themes.items()],
        "concerns": {"raised": shown(report.concerns.raised, suppress_below),
                     "by_status": [(STATUS_LABELS[status], written) for status, written in
                                   table_shown(report.concerns.by_status, suppress_below).items()],
                     "by_category": list(table_shown(report.concerns.by_category, suppress_below).items())},
        "kiosks": [{"name": kiosk.name, "health": kiosk.health, "reasons": kiosk.reasons,
                    "responses": responses[kiosk.name], "days": f"{kiosk.days_in_use} of {month.last.day}"}
                   for kiosk in report.kiosks],
    }


def monthly_html(report: MonthlyReport, suppress_below: int) -> str:
    """The report as one self-contained HTML page (styles and charts inline), ready to print on A4."""
    return templates.env.get_template("report_monthly.html").render(monthly_context(report, suppress_below))


def _concern_rows(report: QuarterlyReport, suppress_below: int) -> list[dict[str, Any]]:
    """Each site's concerns by where they stand, then all sites'. The sites' counts raised are a table whose
    total is all sites'; each site's by where they stand, a table whose total is its count raised, given only
    when that is. The all-sites counts by where they stand would add a total to each column: given only when
    no site hides a count."""
    raised = table_shown({site.site: site.concerns.raised for site in report.sites}, suppress_below)
    rows = []
    for site in report.sites:
        cells = table_shown(site.concerns.by_status, suppress_below)
        rows.append({"site": site.site, "raised": raised[site.site],
                     "by_status": list(cells.values()) if exact(raised[site.site]) else [NOT_SHOWN] * len(cells)})
    if len(report.sites) > 1:
        complete = all(exact(count) for row in rows for count in (row["raised"], *row["by_status"]))
        rows.append({"site": "All sites", "raised": shown(sum(site.concerns.raised for site in report.sites),
                                                          suppress_below),
                     "by_status": [shown(sum(site.concerns.by_status[status] for site in report.sites), suppress_below)
                                   if complete else NOT_SHOWN for status in STATUSES]})
    return rows


def _kinds(concerns: Sequence[Concerns], suppress_below: int) -> list[tuple[str, str]]:
    """Concerns by kind at all the sites together, most first, as a table (see :func:`monthly_context`)."""
    kinds: Counter[str] = Counter()
    for found in concerns:
        kinds.update(found.by_category)
    return list(table_shown(dict(sorted(kinds.items(), key=lambda i: (-i[1], i[0]))), suppress_below).items())


def quarterly_context(report: QuarterlyReport, suppress_below: int) -> dict[str, Any]:
    """What the Board report's template shows: every count already written as a person may see it. The sites'
    responses, now and the quarter before, are each a table whose total is all sites'. Each site's Friends and
    Family Test is given beside the quarter before's, with the change in words; a quarter not over is compared
    with the same days of the quarter before, and says so."""
    quarter, before = report.quarter, report.quarter.previous()
    now = table_shown({site.site: site.responses for site in report.sites}, suppress_below)
    then = table_shown({site.site: site.previous for site in report.sites}, suppress_below)
    responses, previous = sum(site.responses for site in report.sites), sum(site.previous for site in report.sites)
    compared = compared_words(before.label, report.so_far, *report.compared_with)
    tests = compared_rows({site.site: site.friends_and_family for site in report.sites},
                          {site.site: site.previous_friends_and_family for site in report.sites},
                          {site.site: site.responses for site in report.sites},
                          {site.site: site.previous for site in report.sites}, compared, suppress_below)
    return {
        "report": report, "suppress_below": suppress_below, "made": when(report.made_at),
        "title": f"Quarterly report, {quarter.label}",
        "previous": before.short if report.so_far.finished else f"Same days of {before.short}",
        "period": period_words(quarter.label, report.so_far), "compared": compared,
        "site_names": [site.site for site in report.sites],
        "sites": [{"site": site.site, "responses": now[site.site], "previous": then[site.site],
                   "change": change(site.responses, site.previous, suppress_below)
                   if exact(now[site.site]) and exact(then[site.site]) else "",
                   **tests[site.site]}
                  for site in report.sites],
        "all_sites": {"responses": shown(responses, suppress_below), "previous": shown(previous, suppress_below),
                      "change": change(responses, previous, suppress_below),
                      **all_sites_row(report.friends_and_family, tests, suppress_below)},
        "sides": [{"title": SIDES[side],  # type: ignore[index]
                   "sites": [{"site": site.site, "comments": shown(site.themes[side].comments, suppress_below),
                              "themes": [{"name": theme.name, "comments": shown(theme.comments, suppress_below),
                                          "example": theme.examples[0] if theme.examples else "",
                                          "named_by_staff": theme.named_by_staff}
                                         for theme in _themes(site.themes[side].themes, suppress_below)
                                         [:THEMES_PER_SITE]]}
                             for site in report.sites if side in site.themes]}
                  for side in THEME_SIDES],
        "statuses": [STATUS_LABELS[status] for status in STATUSES],
        "concerns": _concern_rows(report, suppress_below),
        "kinds": _kinds([site.concerns for site in report.sites], suppress_below),
        "changes": [{"site": site.site, "entries": [{**item, "when": in_words(date.fromisoformat(item["date"]))}
                                                  for item in site.changes]}
                    for site in report.sites if site.changes],
    }


def quarterly_html(report: QuarterlyReport, suppress_below: int) -> str:
    """The Board report as one self-contained HTML page, ready to print on A4."""
    return templates.env.get_template("report_quarterly.html").render(quarterly_context(report, suppress_below))


def pdf_bytes(html: str) -> bytes:
    """The page printed to PDF on A4 by WeasyPrint (imported here: only PDFs need it and Pango). A report carries
    its pictures and fonts inside it (``data:`` URLs), so WeasyPrint may fetch nothing else: no web address and
    no file on the server, whatever the page says."""
    from weasyprint import HTML, URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def write_report(html: str, fmt: Format, out: Path) -> None:
    """Write the page as ``fmt`` to ``out`` whole or not at all: through a temporary file in the same folder,
    so a failure never leaves half a PDF where the last good one was."""
    data = html.encode("utf-8") if fmt == "html" else pdf_bytes(html)
    with atomic_path(out, shared=True) as partial:
        partial.write_bytes(data)
