"""The whole kiosk without a touch: a session answered only with key presses (Tab to move the
highlight, Enter or Space to press), as a keyboard or a two-switch interface sends them; and one
switch with the highlight moving by itself."""

from __future__ import annotations

import json

import pytest

from tests.test_gui import rows, run_kiosk, screens

pytestmark = pytest.mark.gui


def test_a_whole_session_with_keys_only_is_stored_as_keyboard(tmp_path, kiosk_env):
    data, spoken = tmp_path / "data", tmp_path / "spoken.jsonl"
    steps = [
        {"key": "tab", "until": "start"}, {"key": "enter"},
        {"key": "tab", "until": "answer:good"}, {"quiet": 30}, {"key": "space"},  # heard before pressed
        # "Tell us why": the highlight walks the on-screen letters; a physical keyboard types as well
        {"key": "tab", "until": "key:o"}, {"key": "enter"}, {"key": "tab", "until": "key:k"}, {"key": "enter"},
        {"key": "shift+tab", "until": "control:done"}, {"quiet": 30}, {"key": "enter"},
        {"key": "tab", "until": "answer:yes"}, {"key": "enter"},  # we listen
        {"key": "tab", "until": "answer:yes"}, {"key": "enter"},  # we know what matters
        {"key": "tab", "until": "control:skip"}, {"key": "enter"},
        {"key": "tab", "until": "control:skip"}, {"key": "enter"},
        {"key": "tab", "until": "answer:no"}, {"key": "enter"},  # nothing about me, thanks
    ]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data, extra=("--speech-log", str(spoken)))
    assert all("tap" not in step["step"] and "touch_at" not in step["step"] for step in result["steps"])
    assert screens(result)[-1] == "thank_you"
    [(_seq, _id, complete, payload_json)] = rows(data)
    payload = json.loads(payload_json)
    answers = {a["question"]: a for a in payload["answers"]}
    assert complete == 1 and payload["channel"] == "keyboard"
    assert answers["overall"]["choice"] == "good" and answers["overall"]["text"] == "Ok"
    assert answers["listen"]["choice"] == "yes"
    said = [json.loads(line)["text"] for line in spoken.read_text().splitlines()]
    assert "Good" in said and "Done" in said, "each highlighted button is read aloud"


def test_one_switch_with_scanning(tmp_path, kiosk_env):
    """The highlight moves by itself; the one switch (Enter) presses whatever it is on."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "kiosk.toml").write_text("[access]\nscan_seconds = 1\n")
    # the switch is pressed in the moment the highlight arrives: a busy machine cannot let it move on first
    steps = [{"wait_for_highlight": "start", "seconds": 20, "key": "enter"},
             {"wait_for_highlight": "answer:poor", "seconds": 40, "key": "enter"}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=tmp_path / "data", config=config)
    assert screens(result) == ["choice", "text"]  # "Bad" chosen: its "Tell us why" follows
