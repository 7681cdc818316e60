"""Asked after a quiet spell: "Are you still there?" with a countdown back to the start, and what becomes of
the answers given so far if nobody is."""

from kivy.properties import NumericProperty, StringProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv
from kiosk.ui.words import translate
from kiosk.voice.prompts import what_happens_to_answers


class StillThereScreen(KioskScreen):
    seconds_left = NumericProperty(0)
    about_answers = StringProperty("")
    """ "Your answers so far are saved…" or "…will be deleted", in the person's language."""

    def show(self, state: FlowState) -> None:
        self.seconds_left = state.seconds_left
        language = state.personal.language
        self.about_answers = what_happens_to_answers(state, lambda text: translate(text, language))


load_kv(__file__)
