"""Easy Read rules checked on the real widget tree, in a real window, on every screen, in both
orientations and both palettes: every touch target is at least 2 cm each way on a 10-inch 1280x800
screen and apart from the others, and every text is at least 7:1 against what it is drawn on (the WCAG
contrast formula)."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.test_gui import run_kiosk
from tests.test_voice_gui import KOREAN_KIOSK

pytestmark = pytest.mark.gui

PX_PER_CM = math.hypot(1280, 800) / (10 * 2.54)
"""A 10-inch 1280x800 touchscreen: about 59 pixels to the centimetre."""
MIN_TARGET_PX = 2 * PX_PER_CM
MIN_CONTRAST = 7.0


def luminance(rgba: list[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcag():
    assert contrast([0, 0, 0, 1], [1, 1, 1, 1]) == pytest.approx(21)
    assert contrast([0.4627, 0.4627, 0.4627, 1], [1, 1, 1, 1]) == pytest.approx(4.54, abs=0.01)  # #767676


def walk_every_screen(shots: Path, high_contrast: bool) -> list[dict[str, Any]]:
    """Steps that visit every screen of the default kiosk, auditing each."""
    def audit(name: str) -> dict[str, str]:
        return {"audit": str(shots / f"{name}.json")}
    contrast_on = [{"tap": "setting:high_contrast"}] if high_contrast else []
    return [
        *contrast_on, audit("attract"),
        {"tap": "setting:language"}, audit("language"), {"tap": "control:back"},
        {"tap": "start"}, audit("choice"), {"tap": "control:help"}, audit("help_asked"), {"tap": "help:carry_on"},
        {"tap": "answer:very-poor"}, audit("text"),
        {"type": "a worker hit me"}, {"tap": "control:done"}, audit("help"), {"tap": "help:phone"},
        audit("help_phone"), {"tap": "control:back"}, {"tap": "help:tell_staff"}, audit("help_staff"),
        {"tap": "help:carry_on"},
        {"advance": 61}, audit("still_there"), {"tap": "still_here"},
        {"tap": "answer:yes"}, {"tap": "answer:yes"}, {"tap": "control:skip"}, {"tap": "control:skip"},
        audit("about_you"),
        {"tap": "answer:yes"}, audit("about_you_age"), {"tap": "control:skip"}, audit("about_you_who"),
        {"tap": "control:skip"}, audit("thank_you"),
        {"advance": 10}, *contrast_on, {"disk_full": True}, {"tap": "start"},
        *[{"tap": "control:skip"}] * 5, {"tap": "answer:no"}, {"disk_full": False},
        audit("out_of_order"),  # shown until the next retry, half a minute on
    ]


def walk_voice_screens(shots: Path, said: Path, high_contrast: bool) -> list[dict[str, Any]]:
    contrast_on = [{"tap": "setting:high_contrast"}] if high_contrast else []
    return [*contrast_on, {"tap": "start"}, {"microphone": str(said)}, {"tap": "control:listen"},
            {"audit": str(shots / "listening.json")}, {"wait_for": "confirm_voice", "seconds": 60},
            {"audit": str(shots / "confirm_voice.json")}]


def overlap(a: list[float], b: list[float]) -> bool:
    """Two boxes that share any area, neither holding the other (a whole-screen "start" holds its buttons)."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    inside = (ax <= bx and ay <= by and bx + bw <= ax + aw and by + bh <= ay + ah) or (
        bx <= ax and by <= ay and ax + aw <= bx + bw and ay + ah <= by + bh)
    return not inside and ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def problems(audit: dict[str, Any], palette: str, size: str) -> list[str]:
    found = []
    where = f"{audit['screen']} ({palette}, {size})"
    targets = [w for w in audit["widgets"] if "tap_id" in w]
    found += [f"{where}: {a['tap_id']} and {b['tap_id']} overlap" for i, a in enumerate(targets)
              for b in targets[i + 1:] if overlap(a["box"], b["box"])]
    for widget in audit["widgets"]:
        if "tap_id" in widget and min(widget["box"][2:]) < MIN_TARGET_PX:
            found.append(f"{where}: {widget['tap_id'] or widget['class']} is {widget['box'][2]:.0f}x"
                         f"{widget['box'][3]:.0f} px, under 2 cm ({MIN_TARGET_PX:.0f} px)")
        if widget.get("squeezed"):
            found.append(f"{where}: {widget['text']!r} has no room: drawn over its neighbours")
        elif "text" in widget:
            behind = widget["background"]
            ratio = contrast(widget["color"], behind) if behind else 0
            if ratio < MIN_CONTRAST:
                found.append(f"{where}: {widget['text']!r} has contrast {ratio:.1f}:1 on {behind}")
    return found


@pytest.mark.parametrize("size", ["1280x800", "800x1280"])
@pytest.mark.parametrize("palette", ["standard", "high contrast"])
def test_every_screen_has_big_targets_and_readable_text(tmp_path, kiosk_env, size, palette):
    shots = tmp_path / "audits"
    shots.mkdir()
    said = tmp_path / "good.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(said), "좋아요"], check=True)
    high = palette == "high contrast"
    run_kiosk(tmp_path, kiosk_env, walk_every_screen(shots, high), data=tmp_path / "data", size=size)
    run_kiosk(tmp_path, kiosk_env, walk_voice_screens(shots, said, high), data=tmp_path / "voice-data", size=size,
              config=KOREAN_KIOSK)
    audits = [json.loads(path.read_text()) for path in sorted(shots.glob("*.json"))]
    assert {a["screen"] for a in audits} == {
        "attract", "language", "choice", "text", "help", "still_there", "thank_you", "out_of_order",
        "listening", "confirm_voice"}
    assert all(any("tap_id" in w for w in a["widgets"]) for a in audits)
    assert all(any("text" in w for w in a["widgets"]) for a in audits)
    found = [problem for audit in audits for problem in problems(audit, palette, size)]
    assert found == [], "\n".join(found)


KEYBOARD_PAGES = {"en-GB": 1, "bn": 3, "ko": 2}


@pytest.mark.parametrize("size", ["1280x800", "800x1280"])
def test_every_page_of_every_keyboard_has_big_keys_and_readable_letters(tmp_path, kiosk_env, size):
    """The text screen with each language's keyboard (kiosk.keyboard), page by page."""
    shots = tmp_path / "audits"
    shots.mkdir()
    for language, pages in KEYBOARD_PAGES.items():
        choose = [{"tap": "setting:language"}, {"tap": f"language:{language}"}] if language != "en-GB" else []
        steps = [*choose, {"tap": "start"}, {"tap": "answer:good"}, {"audit": str(shots / f"{language}-1.json")}]
        for page in range(2, pages + 1):
            steps += [{"tap": f"key:page:{page}"}, {"audit": str(shots / f"{language}-{page}.json")}]
        run_kiosk(tmp_path, kiosk_env, steps, data=tmp_path / f"data-{language}", size=size)
    audits = {path.stem: json.loads(path.read_text()) for path in sorted(shots.glob("*.json"))}
    assert len(audits) == sum(KEYBOARD_PAGES.values())
    keys = {name: {w["tap_id"] for w in audit["widgets"] if w.get("tap_id", "").startswith("key:")}
            for name, audit in audits.items()}
    assert {"key:ক", "key:া", "key:space", "key:delete", "key:page:2"} <= keys["bn-1"]  # consonants first
    assert {"key:অ", "key:page:1"} <= keys["bn-3"]
    assert {"key:ㅎ", "key:ㅏ", "key:page:2"} <= keys["ko-1"] and "key:a" in keys["en-GB-1"]
    assert all(len(found) <= 30 for found in keys.values())
    found = [problem for name, audit in audits.items() for problem in problems(audit, name, size)]
    assert found == [], "\n".join(found)
