"""The first thing people see: one big invitation to touch the screen."""

from kivy.properties import BooleanProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv


class AttractScreen(KioskScreen):
    waiting = BooleanProperty(False)

    def show(self, state: FlowState) -> None:
        self.waiting = state.waiting


load_kv(__file__)
