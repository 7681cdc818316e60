"""Typing in one's own script in the real app: a session typed on the Bengali keyboard and one on the
Hangul keyboard, kept in the real store, exported by `kiosk export --format csv` and opened in LibreOffice
with the same words."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.test_cli import kiosk
from tests.test_export import by_header, in_libreoffice, read_table
from tests.test_gui import rows, run_kiosk

pytestmark = [pytest.mark.gui, pytest.mark.slow]

BENGALI = "কর্মীরা খুব ভালো। বাংলায় কথা বলেন?"
"""A conjunct (র্ম), vowel signs on both sides of their letter (ে, ো), ং, য় and the dari (।)."""
KOREAN = "직원들이 친절하고 많이 도와줘요."
"""Compound vowels (ㅘ ㅝ), a final cluster (많: ㄴ ㅎ) and a final moving on (절 + ㅎ ㅏ → 절하)."""


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize(("language", "words", "slip", "deletes"), [
    ("bn", BENGALI, "ক", 1),
    ("ko", KOREAN, " 하나", 5),  # space ㅎ ㅏ ㄴ ㅏ: Delete takes back one jamo at a time
])
def test_words_typed_on_the_keyboard_of_their_script_reach_the_spreadsheet(tmp_path, kiosk_env, language, words,
                                                                            slip, deletes):
    data = tmp_path / "data"
    steps = [
        {"tap": "setting:language"}, {"tap": f"language:{language}"}, {"tap": "start"}, {"tap": "answer:good"},
        {"type": words + slip}, *[{"tap": "key:delete"}] * deletes, {"tap": "key:page:2"}, {"tap": "control:done"},
        {"advance": 61}, {"advance": 21},  # then walk away: the half-finished session is kept
        # the next person, asked the same question, finds the keyboard on its first page, not where it was left
        {"advance": 10}, {"tap": "setting:language"}, {"tap": f"language:{language}"}, {"tap": "start"},
        {"tap": "answer:good"}, {"audit": str(tmp_path / "next.json")}, {"advance": 61},
        {"advance": 21},
    ]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data)
    typed = [step["step"] for step in result["steps"] if step["step"].get("tap", "").startswith("key:")]
    assert "keyboard" not in {key for step in result["steps"] for key in step["step"]}, "every letter was on screen"
    assert {"key:page:1", "key:page:2"} <= {step["tap"] for step in typed}, "the pages were turned"
    assert result["steps"][-1]["screen"] == "attract"
    keys = {widget.get("tap_id") for widget in json.loads((tmp_path / "next.json").read_text())["widgets"]}
    assert "key:page:2" in keys, "the first page's 'More letters' key turns to page 2"
    [(_seq, _id, _complete, payload), _next] = rows(data)
    assert [answer["text"] for answer in json.loads(payload)["answers"] if answer.get("text")] == [words]

    out = tmp_path / "feedback.csv"
    exported = kiosk("export", "--format", "csv", "--out", str(out), "--data", str(data), env=kiosk_env)
    assert exported.returncode == 0, exported.stderr
    [row] = [row for row in by_header(read_table(out)) if words in row.values()]
    [opened] = [opened for opened in by_header(in_libreoffice(out, tmp_path)) if words in opened.values()]
    assert opened["id"] == row["id"]
