"""Using the kiosk without touching it: a keyboard, or one or two switches.

A highlight (a thick ring, in the palette's selected colour) moves over the things a person can press
on the screen, in reading order, and each one is read aloud as it is reached:

    Tab, Right, Down      move on            (two switches: the first sends Tab)
    Shift+Tab, Left, Up   move back
    Enter, Space          press what is highlighted (the second switch sends Enter)

With ``[access] scan_seconds`` above 0 the highlight also moves on by itself, so one switch (sending
Enter or Space) is enough. Typing on the text screen still types: Space is a space and Enter is "Done"
until the person starts moving the highlight with Tab or the arrows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics import Color, Line
from kivy.metrics import dp
from kivy.uix.widget import Widget

from kiosk.ui.audit import visible
from kiosk.ui.widgets import Tappable

TAB, ENTER, KEYPAD_ENTER, SPACE = 9, 13, 271, 32
LEFT, UP, RIGHT, DOWN = 276, 273, 275, 274
NEXT, PREVIOUS, PRESS = frozenset({TAB, RIGHT, DOWN}), frozenset({LEFT, UP}), frozenset({ENTER, KEYPAD_ENTER, SPACE})


def targets(screen: Widget) -> list[Any]:
    """What can be pressed on ``screen``, top to bottom, then left to right."""
    found = [w for w in screen.walk() if isinstance(w, Tappable) and visible(w)]
    return sorted(found, key=lambda w: (-round(w.to_window(w.x, w.top)[1] / 40), w.to_window(w.x, w.y)[0]))


class KeyAccess:
    """The highlight over ``current_screen()``'s targets; ``announce(target)`` reads a target aloud."""

    def __init__(self, current_screen: Callable[[], Widget], announce: Callable[[Any], None],
                 colour: Callable[[], tuple[float, ...]], pressed: Callable[[], None], scan_seconds: float,
                 layer: Any):
        """``pressed`` is called after each press, so the flow knows the session was answered this way. The
        highlight is drawn on ``layer``, a canvas over the whole window: the screens' own, so a screenshot of them
        shows it too."""
        self.current_screen, self.announce, self.colour, self.pressed = current_screen, announce, colour, pressed
        self.highlighted: Any = None
        self._ring = Line(width=dp(5))
        self._ring_colour = Color(0, 0, 0, 0)
        layer.add(self._ring_colour)
        layer.add(self._ring)
        Window.bind(on_key_down=self._key_down)
        if scan_seconds > 0:
            Clock.schedule_interval(lambda _dt: self.move(+1), scan_seconds)

    def reset(self) -> None:
        """A new screen: nothing highlighted until a key is pressed (or the scan moves)."""
        self.highlighted = None
        self._draw()

    def move(self, step: int) -> None:
        found = targets(self.current_screen())
        if not found:
            return
        index = found.index(self.highlighted) if self.highlighted in found else (-1 if step > 0 else 0)
        self.highlighted = found[(index + step) % len(found)]
        self._draw()
        self.announce(self.highlighted)

    def press(self) -> None:
        target = self.highlighted
        if target is not None and visible(target):
            target.trigger_action(duration=0)
            self.pressed()

    def _key_down(self, _window: object, key: int, _scancode: int, _codepoint: str | None,
                  modifiers: list[str]) -> bool:
        if (key == TAB and "shift" in modifiers) or key in PREVIOUS:
            self.move(-1)
        elif key in NEXT:
            self.move(+1)
        elif key in PRESS and self.highlighted is not None:
            self.press()
        else:
            return False  # not ours: typing on the text screen carries on as before
        return True

    def _draw(self) -> None:
        target = self.highlighted
        if target is None:
            self._ring_colour.rgba = (0, 0, 0, 0)
            return
        x, y = target.to_window(target.x, target.y)
        self._ring_colour.rgba = self.colour()
        self._ring.rounded_rectangle = (x - dp(4), y - dp(4), target.width + dp(8), target.height + dp(8), dp(20))


def words_of(target: Any) -> str:
    """What a target says: its own words, or those of the labels inside it."""
    text = getattr(target, "text", "")
    if text:
        return str(text)
    return " ".join(w.text for w in reversed(list(target.walk())) if w is not target and getattr(w, "text", ""))
