"""On-screen keyboards in the person's own script, defined as data (``languages/<tag>/keyboard.toml``).

Plain Python with no Kivy import: the flow types with a keyboard, the screen only draws its keys.
"""

from kiosk.keyboard.layout import KEYBOARD_FILE, PHYSICAL, Keyboard, label, load_keyboard

__all__ = ["KEYBOARD_FILE", "PHYSICAL", "Keyboard", "label", "load_keyboard"]
