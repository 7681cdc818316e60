""" "You can talk to someone now": shown when someone's words suggest they may be at risk. Easy Read, one idea a
page: first two ways to get help, "Find a member of staff now" (for someone with no phone, or who wants a person)
and "Phone someone"; then either a card to show the member of staff they bring, or the phone numbers (the site's
own people first, then the national lines: ``[help]`` in kiosk.toml), each with a picture and in the person's
language."""

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.session.flow import FlowState
from kiosk.ui.screens import KioskScreen, load_kv
from kiosk.ui.words import translate as _


class HelpScreen(KioskScreen):
    help_page = StringProperty("")
    """Which page shows (FlowState.help_page)."""
    asked_for_help = BooleanProperty(False)
    """The person asked for help ("I need help"), rather than their words raising a concern."""
    for_staff = StringProperty("")
    """The words the person shows a member of staff: theirs, and English under them."""

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._language = ""
        # every page is made once and kept; only the one showing is in the screen (and can be tapped or read)
        # (ids hold weak references: __self__ is the widget itself, kept here while out of the screen)
        self._pages = {page: self.ids[name].__self__ for page, name in (("", "ways"), ("phone", "phones"),
                                                                          ("staff", "staff"))}
        for page in self._pages.values():
            page.parent.remove_widget(page)
        self.ids.page.add_widget(self._pages[""])
        self._back, self._finish = self.ids.back.__self__, self.ids.finish.__self__
        self.ids.bar.remove_widget(self._back)
        # after "I need help", first: help with the question itself (hear it slowly, bigger words)
        self._with_the_question = [self.ids[name].__self__ for name in ("slowly", "bigger")]
        for way in self._with_the_question:
            self._pages[""].remove_widget(way)

    def show(self, state: FlowState) -> None:
        language = state.personal.language
        slowly, bigger = self._with_the_question
        wanted = ([slowly] + ([] if state.personal.bigger_text else [bigger])) if state.asked_for_help else []
        shown = [way for way in self._with_the_question if way.parent]
        if shown != wanted:
            ways = self._pages[""]
            for way in shown:
                ways.remove_widget(way)
            for way in reversed(wanted):
                ways.add_widget(way, index=len(ways.children))  # at the front, in order
        self.asked_for_help = state.asked_for_help
        if state.help_page != self.help_page:
            self.ids.page.clear_widgets()
            self.ids.page.add_widget(self._pages[state.help_page])
            self.help_page = state.help_page
            bar = self.ids.bar
            bar.remove_widget(self._back if self._back.parent else self._finish)
            if state.help_page:
                bar.add_widget(self._back, index=len(bar.children))  # first, where Back is on every screen
            else:
                bar.add_widget(self._finish, index=len(bar.children) - 1)  # after Carry on
        own = _("I would like to talk to someone, please.", language)
        english = _("I would like to talk to someone, please.", "en")
        self.for_staff = own if own == english else f"{own}\n{english}"
        if language != self._language:
            self._language = language
            self._show_phones(language)

    def _show_phones(self, language: str) -> None:
        from kivy.app import App

        app = App.get_running_app()
        phones = self._pages["phone"]
        phones.clear_widgets()
        for contact in app.help_settings.contacts:
            if contact.shown_to(language):
                words = contact.in_language(language)
                card = Factory.ContactCard()  # a kv-defined class: its properties exist only once it is made
                card.name, card.phone, card.about = words.name, contact.phone, words.about
                card.picture = app.pictures(contact.picture)
                phones.add_widget(card)


load_kv(__file__)
