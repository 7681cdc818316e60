"""Kiosk mode in a real window: no way out for visitors, a hidden way in for staff (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.device.disk_space import free_mb
from kiosk.staff.pin import set_pin
from tests.test_gui import FULL_SESSION, rows, run_kiosk, screens

pytestmark = pytest.mark.gui

PIN = "2580"
CORNER = [0.02, 0.98]  # top left: Kivy counts y from the bottom
HOLD = {"hold_at": CORNER, "seconds": 6}


def type_pin(pin: str) -> list[dict[str, str]]:
    return [*({"tap": f"pin:{digit}"} for digit in pin), {"tap": "pin:ok"}]


def texts(audit_file: Path) -> str:
    return "\n".join(widget.get("text", "") for widget in json.loads(audit_file.read_text())["widgets"])


def staff_config(tmp_path: Path, **staff: object) -> Path:
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    lines = "\n".join(f"{key} = {json.dumps(value)}" for key, value in staff.items())
    (folder / "kiosk.toml").write_text(f"[staff]\n{lines}\n")
    return folder


def test_escape_f1_alt_f4_and_close_requests_do_not_end_the_app_in_kiosk_mode(tmp_path, kiosk_env):
    steps = [{"key": "escape"}, {"key": "f1"}, {"key": "alt+f4"}, {"close_request": True}, {"advance": 1},
             {"tap": "start"}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=tmp_path / "data", extra=("--kiosk-mode",))
    assert screens(result) == ["attract"] * 5 + ["choice"]  # still running, and still answering touches


def test_a_close_request_does_end_the_app_in_a_window(tmp_path, kiosk_env):
    """The same close request as above, without kiosk mode: it is real, and it reaches the app."""
    steps = [{"close_request": True}, {"advance": 1}, {"tap": "start"}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=tmp_path / "data", check=False)
    assert result["error"] == "the app closed before the script ended"


def test_the_corner_held_and_the_right_pin_open_the_staff_screen(tmp_path, kiosk_env):
    data = tmp_path / "data"
    set_pin(data, PIN)
    audit = tmp_path / "staff.json"
    steps = [{"advance": 5}, {"hold_at": CORNER, "seconds": 2},  # too short: an ordinary touch starts a session
             {"tap": "control:start_again"}, {"advance": 5},
             HOLD, *type_pin(PIN), {"audit": str(audit)}, {"tap": "staff:close"}]
    result = run_kiosk(tmp_path, kiosk_env, [*FULL_SESSION, {"tap": "finish"}, *steps], data=data,
                       extra=("--kiosk-mode",))
    assert screens(result)[-12:] == ["attract", "choice", "attract", "attract", "staff_pin", "staff_pin", "staff_pin",
                                     "staff_pin", "staff_pin", "staff", "staff", "attract"]
    shown = texts(audit)
    assert "Answers stored on this kiosk:  [b]1[/b]" in shown
    assert "Waiting to be sent:  [b]0[/b]" in shown or "Waiting to be sent:  [b]1[/b]" in shown
    assert "Send answers now" in shown and "Copy to USB stick" in shown


def test_five_wrong_pins_lock_the_pad_even_across_a_restart(tmp_path, kiosk_env):
    data = tmp_path / "data"
    set_pin(data, PIN)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    wrong = [step for _ in range(5) for step in type_pin("1111")]
    run_kiosk(tmp_path, kiosk_env, [HOLD, *wrong, *type_pin(PIN), {"audit": str(first)}], data=data)
    assert "Too many wrong PINs. Try again in" in texts(first)
    result = run_kiosk(tmp_path, kiosk_env, [HOLD, *type_pin(PIN), {"audit": str(second)}], data=data)
    assert screens(result)[-1] == "staff_pin"  # the right PIN, but still locked out after the restart
    assert "Too many wrong PINs" in texts(second)


def test_staff_mode_closes_itself_after_a_minute_untouched(tmp_path, kiosk_env):
    data = tmp_path / "data"
    set_pin(data, PIN)
    steps = [HOLD, *type_pin(PIN), {"advance": 30}, {"tap": "staff:volume_up"}, {"advance": 45},
             {"advance": 20}, HOLD, {"advance": 61}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data)
    assert screens(result)[-5:] == ["staff", "staff", "attract", "staff_pin", "attract"]


def test_without_a_pin_staff_mode_stays_closed(tmp_path, kiosk_env):
    audit = tmp_path / "pad.json"
    result = run_kiosk(tmp_path, kiosk_env, [HOLD, *type_pin("0000"), {"audit": str(audit)}],
                       data=tmp_path / "data")
    assert screens(result)[-1] == "staff_pin"
    assert "No staff PIN is set. Set one with: kiosk set-pin" in texts(audit)


def test_restart_and_switch_off_need_two_presses_and_run_the_configured_commands(tmp_path, kiosk_env):
    data = tmp_path / "data"
    set_pin(data, PIN)
    restarted, switched_off = tmp_path / "restarted", tmp_path / "switched-off"
    config = staff_config(tmp_path, restart_command=["touch", str(restarted)],
                          shutdown_command=["touch", str(switched_off)])
    steps = [HOLD, *type_pin(PIN), {"tap": "staff:shutdown"}, {"advance": 11}, {"tap": "staff:restart"}]
    run_kiosk(tmp_path, kiosk_env, steps, data=data, config=config)
    assert not restarted.exists() and not switched_off.exists()  # one press only asks
    steps = [HOLD, *type_pin(PIN), {"tap": "staff:shutdown"}, {"tap": "staff:shutdown"}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data, config=config)
    assert switched_off.exists() and screens(result)[-1] == "attract"


def test_the_default_restart_ends_the_app_for_systemd_to_start_again(tmp_path, kiosk_env):
    data = tmp_path / "data"
    set_pin(data, PIN)
    steps = [HOLD, *type_pin(PIN), {"tap": "staff:restart"}, {"tap": "staff:restart"}, {"advance": 1}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data, check=False)
    assert result["error"] == "the app closed before the script ended"


def test_a_nearly_full_disk_shows_out_of_order_and_never_thank_you(tmp_path, kiosk_env):
    """More free space wanted than this disk has: the kiosk is "nearly full" by the same measure it uses
    on a real one, and must not let anyone answer."""
    data = tmp_path / "data"
    config = tmp_path / "config"
    config.mkdir()
    wanted = int(free_mb(tmp_path)) + 1000
    (config / "kiosk.toml").write_text(f"[storage]\nkeep_free_mb = {wanted}\n")
    result = run_kiosk(tmp_path, kiosk_env, [{"advance": 1}, {"touch_at": [0.5, 0.5]}, {"advance": 31},
                                             {"touch_at": [0.5, 0.5]}], data=data, config=config)
    assert screens(result) == ["out_of_order"] * 4
    assert not (data / "kiosk.db").exists() or rows(data) == []
