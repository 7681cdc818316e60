"""Asked after a quiet spell: "Are you still there?" with a countdown back to the start."""

from kivy.properties import NumericProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv


class StillThereScreen(KioskScreen):
    seconds_left = NumericProperty(0)

    def show(self, state: FlowState) -> None:
        self.seconds_left = state.seconds_left


load_kv(__file__)
