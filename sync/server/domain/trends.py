"""Whether a share (the Friends and Family Test's "Very good or Good", or one answer to a choice question) really
changed between two periods, said in words rather than drawn as an arrow.

The rule, the same on the dashboard and in every report:

- Two shares are compared only when both are shown as percentages (:func:`sync.server.web.charts.friends_and_family`
  gives none from fewer than the small-count threshold, nor one a hidden count would be worked out from), so a
  comparison never reveals a count the page hides.
- The change is real when the 95% interval for the difference of the two proportions leaves out zero. The
  interval is Newcombe's hybrid score interval (Newcombe 1998, "Interval estimation for the difference between
  independent proportions", method 10), built from the two Wilson score intervals: it behaves well for small
  counts and shares near 0% or 100%, where the textbook normal interval does not.
- A real change reads "up from 78% in November 2026" (or "down from"); any other reads "about the same as the
  83% in November 2026; the difference is within chance". Points are whole percentage points of the rounded
  shares, as written.

Written out here (a dozen lines of arithmetic) rather than taken from statsmodels, which the server does not
install; scipy is not a server dependency either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95% interval."""


def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``successes`` out of ``total`` (total > 0)."""
    share = successes / total
    centre = share + z * z / (2 * total)
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    scale = 1 + z * z / total
    return (centre - spread) / scale, (centre + spread) / scale


def difference_interval(now: tuple[int, int], before: tuple[int, int], z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for (now's share - before's share); each is (successes, total)."""
    p1, p2 = now[0] / now[1], before[0] / before[1]
    low1, high1 = wilson_interval(*now, z=z)
    low2, high2 = wilson_interval(*before, z=z)
    difference = p1 - p2
    return (difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2),
            difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2))


@dataclass(frozen=True)
class Change:
    """How a share moved between two periods, as the rule above reads it."""

    now: float
    before: float
    real: bool
    """The 95% interval of the difference leaves out zero."""

    @property
    def direction(self) -> str:
        """"up", "down", or "about the same" (a change within chance, or none)."""
        return "about the same" if not self.real else "up" if self.now > self.before else "down"

    def sentence(self, before_label: str) -> str:
        """"up from 78% in November 2026", or "about the same as the 83% in November 2026; the difference is
        within chance"."""
        if self.real:
            return f"{self.direction} from {self.before:.0%} in {before_label}"
        return f"about the same as the {self.before:.0%} in {before_label}; the difference is within chance"

    @property
    def short(self) -> str:
        """For a table's cell: "Up 7 points", "Down 5 points", "No real change"."""
        if not self.real:
            return "No real change"
        points = abs(round(100 * self.now) - round(100 * self.before))
        return f"{self.direction.capitalize()} {points} point{'s' * (points != 1)}"


def compare(now: tuple[int, int], before: tuple[int, int]) -> Change:
    """Compare ``now`` with ``before``, each (successes, total) with total > 0."""
    low, high = difference_interval(now, before)
    return Change(now=now[0] / now[1], before=before[0] / before[1], real=low > 0 or high < 0)
