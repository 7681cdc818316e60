"""Listening for an answer: a big ear, "I'm listening", and a meter that moves with the voice."""

from kivy.clock import Clock
from kivy.properties import NumericProperty, StringProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv

METER_SECONDS = 0.05


class ListeningScreen(KioskScreen):
    question_text = StringProperty("")
    question_picture = StringProperty("")
    number = NumericProperty(0)
    total = NumericProperty(0)
    listen_again = StringProperty("")
    level = NumericProperty(0.0)

    def show(self, state: FlowState) -> None:
        from kivy.app import App

        assert state.question is not None
        app = App.get_running_app()
        question = state.question
        self.question_text = question.follow_up if state.follow_up else question.text
        self.question_picture = app.pictures(question.follow_up_picture if state.follow_up else question.picture)
        self.number, self.total, self.listen_again = state.number, state.total, state.listen_again

    def on_enter(self, *_args: object) -> None:
        self._meter = Clock.schedule_interval(self._read_level, METER_SECONDS)

    def on_leave(self, *_args: object) -> None:
        self._meter.cancel()
        self.level = 0.0

    def _read_level(self, _dt: float) -> None:
        from kivy.app import App

        self.level = App.get_running_app().voice.level


load_kv(__file__)
