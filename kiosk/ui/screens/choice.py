"""A choice question: big picture answers in a row (landscape) or a list, picture left (portrait)."""


from kiosk.session.flow import FlowState
from kiosk.ui.screens import QuestionScreen, load_kv
from kiosk.ui.widgets import PictureButton


class ChoiceScreen(QuestionScreen):
    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._drawn: tuple[str, str, bool] | None = None
        self._buttons: list[PictureButton] = []
        self.bind(landscape=lambda *_: self._layout())

    def show(self, state: FlowState) -> None:
        from kivy.app import App

        self.show_question(state)
        question = state.question
        assert question is not None
        app = App.get_running_app()
        drawn = (question.id, state.personal.language, self.landscape)
        if self._drawn != drawn:
            grid = self.ids.answers
            # the buttons are kept and given new words: building six buttons from their kv rules took a
            # third of a screen change
            while len(self._buttons) < len(question.answers):
                button = PictureButton()
                button.bind(on_release=lambda b: app.flow.choose(b.tap_id.removeprefix("answer:")))
                self._buttons.append(button)
            grid.clear_widgets()
            for button, answer in zip(self._buttons, question.answers, strict=False):  # spare buttons wait
                button.tap_id, button.text = f"answer:{answer.id}", answer.text
                button.picture = app.pictures(answer.picture)
                grid.add_widget(button)
            self._drawn = drawn
            self._layout()
        for button in self.ids.answers.children:
            button.selected = button.tap_id == f"answer:{state.chosen}"

    def _layout(self) -> None:
        grid = self.ids.answers
        count = len(grid.children)
        grid.cols = max(count, 1) if self.landscape else 1
        for button in grid.children:
            button.stacked = self.landscape
            button.label_size = "30sp" if self.landscape else ("44sp" if count <= 3 else "36sp")


load_kv(__file__)
