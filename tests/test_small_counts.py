"""Small counts cannot be worked out from what a page shows beside them (security review: "Who is answering"
showed English 9 (82%) beside Bengali and Korean "fewer than 5", so 9 / 0.82 = 11 answers and each was 1).

Property tests give random counts and a threshold to what makes each kind of table the dashboard and the reports
show (who is answering, an answer chart with the Friends and Family Test, the weeks of a site, any other table)
and take what comes out as a reader sees it: the counts given, the words of the others, the shares as rounded.
:func:`values_left` then plays a reader doing sums: every value each hidden count can still take, knowing the
total (shown here or on another page), the counts shown, what each word means ("fewer than 5" is 1 to 4,
"hidden" is 5 or more, "not shown" is anything), and every share shown (count / share gives the total; a group's
share less its parts gives the rest). No count below the threshold may be left with a single value, except when
every group that answered had one person and there are as many groups as the threshold less one (a table cannot
hide that a group answered at all). The example test is the review's case over HTTP on the real dashboard.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sync.server.domain.aggregates import (
    FRIENDS_AND_FAMILY_GOOD,
    FRIENDS_AND_FAMILY_POOR,
    AnswerShare,
    QuestionDistribution,
)
from tests.dashboard import add_people, payload, seed, signed_in
from tests.server_process import ServerProcess

FFT_ANSWERS = ("very-good", "good", "neither", "poor", "very-poor", "dont-know")
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Seen:
    """One table as a reader sees it."""

    truth: dict[str, int]
    """The real counts, which the reader is trying to learn."""
    given: dict[str, int] = field(default_factory=dict)
    """Counts the page gives."""
    words: dict[str, str] = field(default_factory=dict)
    """What the page writes for each count it does not give."""
    shares: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    """What the page says of the sum of some counts: a share of the total as written (("en",), "82%"),
    "fewer than 5 people", "hidden", or "=21" for a sum it gives."""


def _domain(word: str, below: int, total: int) -> range:
    """What a word says a count is: "fewer than 5" 1 to 4, "hidden" 5 or more, "anything" 0 or more, any other
    word ("not shown") 1 or more."""
    if word == f"fewer than {below}":
        return range(1, below)
    if word == "hidden":
        return range(below, total + 1)
    return range(0 if word == "anything" else 1, total + 1)


def _fits(share: str, part: int, total: int, below: int) -> bool:
    if share.startswith("="):
        return part == int(share[1:])
    if share.endswith("%"):
        return abs(100 * part / total - int(share[:-1])) <= 0.5 + 1e-9
    if share == f"fewer than {below} people":
        return 0 < part < below
    if share == "hidden":
        return part >= below
    return True


def values_left(seen: Seen, below: int) -> dict[str, set[int]]:
    """Every value each count the page does not give can take, by sums on what it shows (see the module)."""
    total = sum(seen.truth.values())
    totals = [total] if total >= below else range(1, below)  # a total below N reads "fewer than N" everywhere
    hidden = [key for key in seen.truth if key not in seen.given]
    left: dict[str, set[int]] = {key: set() for key in hidden}
    for whole in totals:
        domains = {key: _domain(seen.words.get(key, ""), below, whole) for key in hidden}
        for key in hidden:
            for value in domains[key]:
                if value not in left[key] and _solution(seen, below, whole, {**seen.given, key: value},
                                                        [other for other in hidden if other != key], domains):
                    left[key].add(value)
                if len(left[key]) > 1:
                    break
    return left


def _solution(seen: Seen, below: int, whole: int, fixed: dict[str, int], free: list[str],
              domains: dict[str, range]) -> bool:
    """Whether the counts in ``free`` can take values in their domains that fit the total and every share."""
    rest = whole - sum(fixed.values())
    if not free:
        return rest == 0 and all(_fits(share, sum(fixed[key] for key in keys), whole, below)
                                 for keys, share in seen.shares)
    for keys, share in seen.shares:
        if all(key in fixed for key in keys) and not _fits(share, sum(fixed[key] for key in keys), whole, below):
            return False
    key, others = free[0], free[1:]
    least = sum(domains[other].start for other in others)
    most = sum(domains[other].stop - 1 for other in others)
    return any(_solution(seen, below, whole, {**fixed, key: value}, others, domains)
               for value in domains[key] if least <= rest - value <= most)


def _inherent(counts: dict[str, int], below: int) -> bool:
    """Every group that answered had one person, and there are at least N - 1 of them: each is then 1
    whatever the table hides, from how many groups answered and the total."""
    answered = [count for count in counts.values() if count]
    return bool(answered) and set(answered) == {1} and len(answered) >= below - 1


def assert_nothing_small_is_pinned(seen: Seen, below: int) -> None:
    if _inherent(seen.truth, below):
        return
    for key, values in values_left(seen, below).items():
        if 0 < seen.truth[key] < below:
            assert len(values) > 1, f"{key} = {seen.truth[key]} can be worked out from {seen}"


def _number(word: str) -> int | None:
    return int(word.replace(",", "")) if re.fullmatch(r"[\d,]+", word) else None


def _read(truth: dict[str, int], written: dict[str, tuple[str, str]]) -> Seen:
    """A table as a reader sees it, from each count's words and share as written."""
    seen = Seen(truth)
    for key, (words, share) in written.items():
        if (number := _number(words)) is not None:
            seen.given[key] = number
        else:
            seen.words[key] = words
        if share:
            seen.shares.append(((key,), share))
    return seen


counts_of = st.lists(st.one_of(st.integers(0, 12), st.integers(0, 40)), min_size=1, max_size=6)
thresholds = st.integers(3, 8)
"""From 3: with a threshold of 2, "fewer than 2" says 1 by itself."""


# --- who is answering ------------------------------------------------------------------------------------------


def participation_seen(counts: list[int], below: int) -> Seen:
    """The "By language" table of "Who is answering" (page and monthly report alike) for these counts."""
    from sync.server.domain import participation

    languages = {f"l{index}": count for index, count in enumerate(counts)}
    section = participation.Section("By language", {key: count for key, count in languages.items() if count},
                                    {key: key for key in languages}, {}, {}, "in {}".format)
    with mock.patch.object(participation, "_by_payload", return_value=[section]), \
            mock.patch.object(participation, "_by_about_you", return_value=[]):
        found = participation.gather_participation(None, "Poplar", date(2026, 11, 2), date(2026, 11, 2),  # type: ignore[arg-type]
                                                   participation.ReferenceMix(), below)
    shown_counts = {key: count for key, count in languages.items() if count}
    return _read(shown_counts, {row.group: (row.answers, row.share) for row in found.rows})


@PROPERTY
@given(counts_of, thresholds)
@example([9, 1, 1], 5)  # the review's one day: English 9 (82%), Bengali and Korean 1 each
def test_who_is_answering_never_gives_a_small_count_away(counts, below):
    assert_nothing_small_is_pinned(participation_seen(counts, below), below)


# --- an answer chart and the Friends and Family Test ----------------------------------------------------------


GROUPS = {"Very good or Good": FRIENDS_AND_FAMILY_GOOD, "Poor or Very poor": FRIENDS_AND_FAMILY_POOR}


def card_seen(counts: list[int], below: int, fft: bool) -> Seen:
    """A question's card (overview, monthly and quarterly reports): its total, chart and Friends and Family Test.
    When a chart is drawn, the reader is taken to know which of its counts are 0, and whether each it draws in
    grey is small or not (more than the chart says). A Friends and Family answer the chart does not draw on its
    own is only ever seen in its group (Very good or Good, Poor or Very poor), so the groups are the counts."""
    from sync.server.web.charts import friends_and_family, share_segments

    ids = FFT_ANSWERS if fft else tuple(f"a{index}" for index in range(len(counts)))
    answers = dict(zip(ids, (counts + [0] * len(ids))[:len(ids)], strict=True))
    distribution = QuestionDistribution("default", "overall", "Overall?", sum(answers.values()),
                                        [AnswerShare(answer, answer, count) for answer, count in answers.items()])
    segments = share_segments(distribution, below) or []
    drawn = {segment.label: int(segment.value.split(" (")[0].replace(",", "")) for segment in segments
             if "(" in segment.value}
    truth = answers
    if fft and any(answers[one] and one not in drawn for group in GROUPS.values() for one in group):
        truth = {words: sum(answers[one] for one in group) for words, group in GROUPS.items()}
        truth |= {one: count for one, count in answers.items() if not any(one in group for group in GROUPS.values())}
    seen = Seen(truth)
    for key, count in truth.items():
        if key in drawn:
            seen.given[key] = drawn[key]
        elif not segments:
            seen.words[key] = "anything"
        elif count == 0:
            seen.given[key] = 0
        else:
            seen.words[key] = f"fewer than {below}" if count < below else "hidden"
    for (words, group), share in zip(GROUPS.items(), friends_and_family(distribution, below) or [], strict=False):
        seen.shares.append(((words,) if words in truth else group, share))
    return seen


@PROPERTY
@given(counts_of, thresholds, st.booleans())
@example([12, 9, 5, 6, 3, 5], 5, True)  # Very poor 3 beside Poor 6 and "Poor or Very poor: 22%" of 40
def test_an_answer_chart_and_the_friends_and_family_test_never_give_a_small_count_away(counts, below, fft):
    assert_nothing_small_is_pinned(card_seen(counts, below, fft), below)


# --- the weeks of a site ---------------------------------------------------------------------------------------


def weeks_seen(counts: list[int], below: int) -> Seen:
    """A site's weekly chart and its figures (overview, monthly report), beside the site's total."""
    from sync.server.web.charts import weekly_bars

    monday = date(2026, 11, 2)
    weeks = [(monday + timedelta(weeks=index), count) for index, count in enumerate(counts)]
    chart = weekly_bars(weeks, max(counts), below, monday, weeks[-1][0] + timedelta(days=6))
    return _read({bar.label: count for bar, (_, count) in zip(chart.bars, weeks, strict=True)},
                 {bar.label: (bar.value, "") for bar in chart.bars})


@PROPERTY
@given(counts_of, thresholds)
@example([40, 3], 5)
def test_the_weeks_of_a_site_never_give_a_small_count_away(counts, below):
    assert_nothing_small_is_pinned(weeks_seen(counts, below), below)


# --- every other table: sites, kiosks, concerns by where they stand --------------------------------------------


@PROPERTY
@given(counts_of, thresholds)
@example([10, 5, 1], 5)  # 1 and 5 hidden: 6 less a hidden count of 5 or more leaves 1
def test_any_table_never_gives_a_small_count_away(counts, below):
    from sync.server.web.common import table_shown

    truth = {f"c{index}": count for index, count in enumerate(counts)}
    written = table_shown(truth, below)
    assert_nothing_small_is_pinned(_read(truth, {key: (words, "") for key, words in written.items()}), below)


# --- the review's case, on the real dashboard ------------------------------------------------------------------


def _table_rows(page: str) -> dict[str, list[tuple[str, str, str]]]:
    """The "Who is answering" table as (group, answers, share) rows under each section heading."""
    sections: dict[str, list[tuple[str, str, str]]] = {}
    heading = ""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.DOTALL):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.DOTALL)]
        if len(cells) == 1:
            heading = cells[0]
            sections[heading] = []
        elif heading and len(cells) == 5:
            sections[heading].append((cells[0], cells[1], cells[2]))
    return sections


def test_the_reviews_one_day_view_gives_no_small_count_away(tmp_path):
    """English 9, Bengali 1 and Korean 1 on one day, by touch 9, voice 1 and keyboard 1: the page showed
    English "9 (82%)", so 11 in all, and the two others "fewer than 5" could only be 1 each."""
    db = str(tmp_path / "central.db")
    add_people(db)
    answers = [*[payload("good") | {"language": "en-GB"}] * 9, payload("good") | {"language": "bn", "channel": "voice"},
               payload("good") | {"language": "ko", "channel": "keyboard"}]
    seed(db, "Mile End", "lounge-1", answers, days_ago=3)
    day = (date.today() - timedelta(days=3)).isoformat()
    with ServerProcess(db) as server:
        page = signed_in(server, "vera").get(f"/staff/participation?site=Mile+End&start={day}&end={day}").text
        overview = signed_in(server, "vera").get(f"/staff/?site=Mile+End&start={day}&end={day}").text
    assert "82%" not in page and "9 (82%)" not in page
    assert "Responses: <span class=\"figure\">11</span>" in overview  # the total is known: no share may lean on it
    tables = _table_rows(page)
    truths = {"By language": {"English": 9, "Bengali": 1, "Korean": 1},
              "By how they answered": {"touch": 9, "voice": 1, "a keyboard or switch": 1}}
    for heading, truth in truths.items():
        rows = {name: (answers, share) for name, answers, share in tables[heading] if name in truth}
        assert rows.keys() == truth.keys()
        assert_nothing_small_is_pinned(_read(truth, rows), 5)
        assert all(not share for _, share in rows.values())  # a share of 11 would give 11 away: none given
    english = next(row for row in tables["By language"] if row[0] == "English")
    assert english[1:] == ("hidden", "")
