"""The staff screen: what the kiosk holds and when it last sent, and the tools a care worker needs."""

from kivy.properties import ListProperty, StringProperty

from kiosk.staff.mode import StaffState
from kiosk.ui.screens import KioskScreen, load_kv


class StaffScreen(KioskScreen):
    facts = ListProperty()
    message = StringProperty("")
    busy = StringProperty("")
    confirming = StringProperty("")

    def show_staff(self, state: StaffState) -> None:
        self.facts = [f"{label}:  [b]{value}[/b]" for label, value in state.facts]
        self.message, self.busy, self.confirming = state.message, state.busy, state.confirming


load_kv(__file__)
