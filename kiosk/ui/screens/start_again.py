""" "Do you want to start again from the beginning?": asked before a session with answers in it is left,
so a tap meant for Back or Skip does not throw a person's answers away."""

from kiosk.ui.screens import KioskScreen, load_kv


class StartAgainScreen(KioskScreen):
    pass


load_kv(__file__)
