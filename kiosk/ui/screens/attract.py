"""The first thing people see: one big invitation to touch the screen, and a row of picture buttons
for this person's own settings (language, bigger text, high contrast, slower speech)."""

from kivy.properties import BooleanProperty, StringProperty
from kivy.utils import escape_markup

from kiosk.session.flow import FlowState
from kiosk.ui import theme
from kiosk.ui.screens import KioskScreen, load_kv
from kiosk.ui.words import translate as _


class AttractScreen(KioskScreen):
    waiting = BooleanProperty(False)
    bigger_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)
    slower_speech = BooleanProperty(False)
    language_words = StringProperty("")
    """ "Language" in each offered language and its own font, one per line (Kivy markup)."""

    def show(self, state: FlowState) -> None:
        if not self.language_words:
            self.language_words = language_words()
        self.waiting = state.waiting
        personal = state.personal
        self.bigger_text, self.high_contrast = personal.bigger_text, personal.high_contrast
        self.slower_speech = personal.slower_speech


def language_words() -> str:
    from kivy.app import App

    app = App.get_running_app()
    lines = {}
    for tag in app.flow.languages:
        word = _("Language", tag)
        lines.setdefault(word, f"[font={theme.font_for(app.language_names[tag][1])}]{escape_markup(word)}[/font]")
    return "\n".join(lines.values())  # English once, however many English tags


load_kv(__file__)
