"""Chart geometry for the dashboard's SVG charts, worked out here so templates only draw it.

Drawn on the server as SVG: no JavaScript library to ship or trust, charts print sharply, and every chart
has its figures in a table beside it for screen readers. The page's Content-Security-Policy forbids inline
styles, so everything is SVG attributes. Counts below the suppression threshold are never drawn to scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sync.server.aggregates import FRIENDS_AND_FAMILY_GOOD, FRIENDS_AND_FAMILY_POOR, QuestionDistribution
from sync.server.aggregates import friends_and_family as friends_and_family_shares
from sync.server.web.common import shown

WIDTH = 720
HEIGHT = 180
LEFT = 60
"""Room for the y-axis labels."""
RIGHT = 24
"""Room for half of the last week's label."""
BOTTOM = 28
"""Room for the week labels."""
COLOURS = {"very-good": "#1e7b34", "good": "#6aa84f", "neither": "#9aa4ae", "poor": "#e69138",
           "very-poor": "#b3261e", "dont-know": "#d5dbe1", "yes": "#1e7b34", "sometimes": "#9aa4ae", "no": "#b3261e"}
"""The Friends and Family Test answers from green to red, and yes / sometimes / no likewise; other answers take
:data:`OTHER_COLOURS`."""
OTHER_COLOURS = ("#0b5394", "#6fa8dc", "#674ea7", "#c27ba0", "#45818e", "#bf9000", "#3d85c6", "#a64d79")
SUPPRESSED_COLOUR = "#eceff3"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    few: bool
    """Fewer than the threshold: drawn as a hatched stub, not to scale."""
    partial: bool = False
    """A week the period cuts (it starts or ends inside it), so the bar is lower than a whole week's: drawn paler."""


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Bar]
    """The bars whose week is written under the axis (about one in four)."""


def _nice_top(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at or above ``value``."""
    if value <= 5:
        return 5
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def weekly_bars(weeks: Sequence[tuple[date, int]], top: int, suppress_below: int, start: date, end: date) -> BarChart:
    """Responses per week as bars, on an axis up to ``top`` (the same for every site, so they compare), for the
    period ``start`` to ``end``."""
    axis_top = _nice_top(max(top, suppress_below))
    plot_height = HEIGHT - BOTTOM - 8
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    bars = []
    for index, (monday, count) in enumerate(weeks):
        few = 0 < count < suppress_below
        height = (plot_height * suppress_below / axis_top / 2) if few else plot_height * count / axis_top
        bars.append(Bar(x=LEFT + index * slot + slot * 0.15, y=8 + plot_height - height, width=slot * 0.7,
                        height=height, label=monday.strftime("%d %b"), value=shown(count, suppress_below), few=few,
                        partial=monday < start or monday + timedelta(days=6) > end))
    ticks = [Tick(y=8 + plot_height * (1 - part / 2), label=f"{axis_top * part // 2:,}") for part in range(3)]
    every = max(1, math.ceil(len(bars) / 6))
    return BarChart(width=WIDTH, height=HEIGHT, bars=bars, ticks=ticks, labels=bars[::every])


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    label: str
    value: str
    """Its count and share as written in the legend."""


def _colour(answer: str, position: int) -> str:
    return COLOURS.get(answer) or OTHER_COLOURS[position % len(OTHER_COLOURS)]


def share_segments(distribution: QuestionDistribution, suppress_below: int) -> list[Segment] | None:
    """One 100 % bar of a question's answers, or None when it cannot be shown without singling someone out.

    Answers chosen fewer than ``suppress_below`` times are drawn together as one grey segment. When only one
    answer is that small, the next smallest joins it, or its count could be worked out from the total and
    the others (secondary suppression). When that leaves fewer than two answers drawn, nothing is drawn."""
    answers = [answer for answer in distribution.answers if answer.count > 0]
    if sum(answer.count for answer in answers) < suppress_below:
        return None
    small = {answer.answer for answer in answers if answer.count < suppress_below}
    if len(small) == 1:
        small.add(min((a for a in answers if a.answer not in small), key=lambda a: a.count).answer)
    if small and len(answers) - len(small) < 2:
        return None
    total = sum(answer.count for answer in answers)
    segments, x = [], 0.0
    for position, answer in enumerate(distribution.answers):
        if answer.count == 0 or answer.answer in small:
            continue
        width = 100 * answer.count / total
        segments.append(Segment(x=x, width=width, colour=_colour(answer.answer, position), label=answer.text,
                                value=f"{answer.count:,} ({width:.0f}%)"))
        x += width
    if small:
        segments.append(Segment(x=x, width=100 - x, colour=SUPPRESSED_COLOUR, value=f"{100 - x:.0f}%",
                                label=f"Other answers ({len(small)}), some chosen by fewer than {suppress_below}"))
    return segments


def friends_and_family(distribution: QuestionDistribution, suppress_below: int) -> list[str] | None:
    """The Friends and Family Test in its standard form, as written: the share answering Very good or Good,
    and Poor or Very poor. None for another question or too few answers to show; a share of fewer than
    ``suppress_below`` people reads "fewer than N people", never a percentage."""
    shares = friends_and_family_shares(distribution)
    if shares is None or distribution.total < suppress_below:
        return None
    counts = {answer.answer: answer.count for answer in distribution.answers}
    written = []
    for answers, share in zip((FRIENDS_AND_FAMILY_GOOD, FRIENDS_AND_FAMILY_POOR), shares, strict=True):
        people = sum(counts[answer] for answer in answers)
        written.append(f"fewer than {suppress_below} people" if 0 < people < suppress_below else f"{share:.0%}")
    return written
