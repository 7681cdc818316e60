"""Look and feel in one place: Easy Read colours (text contrast well above 7:1), fonts and picture paths."""

from __future__ import annotations

from pathlib import Path

import fontpkg_atkinson_hyperlegible as atkinson

from kiosk.questions import find_picture

BACKGROUND = (0.98, 0.97, 0.94, 1)  # warm off-white, easier on the eyes than pure white
TEXT = (0.08, 0.08, 0.08, 1)  # near black: 18:1 on the background
CARD = (1, 1, 1, 1)
BORDER = (0.2, 0.2, 0.2, 1)
PRESSED = (0.86, 0.90, 0.96, 1)
SELECTED_FILL = (0.85, 0.92, 1, 1)
SELECTED_BORDER = (0.0, 0.27, 0.62, 1)  # dark blue, shown with a thicker border so colour is not the only sign
CONTROL = (0.91, 0.90, 0.87, 1)
GO = (0.06, 0.38, 0.17, 1)  # dark green "Done": white text on it is 7.8:1
GO_TEXT = (1, 1, 1, 1)
MUTED = (0.30, 0.30, 0.30, 1)  # secondary text: 9:1 on the background

FONT = "Atkinson"


NOTO = Path("/usr/share/fonts/opentype/noto")
SCRIPT_FONTS = {"ko": (NOTO / "NotoSansCJK-Regular.ttc", NOTO / "NotoSansCJK-Bold.ttc")}
"""Languages whose letters Atkinson Hyperlegible lacks: a font that has them (and Latin, for the numbers
and any English left untranslated). Debian's fonts-noto-cjk."""


def register_fonts(language: str = "en") -> None:
    """Make Atkinson Hyperlegible (designed for low-vision readers) the font of every label, or the
    language's own font where Atkinson has no letters for it."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    files = Path(atkinson.__file__).parent / "files"
    regular, bold = files / "AtkinsonHyperlegible-Regular.ttf", files / "AtkinsonHyperlegible-Bold.ttf"
    own = SCRIPT_FONTS.get(language.split("-")[0])
    if own is not None and own[0].is_file():
        regular, bold = own
    LabelBase.register(FONT, str(regular), fn_bold=str(bold))
    LabelBase.register(DEFAULT_FONT, str(regular), fn_bold=str(bold))


class Pictures:
    """Finds a picture by name in the kiosk's picture folders (own pictures first, then built-in)."""

    def __init__(self, picture_dirs: list[Path]):
        self._dirs = picture_dirs

    def __call__(self, name: str) -> str:
        found = find_picture(name, self._dirs)
        return str(found) if found else ""
