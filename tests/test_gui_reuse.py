"""Screens are built once and reused, and labels share the textures of words already drawn
(kiosk.ui.text_speedups): the next person must see exactly what a first person sees, nothing left over from
the last one's language, text size or colours."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.test_gui import run_kiosk

pytestmark = pytest.mark.gui

SEEN = ["question", "tell-us-why", "next-question", "about-you"]
"""Screens looked at: a choice, its "tell us why" keyboard, the next choice and the About-you question."""


def session(folder: Path) -> list[dict[str, object]]:
    """Start, then a screenshot of each screen in SEEN on the way through the Easy Read session."""
    return [{"tap": "start"}, {"screenshot": str(folder / "question.png")},
            {"tap": "answer:good"}, {"screenshot": str(folder / "tell-us-why.png")},
            {"tap": "control:skip"}, {"screenshot": str(folder / "next-question.png")},
            {"tap": "answer:yes"}, {"tap": "answer:yes"}, {"tap": "control:skip"}, {"tap": "control:skip"},
            {"screenshot": str(folder / "about-you.png")}, {"tap": "answer:no"}, {"tap": "finish"}, {"advance": 10}]


def test_the_next_person_sees_what_a_first_person_sees(tmp_path, kiosk_env):
    first, next_person, earlier = tmp_path / "first", tmp_path / "next", tmp_path / "earlier"
    for folder in (first, next_person, earlier, tmp_path / "fresh", tmp_path / "reused"):
        folder.mkdir()
    run_kiosk(tmp_path / "fresh", kiosk_env, session(first), data=tmp_path / "data-fresh")
    # someone before: Bengali, bigger text, high contrast; then the next person, with none of those
    someone_before = [{"tap": "setting:language"}, {"tap": "language:bn"}, {"tap": "setting:bigger_text"},
                      {"tap": "setting:high_contrast"}, *session(earlier)]
    run_kiosk(tmp_path / "reused", kiosk_env, [*someone_before, *session(next_person)], data=tmp_path / "data")
    for name in SEEN:
        with Image.open(first / f"{name}.png") as fresh, Image.open(next_person / f"{name}.png") as reused, \
                Image.open(earlier / f"{name}.png") as before:
            assert ImageChops.difference(fresh, before).getbbox() is not None  # the earlier person's looked different
            assert ImageChops.difference(fresh, reused).getbbox() is None, name
