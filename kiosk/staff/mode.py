"""Staff mode: a hidden way in for care workers, a PIN, and a screen of plain tools. No Kivy here.

    start screen (or "out of order") ── hold the top-left corner ``hold_seconds`` ──▶ PIN pad
    PIN pad ── right PIN ──▶ staff screen ── Close / a minute untouched ──▶ back where it was
            └─ wrong PIN: "2 tries left"; five wrong: locked out for a growing time (kiosk.staff.pin)

The corner is not a button anyone can see, so a visitor who brushes it starts a session as usual
(a short touch there is an ordinary touch). The screens draw :class:`StaffState`; the slow tools (sync,
USB export, microphone test) run in the background through ``background`` and report one sentence.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal, Protocol

from kiosk.session.settings import StaffSettings

MAX_PIN_DIGITS = 8
CONFIRM_SECONDS = 10
"""Restart and Shut down need a second press within this many seconds (one press could be a slip)."""

Tool = Literal["sync", "export", "test_microphone", "test_speaker"]
Confirmed = Literal["restart", "shutdown"]


class StaffView(StrEnum):
    CLOSED = "closed"
    PIN = "staff_pin"
    MENU = "staff"


@dataclass(frozen=True)
class StaffState:
    view: StaffView = StaffView.CLOSED
    digits: int = 0
    """How many digits are typed on the PIN pad (shown as dots, never the digits)."""
    message: str = ""
    """One plain sentence: why the PIN was refused, or what the last tool did."""
    facts: tuple[tuple[str, str], ...] = ()
    """What the staff screen lists: answers stored, waiting to be sent, last sync, warnings."""
    busy: str = ""
    """The tool at work (its buttons wait), else ""."""
    confirming: str = ""
    """"restart" or "shutdown" after its first press, until the second press or CONFIRM_SECONDS."""


@dataclass(frozen=True)
class PinCheck:
    accepted: bool
    message: str = ""
    """Why not, in plain words (wrong PIN and tries left, locked out and for how long, no PIN set)."""


class StaffTools(Protocol):
    """What the staff screen can do on this kiosk (kiosk.ui.staff_tools on a real one)."""

    def facts(self) -> list[tuple[str, str]]: ...
    def run(self, tool: Tool) -> str: ...
    def change_volume(self, step: int) -> str: ...
    def restart(self) -> str: ...
    def shut_down(self) -> str: ...


Background = Callable[[Callable[[], str], Callable[[str], None]], None]
"""Run the first function away from the screen, then hand its sentence to the second, on the screen's thread."""

BUSY_WORDS: dict[Tool, str] = {
    "sync": "Sending answers to the server…",
    "export": "Copying answers to the USB stick…",
    "test_microphone": "Listening for 3 seconds: say something…",
    "test_speaker": "Playing a sentence on the speaker…",
}


class StaffMode:
    def __init__(self, *, settings: StaffSettings, check_pin: Callable[[str], PinCheck], tools: StaffTools,
                 background: Background, clock: Callable[[], float] = time.monotonic):
        self._settings = settings
        self._check_pin = check_pin
        self._tools = tools
        self._background = background
        self._clock = clock
        self._pin = ""
        self._held_since: float | None = None
        self._last_touch = -math.inf
        self._confirm_since = -math.inf
        self._listeners: list[Callable[[StaffState], None]] = []
        self._state = StaffState()

    @property
    def state(self) -> StaffState:
        return self._state

    @property
    def is_open(self) -> bool:
        return self._state.view != StaffView.CLOSED

    def subscribe(self, listener: Callable[[StaffState], None]) -> None:
        self._listeners.append(listener)

    def _show(self, state: StaffState) -> None:
        if state != self._state:
            self._state = state
            for listener in self._listeners:
                listener(state)

    # -- the hidden gesture -----------------------------------------------------------------------

    def corner_down(self) -> None:
        """A finger went down on the hidden corner (only offered on the start and out-of-order screens)."""
        self._held_since = self._clock()

    def corner_up(self) -> bool:
        """The finger lifted; True when it was a short touch that should act as an ordinary one."""
        was_holding = self._held_since is not None
        self._held_since = None
        return was_holding and not self.is_open

    # -- the PIN pad --------------------------------------------------------------------------------

    def digit(self, digit: str) -> None:
        if self._state.view == StaffView.PIN and digit.isdigit() and len(self._pin) < MAX_PIN_DIGITS:
            self._touched()
            self._pin += digit
            self._show(replace(self._state, digits=len(self._pin)))

    def delete_digit(self) -> None:
        if self._state.view == StaffView.PIN:
            self._touched()
            self._pin = self._pin[:-1]
            self._show(replace(self._state, digits=len(self._pin)))

    def submit_pin(self) -> None:
        if self._state.view != StaffView.PIN or not self._pin:
            return
        self._touched()
        pin, self._pin = self._pin, ""
        check = self._check_pin(pin)
        if check.accepted:
            self._show(StaffState(StaffView.MENU, facts=tuple(self._tools.facts())))
        else:
            self._show(StaffState(StaffView.PIN, message=check.message))

    # -- the staff screen ---------------------------------------------------------------------------

    def use(self, tool: Tool) -> None:
        """Sync now, export to USB, test the microphone or speaker: in the background, one at a time."""
        if self._state.view != StaffView.MENU or self._state.busy:
            return
        self._touched()
        self._show(replace(self._state, busy=tool, message=BUSY_WORDS[tool], confirming=""))
        self._background(lambda: self._tools.run(tool), self._tool_done)

    def _tool_done(self, message: str) -> None:
        self._touched()  # a slow tool is not "no touches": the minute starts again when it reports
        if self._state.view == StaffView.MENU:
            self._show(replace(self._state, busy="", message=message, facts=tuple(self._tools.facts())))

    def change_volume(self, step: int) -> None:
        if self._state.view == StaffView.MENU:
            self._touched()
            message = self._tools.change_volume(step)
            self._show(replace(self._state, message=message, confirming="", facts=tuple(self._tools.facts())))

    def confirm(self, what: Confirmed) -> None:
        """Restart or shut down, on the second press of the same button."""
        if self._state.view != StaffView.MENU or self._state.busy:
            return
        self._touched()
        if self._state.confirming != what:
            self._confirm_since = self._clock()
            word = "restart the kiosk app" if what == "restart" else "switch the kiosk off"
            self._show(replace(self._state, confirming=what, message=f"Press again to {word}."))
            return
        failed = self._tools.restart() if what == "restart" else self._tools.shut_down()
        self._show(replace(self._state, confirming="", message=failed) if failed else StaffState())

    def close(self) -> None:
        """Close, cancel on the PIN pad, or the minute without touches: back to what visitors see."""
        self._pin = ""
        self._show(StaffState())

    # -- time ---------------------------------------------------------------------------------------

    def touched(self) -> None:
        """Any touch anywhere while staff mode is open keeps it open."""
        if self.is_open:
            self._touched()

    def _touched(self) -> None:
        self._last_touch = self._clock()

    def tick(self) -> None:
        """Called about twice a second: the corner held long enough, the confirmation or the minute ran out."""
        now = self._clock()
        if self._held_since is not None and now - self._held_since >= self._settings.hold_seconds:
            self._held_since = None
            if not self.is_open:
                self._pin = ""
                self._touched()
                self._show(StaffState(StaffView.PIN))
        if not self.is_open:
            return
        if now - self._last_touch >= self._settings.leave_after_seconds and not self._state.busy:
            self.close()
        elif self._state.confirming and now - self._confirm_since >= CONFIRM_SECONDS:
            self._show(replace(self._state, confirming="", message=""))
