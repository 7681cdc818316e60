"""Choose a language: each one's name in its own words and script, said aloud in its own voice. A spoken-only
language (Sylheti) has a picture of an ear: it is heard, and its screens show another language's words."""

from kiosk.session.flow import FlowState
from kiosk.ui import theme
from kiosk.ui.screens import KioskScreen, load_kv
from kiosk.ui.widgets import PictureButton


class LanguageScreen(KioskScreen):
    def show(self, state: FlowState) -> None:
        from kivy.app import App

        app = App.get_running_app()
        grid = self.ids.languages
        if not grid.children:  # the languages do not change while the kiosk runs
            for tag in app.flow.languages:
                name, fonts, picture = app.language_names[tag]
                button = PictureButton(tap_id=f"language:{tag}", text=name, stacked=False, label_size="48sp",
                                       font_name=theme.font_for(fonts),
                                       picture=app.pictures(picture) if picture else "")
                button.bind(on_release=lambda _b, chosen=tag: app.flow.set_language(chosen))
                grid.add_widget(button)
        for button in grid.children:
            button.selected = button.tap_id == f"language:{state.personal.hears}"


load_kv(__file__)
