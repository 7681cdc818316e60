"""Three changes to how Kivy draws words, each measured with bench/bench_ui.py (docs/performance.md).

New words get a new texture. Kivy redraws a label whose words changed into the texture it already has when
the size is the same ("Question 3 of 8" after "Question 2 of 8"). On Mesa's llvmpipe (kiosks without a GPU
driver, and every test machine) writing into a texture that earlier frames drew from waits for the drawing
to finish: 20-50 ms on a screen change, the largest single cost of a tap. A fresh texture costs an
allocation and no wait; GPUs do not mind either way.

A word is measured once per font. Kivy measures every word of a label each time it lays the label out, and
FitLabel lays a label out at several sizes to find the largest that fits: about 165 measurements a tap, each
a call into the font library (~70 us on one core). The same word in the same font always measures the same.

Words already drawn are not drawn again. Every session shows the same words at the same sizes ("Question 1 of
8", the answers, Back, Skip), and each new screen drew each of them again with Pillow and uploaded it: about
ten textures on the tap that starts a session. A texture drawn with the same words and the same options (font,
size, colour, box, alignment) is the same picture, so labels share it. Kivy's words are never drawn into a
texture that is in use (new words get a new texture, above), so sharing one is safe.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from kivy.core.text import Label as CoreLabel
from kivy.core.text import LabelBase
from kivy.core.text.markup import MarkupLabel
from kivy.graphics.texture import Texture

FONT_OPTIONS = ("font_name_r", "font_size", "bold", "italic", "limit_render_to_text_bbox", "font_context",
                "font_features", "font_direction", "font_script_name", "font_hinting", "font_kerning")
"""Every label option that can change a word's size, in any of Kivy's text providers."""

MEASURED_LIMIT = 50_000
"""Words kept measured; past this the store starts again (a kiosk's words are a few thousand)."""

DRAWN_PIXELS_LIMIT = 5_000_000
"""Pixels of drawn words kept (20 MB): the start screen and a whole session's words in one language at one size
(bench/bench_ui.py's session, keyboard included) are about 2.3 million in 92 textures, so a person's bigger text
or a second language fits beside them; the least recently shown go first."""

NOT_DRAWN = ("text", "text_size", "font_name_r")
"""Options that do not decide the picture: the words and box a label was made with (Kivy keeps the ones it has
now outside its options, and those are in the key) and the font file Kivy finds from ``font_name`` when it draws."""

_measured: dict[tuple[object, ...], tuple[int, int]] = {}
_drawn: OrderedDict[tuple[object, ...], Texture] = OrderedDict()
_drawn_pixels = [0]


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
    """Make the text provider in use remember each word's size in each font (once per process). Both ways Kivy
    measures go through it: the cached one its line layout uses, and the direct one it measures a space with on
    every layout."""
    if getattr(CoreLabel.get_extents, "measured_once", False):
        return
    measure = CoreLabel.get_extents

    def get_extents(self: LabelBase, text: str) -> tuple[int, int]:
        key = (tuple(self.options.get(name) for name in FONT_OPTIONS), text)
        size = _measured.get(key)
        if size is None:
            if len(_measured) >= MEASURED_LIMIT:
                _measured.clear()
            size = _measured[key] = measure(self, text)
        return size

    def get_cached_extents(self: LabelBase) -> Callable[[str], tuple[int, int]]:
        return self.get_extents

    get_extents.measured_once = True  # type: ignore[attr-defined]
    CoreLabel.get_extents = get_extents  # type: ignore[method-assign]
    CoreLabel.get_cached_extents = get_cached_extents  # type: ignore[method-assign]


def words_drawn_once() -> None:
    """Make labels share the texture of words already drawn with the same options (once per process; after
    ``words_on_new_textures``). Markup labels are left alone: drawing them is also what finds their links."""
    if getattr(LabelBase.refresh, "drawn_once", False):
        return
    draw, fill = LabelBase.refresh, LabelBase._texture_fill

    def refresh(self: LabelBase) -> None:
        self._drawn_key = None
        if isinstance(self, MarkupLabel):
            draw(self)
            return
        key = _drawn_key(self)
        texture = _drawn.get(key)
        if texture is None:
            draw(self)
            self._drawn_key = key  # kept once drawn (_texture_fill), not before: it might never be
            return
        _drawn.move_to_end(key)
        self.resolve_font_name()
        self._size_texture = size = self.render()  # the line layout, as Kivy's refresh leaves it
        self._size = (size[0], size[1])
        self.texture = texture

    def texture_fill(self: LabelBase, texture: Texture) -> None:
        fill(self, texture)
        key = getattr(self, "_drawn_key", None)
        if key is not None and texture is self.texture:  # not a texture its label has since replaced
            _keep(key, texture)

    refresh.drawn_once = True  # type: ignore[attr-defined]
    LabelBase.refresh = refresh  # type: ignore[method-assign]
    LabelBase._texture_fill = texture_fill  # type: ignore[method-assign]


def _drawn_key(label: LabelBase) -> tuple[object, ...]:
    """Everything that decides a label's picture: its words, its box, its class (the text provider) and every
    other option."""
    options = tuple(sorted((name, tuple(value) if isinstance(value, list) else value)
                           for name, value in label.options.items() if name not in NOT_DRAWN))
    return type(label), label.text, tuple(label.text_size), options


def _keep(key: tuple[object, ...], texture: Texture) -> None:
    if key in _drawn:
        return
    _drawn[key] = texture
    _drawn_pixels[0] += texture.width * texture.height
    while _drawn_pixels[0] > DRAWN_PIXELS_LIMIT and len(_drawn) > 1:
        _, oldest = _drawn.popitem(last=False)
        _drawn_pixels[0] -= oldest.width * oldest.height
