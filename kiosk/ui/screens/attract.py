"""The first thing people see: one big invitation to touch the screen, and a row of picture buttons
for this person's own settings (language, bigger text, high contrast, slower speech)."""

from kivy.properties import BooleanProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv


class AttractScreen(KioskScreen):
    waiting = BooleanProperty(False)
    bigger_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)
    slower_speech = BooleanProperty(False)

    def show(self, state: FlowState) -> None:
        self.waiting = state.waiting
        personal = state.personal
        self.bigger_text, self.high_contrast = personal.bigger_text, personal.high_contrast
        self.slower_speech = personal.slower_speech


load_kv(__file__)
