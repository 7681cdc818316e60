"""Two changes to how Kivy draws words, each measured with bench/bench_ui.py (docs/performance.md).

New words get a new texture. Kivy redraws a label whose words changed into the texture it already has when
the size is the same ("Question 3 of 8" after "Question 2 of 8"). On Mesa's llvmpipe (kiosks without a GPU
driver, and every test machine) writing into a texture that earlier frames drew from waits for the drawing
to finish: 20-50 ms on a screen change, the largest single cost of a tap. A fresh texture costs an
allocation and no wait; GPUs do not mind either way.

A word is measured once per font. Kivy measures every word of a label each time it lays the label out, and
FitLabel lays a label out at several sizes to find the largest that fits: about 165 measurements a tap, each
a call into the font library (~70 us on one core). The same word in the same font always measures the same.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.core.text import Label as CoreLabel
from kivy.core.text import LabelBase

FONT_OPTIONS = ("font_name_r", "font_size", "bold", "italic", "limit_render_to_text_bbox", "font_context",
                "font_features", "font_direction", "font_script_name", "font_hinting", "font_kerning")
"""Every label option that can change a word's size, in any of Kivy's text providers."""

MEASURED_LIMIT = 50_000
"""Words kept measured; past this the store starts again (a kiosk's words are a few thousand)."""

_measured: dict[tuple[object, ...], tuple[int, int]] = {}


def words_on_new_textures() -> None:
    """Make every label draw changed words into a texture of its own (once per process)."""
    if getattr(LabelBase.refresh, "fresh_texture", False):
        return
    redraw_in_place = LabelBase.refresh

    def refresh(self: LabelBase) -> None:
        self.texture = None  # Kivy makes a new one when it has none
        redraw_in_place(self)

    refresh.fresh_texture = True  # type: ignore[attr-defined]
    LabelBase.refresh = refresh  # type: ignore[method-assign]


def words_measured_once() -> None:
    """Make the text provider in use remember each word's size in each font (once per process)."""
    if getattr(CoreLabel.get_cached_extents, "measured_once", False):
        return

    def get_cached_extents(self: LabelBase) -> Callable[[str], tuple[int, int]]:
        font = tuple(self.options.get(name) for name in FONT_OPTIONS)
        measure = self.get_extents

        def extents(text: str) -> tuple[int, int]:
            key = (font, text)
            size = _measured.get(key)
            if size is None:
                if len(_measured) >= MEASURED_LIMIT:
                    _measured.clear()
                size = _measured[key] = measure(text)
            return size

        return extents

    get_cached_extents.measured_once = True  # type: ignore[attr-defined]
    CoreLabel.get_cached_extents = get_cached_extents  # type: ignore[method-assign]
