"""NHS England's suppression of published Friends and Family Test figures, for a tree of units
(organisation → site → ward), so that no published figure singles out a few people.

The rules, as NHS England's own publication code applies them (nhsengland/fft_pipeline, MIT:
``src/fft/suppression.py`` and ``src/fft/config.py``; docs/fft.md says which version was read):

1. **First level**: a unit with 1 to 4 responses (``SUPPRESSION_THRESHOLD = 5``) is suppressed; 0 is not.
2. **Second level**: within one group (the children of one parent; the top level is one group), units are
   ranked by their responses, lowest first, densely (equal totals share a rank), leaving out units with 0.
   When a rank-1 unit is suppressed at the first level, the rank-2 units are suppressed too, so that the
   hidden one cannot be worked out as the parent's figure less the others'.
3. **Cascade**: when a parent is suppressed (for any reason), its rank-1 and rank-2 children are suppressed,
   from the top level down, so that a parent's hidden figure cannot be rebuilt from its children's either.

Two versions of NHS England's second-level rule were published: one flags only the first rank-2 row in its
sort order, a later one every rank-2 row. This follows the later, which hides at least as much.

What a suppressed unit shows is stricter here than NHS England's files, which keep a suppressed unit's total
responses (and, below the first level, its percentages): this server promises that no count under 5 is shown
(docs/privacy.md), so a suppressed unit shows ``*`` for every figure — total, percentages, answers and
modes — and tests/test_fft_suppression.py checks that no hidden figure follows from those shown by adding up.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

THRESHOLD = 5
"""Below this many responses (and above 0) a unit is suppressed: NHS England's ``SUPPRESSION_THRESHOLD``."""
MARK = "*"
"""What a suppressed figure reads, as in NHS England's files."""
Reason = Literal["first level", "second level", "cascade"]


@dataclass(frozen=True)
class Unit:
    key: Hashable
    """The unit's own key, unique at its level."""
    parent: Hashable | None
    """Its parent's key at the level above (None at the top level: one group)."""
    total: int
    """Total Responses."""


def first_level(total: int, threshold: int = THRESHOLD) -> bool:
    return 0 < total < threshold


def dense_ranks(units: Sequence[Unit]) -> dict[Hashable, int]:
    """Each unit's rank in its group by responses, lowest 1, equal totals sharing one; units with 0: rank 0."""
    totals = sorted({unit.total for unit in units if unit.total > 0})
    rank = {total: position for position, total in enumerate(totals, 1)}
    return {unit.key: rank.get(unit.total, 0) for unit in units}


def _groups(units: Sequence[Unit]) -> dict[Hashable | None, list[Unit]]:
    groups: dict[Hashable | None, list[Unit]] = {}
    for unit in units:
        groups.setdefault(unit.parent, []).append(unit)
    return groups


def suppress_level(units: Sequence[Unit], parents: Mapping[Hashable, Reason] | None = None, *,
                   threshold: int = THRESHOLD) -> dict[Hashable, Reason]:
    """The units of one level to suppress and why, given the suppressed units of the level above. A page with a
    higher threshold of its own (``--suppress-below``) passes it, so that it hides at least what it always did."""
    hidden: dict[Hashable, Reason] = {unit.key: "first level" for unit in units if first_level(unit.total, threshold)}
    for parent, group in _groups(units).items():
        ranks = dense_ranks(group)
        if any(ranks[unit.key] == 1 and first_level(unit.total, threshold) for unit in group):
            _hide(hidden, group, ranks, (2,), "second level")
        if parents and parent in parents:
            _hide(hidden, group, ranks, (1, 2), "cascade")
    return hidden


def _hide(hidden: dict[Hashable, Reason], group: list[Unit], ranks: dict[Hashable, int], chosen: tuple[int, ...],
          reason: Reason) -> None:
    """Hide the units of ``group`` with a rank in ``chosen`` for ``reason``, unless already hidden for another."""
    for unit in group:
        if ranks[unit.key] in chosen:
            hidden.setdefault(unit.key, reason)


def suppress(levels: Sequence[Sequence[Unit]]) -> list[dict[Hashable, Reason]]:
    """For each level, top (e.g. organisations) first, the units to suppress and why."""
    found: list[dict[Hashable, Reason]] = []
    for units in levels:
        found.append(suppress_level(units, found[-1] if found else None))
    return found
