"""A text answer ("What is working?", or "Tell us why" after a choice) on a big letter keyboard."""

from kivy.core.window import Window
from kivy.properties import StringProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import QuestionScreen, load_kv


class TextScreen(QuestionScreen):
    draft = StringProperty("")

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.bind(landscape=lambda *_: self._layout_keyboard())
        self._layout_keyboard()

    def _layout_keyboard(self) -> None:
        self.ids.keyboard.rebuild(9 if self.landscape else 7)

    def show(self, state: FlowState) -> None:
        self.show_question(state)
        self.draft = state.draft

    # a physical keyboard works too (for people who use one, and for switch interfaces that type)
    def on_enter(self, *_args: object) -> None:
        Window.bind(on_textinput=self._typed, on_key_down=self._key_down)

    def on_leave(self, *_args: object) -> None:
        Window.unbind(on_textinput=self._typed, on_key_down=self._key_down)

    def _typed(self, _window: object, text: str) -> None:
        from kivy.app import App

        for char in text:
            App.get_running_app().flow.type_letter(char)

    def _key_down(self, _window: object, key: int, *_args: object) -> bool:
        from kivy.app import App

        flow = App.get_running_app().flow
        if key == 8:  # backspace
            flow.delete_letter()
            return True
        if key == 13:  # enter
            flow.submit_text()
            return True
        return False


load_kv(__file__)
