"""Reusable pieces of the screens: picture buttons, the progress dots and the big letter keyboard."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

from kivy.core.text import Label as CoreLabel
from kivy.core.text.markup import MarkupLabel
from kivy.factory import Factory
from kivy.graphics import Color, Ellipse, Line, RoundedRectangle
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.keyboard import PHYSICAL, Keyboard, label
from kiosk.ui.theme import Palette
from kiosk.ui.words import translate as _

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class Tappable(ButtonBehavior):
    """Anything a person can tap; ``tap_id`` names it for tests, benchmarks and the screenshot maker."""

    tap_id = StringProperty("")


class Picture(Image):
    """A picture, scaled to fit inside its box and never past it. Kivy's Image clips itself with a stencil
    (for ``fit_mode: "cover"``): three box-sized draws more per picture, which a software GL driver pays for
    in every frame. widgets.kv draws a Picture without them."""

    plated = BooleanProperty(False)
    """On a square plate of the palette's ``plate`` colour: a light tile in high contrast, so black outlines
    stay visible on black; nothing in the standard palette."""


class PictureButton(Tappable, BoxLayout):
    """A picture with a word: picture above the word (``stacked``) or beside it, Easy Read style."""

    picture = StringProperty("")
    text = StringProperty("")
    stacked = BooleanProperty(True)
    selected = BooleanProperty(False)
    fill = ColorProperty()
    """The card's colour (the palette's card colour unless a screen says otherwise)."""
    text_color = ColorProperty()
    label_size = NumericProperty("28sp")
    """Its word's size, in sp so a person's "bigger text" (Metrics.fontscale) enlarges it."""
    font_name = StringProperty("")
    """The word's font when it is not in the language on screen (a language's own name)."""
    markup = BooleanProperty(False)
    """Whether ``text`` is Kivy markup (``[font=...]``: words in several scripts on one button)."""
    shown = BooleanProperty(True)
    """False: out of its row, taking no room and no taps (a button that is there only sometimes)."""

    def on_shown(self, _button: PictureButton, shown: bool) -> None:
        # set here on every change: a kv rule's constant width of 0 is applied once only, and went stale
        self.size_hint_x, self.width = (1, 1) if shown else (None, 0)
        self.opacity = 1 if shown else 0
        self.disabled = not shown


class FitLabel(Label):
    """Words that shrink (to 60 % at most) rather than spill out of their box: long translations and a
    person's bigger text must not cut a question or a button's word in half."""

    wanted_size = NumericProperty("28sp")
    """The size the words should be, when they fit."""
    room = NumericProperty(0)
    """The height the words may take (0: the label's own height)."""
    SMALLEST = 0.6
    bigger: float = 1.0
    """The person's "bigger text" factor (a script's own size factor aside): words never shrink below normal."""

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        # fitted at once, not on the next frame: no frame shows the words too big or too small
        self.bind(text=self._fit, width=self._fit, height=self._fit, room=self._fit, wanted_size=self._fit,
                  font_name=self._fit, bold=self._fit)
        self._fit()

    def _fit(self, *_args: object) -> None:
        room, size = self.room or self.height, self.wanted_size
        # a person's bigger text never makes words smaller than everyone else's: they wrap and the layout grows
        smallest = self.wanted_size * (max(self.SMALLEST, 1 / self.bigger) if self.bigger > 1 else self.SMALLEST)
        width = self.width - self.padding[0] - self.padding[2]
        if width > 1 and room > 1 and self.text:
            longest = max(self.text.split() or [self.text], key=len)  # a word is never broken in two
            while size * 0.92 >= smallest and (self._laid_out(size, longest, None)[0] > width
                                               or not self._fits(size, width, room)):
                size *= 0.92
        self.font_size = size

    def _fits(self, size: float, width: float, room: float) -> bool:
        """Whether every word is laid out within ``room`` at ``size``: measured as Kivy will lay the label out,
        in its own box when it has one (with its words centred, Kivy gives the lines after the middle line
        break only half the box, and drops what does not fit there)."""
        # (its own height, not text_size's, which kv sets from the size after this label's size has changed)
        height = self.height if self.text_size[1] is not None and not self.room else None
        drawn_height, complete = self._laid_out(size, self.text, width, height)[1:]
        return complete and drawn_height + self.padding[1] + self.padding[3] <= room

    def _laid_out(self, size: float, text: str, width: float | None,
                  height: float | None = None) -> tuple[float, float, bool]:
        return _laid_out(self.markup, text, size, self.font_name, self.bold, width, height, self.halign, self.valign)


@functools.lru_cache(maxsize=4096)
def _laid_out(markup: bool, text: str, size: float, font_name: str, bold: bool, width: float | None,
              height: float | None, halign: str, valign: str) -> tuple[float, float, bool]:
    """The width and height Kivy lays ``text`` out at in a box ``width`` x ``height`` (None: unbounded), and
    whether every word found a place: its line layout only, never drawn (drawing the words with Pillow
    to measure them cost most of a screen change), and remembered, since the same words come back on
    every session."""
    kind = MarkupLabel if markup else CoreLabel  # markup: words in several languages' fonts
    core = kind(text=text, font_size=size, font_name=font_name, bold=bold, text_size=(width, height),
                halign=halign, valign=valign)
    core.render()
    drawn_width, drawn_height = core._internal_size
    return drawn_width, drawn_height, every_word_laid_out(core, text, markup)


def every_word_laid_out(core: CoreLabel, text: str, markup: bool) -> bool:
    """Whether Kivy found a place for all of ``text`` in its line layout: with a height to keep to, it silently
    leaves out the lines that do not fit."""
    drawn = "".join(lines_laid_out(core))
    return len("".join(drawn.split())) >= len("".join(plain_text(text, markup).split()))


def lines_laid_out(core: CoreLabel) -> list[str]:
    """The words of each line as Kivy laid them out (markup tags are not in them)."""
    return ["".join(word.text for word in line.words) for line in core._cached_lines]


def plain_text(text: str, markup: bool) -> str:
    """``text`` without its markup tags (``[font=...]``), as it is drawn."""
    return MARKUP_TAG.sub("", text) if markup else text


MARKUP_TAG = re.compile(r"\[/?[a-z_]+(=[^\]]*)?\]")


class LetterKey(Tappable, FitLabel):
    """One key of the on-screen keyboard."""


class TapArea(Tappable, BoxLayout):
    """A whole-screen touch target (attract, thank you)."""


def colors() -> Palette:
    from kivy.app import App

    return App.get_running_app().colors


class ProgressDots(Widget):
    """Question ``number`` of ``total`` as a row of dots: reached ones filled, the current one larger."""

    number = NumericProperty(0)
    total = NumericProperty(0)

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.bind(number=self._redraw, total=self._redraw, pos=self._redraw, size=self._redraw)
        colors().bind(selected_border=self._redraw)

    def _redraw(self, *_args: object) -> None:
        self.canvas.clear()
        # 36 dp apart where there is room; closer (and smaller) beside bigger text and a microphone button
        step = min(dp(36), (self.width - dp(10)) / max(self.total, 1))
        radius = min(dp(9), step / 4)
        first = self.center_x - step * (self.total - 1) / 2
        with self.canvas:
            Color(*colors().selected_border)
            for index in range(int(self.total)):
                x = first + index * step
                if index + 1 == self.number:
                    big = radius * 1.4
                    Ellipse(pos=(x - big, self.center_y - big), size=(2 * big, 2 * big))
                elif index + 1 < self.number:
                    Ellipse(pos=(x - radius, self.center_y - radius), size=(2 * radius, 2 * radius))
                else:
                    Line(circle=(x, self.center_y, radius), width=dp(2))


class LevelMeter(Widget):
    """ "I'm listening": a row of bars that rise with the voice heard (``level`` 0..1). The bars are
    outlined too, so the meter reads without colour."""

    level = NumericProperty(0.0)
    BARS = 12

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.bind(level=self._redraw, pos=self._redraw, size=self._redraw)
        colors().bind(selected_border=self._redraw, border=self._redraw)

    def _redraw(self, *_args: object) -> None:
        self.canvas.clear()
        gap = dp(10)
        width = (self.width - gap * (self.BARS - 1)) / self.BARS
        lit = round(self.level * self.BARS)
        palette = colors()
        with self.canvas:
            for index in range(self.BARS):
                x = self.x + index * (width + gap)
                height = self.height * (0.3 + 0.7 * (index + 1) / self.BARS)
                y = self.center_y - height / 2
                if index < lit:
                    Color(*palette.selected_border)
                    RoundedRectangle(pos=(x, y), size=(width, height), radius=[dp(6)])
                Color(*palette.border)
                Line(rounded_rectangle=(x, y, width, height, dp(6)), width=dp(1.5))


class LetterKeyboard(GridLayout):
    """The on-screen keyboard of the language on screen (kiosk.keyboard): a page of big letter keys, then
    "more letters" when there are more pages, space and delete, each of those three a picture with its
    word. Every page has as many places as the fullest, so keys keep their size and space and delete stay
    where they were. Dispatches ``on_letter(key)`` and ``on_delete()``; the flow decides what they do."""

    keyboard = ObjectProperty(PHYSICAL)
    page = NumericProperty(0)
    delete_picture = StringProperty("")
    space_picture = StringProperty("")
    page_picture = StringProperty("")
    LETTER_SIZE = "42sp"
    """Bigger than a button's words: Hangul jamo and Bengali signs are small beside Latin capitals of a size."""
    CONTROL_SIZE = "22sp"
    """Small enough for "more letters" on two lines to leave its picture room."""
    __events__ = ("on_letter", "on_delete")

    def on_letter(self, key: str) -> None:
        pass

    def on_delete(self) -> None:
        pass

    def rebuild(self, keyboard: Keyboard, columns: int, language: str) -> None:
        """Lay ``keyboard`` out ``columns`` to a row, on its first page, with its own keys' words in ``language``."""
        self.keyboard, self.cols, self.rows = keyboard, columns, -(-keyboard.slots // columns)
        self._letters = [[self._letter_key(key) for key in page] for page in keyboard.pages]
        self._controls = self._control_keys(language)
        self.show_page(0)

    def show_page(self, page: int) -> None:
        self.page = page
        self.clear_widgets()
        letters = self._letters[page]
        gap = self.rows * self.cols - len(letters) - len(self._controls)
        for key in [*letters, *(Widget() for _blank in range(gap)), *self._controls]:
            self.add_widget(key)
        if len(self.keyboard.pages) > 1:
            self._controls[0].tap_id = f"key:page:{self.keyboard.next_page(page) + 1}"

    def _letter_key(self, key: str) -> LetterKey:
        letter = LetterKey(text=label(key), tap_id=f"key:{key}", wanted_size=self.LETTER_SIZE)
        letter.bind(on_release=lambda _key: self.dispatch("on_letter", key))
        return letter

    def _control_keys(self, language: str) -> list[Widget]:
        def key(picture: str, words: str, tap_id: str, action: Callable[[], object]) -> Widget:
            button = Factory.ControlButton(picture=picture, text=words, tap_id=tap_id, label_size=self.CONTROL_SIZE)
            button.bind(on_release=lambda _key: action())
            return button

        space = key(self.space_picture, _("space", language), "key:space", lambda: self.dispatch("on_letter", " "))
        delete = key(self.delete_picture, _("delete", language), "key:delete", lambda: self.dispatch("on_delete"))
        if len(self.keyboard.pages) < 2:
            return [space, delete]
        # Translators: the keyboard key that shows its next page of letters (also signs and punctuation).
        more = key(self.page_picture, _("More letters", language), "",
                   lambda: self.show_page(self.keyboard.next_page(self.page)))
        return [more, space, delete]
