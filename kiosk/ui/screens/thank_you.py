"""Shown only after the answers are safely stored, with the latest "You said, we did" for this site,
so people see that speaking up changes things. Items are shown in the person's language only: one with no
words in it is left out (someone who chose Bengali may not read the English)."""

from kivy.properties import ListProperty, StringProperty

from kiosk.session.flow import FlowState
from kiosk.session.updates import words_in
from kiosk.ui.screens import KioskScreen, load_kv


class ThankYouScreen(KioskScreen):
    items = ListProperty([])
    """YouSaidWeDid items from the server, newest first."""
    said = StringProperty("")
    did = StringProperty("")
    picture = StringProperty("")

    def show(self, state: FlowState) -> None:
        from kivy.app import App

        readable = [(item, words) for item in self.items if (words := words_in(item, state.personal.language))]
        if readable:  # a different item each time, newest first
            shown = getattr(self, "_shown", -1) + 1
            self._shown = shown % len(readable)
            item, words = readable[self._shown]
            self.said, self.did = words.said, words.did
            self.picture = App.get_running_app().pictures(item.picture or "speech-balloon")
        else:
            self.said = self.did = self.picture = ""


load_kv(__file__)
