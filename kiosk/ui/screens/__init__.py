"""One small Screen class and one .kv file per kiosk screen; each only draws a FlowState."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

from kiosk.session.flow import FlowState
from kiosk.ui.words import translate
from kiosk.voice.prompts import what_happens_to_answers


class KioskScreen(Screen):
    """Base of every screen: knows the orientation and draws the flow's state. Screens draw no background
    of their own: the window is cleared to ``app.colors.background``."""

    landscape = BooleanProperty(True)

    def show(self, state: FlowState) -> None:
        """Draw ``state``; screens with nothing that changes keep the default."""


class LeavingScreen(KioskScreen):
    """A screen from which a session may end ("Start again?", "Are you still there?"): it says what becomes
    of the answers given so far, as the kiosk's policy decides."""

    about_answers = StringProperty("")
    """ "Your answers so far are saved…" or "…will be deleted", in the person's language."""

    def show(self, state: FlowState) -> None:
        language = state.personal.language
        self.about_answers = what_happens_to_answers(state, lambda text: translate(text, language))


class QuestionScreen(KioskScreen):
    """A screen headed by the current question (or its "tell us why"), its picture and progress."""

    question_text = StringProperty("")
    question_picture = StringProperty("")
    number = NumericProperty(0)
    total = NumericProperty(0)
    forward = StringProperty("skip")
    """The forward button: "skip", "next" or none (FlowState.forward)."""

    def show_question(self, state: FlowState) -> None:
        from kivy.app import App

        question = state.question
        assert question is not None
        self.number, self.total, self.forward = state.number, state.total, state.forward
        self.question_text = question.follow_up if state.follow_up else question.text
        picture = question.follow_up_picture if state.follow_up else question.picture
        self.question_picture = App.get_running_app().pictures(picture)


class InstantTransition(NoTransition):
    """The new screen alone, from the very next frame. Kivy's NoTransition still runs a zero-length animation,
    so the first frame after a tap drew the old screen and the new one on top of it: twice the pixels, on the
    frame a person waits for."""

    def start(self, manager: object) -> None:
        super().start(manager)
        self._anim.stop(self)  # finishes it now: the old screen leaves before anything is drawn


class Screens(ScreenManager):
    """The kiosk's screens, filling the window. Kivy's ScreenManager clips its screens with a stencil: two
    window-sized stencil writes a frame, and a stencil test on every pixel drawn. A software GL driver pays
    for each, and the screens fill the window anyway, so common.kv drops that rule.

    Each screen is built the first time it is asked for (``get_screen``, and so ``current``), or by
    ``build_next`` when the app has a moment: building all thirteen took most of the start before the first
    frame, and the start screen needs only itself. Once built, a screen is kept and reused."""

    def __init__(self, builders: dict[str, Callable[[], KioskScreen]], **kwargs: object):
        super().__init__(**kwargs)
        self._builders = dict(builders)
        """Screens not built yet, by name, in the order ``build_next`` builds them."""

    def get_screen(self, name: str) -> KioskScreen:
        builder = self._builders.pop(name, None)
        if builder is not None:
            self.add_widget(builder())
        return super().get_screen(name)

    def build_next(self, *, leaving: tuple[str, ...] = ()) -> bool:
        """Build one screen not built yet, other than those ``leaving`` for when they are asked for; False when
        there are none left."""
        waiting = [name for name in self._builders if name not in leaving]
        if waiting:
            self.get_screen(waiting[0])
        return len(waiting) > 1


def load_kv(module_file: str) -> None:
    """Load the .kv file that sits beside a screen's module."""
    Builder.load_file(str(Path(module_file).with_suffix(".kv")))


load_kv(str(Path(__file__).with_name("common.kv")))
