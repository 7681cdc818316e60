"""The Easy Read version of the quarterly report, for the service-user forum: so the people who gave the
feedback can read what was done with it.

It follows UK Easy Read practice (Mencap's "Am I making myself clear?", CHANGE's "How to make information
accessible", and the Department of Health's "Making written information easier to understand"), as the
"You said, we did" poster does:

- one idea to a section, a picture on the left and the words on the right;
- one short sentence to a line, at most :data:`MOST_WORDS` words, in everyday words: no jargon, no
  abbreviations ("the Friends and Family Test" is not named, the question is), no percentages;
- amounts in words: "Most people", "About half of the people", "Some people", "12 people", "A few people"
  for any count the other reports write as "fewer than 5", so no small group can be singled out, and "5 or
  more people" for one they write as "hidden" (:func:`sync.server.web.common.table_shown`);
- large type (18pt and more, headings larger), Atkinson Hyperlegible (made for readers with low vision), black
  on white, no italics;
- "You said ... We did ..." at the heart of it.

The pictures are the kiosk's own (OpenMoji, CC BY-SA 4.0; assets/LICENSES.md), so people recognise them from
the screen. Pictures and font are put inside the page as data URIs, so the HTML file is whole on its own
and the PDF needs nothing from the network.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sync.core.fonts import LATIN
from sync.core.plain_words import in_words
from sync.server.domain.aggregates import FRIENDS_AND_FAMILY_GOOD, FRIENDS_AND_FAMILY_POOR
from sync.server.domain.site_content import PICTURE_DIRS
from sync.server.reports.quarterly import QuarterlyReport
from sync.server.web.common import HIDDEN, NOT_SHOWN, table_shown, templates
from sync.server.web.you_said_we_did import DID_PICTURE, SAID_PICTURE, sentences

MOST_WORDS = 15
EXAMPLES_PER_SIDE = 3
MOST = 0.6
ABOUT_HALF = 0.4
"""Above :data:`MOST` of those who answered is "Most people"; from :data:`ABOUT_HALF` to it, "About half"."""
PICTURE_CREDIT = "Pictures by OpenMoji, shared under the licence CC BY-SA 4.0."


@dataclass(frozen=True)
class Row:
    """A picture on the left, and its words on the right, one sentence to a line."""

    picture: str
    """A built-in picture's name (assets/pictures/)."""
    lines: list[str]
    label: str = ""
    """Put before the first line in bold, such as "You said:"."""


@dataclass(frozen=True)
class Idea:
    heading: str
    rows: list[Row] = field(default_factory=list)


def people(count: int, suppress_below: int, *, capital: bool = False) -> str:
    """A count of people in words: "no one", "1 person", "12 people", or "a few people" below the threshold."""
    words = ("no one" if count == 0 else "a few people" if count < suppress_below
             else "1 person" if count == 1 else f"{count:,} people")
    return words[0].upper() + words[1:] if capital else words


def people_in(counts: dict[str, int], suppress_below: int) -> dict[str, str]:
    """Counts that add up to a total, in words, as the other reports hide them (:func:`table_shown`): "12 people",
    "a few people", "5 or more people" where "hidden", "some people" where "not shown"."""
    words = {HIDDEN: f"{suppress_below} or more people", NOT_SHOWN: "some people"}
    return {key: words.get(written, people(counts[key], suppress_below))
            for key, written in table_shown(counts, suppress_below).items()}


def how_many(part: int, whole: int, suppress_below: int) -> str:
    """How many of ``whole`` people ``part`` is, in words, never as a percentage: "Most people", "About half
    of the people", "Some people", "A few people" (fewer than the threshold) or "No one"."""
    if part < suppress_below:
        return people(part, suppress_below, capital=True)
    share = part / whole
    return "Most people" if share > MOST else "About half of the people" if share >= ABOUT_HALF else "Some people"


@cache
def picture(name: str) -> str:
    """A built-in picture as a data URI, so the page carries it."""
    data = (PICTURE_DIRS[0] / f"{name}.png").read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@cache
def fonts() -> tuple[str, str]:
    """Atkinson Hyperlegible, regular and bold, as data URIs for @font-face."""
    return tuple("data:font/ttf;base64," + base64.b64encode(path.read_bytes()).decode("ascii")  # type: ignore[return-value]
                 for path in LATIN)


def _short(texts: Sequence[str]) -> list[str]:
    """Comments fit to quote: short, whole, and without a placeholder such as [name] (which reads as jargon)."""
    return [text for text in texts if len(text.split()) <= MOST_WORDS - 3 and "[" not in text]


def _said(report: QuarterlyReport, side: str) -> list[str]:
    """A typical comment of each of the largest themes on ``side`` at all the sites, without repeats."""
    themes = sorted((theme for site in report.sites if side in site.themes for theme in site.themes[side].themes),
                    key=lambda theme: -theme.comments)
    quoted = dict.fromkeys(next(iter(_short(theme.examples)), "") for theme in themes)
    return [f"“{text[0].upper()}{text[1:]}.”" for text in quoted if text][:EXAMPLES_PER_SIDE]


def _how_many_told_us(report: QuarterlyReport, suppress_below: int) -> Idea:
    now, before = report.responses, sum(site.previous for site in report.sites)
    lines = ["People told us what they think at the kiosk."]
    if len(report.sites) > 1:
        each = people_in({site.site: site.responses for site in report.sites}, suppress_below)
        lines += [f"{site}: {words}." for site, words in each.items()]
    lines.append(f"{people(now, suppress_below, capital=True)} told us in all.")
    if min(before, now) >= suppress_below:
        previous = report.quarter.previous().label
        if not report.so_far.finished:
            previous = f"the first {report.so_far.days_done} days of {previous}"
        lines.append(f"That is more than in {previous}." if now > before
                     else f"That is fewer than in {previous}." if now < before
                     else f"That is the same as in {previous}.")
    return Idea("How many people told us", [Row("touch", lines)])


def _what_people_think(report: QuarterlyReport, suppress_below: int) -> Idea | None:
    answers = report.friends_and_family
    if answers is None or answers.total == 0:
        return None
    if answers.total < suppress_below:
        return Idea("What people think of our service",
                    [Row("face-neutral", ["Only a few people answered this question.", "So we cannot say more."])])
    counts = {answer.answer: answer.count for answer in answers.answers}
    good = sum(counts.get(answer, 0) for answer in FRIENDS_AND_FAMILY_GOOD)
    poor = sum(counts.get(answer, 0) for answer in FRIENDS_AND_FAMILY_POOR)
    return Idea("What people think of our service", [
        Row("speech-balloon", ["We asked: how was our service?"]),
        Row("face-very-happy", [f"{how_many(good, answers.total, suppress_below)} said good or very good."]),
        Row("face-very-sad", [f"{how_many(poor, answers.total, suppress_below)} said poor or very poor."])])


def _changes(report: QuarterlyReport) -> list[Idea]:
    items = sorted((item for site in report.sites for item in site.changes), key=lambda item: item["date"])
    if not items:
        return [Idea("What we changed", [Row(DID_PICTURE, ["We have nothing new to tell you this time.",
                                                           "We are still listening."])])]
    ideas = [Idea("What we changed", [Row("light-bulb", ["You told us what to make better.",
                                                         "Here is what we did."])])]
    for item in items:
        when = in_words(date.fromisoformat(item["date"]), with_day=False)
        ideas.append(Idea(f"{item['site']}, {when}", [
            Row(SAID_PICTURE, sentences(item["said"]), "You said:"),
            Row(item["picture"] or DID_PICTURE, sentences(item["did"]), "We did:")]))
    return ideas


def _keeping_safe(report: QuarterlyReport, suppress_below: int) -> Idea:
    raised = sum(site.concerns.raised for site in report.sites)
    waiting = sum(site.concerns.by_status["open"] + site.concerns.by_status["acknowledged"] for site in report.sites)
    lines = []
    if raised:
        lines = [f"{people(raised, suppress_below, capital=True)} told us something that worried us.",
                 "We look at each one.",
                 "We are still helping with some of them." if waiting else "We have dealt with each one."]
    return Idea("Keeping you safe", [Row("heart", [*lines, "Do you feel unsafe?", "Tell a member of staff you trust.",
                                                   "They will help you."])])


def _when_from(report: QuarterlyReport) -> list[str]:
    """Which days the report is about, and whether the quarter is over."""
    if report.so_far.finished:
        return [f"It is from {report.quarter.label}."]
    return [f"It is from {report.so_far.through}.", f"{report.quarter.label} is not over yet."]


def easy_read_ideas(report: QuarterlyReport, suppress_below: int) -> list[Idea]:
    """The Easy Read report, one idea after another: what we did about what people said comes first."""
    place = report.sites[0].site if len(report.sites) == 1 else "our services"
    ideas = [Idea("About this report", [
        Row("speech-balloon", ["This report is about what people told us.", f"It is about {place}.",
                               *_when_from(report)]),
        Row("touch", ["People told us at the kiosk.", "They did not give their names."])]), *_changes(report)]
    if report.empty:
        ideas.append(Idea("How many people told us", [Row("hourglass", ["No one used the kiosk this time.",
                                                                        "We want to hear from you."])]))
    else:
        ideas.append(_how_many_told_us(report, suppress_below))
        if think := _what_people_think(report, suppress_below):
            ideas.append(think)
        for side, heading, picture_name, intro in (
                ("working", "What is good", "thumbs-up", "People told us these things are good:"),
                ("not-working", "What is not good", "thumbs-down", "People told us these things are not good:")):
            quoted = _said(report, side)
            if quoted:
                ideas.append(Idea(heading, [Row(picture_name, [intro, *quoted])]))
    ideas.append(_keeping_safe(report, suppress_below))
    ideas.append(Idea("Tell us what you think", [Row("wave", ["Use the kiosk to tell us what you think.",
                                                              "You can touch the pictures or talk.",
                                                              "You do not have to give your name."])]))
    return ideas


def easy_read_context(report: QuarterlyReport, suppress_below: int) -> dict[str, Any]:
    regular, bold = fonts()
    return {"title": f"What you told us: {report.quarter.label}", "quarter": report.quarter,
            "ideas": easy_read_ideas(report, suppress_below), "picture": picture, "credit": PICTURE_CREDIT,
            "font_regular": regular, "font_bold": bold}


def easy_read_html(report: QuarterlyReport, suppress_below: int) -> str:
    """The Easy Read report as one self-contained HTML page (pictures and font inside), ready to print on A4."""
    return templates.env.get_template("report_easy_read.html").render(easy_read_context(report, suppress_below))
