"""A text answer ("What is working?", or "Tell us why" after a choice) on a big letter keyboard in the
person's own script (kiosk.keyboard)."""

from kivy.core.window import Window
from kivy.properties import StringProperty

from kiosk.session.flow import FlowState
from kiosk.ui.screens import QuestionScreen, load_kv


class TextScreen(QuestionScreen):
    draft = StringProperty("")

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._language = ""
        self._asking: tuple[object, ...] = ()
        self.bind(landscape=lambda *_: self._layout_keyboard())

    def _layout_keyboard(self) -> None:
        from kivy.app import App

        if self._language:
            keyboard = App.get_running_app().keyboards[self._language]
            self.ids.keyboard.rebuild(keyboard, 10 if self.landscape else 6, self._language)

    def show(self, state: FlowState) -> None:
        self.show_question(state)
        self.draft = state.draft
        asking = (state.question and state.question.id, state.follow_up)
        if state.personal.language != self._language:
            self._language = state.personal.language
            self._layout_keyboard()
        elif asking != self._asking:  # each text question starts on the keyboard's first page
            self.ids.keyboard.show_page(0)
        self._asking = asking

    def on_pre_enter(self, *_args: object) -> None:
        # and so does each coming back to it: the next person, asked the same question, found the keyboard
        # on the page the last person left it at, its first letters out of sight
        if self.ids.keyboard.page:
            self.ids.keyboard.show_page(0)

    # a physical keyboard works too (for people who use one, and for switch interfaces that type)
    def on_enter(self, *_args: object) -> None:
        Window.bind(on_textinput=self._typed, on_key_down=self._key_down)

    def on_leave(self, *_args: object) -> None:
        Window.unbind(on_textinput=self._typed, on_key_down=self._key_down)

    def _typed(self, _window: object, text: str) -> None:
        from kivy.app import App

        app = App.get_running_app()
        if text == " " and app.access.highlighted is not None:
            return  # Space presses the highlighted key (kiosk.ui.access)
        for char in text:
            app.flow.type_letter(char)

    def _key_down(self, _window: object, key: int, *_args: object) -> bool:
        from kivy.app import App

        app = App.get_running_app()
        flow = app.flow
        if key == 8:  # backspace
            flow.delete_letter()
            return True
        if key == 13 and app.access.highlighted is None:  # enter, when not pressing a highlighted button
            flow.submit_text()
            return True
        return False


load_kv(__file__)
