"""Reusable pieces of the screens: picture buttons, the progress dots and the big letter keyboard."""

from __future__ import annotations

from pathlib import Path

from kivy.graphics import Color, Ellipse, Line, RoundedRectangle
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.ui import theme

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class Tappable(ButtonBehavior):
    """Anything a person can tap; ``tap_id`` names it for tests, benchmarks and the screenshot maker."""

    tap_id = StringProperty("")


class PictureButton(Tappable, BoxLayout):
    """A picture with a word: picture above the word (``stacked``) or beside it, Easy Read style."""

    picture = StringProperty("")
    text = StringProperty("")
    stacked = BooleanProperty(True)
    selected = BooleanProperty(False)
    fill = ListProperty([1, 1, 1, 1])
    text_color = ListProperty([0.08, 0.08, 0.08, 1])
    label_size = NumericProperty(28)


class LetterKey(Tappable, Label):
    """One key of the on-screen keyboard."""


class TapArea(Tappable, BoxLayout):
    """A whole-screen touch target (attract, thank you)."""


class ProgressDots(Widget):
    """Question ``number`` of ``total`` as a row of dots: reached ones filled, the current one larger."""

    number = NumericProperty(0)
    total = NumericProperty(0)

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.bind(number=self._redraw, total=self._redraw, pos=self._redraw, size=self._redraw)

    def _redraw(self, *_args: object) -> None:
        self.canvas.clear()
        step, radius = dp(36), dp(9)
        first = self.center_x - step * (self.total - 1) / 2
        with self.canvas:
            Color(*theme.SELECTED_BORDER)
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

    def _redraw(self, *_args: object) -> None:
        self.canvas.clear()
        gap = dp(10)
        width = (self.width - gap * (self.BARS - 1)) / self.BARS
        lit = round(self.level * self.BARS)
        with self.canvas:
            for index in range(self.BARS):
                x = self.x + index * (width + gap)
                height = self.height * (0.3 + 0.7 * (index + 1) / self.BARS)
                y = self.center_y - height / 2
                if index < lit:
                    Color(*theme.SELECTED_BORDER)
                    RoundedRectangle(pos=(x, y), size=(width, height), radius=[dp(6)])
                Color(*theme.BORDER)
                Line(rounded_rectangle=(x, y, width, height, dp(6)), width=dp(1.5))


class LetterKeyboard(BoxLayout):
    """Big letter keys in alphabetical order (easier to find than QWERTY for many people here),
    then a row with space and delete. Dispatches ``on_letter(char)`` and ``on_delete()``."""

    LETTERS = "abcdefghijklmnopqrstuvwxyz'.?,"
    delete_picture = StringProperty("")
    __events__ = ("on_letter", "on_delete")

    def on_letter(self, char: str) -> None:
        pass

    def on_delete(self) -> None:
        pass

    def rebuild(self, columns: int) -> None:
        """Lay the keys out ``columns`` to a row (9 in landscape, 7 in portrait: keys stay over 2 cm)."""
        self.clear_widgets()
        self.orientation = "vertical"
        letters = GridLayout(cols=columns, spacing=self.spacing)
        rows = len(self.LETTERS) // columns
        for char in self.LETTERS[: rows * columns]:
            key = LetterKey(text=char.upper(), tap_id=f"key:{char}")
            key.bind(on_release=lambda _key, c=char: self.dispatch("on_letter", c))
            letters.add_widget(key)
        space = LetterKey(text="space", tap_id="key:space", size_hint_x=2)
        space.bind(on_release=lambda _key: self.dispatch("on_letter", " "))
        delete = PictureButton(picture=self.delete_picture, text="delete", stacked=False, tap_id="key:delete",
                               label_size=30, fill=list(theme.CONTROL))
        delete.bind(on_release=lambda _key: self.dispatch("on_delete"))
        bottom = BoxLayout(spacing=self.spacing, size_hint_y=1 / rows)
        bottom.add_widget(space)
        bottom.add_widget(delete)
        self.add_widget(letters)
        self.add_widget(bottom)
