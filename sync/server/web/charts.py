"""Chart geometry for the dashboard's SVG charts, worked out here so templates only draw it.

Drawn on the server as SVG: no JavaScript library to ship or trust, charts print sharply, and every chart
has its figures in a table beside it for screen readers. The page's Content-Security-Policy forbids inline
styles, so everything is SVG attributes. Counts a page hides (:func:`sync.server.web.common.hidden_counts`) are
never drawn to scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sync.server.domain.aggregates import FRIENDS_AND_FAMILY_GOOD, FRIENDS_AND_FAMILY_POOR, QuestionDistribution
from sync.server.domain.aggregates import friends_and_family as friends_and_family_shares
from sync.server.web.common import HIDDEN, exact, hidden_counts, shown, table_shown

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
    """Hidden (fewer than the threshold, or hidden beside such a week): drawn as a hatched stub, not to scale."""
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
    period ``start`` to ``end``. The weeks add up to the site's total, which the page gives, so they are a
    table (:func:`table_shown`): a week hidden beside a small one is a stub too."""
    axis_top = _nice_top(max(top, suppress_below))
    plot_height = HEIGHT - BOTTOM - 8
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    values = table_shown({monday.isoformat(): count for monday, count in weeks}, suppress_below)
    bars = []
    for index, (monday, count) in enumerate(weeks):
        value = values[monday.isoformat()]
        few = not exact(value)
        height = (plot_height * suppress_below / axis_top / 2) if few else plot_height * count / axis_top
        bars.append(Bar(x=LEFT + index * slot + slot * 0.15, y=8 + plot_height - height, width=slot * 0.7,
                        height=height, label=monday.strftime("%d %b"), value=value, few=few,
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


FRIENDS_AND_FAMILY_GROUPS = {"good": ("Very good or Good", FRIENDS_AND_FAMILY_GOOD),
                             "poor": ("Poor or Very poor", FRIENDS_AND_FAMILY_POOR)}
"""The Friends and Family Test's two groups of answers: (words, answer ids) by the key a card counts them under."""


def _answer_table(distribution: QuestionDistribution,
                  suppress_below: int) -> tuple[list[tuple[str, str, int]], frozenset[str]] | None:
    """The counts a question's card shows, as (key, words, count), and the keys it hides
    (:func:`hidden_counts`, the card's total being known); None when it can show none.

    The answers one by one; but for the Friends and Family Test, when that would hide one of its four answers,
    its two groups (Very good or Good, Poor or Very poor) each counted as one: the test's two figures are
    then counts of the same table, never a sum of hidden answers that could give one away."""
    rows = [(answer.answer, answer.text, answer.count) for answer in distribution.answers]
    hidden = hidden_counts({key: count for key, _, count in rows}, suppress_below, total_known=True)
    grouped = set(FRIENDS_AND_FAMILY_GOOD + FRIENDS_AND_FAMILY_POOR)
    if friends_and_family_shares(distribution) and (hidden is None or hidden & grouped):
        counts = {key: count for key, _, count in rows}
        groups = {answer: (key, words, sum(counts[one] for one in answers))
                  for key, (words, answers) in FRIENDS_AND_FAMILY_GROUPS.items() for answer in answers}
        rows = list(dict.fromkeys(groups.get(key, (key, words, count)) for key, words, count in rows))
        hidden = hidden_counts({key: count for key, _, count in rows}, suppress_below, total_known=True)
    return None if hidden is None else (rows, hidden)


def share_segments(distribution: QuestionDistribution, suppress_below: int) -> list[Segment] | None:
    """One 100 % bar of a question's answers, or None when it cannot be shown without singling someone out.

    The counts a card hides (:func:`_answer_table`: answers chosen fewer than ``suppress_below`` times, and
    those hidden so that they cannot be worked out from the total) are drawn together as one grey segment.
    When that leaves fewer than two drawn, nothing is drawn."""
    table = _answer_table(distribution, suppress_below)
    if table is None or distribution.total < suppress_below:
        return None
    rows, hidden = table
    if hidden and len([row for row in rows if row[2]]) - len(hidden) < 2:
        return None
    segments, x = [], 0.0
    for position, (key, words, count) in enumerate(rows):
        if count == 0 or key in hidden:
            continue
        width = 100 * count / distribution.total
        segments.append(Segment(x=x, width=width, colour=_colour(key, position), label=words,
                                value=f"{count:,} ({width:.0f}%)"))
        x += width
    if hidden:
        segments.append(Segment(x=x, width=100 - x, colour=SUPPRESSED_COLOUR, value=f"{100 - x:.0f}%",
                                label=f"Other answers ({len(hidden)}), some chosen by fewer than {suppress_below}"))
    return segments


def shown_answers(distribution: QuestionDistribution, suppress_below: int) -> frozenset[str]:
    """The answers (ids) whose counts, and so shares, a card gives exactly: none when it draws no chart."""
    table = _answer_table(distribution, suppress_below)
    if table is None or share_segments(distribution, suppress_below) is None:
        return frozenset()
    rows, hidden = table
    return frozenset(key for key, _, count in rows if count and key not in hidden)


def friends_and_family(distribution: QuestionDistribution, suppress_below: int) -> list[str] | None:
    """The Friends and Family Test in its standard form, as written: the share answering Very good or Good,
    and Poor or Very poor. None for another question or too few answers to show; a share of fewer than
    ``suppress_below`` people reads "fewer than N people", never a percentage, and one hidden beside such a
    count (:func:`_answer_table`) reads "hidden"."""
    shares = friends_and_family_shares(distribution)
    table = _answer_table(distribution, suppress_below)
    if shares is None or distribution.total < suppress_below or table is None:
        return None
    written = []
    for share, (key, (_, answers)) in zip(shares, FRIENDS_AND_FAMILY_GROUPS.items(), strict=True):
        people = round(share * distribution.total)
        written.append(f"{share:.0%}" if not table[1] & {key, *answers}
                       else f"fewer than {suppress_below} people" if people < suppress_below else HIDDEN)
    return written


def answer_cards(distributions: Sequence[QuestionDistribution], suppress_below: int) -> list[dict[str, Any]]:
    """Each question as its card shows it: total, chart and Friends and Family Test. When the test is counted
    over several question sets (question_set ''), each set's own answers to it show their total only: beside
    the answers together, one set's would give another's away by subtraction."""
    together = any(distribution.question_set == "" for distribution in distributions)
    cards = []
    for distribution in distributions:
        counted = together and distribution.question_set != "" and friends_and_family_shares(distribution) is not None
        cards.append({"distribution": distribution, "total": shown(distribution.total, suppress_below),
                      "segments": None if counted else share_segments(distribution, suppress_below),
                      "fft": None if counted else friends_and_family(distribution, suppress_below),
                      "counted_together": counted})
    return cards
