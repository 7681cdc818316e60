"""Listening for an answer: a big ear, "I'm listening", and a meter that moves with the voice."""

from kivy.clock import Clock
from kivy.properties import NumericProperty, StringProperty

from kiosk.session.flow import FlowState
from kiosk.ui.screens import QuestionScreen, load_kv

METER_SECONDS = 0.05


class ListeningScreen(QuestionScreen):
    listen_again = StringProperty("")
    level = NumericProperty(0.0)

    def show(self, state: FlowState) -> None:
        self.show_question(state)
        self.listen_again = state.listen_again

    def on_enter(self, *_args: object) -> None:
        self._meter = Clock.schedule_interval(self._read_level, METER_SECONDS)

    def on_leave(self, *_args: object) -> None:
        self._meter.cancel()
        self.level = 0.0

    def _read_level(self, _dt: float) -> None:
        from kivy.app import App

        self.level = App.get_running_app().voice.level


load_kv(__file__)
