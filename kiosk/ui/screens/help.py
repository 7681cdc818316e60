""" "You can talk to someone now": shown when someone's words suggest they may be at risk. First "Tell a
member of staff now" (for someone with no phone, or who wants a person), then the site's own contacts,
then the national lines (``[help]`` in kiosk.toml), each with a picture and in the person's language."""

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv
from kiosk.ui.words import translate as _


class HelpScreen(KioskScreen):
    telling_staff = BooleanProperty(False)
    for_staff = StringProperty("")
    """The words the person shows a member of staff: theirs, and English under them."""

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._language = ""

    def show(self, state: FlowState) -> None:
        from kivy.app import App

        language = state.personal.language
        self.telling_staff = state.telling_staff
        own = _("I would like to talk to someone, please.", language)
        english = _("I would like to talk to someone, please.", "en")
        self.for_staff = own if own == english else f"{own}\n{english}"
        if language == self._language:
            return
        self._language = language
        app = App.get_running_app()
        cards = self.ids.cards
        for card in cards.children[:-1]:  # the last child is "Find a member of staff now"
            cards.remove_widget(card)
        for contact in app.help_settings.contacts:
            if contact.shown_to(language):
                words = contact.in_language(language)
                card = Factory.ContactCard()  # a kv-defined class: its properties exist only once it is made
                card.name, card.phone, card.about = words.name, contact.phone, words.about
                card.picture = app.pictures(contact.picture)
                cards.add_widget(card)


load_kv(__file__)
