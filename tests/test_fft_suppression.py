"""NHS England's suppression of published Friends and Family Test figures (sync/server/fft/suppression.py), on cases
crafted from the published rules (nhsengland/fft_pipeline, src/fft/suppression.py: first level, rank, second
level, cascade), and a property: in the return as published, no hidden figure can be worked out by adding up
and taking away the figures shown."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.server.fft.codes import MODES, SiteCodes, Ward
from sync.server.fft.counting import ANSWERS
from sync.server.fft.suppression import MARK, Unit, dense_ranks, suppress, suppress_level
from sync.server.fft.tables import ANSWER_COLUMNS, FftReturn, tabulate
from sync.server.reports.period import Month

MONTH = Month(2026, 10)


def units(totals: list[int], parents: list[str | None] | None = None) -> list[Unit]:
    return [Unit(f"u{n}", parents[n] if parents else None, total) for n, total in enumerate(totals)]


def test_first_level_hides_1_to_4_responses_but_not_0():
    # NHS England's doctest: Total Responses [0, 3, 5, 10, 2] -> [0, 1, 0, 0, 1]
    hidden = suppress_level(units([0, 3, 5, 10, 2]))
    assert {key for key, why in hidden.items() if why == "first level"} == {"u1", "u4"}
    assert suppress_level(units([0, 0, 0])) == {}
    assert set(suppress_level(units([1, 2, 3, 4]))) == {"u0", "u1", "u2", "u3"}


def test_ranks_are_dense_within_a_group_and_zero_has_rank_0():
    # NHS England's doctest: [0, 3, 10] in group A and [5, 8] in group B rank [0, 1, 2] and [1, 2]
    assert list(dense_ranks(units([0, 3, 10])).values()) == [0, 1, 2]
    assert list(dense_ranks(units([5, 8])).values()) == [1, 2]
    assert list(dense_ranks(units([6, 3, 6, 3, 9])).values()) == [2, 1, 2, 1, 3]


def test_second_level_hides_the_next_lowest_in_the_same_group_only():
    # NHS England's doctest: group A ranks [1 (first level), 2, 3] -> rank 2 hidden; group B [1, 2] untouched
    group = units([3, 80, 150, 5, 8], ["A", "A", "A", "B", "B"])
    assert suppress_level(group) == {"u0": "first level", "u1": "second level"}


def test_second_level_hides_every_unit_tied_at_rank_2_and_nothing_when_the_lowest_is_shown():
    assert suppress_level(units([3, 6, 6, 20])) == {"u0": "first level", "u1": "second level", "u2": "second level"}
    assert suppress_level(units([5, 6, 100])) == {}
    # two at rank 1 both hidden at the first level: rank 2 is hidden as well
    assert suppress_level(units([2, 2, 30])) == {"u0": "first level", "u1": "first level", "u2": "second level"}
    # rank 2 already hidden at the first level keeps that reason
    assert suppress_level(units([1, 4, 30])) == {"u0": "first level", "u1": "first level"}


def test_cascade_hides_the_two_lowest_ranks_of_a_hidden_parents_children():
    # NHS England's doctest: parent A hidden -> its children of rank 1 and 2; parent B shown -> none
    children = units([10, 20, 30, 40, 50], ["A", "A", "A", "B", "B"])
    assert suppress_level(children, {"A": "first level"}) == {"u0": "cascade", "u1": "cascade"}
    # only rank 1 exists
    assert suppress_level(units([12], ["A"]), {"A": "second level"}) == {"u0": "cascade"}
    # a child with no responses is never hidden (rank 0)
    assert suppress_level(units([0, 7, 9], ["A", "A", "A"]), {"A": "cascade"}) == {"u1": "cascade", "u2": "cascade"}


def test_cascade_runs_from_organisation_to_site_to_ward():
    organisations = [Unit("T1", None, 3), Unit("T2", None, 40), Unit("T3", None, 90)]
    sites = [Unit("S1", "T1", 3), Unit("S2", "T2", 25), Unit("S3", "T2", 15), Unit("S4", "T3", 90)]
    wards = [Unit("W1", "S1", 3), Unit("W2", "S2", 10), Unit("W3", "S2", 15), Unit("W4", "S3", 6),
             Unit("W5", "S3", 9), Unit("W6", "S4", 40), Unit("W7", "S4", 50)]
    top, middle, bottom = suppress([organisations, sites, wards])
    assert top == {"T1": "first level", "T2": "second level"}
    # T1's only site is hidden twice over; T2's two sites are its rank 1 and 2; T3 is shown, so S4 is too
    assert middle == {"S1": "first level", "S2": "cascade", "S3": "cascade"}
    assert bottom == {"W1": "first level", "W2": "cascade", "W3": "cascade", "W4": "cascade", "W5": "cascade"}


def place(site: str, org: str, ward: str, counts: list[int], mode: str = "Other") -> tuple[SiteCodes, Ward, Counter]:
    answers = Counter(dict(zip(ANSWERS, counts, strict=True)))
    return SiteCodes(site=site, org_code=org, site_code=f"{org}{site[-2:]}", mode=mode), Ward(site, ward), answers


def made(places: list[tuple[SiteCodes, Ward, Counter]]) -> FftReturn:
    return FftReturn(MONTH, tabulate(places, {}), [], 0)


def test_a_hidden_row_shows_a_star_for_every_figure_and_keeps_its_names():
    published = made([place("Site 01", "RWD", "Ash", [1, 1, 0, 0, 1, 0]),
                      place("Site 01", "RWD", "Elm", [5, 5, 0, 0, 0, 0]),
                      place("Site 01", "RWD", "Oak", [0, 0, 0, 0, 0, 0])]).sheets(published=True)
    header, ash, elm, oak = published["Wards"]
    assert header[:7] == ["ICB Code", "ICB Name", "Trust Code", "Trust Name", "Site Code", "Site Name", "Ward Name"]
    assert header[7:17] == ["Total Responses", "Total Eligible", "Percentage Positive", "Percentage Negative",
                            *ANSWER_COLUMNS]
    assert ash[6] == "Ash" and ash[7] == MARK and set(ash[9:17]) == {MARK} and ash[8] is None
    assert elm[7] == MARK and set(elm[19:]) == {MARK}  # the next lowest, second level: modes too
    assert oak[7:17] == [0, None, None, None, 0, 0, 0, 0, 0, 0]  # nobody: 0, and no percentage of nobody
    exact = made([place("Site 01", "RWD", "Ash", [1, 1, 0, 0, 1, 0])]).sheets(published=False)["Wards"][1]
    assert exact[7:17] == [3, None, 0.6667, 0.3333, 1, 1, 0, 0, 1, 0]


def test_an_organisations_modes_are_hidden_when_one_of_its_sites_is():
    places = [place("Site 01", "RWD", "Ash", [2, 1, 0, 0, 0, 0], mode="Telephone"),
              place("Site 02", "RWD", "Elm", [9, 1, 0, 0, 0, 0]), place("Site 03", "RWD", "Oak", [50, 0, 0, 0, 0, 0])]
    trust = made(places).sheets(published=True)["Trusts"][1]
    assert trust[4] == 63 and trust[-len(MODES):] == [MARK] * len(MODES)


# --- the property: nothing hidden can be worked out ------------------------------------------------------------

FIGURE_COLUMNS = ("Total Responses", *ANSWER_COLUMNS)


def determined(published: FftReturn) -> list[tuple[str, tuple[str, ...], str]]:
    """The hidden figures that follow from those shown by adding up and taking away: (sheet, key, column).

    What a reader knows: every figure shown; that a row's answers add up to its total; that a parent's total and
    each answer add up over its children; each site's mode (its own leaflets say how it collects), so that an
    organisation's count for a mode is the total of its sites with that mode. A hidden figure is worked out when
    the unit vector of its unknown lies in the row space of those equations."""
    sheets = published.sheets(published=True)
    value: dict[tuple[str, tuple[str, ...], str], object] = {}
    for level, rows in published.levels.items():
        header = sheets[level][0]
        for (key, _row), cells in zip(sorted(rows.items()), sheets[level][1:], strict=True):
            for column in (*FIGURE_COLUMNS, *(f"Mode {mode}" for mode in MODES)):
                value[(level, key, column)] = cells[header.index(column)]
    unknowns = sorted(cell for cell, shown in value.items() if shown == MARK and not cell[2].startswith("Mode"))
    index = {cell: number for number, cell in enumerate(unknowns)}
    equations: list[tuple[dict[int, int], int]] = []

    def equation(terms: list[tuple[int, tuple[str, tuple[str, ...], str]]], constant: int = 0) -> None:
        """The sum of sign * cell = constant, the known cells moved to the right-hand side."""
        row: dict[int, int] = {}
        for sign, cell in terms:
            if cell in index:
                row[index[cell]] = row.get(index[cell], 0) + sign
            else:
                constant -= sign * int(value[cell])  # type: ignore[call-overload]
        if row:
            equations.append((row, constant))

    levels = list(published.levels)
    for level, rows in published.levels.items():
        for key in rows:
            equation([(1, (level, key, "Total Responses")), *((-1, (level, key, c)) for c in ANSWER_COLUMNS)])
        if level == levels[0]:
            continue
        parent_level = levels[levels.index(level) - 1]
        for parent in published.levels[parent_level]:
            children = [key for key in rows if key[:-1] == parent]
            for column in FIGURE_COLUMNS:
                equation([(1, (parent_level, parent, column)), *((-1, (level, child, column)) for child in children)])
    for org in published.levels["Trusts"]:
        for mode in MODES:
            cell = ("Trusts", org, f"Mode {mode}")
            if value[cell] == MARK:
                continue
            sites = [key for key, row in published.levels["Sites"].items() if key[:1] == org and row.modes[mode]]
            equation([(1, ("Sites", site, "Total Responses")) for site in sites], int(value[cell]))  # type: ignore[call-overload]
    if not equations or not unknowns:
        return []
    matrix = np.zeros((len(equations), len(unknowns)))
    for number, (row, _constant) in enumerate(equations):
        for column, sign in row.items():
            matrix[number, column] = sign
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for cell, column in index.items():
        unit = np.zeros((1, len(unknowns)))
        unit[0, column] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(cell)
    return found


def test_the_checker_finds_what_first_level_suppression_alone_would_give_away(monkeypatch):
    places = [place("Site 01", "RWD", "Ash", [2, 1, 0, 0, 0, 0]), place("Site 01", "RWD", "Elm", [20, 10, 3, 1, 0, 1])]
    assert determined(made(places)) == []
    from sync.server.fft import suppression

    monkeypatch.setattr(suppression, "_hide", lambda *_args: None)  # no second level, no cascade
    assert ("Wards", ("RWD", "RWD01", "Ash"), "Total Responses") in determined(made(places))


answer_counts = st.lists(st.integers(0, 3), min_size=6, max_size=6)
wards = st.lists(answer_counts, min_size=1, max_size=3)
sites = st.lists(st.tuples(wards, st.sampled_from(["Other", "Telephone"])), min_size=1, max_size=3)
organisations = st.lists(sites, min_size=1, max_size=2)


@settings(max_examples=150, deadline=None)
@given(organisations)
def test_no_hidden_figure_can_be_worked_out_from_those_shown(tree):
    places = [place(f"Site {o}{s:02d}", f"R{o}X", f"Ward {w}", counts, mode)
              for o, sites_ in enumerate(tree) for s, (wards_, mode) in enumerate(sites_)
              for w, counts in enumerate(wards_)]
    assert determined(made(places)) == []
