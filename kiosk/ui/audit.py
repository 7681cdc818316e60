"""What is on screen, read from the real widget tree: every touch target's size, every text's size, colour
and the colour it is drawn on, and whether a picture stands beside it. Tests check these against the Easy
Read rules (touch targets at least 2 cm on a 10-inch 1280x800 screen, text contrast at least 7:1 by the
WCAG formula, a picture beside the words, bigger text never smaller), and whether Kivy left words out, broke
a word in two or drew words past their box, or a layout squeezed words to nothing (``squeezed``: they are
drawn anyway, over their neighbours)."""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Rectangle, RoundedRectangle
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.ui.widgets import Tappable, every_word_laid_out, lines_laid_out, plain_text


def visible(widget: Widget, sized: bool = True) -> bool:
    """Drawn, with some size, and not hidden by it or a parent (opacity 0 or disabled); without ``sized``,
    whatever its size (words squeezed to nothing by their neighbours are still drawn, over them)."""
    node: Widget | None = widget
    while node is not None and node is not node.parent:
        if node.opacity == 0 or (sized and (node.width <= 1 or node.height <= 1)):
            return False
        node = node.parent
    return widget.get_root_window() is not None and not widget.disabled


def background(widget: Widget) -> tuple[float, ...]:
    """The colour filled behind ``widget``'s centre: the last opaque rectangle an ancestor (or the widget
    itself) draws under its children there, or else the window's own colour."""
    from kivy.core.window import Window

    x, y = widget.to_window(*widget.center)
    node: Widget | None = widget
    while node is not None:
        colour, found = None, None
        for instruction in node.canvas.before.children:
            if isinstance(instruction, Color):
                colour = tuple(instruction.rgba)
            elif isinstance(instruction, Rectangle | RoundedRectangle) and colour and colour[3] > 0:
                left, bottom = node.to_window(*instruction.pos) if node.parent else instruction.pos
                width, height = instruction.size
                if left <= x <= left + width and bottom <= y <= bottom + height:
                    found = colour
        if found is not None:
            return found
        node = node.parent if node.parent is not node else None
    return tuple(Window.clearcolor)


PICTURE_LEVELS = 3
"""How far up the widget tree a picture may sit and still be "beside" a text: the text's own box, the
button or card holding it, and the row holding that."""


def has_picture_beside(widget: Widget) -> bool:
    """Whether a visible picture shares a button, card or row with ``widget``."""
    node: Widget | None = widget.parent
    for _level in range(PICTURE_LEVELS):
        if node is None or node is node.parent:
            return False
        if any(isinstance(w, Image) and w.source and visible(w) for w in node.walk(restrict=True)):
            return True
        node = node.parent
    return False


def lines_cut(label: Label) -> bool:
    """Whether Kivy left words out: a label whose ``text_size`` fixes a height draws only the lines that fit
    in it, silently (a heading lost its first words so; one of three languages' words on a button went
    missing). Read from the lines Kivy actually laid out for the label, against all of its words."""
    return label._label is not None and not every_word_laid_out(label._label, label.text, label.markup)


def words_broken(label: Label) -> list[str]:
    """The words Kivy split across two lines: it breaks a word that is wider than the label rather than
    shrink it ("Langua" / "ge" on a button with bigger text)."""
    core = label._label
    if core is None:
        return []
    drawn = {word for line in lines_laid_out(core) for word in line.split()}
    return [word for word in plain_text(label.text, label.markup).split() if word not in drawn]


def overflows(label: Label) -> bool:
    """Whether the words are drawn bigger than the label's box, over whatever is beside it (a label sized
    by its width only grows downwards, past its own height)."""
    return label.texture_size[0] > label.width + 1 or label.texture_size[1] > label.height + 1


def audit(root: Widget) -> list[dict[str, Any]]:
    """One entry per visible touch target and per visible text under ``root``."""
    found = []
    for widget in root.walk():
        if not visible(widget):
            if isinstance(widget, Label) and widget.text.strip() and visible(widget, sized=False):
                found.append({"class": type(widget).__name__, "text": widget.text, "squeezed": True})
            continue
        x, y = widget.to_window(widget.x, widget.y)
        entry: dict[str, Any] = {"class": type(widget).__name__, "box": [x, y, widget.width, widget.height]}
        if isinstance(widget, Tappable):
            found.append({**entry, "tap_id": widget.tap_id})
        if isinstance(widget, Label) and widget.text.strip():
            found.append({**entry, "text": widget.text, "color": list(widget.color),
                          "background": background(widget), "font_size": widget.font_size,
                          "picture_beside": has_picture_beside(widget), "cut": lines_cut(widget),
                          "broken": words_broken(widget), "overflows": overflows(widget)})
    return found
