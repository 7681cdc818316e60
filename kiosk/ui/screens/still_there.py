"""Asked after a quiet spell: "Are you still there?" with a countdown back to the start, and what becomes of
the answers given so far if nobody is."""

from kivy.properties import NumericProperty

from kiosk.session.flow import FlowState
from kiosk.ui.screens import LeavingScreen, load_kv


class StillThereScreen(LeavingScreen):
    seconds_left = NumericProperty(0)

    def show(self, state: FlowState) -> None:
        super().show(state)
        self.seconds_left = state.seconds_left


load_kv(__file__)
