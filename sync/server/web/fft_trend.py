"""Each site's Friends and Family Test against the period before, as the dashboard's Overview and the reports
write it: the shares as published (small counts suppressed), and the change in words by the rule in
:mod:`sync.server.domain.trends` ("up from 78% in November 2026", or "about the same … within chance").

Sites are never combined into one figure silently: each site has its own row, and all sites' figure is given
only under it, labelled, and only when it cannot give a hidden site's figure away (:func:`all_sites_row`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sync.server.domain.aggregates import FRIENDS_AND_FAMILY_GOOD, QuestionDistribution
from sync.server.domain.aggregates import friends_and_family as friends_and_family_shares
from sync.server.domain.trends import Change, compare
from sync.server.fft.suppression import THRESHOLD, Unit, suppress_level
from sync.server.web.charts import friends_and_family, share_segments, shown_answers
from sync.server.web.common import exact


def _good(distribution: QuestionDistribution) -> tuple[int, int]:
    counts = {answer.answer: answer.count for answer in distribution.answers}
    return sum(counts.get(answer, 0) for answer in FRIENDS_AND_FAMILY_GOOD), distribution.total


def _as_percentages(written: list[str] | None) -> bool:
    return bool(written) and all(share.endswith("%") for share in written)  # type: ignore[union-attr]


def fft_change(now: QuestionDistribution | None, before: QuestionDistribution | None,
               suppress_below: int) -> Change | None:
    """How the share answering Very good or Good moved; None unless both periods' shares are given as
    percentages (a comparison must not reveal what suppression hides)."""
    if now is None or before is None:
        return None
    if not (_as_percentages(friends_and_family(now, suppress_below))
            and _as_percentages(friends_and_family(before, suppress_below))):
        return None
    return compare(_good(now), _good(before))


def change_words(now: QuestionDistribution | None, before: QuestionDistribution | None, before_label: str,
                 suppress_below: int) -> str:
    """The change as words after the share: "up from 78% in November 2026", "about the same as …", or why there
    is nothing to compare with ("too few answers in November 2026 to compare with"); '' when ``now`` has no
    share to give."""
    if not _as_percentages(friends_and_family(now, suppress_below) if now else None):
        return ""
    change = fft_change(now, before, suppress_below)
    if change is not None:
        return change.sentence(before_label)
    return f"no answers in {before_label} to compare with" if before is None or before.total == 0 \
        else f"too few answers in {before_label} to compare with"


def site_rows(answers: Mapping[str, QuestionDistribution | None], responses: Mapping[str, int],
              suppress_below: int) -> dict[str, dict[str, Any]]:
    """Each site's Friends and Family Test as a table of sites shows it, by NHS England's publication rules
    (sync/server/fft/suppression.py): a site with answers below the threshold is hidden, and so is the next
    lowest beside it, so that all sites' figure less the others' never gives one site's away."""
    totals = {site: found.total if found else 0 for site, found in answers.items()}
    threshold = max(THRESHOLD, suppress_below)
    hidden = suppress_level([Unit(name, None, total) for name, total in totals.items()], threshold=threshold)
    return {site: {"fft": None if site in hidden else found and friends_and_family(found, suppress_below),
                   "no_fft": "no answers" if not responses.get(site) else "not asked" if found is None
                   else "too few answers to show" if totals[site] < threshold
                   else "hidden (beside a site with too few)",
                   "must_be_exact": totals[site] > 0 and site not in hidden}
            for site, found in answers.items()}


def all_sites_row(everywhere: QuestionDistribution | None, rows: Mapping[str, Mapping[str, Any]],
                  suppress_below: int) -> dict[str, Any]:
    """All sites' Friends and Family Test and chart, beside the sites' own (:func:`site_rows`): given only when
    every site that answered and is not hidden has its figures given exactly, as all sites' less the others'
    would give one away."""
    figures = [row["fft"] for row in rows.values() if row["must_be_exact"]]
    if everywhere is None:
        return {"fft": None, "segments": None, "no_fft": "not asked"}
    if len(rows) > 1 and not all(each and all(map(exact, each)) for each in figures):
        return {"fft": None, "segments": None, "no_fft": "not shown (it would give one site away)"}
    return {"fft": friends_and_family(everywhere, suppress_below),
            "segments": share_segments(everywhere, suppress_below), "no_fft": "too few answers to show"}


def compared_rows(now: Mapping[str, QuestionDistribution | None], before: Mapping[str, QuestionDistribution | None],
                  responses: Mapping[str, int], responses_before: Mapping[str, int], before_label: str,
                  suppress_below: int) -> dict[str, dict[str, Any]]:
    """:func:`site_rows` for now and before, each with the share before ("before") and the change in words
    ("fft_change", a sentence; "fft_short", for a cell). A site hidden in either period has no comparison."""
    rows, earlier = site_rows(now, responses, suppress_below), site_rows(before, responses_before, suppress_below)
    for site, row in rows.items():
        shown_before = earlier[site]["fft"]
        change = fft_change(now[site], before[site], suppress_below) \
            if _as_percentages(row["fft"]) and _as_percentages(shown_before) else None
        row["before"] = shown_before[0] if _as_percentages(shown_before) else earlier[site]["no_fft"]
        row["fft_change"] = change.sentence(before_label) if change else ""
        row["fft_short"] = change.short if change else "Not compared"
    return rows


def answer_change_words(now: QuestionDistribution, before: QuestionDistribution | None, before_label: str,
                        suppress_below: int) -> str:
    """For a choice question other than the Friends and Family Test: its most chosen answer's share beside the
    period before's, "Yes: 62%, up from 48% in October 2026"; '' when either share is not given exactly."""
    chosen = [answer for answer in now.answers if answer.count]
    if before is None or not chosen:
        return ""
    top = max(chosen, key=lambda answer: answer.count)
    earlier = next((answer.count for answer in before.answers if answer.answer == top.answer), 0)
    if top.answer not in shown_answers(now, suppress_below) or top.answer not in shown_answers(before, suppress_below):
        return ""
    change = compare((top.count, now.total), (earlier, before.total))
    return f"{top.text}: {top.count / now.total:.0%}, {change.sentence(before_label)}"


def with_changes(cards: list[dict[str, Any]], before: Sequence[QuestionDistribution],
                 fft_before: QuestionDistribution | None, before_label: str,
                 suppress_below: int) -> list[dict[str, Any]]:
    """Question cards (:func:`sync.server.web.charts.answer_cards`), each with its change on the period before in
    words: the Friends and Family Test's share of Very good or Good ("change"), any other question's most chosen
    answer ("answer_change"). ``before`` is the period before's distributions, matched by set and question;
    ``fft_before`` its Friends and Family Test answers over every set."""
    earlier = {(found.question_set, found.question): found for found in before}
    for card in cards:
        distribution = card["distribution"]
        previous = earlier.get((distribution.question_set, distribution.question))
        if friends_and_family_shares(distribution) is not None:
            if card["fft"]:
                card["change"] = change_words(distribution, fft_before, before_label, suppress_below)
        elif card["segments"]:
            card["answer_change"] = answer_change_words(distribution, previous, before_label, suppress_below)
    return cards
