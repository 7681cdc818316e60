""" "Do you want to start again from the beginning?": asked before a session with answers in it is left,
so a tap meant for Back or Skip does not throw a person's answers away. It says what becomes of them."""

from kiosk.ui.screens import LeavingScreen, load_kv


class StartAgainScreen(LeavingScreen):
    """Draws ``about_answers`` (LeavingScreen) under its question."""


load_kv(__file__)
