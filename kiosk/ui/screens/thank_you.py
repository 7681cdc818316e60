"""Shown only after the answers are safely stored, with the latest "You said, we did" for this site,
so people see that speaking up changes things."""

from kivy.properties import ListProperty, StringProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv


class ThankYouScreen(KioskScreen):
    items = ListProperty([])
    """YouSaidWeDid items from the server, newest first."""
    said = StringProperty("")
    did = StringProperty("")
    picture = StringProperty("")

    def show(self, state: FlowState) -> None:
        from kivy.app import App

        if self.items:  # a different item each time, newest first
            shown = getattr(self, "_shown", -1) + 1
            self._shown = shown % len(self.items)
            item = self.items[self._shown]
            self.said, self.did = item.said, item.did
            self.picture = App.get_running_app().pictures(item.picture or "speech-balloon")
        else:
            self.said = self.did = self.picture = ""


load_kv(__file__)
