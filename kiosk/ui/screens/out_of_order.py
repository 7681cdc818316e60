"""Shown instead of "thank you" when answers cannot be stored: calm, and asks for a member of staff."""

from kiosk.ui.screens import KioskScreen, load_kv


class OutOfOrderScreen(KioskScreen):
    pass


load_kv(__file__)
