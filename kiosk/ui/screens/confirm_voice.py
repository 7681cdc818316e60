""" "You said: Good. Is that right?": what was heard, before anything is kept."""

from kivy.properties import BooleanProperty, StringProperty

from kiosk.session.flow import FlowState
from kiosk.ui.screens import QuestionScreen, load_kv


class ConfirmVoiceScreen(QuestionScreen):
    heard = StringProperty("")
    heard_picture = StringProperty("")
    dictated = BooleanProperty(False)
    """A text answer (offer the keyboard to correct it) rather than one of the pictures."""

    def show(self, state: FlowState) -> None:
        from kivy.app import App

        self.show_question(state)
        question = state.question
        assert question is not None
        self.heard = state.heard
        self.dictated = state.heard_answer is None
        picture = 'speech-balloon' if self.dictated else question.answer(state.heard_answer).picture
        self.heard_picture = App.get_running_app().pictures(picture)


load_kv(__file__)
