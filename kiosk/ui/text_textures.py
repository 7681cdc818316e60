"""New words get a new texture: a software GL driver stalls the whole frame to overwrite a texture in place.

Kivy redraws a label whose words changed into the texture it already has when the size is the same
("Question 3 of 8" after "Question 2 of 8"). On Mesa's llvmpipe (kiosks without a GPU driver, and every test
machine) writing into a texture that earlier frames drew from waits for the drawing to finish: 20-50 ms on a
screen change, the largest single cost of a tap (bench/bench_ui.py, docs/performance.md). A fresh texture
costs an allocation and no wait; GPUs do not mind either way.
"""

from __future__ import annotations

from kivy.core.text import LabelBase


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
