"""Easy Read on the real widget tree, on every screen of a kiosk asking the Easy Read question set:
a person's bigger text never draws any words smaller than everyone else's; on Bengali and Korean screens
no sentence is left in English; every text that carries meaning has a picture beside it; and no label leaves
out lines it has no room for, in any of these walks."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from kiosk.session.settings import load_config
from tests.test_accessibility import MIN_TARGET_PX, overlap
from tests.test_gui import run_kiosk

pytestmark = pytest.mark.gui

TELL_US = {"en-GB": "a worker hit me", "bn": "আমাকে মারে", "ko": "직원이 나를 때려요"}
"""Words that bring up the help screen, in each language."""


def walk(shots: Path, language: str, bigger_text: bool = False) -> list[dict[str, Any]]:
    """Steps through every screen a person meets, auditing each (``<screen>.json`` in ``shots``)."""
    def audit(name: str) -> dict[str, str]:
        return {"audit": str(shots / f"{name}.json")}
    bigger = [{"tap": "setting:bigger_text"}] if bigger_text else []
    return [
        *bigger, audit("attract"),
        {"tap": "setting:language"}, audit("language"), {"tap": "control:back"},
        {"tap": "start"}, audit("choice"),
        {"tap": "control:help"}, audit("help-asked"), {"tap": "help:carry_on"},
        {"tap": "answer:very-poor"}, audit("text-tell-us-why"),
        {"keyboard": TELL_US[language]}, audit("text-typed"), {"tap": "control:done"}, audit("help"),
        {"tap": "help:phone"}, audit("help-phone"), {"tap": "control:back"},
        {"tap": "help:tell_staff"}, audit("help-tell-staff"), {"tap": "help:carry_on"},
        {"tap": "answer:yes"}, {"tap": "control:back"}, audit("choice-chosen"),
        {"tap": "control:start_again"}, audit("start-again"), {"tap": "start_again:no"},
        {"advance": 61}, audit("still-there"), {"tap": "still_here"},
        {"tap": "control:next"}, {"tap": "control:skip"}, audit("topics"), {"tap": "answer:food"},
        audit("text-empty"), {"tap": "control:skip"},
        {"tap": "control:skip"}, audit("about-you"),
        {"tap": "answer:yes"}, audit("about-you-age"), {"tap": "control:skip"}, audit("about-you-who"),
        {"tap": "control:skip"}, audit("thank-you"),
        {"advance": 10}, {"disk_full": True}, {"tap": "start"}, *[{"tap": "control:skip"}] * 5,
        {"tap": "answer:no"}, {"disk_full": False}, audit("out-of-order"),
    ]


def kiosk_in(tmp_path: Path, language: str) -> Path:
    folder = tmp_path / f"config-{language}"
    folder.mkdir(exist_ok=True)
    (folder / "kiosk.toml").write_text(f'language = "{language}"\nquestion_set = "easy-read"\n')
    return folder


def audits(tmp_path: Path, language: str, bigger_text: bool, size: str) -> dict[str, dict[str, Any]]:
    """The audits a walk wrote, by screen."""
    shots = tmp_path / f"audit-{language}-{bigger_text}-{size}"
    return {path.stem: json.loads(path.read_text()) for path in shots.glob("*.json")}


def audited(tmp_path: Path, kiosk_env: dict[str, str], language: str, bigger_text: bool = False,
            size: str = "1280x800") -> dict[str, list[dict[str, Any]]]:
    """``{screen name: its texts}`` after walking every screen."""
    shots = tmp_path / f"audit-{language}-{bigger_text}-{size}"
    shots.mkdir()
    run_kiosk(tmp_path, kiosk_env, walk(shots, language, bigger_text), data=tmp_path / f"data-{shots.name}",
              config=kiosk_in(tmp_path, language), size=size)
    found = audits(tmp_path, language, bigger_text, size)
    assert len(found) == 19, sorted(found)
    squeezed = [(name, w["text"]) for name, audit in found.items() for w in audit["widgets"] if w.get("squeezed")]
    assert not squeezed, squeezed  # a layout left them no room: drawn anyway, over their neighbours
    texts = {name: [w for w in audit["widgets"] if "text" in w] for name, audit in found.items()}
    # every walk checks these too: Kivy silently leaves out the lines a label's height has no room for, breaks
    # a word wider than its label, and draws words past a box sized by its width only
    spoilt = [(name, text["text"], text["box"], text["font_size"], problem) for name, shown in texts.items()
              for text in shown for problem in ("cut", "broken", "overflows") if text[problem]]
    assert not spoilt, spoilt
    # nor are any words drawn over other words (a box too small for what it holds squeezes its neighbours)
    overlapping = [(name, one["text"], other["text"]) for name, shown in texts.items()
                   for one, other in itertools.combinations(shown, 2) if overlap(one["box"], other["box"])]
    assert not overlapping, overlapping
    return texts


@pytest.mark.parametrize("size", ["1280x800", "800x1280"])
def test_bigger_text_never_draws_words_smaller_than_normal(tmp_path, kiosk_env, size):
    normal = audited(tmp_path, kiosk_env, "en-GB", size=size)
    bigger = audited(tmp_path, kiosk_env, "en-GB", bigger_text=True, size=size)
    smaller = []
    for screen, texts in normal.items():
        sizes = {text["text"]: text["font_size"] for text in bigger[screen]}
        for text in texts:
            if text["text"] in sizes and sizes[text["text"]] < text["font_size"] - 0.5:
                smaller.append((screen, text["text"], text["font_size"], sizes[text["text"]]))
    assert smaller == []
    # and it is bigger where it matters: each question's words, "Question 1 of 8" and "Hear again"
    for screen, words in (("choice", "How was your time with us?"), ("text-tell-us-why", "Tell us why"),
                          ("choice", "Question 1 of 8"), ("choice", "Hear again")):
        assert size_of(bigger[screen], words) >= 1.3 * size_of(normal[screen], words), (screen, words)
    # with the layouts grown, every touch target is still over 2 cm each way
    small = [(name, widget["tap_id"], widget["box"]) for name, audit in audits(tmp_path, "en-GB", True, size).items()
             for widget in audit["widgets"] if "tap_id" in widget and min(widget["box"][2:]) < MIN_TARGET_PX]
    assert small == []


def size_of(texts: list[dict[str, Any]], words: str) -> float:
    [size] = {text["font_size"] for text in texts if text["text"] == words}
    return size


@pytest.mark.parametrize("size", ["1280x800", "800x1280"])
@pytest.mark.parametrize("language", ["bn", "ko"])
def test_bigger_text_in_bengali_and_korean_keeps_every_word_whole_and_in_its_box(tmp_path, kiosk_env, language,
                                                                                 size):
    shown = audited(tmp_path, kiosk_env, language, bigger_text=True, size=size)
    assert any(text["font_size"] > 40 for text in shown["choice"])  # bigger: the audit itself checks the rest


LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
NOT_SENTENCES = {"NHS"}
"""Latin letters that are names, not English sentences (the helpline "NHS 111")."""


@pytest.mark.parametrize("size", ["1280x800", "800x1280"])
@pytest.mark.parametrize("language", ["bn", "ko"])
def test_no_sentence_is_left_in_english_on_bengali_and_korean_screens(tmp_path, kiosk_env, language, size):
    english_ok = {"I would like to talk to someone, please."}  # shown under the person's words, for staff
    left = []
    screens = audited(tmp_path, kiosk_env, language, size=size)
    if language == "bn":  # the kiosk's own numbers in Bengali digits (a Latin 8 looks like the Bengali four)
        assert "প্রশ্ন ১, মোট ৮টি" in {text["text"] for text in screens["choice"]}
        assert any("২০ সেকেন্ড" in text["text"] for text in screens["still-there"])
    for screen, texts in screens.items():
        for text in texts:
            words = text["text"]
            if screen == "language" or "[font=" in words:
                continue  # each language's own name, and "Language" in every language: for finding one's own
            lines = [line for line in words.splitlines() if line not in english_ok]
            english = [w for line in lines for w in LATIN_WORD.findall(line) if w not in NOT_SENTENCES]
            if english:
                left.append((screen, words))
    assert left == []


def test_every_meaningful_text_has_a_picture_and_text_screens_offer_one_way_on(tmp_path, kiosk_env):
    without = []
    screens = audited(tmp_path, kiosk_env, "en-GB")
    # and one way on at a time: Skip until something is typed, then Done (and no Skip)
    for screen, shown in (("text-tell-us-why", "control:skip"), ("text-empty", "control:skip"),
                          ("text-typed", "control:done")):
        targets = {widget["tap_id"] for widget in audits(tmp_path, "en-GB", False, "1280x800")[screen]["widgets"]
                   if "tap_id" in widget}
        assert shown in targets and not {"control:skip", "control:done"} - {shown} & targets, (screen, targets)
    for screen, texts in screens.items():
        for text in texts:
            if text["class"] == "LetterKey" or re.fullmatch(r"[\d\s|]*|Question \d+ of \d+", text["text"]):
                continue  # a key's letter is its own picture; counts and the progress caption repeat the dots
            if not text["picture_beside"]:
                without.append((screen, text["text"]))
    assert without == []


def test_the_easy_read_set_keeps_the_friends_and_family_answer_ids_and_one_idea_per_question(tmp_path):
    config = load_config(kiosk_in(tmp_path, "en-GB"))
    assert config.questions.id == "easy-read"
    overall = config.questions.questions[0]
    assert [a.id for a in overall.answers] == ["very-good", "good", "neither", "poor", "very-poor", "dont-know"]
    assert all(len(q.text.split()) <= 15 and q.text.count("?") <= 1 for q in config.questions.questions)
