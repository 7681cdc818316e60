""" "Do you want to start again from the beginning?": asked before a session with answers in it is left,
so a tap meant for Back or Skip does not throw a person's answers away. It says what becomes of them."""

from kivy.properties import StringProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv
from kiosk.ui.words import translate
from kiosk.voice.prompts import what_happens_to_answers


class StartAgainScreen(KioskScreen):
    about_answers = StringProperty("")
    """ "Your answers so far are saved…" or "…will be deleted", in the person's language."""

    def show(self, state: FlowState) -> None:
        language = state.personal.language
        self.about_answers = what_happens_to_answers(state, lambda text: translate(text, language))


load_kv(__file__)
