"""Staff mode's rules on this machine's real PIN file, database and tools (no window: see test_staff_gui.py),
and the disk guard that stops a kiosk taking answers it could not keep."""

from __future__ import annotations

import pytest

from kiosk.device.disk_space import free_mb, has_room
from kiosk.session.flow import Screen
from kiosk.session.simulate import SimulatedClock
from kiosk.staff.mode import CONFIRM_SECONDS, StaffMode, StaffView
from kiosk.staff.pin import set_pin
from kiosk.staff.sound_check import NO_SPEAKER, get_volume
from kiosk.staff.tools import KioskStaffTools, pin_checker

PIN = "2580"


@pytest.fixture
def staff(tmp_path, config, clock, store) -> StaffMode:  # type: ignore[no-untyped-def]
    """Staff mode over the real tools; the slow ones run at once instead of on a thread."""
    set_pin(store.path.parent, PIN)
    tools = KioskStaffTools(config=config, data_dir=store.path.parent, app=None)
    return StaffMode(settings=config.settings.staff, check_pin=pin_checker(store.path.parent), tools=tools,
                     background=lambda work, done: done(work()), clock=clock)


def hold_corner(staff: StaffMode, clock: SimulatedClock, seconds: float) -> bool:
    staff.corner_down()
    clock.advance(seconds)
    staff.tick()
    return staff.corner_up()


def enter(staff: StaffMode, pin: str) -> None:
    for digit in pin:
        staff.digit(digit)
    staff.submit_pin()


def test_only_a_long_hold_opens_the_pin_pad_and_a_short_one_is_an_ordinary_touch(staff, clock):
    assert hold_corner(staff, clock, 4.5) is True and staff.state.view == StaffView.CLOSED
    assert hold_corner(staff, clock, 5) is False and staff.state.view == StaffView.PIN


def test_the_pad_shows_dots_never_digits_and_the_right_pin_opens_the_staff_screen(staff, clock, store):
    hold_corner(staff, clock, 5)
    for digit in "258":
        staff.digit(digit)
    staff.delete_digit()
    assert staff.state.digits == 2 and "25" not in repr(staff.state)
    enter(staff, "80")
    assert staff.state.view == StaffView.MENU
    facts = dict(staff.state.facts)
    assert facts["Answers stored on this kiosk"] == "0" and facts["Waiting to be sent"] == "0"
    assert facts["Server"].startswith("not connected")
    volume = get_volume()
    assert facts["Speaker volume"] == ("no speaker found" if volume is None else f"{volume}%")


def test_wrong_pins_say_how_many_tries_are_left_then_lock(staff, clock):
    hold_corner(staff, clock, 5)
    enter(staff, "1111")
    assert staff.state.message == "Wrong PIN. 4 tries left."
    for _ in range(4):
        enter(staff, "1111")
    enter(staff, PIN)
    assert staff.state.view == StaffView.PIN and staff.state.message.startswith("Too many wrong PINs")


def test_the_tools_answer_in_one_plain_sentence_on_this_machine(staff, clock):
    hold_corner(staff, clock, 5)
    enter(staff, PIN)
    staff.use("sync")
    assert staff.state.message.startswith("This kiosk is not connected to a server") and not staff.state.busy
    if get_volume() is None:  # as on the test machines, which have no sound card
        staff.change_volume(10)
        assert staff.state.message == NO_SPEAKER


def test_switching_off_needs_a_second_press_within_ten_seconds(staff, clock):
    hold_corner(staff, clock, 5)
    enter(staff, PIN)
    staff.confirm("shutdown")
    assert staff.state.confirming == "shutdown" and staff.state.message == "Press again to switch the kiosk off."
    clock.advance(CONFIRM_SECONDS)
    staff.tick()
    assert staff.state.confirming == "" and staff.state.view == StaffView.MENU


def test_staff_mode_closes_after_a_minute_without_touches_but_not_sooner(staff, clock):
    hold_corner(staff, clock, 5)
    enter(staff, PIN)
    clock.advance(59)
    staff.touched()
    clock.advance(59)
    staff.tick()
    assert staff.is_open
    clock.advance(1)
    staff.tick()
    assert staff.state.view == StaffView.CLOSED


def test_a_nearly_full_disk_stops_new_sessions_and_comes_back_when_space_returns(make_flow, clock, store, tmp_path):
    reserve = {"mb": int(free_mb(tmp_path)) + 1000}  # more than this disk has free: "nearly full"
    flow = make_flow(room=lambda: has_room(tmp_path, reserve["mb"]))
    flow.tick()
    assert flow.state.screen == Screen.OUT_OF_ORDER  # shown before anyone starts
    flow.start()
    assert flow.state.screen == Screen.OUT_OF_ORDER
    reserve["mb"] = 1  # space was freed
    clock.advance(30)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT
    flow.start()
    assert flow.state.screen == Screen.CHOICE


def test_a_session_under_way_when_the_disk_fills_is_still_saved_and_thanked(make_flow, clock, store, tmp_path):
    """The reserve is for the next person: an answer that can still be written is kept, not dropped."""
    reserve = {"mb": 1}
    flow = make_flow(room=lambda: has_room(tmp_path, reserve["mb"]))
    flow.start()
    flow.choose("good")
    reserve["mb"] = int(free_mb(tmp_path)) + 1000
    flow.skip()
    flow.choose("yes")
    flow.skip()
    flow.skip()
    flow.choose("no")  # nothing about me
    assert flow.state.screen == Screen.THANK_YOU and store.count_since() == 1
    clock.advance(60)
    flow.tick()
    flow.tick()
    assert flow.state.screen == Screen.OUT_OF_ORDER
