"""Look and feel in one place: Easy Read colours (text contrast at least 7:1, in two palettes), fonts and
picture paths."""

from __future__ import annotations

import functools
from pathlib import Path

from kivy.event import EventDispatcher
from kivy.properties import ColorProperty

from sync.core.fonts import font_files
from sync.core.questions import find_picture

STANDARD = {
    "background": (0.98, 0.97, 0.94, 1),  # warm off-white, easier on the eyes than pure white
    "text": (0.08, 0.08, 0.08, 1),  # near black: 18:1 on the background
    "card": (1, 1, 1, 1),
    "border": (0.2, 0.2, 0.2, 1),
    "pressed": (0.86, 0.90, 0.96, 1),
    "selected_fill": (0.85, 0.92, 1, 1),
    "selected_border": (0.0, 0.27, 0.62, 1),  # dark blue, drawn thicker so colour is not the only sign
    "control": (0.91, 0.90, 0.87, 1),
    "go": (0.06, 0.38, 0.17, 1),  # dark green "Done": white text on it is 7.8:1
    "go_text": (1, 1, 1, 1),
    "muted": (0.30, 0.30, 0.30, 1),  # secondary text: 9:1 on the background
    "plate": (0, 0, 0, 0),  # behind a button's picture: nothing
}
"""The Easy Read colours: every text colour is at least 7:1 on what it is drawn on (tests/test_contrast.py)."""

HIGH_CONTRAST = {
    "background": (0, 0, 0, 1),
    "text": (1, 1, 1, 1),  # white on black: 21:1
    "card": (0.08, 0.08, 0.08, 1),
    "border": (1, 1, 1, 1),
    "pressed": (0.25, 0.25, 0.25, 1),
    "selected_fill": (0.12, 0.12, 0.0, 1),
    "selected_border": (1, 0.85, 0.0, 1),  # yellow
    "control": (0.14, 0.14, 0.14, 1),
    "go": (1, 0.85, 0.0, 1),  # yellow "Done" with black words: 14:1
    "go_text": (0, 0, 0, 1),
    "muted": (0.85, 0.85, 0.85, 1),
    "plate": (0.94, 0.94, 0.94, 1),  # a light tile behind each button's picture: its black outlines stay visible
}
"""For people with low vision who see light text on black better: a person's choice on the start screen."""


class Palette(EventDispatcher):
    """The colours on screen now; the .kv files draw with ``app.colors.text`` and so on, so switching
    palettes recolours every screen at once."""

    background = ColorProperty(STANDARD["background"])
    text = ColorProperty(STANDARD["text"])
    card = ColorProperty(STANDARD["card"])
    border = ColorProperty(STANDARD["border"])
    pressed = ColorProperty(STANDARD["pressed"])
    selected_fill = ColorProperty(STANDARD["selected_fill"])
    selected_border = ColorProperty(STANDARD["selected_border"])
    control = ColorProperty(STANDARD["control"])
    go = ColorProperty(STANDARD["go"])
    go_text = ColorProperty(STANDARD["go_text"])
    muted = ColorProperty(STANDARD["muted"])
    plate = ColorProperty(STANDARD["plate"])

    def use(self, colours: dict[str, tuple[float, ...]]) -> None:
        for name, value in colours.items():
            setattr(self, name, value)


@functools.cache
def font_for(own: tuple[Path, Path] | None) -> str:
    """The registered font name for a language pack's ``fonts`` (see sync.core.fonts); made once each."""
    from kivy.core.text import LabelBase

    regular, bold = font_files(own)
    name = f"Kiosk-{regular.stem}"
    LabelBase.register(name, str(regular), fn_bold=str(bold))
    return name


PICTURE_CACHES = {"kv.image": None, "kv.texture": 1000, "kv.resourcefind": None}
"""Kivy's caches of loaded pictures, their textures and found files, and the most each may hold (as Kivy has them)."""


def pictures_kept_loaded() -> None:
    """Keep every picture loaded for the app's life. Kivy forgets one after 60 s unused, so the tap that started a
    session after a quiet minute on the start screen read, decoded and uploaded every picture of the first
    question again, and every screen's first showing in that session did the same. A kiosk's pictures are a few
    dozen small files (the built-in ones are 544 KB of PNG). Call before the first picture loads: registering a
    cache empties it."""
    from kivy.cache import Cache

    for category, limit in PICTURE_CACHES.items():
        Cache.register(category, limit=limit, timeout=None)


class Pictures:
    """Finds a picture by name in the kiosk's picture folders (own pictures first, then built-in)."""

    def __init__(self, picture_dirs: list[Path]):
        self._dirs = picture_dirs

    def __call__(self, name: str) -> str:
        found = find_picture(name, self._dirs)
        return str(found) if found else ""
