"""The staff PIN pad, behind the hidden corner: digits show as dots, and a refusal says why in plain words.
Staff screens are in English only (see docs/operations.md)."""

from kivy.properties import NumericProperty, StringProperty

from kiosk.staff.mode import StaffState
from kiosk.ui.screens import KioskScreen, load_kv


class StaffPinScreen(KioskScreen):
    digits = NumericProperty(0)
    message = StringProperty("")

    def show_staff(self, state: StaffState) -> None:
        self.digits, self.message = state.digits, state.message


load_kv(__file__)
