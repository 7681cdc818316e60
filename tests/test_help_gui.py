"""Someone at risk, in the real app: their words stored scrubbed and flagged, and the help screen shown
and read aloud, its phone numbers once the person asks for them."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FAST_SPEECH
from tests.test_gui import rows, run_kiosk, screens

pytestmark = pytest.mark.gui


def test_words_of_concern_show_help_and_are_stored_scrubbed_and_flagged(tmp_path, kiosk_env):
    data, spoken = tmp_path / "data", tmp_path / "spoken.jsonl"
    steps = [
        {"tap": "start"}, {"tap": "answer:very-poor"},
        {"type": "a worker hit me "}, {"keyboard": "call me on 07700 900123"}, {"tap": "control:done"},
        {"quiet": 60}, {"screenshot": str(tmp_path / "help.png")},
        {"tap": "help:phone"}, {"quiet": 60},
        {"tap": "help:carry_on"}, {"tap": "control:skip"}, {"tap": "control:skip"}, {"tap": "control:skip"},
        {"tap": "control:skip"}, {"tap": "answer:no"},  # "Would you like to tell us a little about you?" No, finish
    ]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data, extra=("--speech-log", str(spoken), *FAST_SPEECH))
    assert screens(result)[-11:] == [*["help"] * 5, "choice", "choice", "choice", "choice", "choice", "thank_you"]
    [(_seq, _id, _complete, payload_json)] = rows(data)
    payload = json.loads(payload_json)
    assert payload["concerns"] == ["abuse-physical"]
    assert payload["answers"][0]["text"] == "A worker hit me call me on [phone]"
    said = [json.loads(line)["text"] for line in spoken.read_text().splitlines()]
    assert said.index("You can talk to someone now.") < said.index("You can phone someone.") < said.index(
        "Samaritans: 116 123. Someone to talk to. Free, day or night.")
    assert (tmp_path / "help.png").stat().st_size > 10_000
