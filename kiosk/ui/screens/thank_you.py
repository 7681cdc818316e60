"""Shown only after the answers are safely stored."""

from kiosk.ui.screens import KioskScreen, load_kv


class ThankYouScreen(KioskScreen):
    pass


load_kv(__file__)
