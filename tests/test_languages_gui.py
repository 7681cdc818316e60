"""Choosing a language in the real app: the language screen says each language's name in its own
voice, the session is shown and spoken in Bengali, stored as a Bengali session, and the next person
starts in English again."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FAST_SPEECH
from tests.test_gui import rows, run_kiosk, screens

pytestmark = pytest.mark.gui


def test_a_session_in_bengali_then_the_next_person_starts_in_english(tmp_path, kiosk_env):
    data, spoken = tmp_path / "data", tmp_path / "spoken.jsonl"
    steps = [
        {"quiet": 60}, {"tap": "setting:language"}, {"quiet": 60}, {"tap": "language:bn"}, {"quiet": 60},
        {"tap": "setting:bigger_text"}, {"tap": "start"}, {"quiet": 60},
        {"screenshot": str(tmp_path / "choice-bn.png")},
        {"tap": "answer:good"}, {"tap": "control:skip"}, {"tap": "answer:yes"}, {"tap": "answer:yes"},
        {"tap": "control:skip"}, {"tap": "control:skip"}, {"tap": "answer:no"}, {"quiet": 60}, {"advance": 20},
        {"quiet": 60},
    ]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data, extra=("--speech-log", str(spoken), *FAST_SPEECH))
    assert screens(result)[1:5] == ["language", "language", "attract", "attract"]
    assert screens(result)[-3:] == ["thank_you", "attract", "attract"]
    said = [json.loads(line) for line in spoken.read_text().splitlines()]
    names = [(s["text"], s["language"]) for s in said if s["text"] in ("English", "বাংলা", "한국어")]
    assert names == [("English", "en-GB"), ("বাংলা", "bn"), ("한국어", "ko")]
    bengali = [s["text"] for s in said if s["language"] == "bn"]
    assert "আমাদের সাথে আপনার সময় কেমন কেটেছে? একটি ছবিতে চাপ দিন।" in bengali
    assert said[-1]["language"] == "en-GB", "after the session the kiosk speaks its own language again"
    [(_seq, _id, complete, payload_json)] = rows(data)
    payload = json.loads(payload_json)
    assert complete == 1 and payload["language"] == "bn"
    assert payload["answers"][0]["choice"] == "good"
    assert (tmp_path / "choice-bn.png").stat().st_size > 10_000
