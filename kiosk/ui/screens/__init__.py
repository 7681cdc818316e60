"""One small Screen class and one .kv file per kiosk screen; each only draws a FlowState."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty
from kivy.uix.screenmanager import Screen

from kiosk.flow import FlowState


class KioskScreen(Screen):
    """Base of every screen: knows the orientation and draws the flow's state."""

    landscape = BooleanProperty(True)

    def show(self, state: FlowState) -> None:
        """Draw ``state``; screens with nothing that changes keep the default."""


def load_kv(module_file: str) -> None:
    """Load the .kv file that sits beside a screen's module."""
    Builder.load_file(str(Path(module_file).with_suffix(".kv")))


load_kv(str(Path(__file__).with_name("common.kv")))
