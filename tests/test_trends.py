"""The rule that says whether a share really changed (sync/server/domain/trends.py): Newcombe's hybrid score interval
for the difference of two proportions, checked against the worked examples in Newcombe (1998), Statistics in Medicine
17, 873-890, table II (method 10), and the words it gives."""

from __future__ import annotations

import pytest

from sync.server.domain.trends import compare, difference_interval, wilson_interval


@pytest.mark.parametrize(("now", "before", "expected"), [
    ((56, 70), (48, 80), (0.0524, 0.3339)),
    ((9, 10), (3, 10), (0.1705, 0.8090)),
    ((6, 7), (2, 7), (0.0582, 0.8062)),
    ((5, 56), (0, 29), (-0.0381, 0.1926)),
])
def test_the_interval_matches_newcombes_published_examples(now, before, expected) -> None:
    low, high = difference_interval(now, before)
    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_interval_of_a_share_of_none_starts_at_zero() -> None:
    low, high = wilson_interval(0, 29)
    assert low == pytest.approx(0, abs=1e-12) and round(high, 4) == 0.1170


def test_a_change_is_called_up_or_down_only_outside_chance() -> None:
    rise = compare((96, 120), (50, 100))
    assert (rise.direction, rise.short) == ("up", "Up 30 points")
    assert rise.sentence("November 2026") == "up from 50% in November 2026"
    small = compare((42, 50), (40, 50))
    assert (small.direction, small.short) == ("about the same", "No real change")
    assert small.sentence("November 2026") == \
        "about the same as the 80% in November 2026; the difference is within chance"
    assert compare((400, 1000), (500, 1000)).short == "Down 10 points"
