"""Reports as people read them: small counts suppressed, then a printable HTML page (Jinja2) and a PDF.

Suppression is the dashboard's rule (docs/privacy.md, "Small numbers"), through the dashboard's own helpers:
any count below the threshold reads "fewer than N" (:func:`sync.server.web.common.shown`), answer charts draw
small answers together (:func:`sync.server.web.charts.share_segments`), and no percentage is worked out of a
suppressed count. The HTML and the PDF are made from the same page, so they suppress the same cells.

PDF by WeasyPrint, not a headless browser: it is a Python library (no browser process to start, find or keep
up to date on a server; about a tenth of a second a page), it honours print CSS such as ``@page`` margins and
page numbers, and it draws the inline SVG charts itself. It needs Debian's Pango (libpango-1.0-0,
libpangoft2-1.0-0), which .ci/setup installs. Inline SVG there does not see the page's stylesheet, so the
charts carry their colours as SVG attributes (templates/_charts.html).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from sync.server.reports.monthly import THEME_SIDES, Concerns, MonthlyReport
from sync.server.reports.quarterly import QuarterlyReport
from sync.server.safeguarding import STATUS_LABELS, STATUSES
from sync.server.theme_store import SIDES
from sync.server.web.charts import friends_and_family, share_segments, weekly_bars
from sync.server.web.common import shown, templates, when
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


def safe_total(counts: Sequence[int], suppress_below: int) -> tuple[int, bool]:
    """The total of counts a page also shows one by one, and whether it may be given exactly: not when, with the
    counts shown, it would give away one that reads "fewer than N" (secondary suppression, as
    :func:`sync.server.web.charts.share_segments` does for answers). That is when one is hidden, or several are
    that could only all be 1 or all be N - 1. Then the number is the total of the counts shown: all a reader may
    know."""
    total = sum(counts)
    hidden = [count for count in counts if 0 < count < suppress_below]
    if total < suppress_below or not hidden or 1 < len(hidden) < sum(hidden) < len(hidden) * (suppress_below - 1):
        return total, True
    return total - sum(hidden), False


def total_shown(counts: Sequence[int], suppress_below: int) -> str:
    """:func:`safe_total` as a page writes it: "1,234", "fewer than 5", or "more than 1,230"."""
    total, exact = safe_total(counts, suppress_below)
    if exact:
        return shown(total, suppress_below)
    return f"more than {total:,}" if total else f"fewer than {suppress_below} at each"


def parts_shown(counts: Sequence[int], suppress_below: int) -> list[str]:
    """Counts that add up to a total the page gives exactly, as a page writes them. When the total would give
    away a count that reads "fewer than N" (:func:`safe_total`), the smallest count shown is hidden too, as
    "hidden", so that the hidden ones can only be known together (complementary suppression)."""
    written = [shown(count, suppress_below) for count in counts]
    if safe_total(counts, suppress_below)[1]:
        return written
    visible = [index for index, count in enumerate(counts) if count >= suppress_below]
    if visible:
        written[min(visible, key=lambda index: counts[index])] = "hidden"
    return written


def monthly_context(report: MonthlyReport, suppress_below: int) -> dict[str, Any]:
    """What the template shows: every count already written as a person may see it."""
    month = report.month
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
        "questions": [{"distribution": distribution, "total": shown(distribution.total, suppress_below),
                       "segments": share_segments(distribution, suppress_below),
                       "fft": friends_and_family(distribution, suppress_below)} for distribution in report.questions],
        "sides": [{"title": SIDES[side], "comments": shown(found.comments, suppress_below),  # type: ignore[index]
                   "themes": [{"name": theme.name, "comments": shown(theme.comments, suppress_below),
                               "examples": theme.examples, "named_by_staff": theme.named_by_staff}
                              for theme in found.themes]}
                  for side, found in report.themes.items()],
        "concerns": {"raised": shown(report.concerns.raised, suppress_below),
                     "by_status": list(zip([STATUS_LABELS[status] for status in report.concerns.by_status],
                                           parts_shown(list(report.concerns.by_status.values()), suppress_below),
                                           strict=True)),
                     "by_category": [(name, shown(count, suppress_below))
                                     for name, count in report.concerns.by_category.items()]},
        "kiosks": [{"name": kiosk.name, "health": kiosk.health, "reasons": kiosk.reasons, "responses": responses,
                    "days": f"{kiosk.days_in_use} of {month.last.day}"}
                   for kiosk, responses in zip(report.kiosks, parts_shown([kiosk.responses for kiosk in report.kiosks],
                                                                          suppress_below), strict=True)],
    }


def monthly_html(report: MonthlyReport, suppress_below: int) -> str:
    """The report as one self-contained HTML page (styles and charts inline), ready to print on A4."""
    return templates.env.get_template("report_monthly.html").render(monthly_context(report, suppress_below))


def _hides_none(counts: Sequence[int], suppress_below: int) -> bool:
    return not any(0 < count < suppress_below for count in counts)


def _concern_rows(report: QuarterlyReport, suppress_below: int) -> list[dict[str, Any]]:
    """Each site's concerns by where they stand, then all sites', every total through :func:`total_shown`."""
    rows = [{"site": site.site, "raised": total_shown(list(site.concerns.by_status.values()), suppress_below),
             "by_status": [shown(count, suppress_below) for count in site.concerns.by_status.values()]}
            for site in report.sites]
    if len(report.sites) > 1:
        columns = [[site.concerns.by_status[status] for site in report.sites] for status in STATUSES]
        rows.append({"site": "All sites", "raised": total_shown([count for column in columns for count in column],
                                                                suppress_below),
                     "by_status": [total_shown(column, suppress_below) for column in columns]})
    return rows


def _kinds(concerns: Sequence[Concerns], suppress_below: int) -> list[tuple[str, str]]:
    """Concerns by kind at all the sites together, most first."""
    kinds: Counter[str] = Counter()
    for found in concerns:
        kinds.update(found.by_category)
    return [(name, shown(count, suppress_below)) for name, count in sorted(kinds.items(), key=lambda i: (-i[1], i[0]))]


def quarterly_context(report: QuarterlyReport, suppress_below: int) -> dict[str, Any]:
    """What the Board report's template shows: every count already written as a person may see it."""
    quarter, before = report.quarter, report.quarter.previous()
    now, then = [site.responses for site in report.sites], [site.previous for site in report.sites]
    everywhere = report.friends_and_family
    return {
        "report": report, "suppress_below": suppress_below, "made": when(report.made_at),
        "title": f"Quarterly report, {quarter.label}", "previous": before.short,
        "site_names": [site.site for site in report.sites],
        "sites": [{"site": site.site, "responses": shown(site.responses, suppress_below),
                   "previous": shown(site.previous, suppress_below),
                   "change": change(site.responses, site.previous, suppress_below),
                   "fft": site.friends_and_family and friends_and_family(site.friends_and_family, suppress_below),
                   "no_fft": "no answers" if not site.responses else "not asked" if site.friends_and_family is None
                   else "too few answers to show"}
                  for site in report.sites],
        "all_sites": {"responses": total_shown(now, suppress_below), "previous": total_shown(then, suppress_below),
                      "change": change(sum(now), sum(then), suppress_below)
                      if _hides_none(now + then, suppress_below) else "",
                      "fft": everywhere and friends_and_family(everywhere, suppress_below),
                      "segments": everywhere and share_segments(everywhere, suppress_below)},
        "sides": [{"title": SIDES[side],  # type: ignore[index]
                   "sites": [{"site": site.site, "comments": shown(site.themes[side].comments, suppress_below),
                              "themes": [{"name": theme.name, "comments": shown(theme.comments, suppress_below),
                                          "example": theme.examples[0] if theme.examples else "",
                                          "named_by_staff": theme.named_by_staff}
                                         for theme in site.themes[side].themes[:THEMES_PER_SITE]]}
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
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
