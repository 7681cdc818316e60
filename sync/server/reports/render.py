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
from pathlib import Path
from typing import Any, Literal

from sync.server.reports.monthly import MonthlyReport
from sync.server.safeguarding import STATUS_LABELS
from sync.server.theme_store import SIDES
from sync.server.web.charts import friends_and_family, share_segments, weekly_bars
from sync.server.web.common import shown, templates, when

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")


def _change(count: int, before: int, suppress_below: int) -> str:
    """"up 12%" on the month before, or '' when either count is hidden or there was none before."""
    if count < suppress_below or before < suppress_below:
        return ""
    change = round(100 * (count - before) / before)
    return "the same as" if change == 0 else f"{'up' if change > 0 else 'down'} {abs(change)}% on"


def monthly_context(report: MonthlyReport, suppress_below: int) -> dict[str, Any]:
    """What the template shows: every count already written as a person may see it."""
    month = report.month
    counts = [count for _, count in report.trend]
    trend = [{"month": earlier.short, "count": shown(count, suppress_below),
              "change": _change(count, counts[index - 1], suppress_below) if index else ""}
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
                     "by_status": [(STATUS_LABELS[status], shown(count, suppress_below))
                                   for status, count in report.concerns.by_status.items()],
                     "by_category": [(name, shown(count, suppress_below))
                                     for name, count in report.concerns.by_category.items()]},
        "kiosks": [{"name": kiosk.name, "health": kiosk.health, "reasons": kiosk.reasons,
                    "responses": shown(kiosk.responses, suppress_below),
                    "days": f"{kiosk.days_in_use} of {month.last.day}"} for kiosk in report.kiosks],
    }


def monthly_html(report: MonthlyReport, suppress_below: int) -> str:
    """The report as one self-contained HTML page (styles and charts inline), ready to print on A4."""
    return templates.env.get_template("report_monthly.html").render(monthly_context(report, suppress_below))


def pdf_bytes(html: str) -> bytes:
    """The page printed to PDF on A4 by WeasyPrint (imported here: only PDFs need it and Pango)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


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
