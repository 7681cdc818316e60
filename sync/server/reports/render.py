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
from sync.server.domain.safeguarding import STATUS_LABELS, STATUSES
from sync.server.domain.theme_store import SIDES
from sync.server.fft.suppression import THRESHOLD, Unit, suppress_level
from sync.server.reports.comment_themes import ReportTheme
from sync.server.reports.monthly import THEME_SIDES, Concerns, MonthlyReport
from sync.server.reports.quarterly import QuarterlyReport
from sync.server.web.charts import answer_cards, friends_and_family, share_segments, weekly_bars
from sync.server.web.common import NOT_SHOWN, exact, shown, table_shown, templates, when
from sync.server.web.you_said_we_did import in_words

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


def monthly_context(report: MonthlyReport, suppress_below: int) -> dict[str, Any]:
    """What the template shows: every count already written as a person may see it. Concerns by kind are a table
    too: one concern can be of several kinds, so their sum is not the total, but it is at least the total."""
    month = report.month
    responses = table_shown({kiosk.name: kiosk.responses for kiosk in report.kiosks}, suppress_below)
    counts = [count for _, count in report.trend]
    trend = [{"month": earlier.short, "count": shown(count, suppress_below),
              "change": _change_on(count, counts[index - 1], suppress_below) if index else ""}
             for index, (earlier, count) in enumerate(report.trend)]
    top = max((count for _, count in report.weeks), default=0)
    return {
        "report": report, "suppress_below": suppress_below, "made": when(report.made_at),
        "title": f"{report.site}: monthly report, {month.label}",
        "total": shown(report.responses, suppress_below),
        "change": trend[-1]["change"], "previous": month.previous().label,
        "trend": trend,
        "chart": weekly_bars(report.weeks, top, suppress_below, month.first, month.last),
        "questions": answer_cards(report.questions, suppress_below),
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


def _sites_friends_and_family(report: QuarterlyReport, suppress_below: int) -> dict[str, dict[str, Any]]:
    """Each site's Friends and Family Test as the table shows it, by NHS England's publication rules
    (sync/server/fft/suppression.py): a site with answers below the threshold is hidden, and so is the next
    lowest beside it, so that all sites' figure less the others' never gives one site's away."""
    totals = {site.site: site.friends_and_family.total if site.friends_and_family else 0 for site in report.sites}
    threshold = max(THRESHOLD, suppress_below)
    hidden = suppress_level([Unit(name, None, total) for name, total in totals.items()], threshold=threshold)
    return {site.site: {"fft": None if site.site in hidden else site.friends_and_family and friends_and_family(
                            site.friends_and_family, suppress_below),
                        "no_fft": "no answers" if not site.responses else "not asked" if site.friends_and_family is None
                        else "too few answers to show" if totals[site.site] < threshold
                        else "hidden (beside a site with too few)",
                        "must_be_exact": totals[site.site] > 0 and site.site not in hidden}
            for site in report.sites}


def _all_sites_friends_and_family(report: QuarterlyReport, suppress_below: int,
                                  sites: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """All sites' Friends and Family Test and chart. Beside the sites' own figures, given only when every site
    that answered and is not hidden by those rules (which hide at least two: :func:`_sites_friends_and_family`)
    has its figures given exactly: all sites' less the others' would give one away."""
    everywhere = report.friends_and_family
    figures = [row["fft"] for row in sites.values() if row["must_be_exact"]]
    if everywhere is None:
        return {"fft": None, "segments": None, "no_fft": "not asked"}
    if len(sites) > 1 and not all(each and all(map(exact, each)) for each in figures):
        return {"fft": None, "segments": None, "no_fft": "not shown (it would give one site away)"}
    return {"fft": friends_and_family(everywhere, suppress_below),
            "segments": share_segments(everywhere, suppress_below), "no_fft": "too few answers to show"}


def quarterly_context(report: QuarterlyReport, suppress_below: int) -> dict[str, Any]:
    """What the Board report's template shows: every count already written as a person may see it. The sites'
    responses, now and the quarter before, are each a table whose total is all sites'."""
    quarter, before = report.quarter, report.quarter.previous()
    now = table_shown({site.site: site.responses for site in report.sites}, suppress_below)
    then = table_shown({site.site: site.previous for site in report.sites}, suppress_below)
    responses, previous = sum(site.responses for site in report.sites), sum(site.previous for site in report.sites)
    tests = _sites_friends_and_family(report, suppress_below)
    return {
        "report": report, "suppress_below": suppress_below, "made": when(report.made_at),
        "title": f"Quarterly report, {quarter.label}", "previous": before.short,
        "site_names": [site.site for site in report.sites],
        "sites": [{"site": site.site, "responses": now[site.site], "previous": then[site.site],
                   "change": change(site.responses, site.previous, suppress_below)
                   if exact(now[site.site]) and exact(then[site.site]) else "",
                   **tests[site.site]}
                  for site in report.sites],
        "all_sites": {"responses": shown(responses, suppress_below), "previous": shown(previous, suppress_below),
                      "change": change(responses, previous, suppress_below),
                      **_all_sites_friends_and_family(report, suppress_below, tests)},
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
