""" "You said: Good. Is that right?": what was heard, before anything is kept."""

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv


class ConfirmVoiceScreen(KioskScreen):
    question_text = StringProperty("")
    question_picture = StringProperty("")
    number = NumericProperty(0)
    total = NumericProperty(0)
    heard = StringProperty("")
    heard_picture = StringProperty("")
    dictated = BooleanProperty(False)
    """A text answer (offer the keyboard to correct it) rather than one of the pictures."""

    def show(self, state: FlowState) -> None:
        from kivy.app import App

        assert state.question is not None
        app = App.get_running_app()
        question = state.question
        self.question_text = question.follow_up if state.follow_up else question.text
        self.question_picture = app.pictures(question.follow_up_picture if state.follow_up else question.picture)
        self.number, self.total, self.heard = state.number, state.total, state.heard
        self.dictated = state.heard_answer is None
        picture = 'speech-balloon' if self.dictated else question.answer(state.heard_answer).picture
        self.heard_picture = app.pictures(picture)


load_kv(__file__)
