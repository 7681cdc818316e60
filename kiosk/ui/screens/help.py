""" "You can talk to someone now": shown when someone's words suggest they may be at risk, with the
site's own contacts first, then the national lines (``[help]`` in kiosk.toml)."""

from kivy.factory import Factory

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv


class HelpScreen(KioskScreen):
    def show(self, state: FlowState) -> None:
        from kivy.app import App

        cards = self.ids.cards
        if cards.children:
            return  # the contacts do not change while the kiosk runs
        for contact in App.get_running_app().help_settings.contacts:
            card = Factory.ContactCard()  # a kv-defined class: its properties exist only once it is made
            card.name, card.phone, card.about = contact.name, contact.phone, contact.about
            cards.add_widget(card)


load_kv(__file__)
