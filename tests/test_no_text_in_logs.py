"""No free text or transcript ever appears in a log: a whole session with a marker sentence, typed
and dictated, with every log the app can write switched on, then every log and output searched."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.test_gui import rows, run_kiosk
from tests.test_voice_gui import KOREAN_KIOSK

pytestmark = pytest.mark.gui

MARKER = "zebra quilt marker"


def every_text_file(folder: Path) -> dict[Path, str]:
    return {path: path.read_text(errors="replace") for path in folder.rglob("*")
            if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm", ".png", ".wav")}


def test_a_typed_marker_is_stored_and_found_in_no_log(tmp_path, kiosk_env):
    env = {key: value for key, value in kiosk_env.items() if key not in ("KIVY_NO_FILELOG", "KIVY_NO_CONSOLELOG")}
    data = tmp_path / "data"
    steps = [{"tap": "start"}, {"tap": "answer:poor"}, {"type": MARKER}, {"tap": "control:done"},
             {"tap": "control:skip"}, {"tap": "control:skip"}, {"tap": "control:skip"}, {"tap": "control:skip"},
             {"tap": "answer:no"}]
    result = run_kiosk(tmp_path, env, steps, data=data, extra=("--speech-log", str(tmp_path / "spoken.jsonl")))
    assert result["steps"][-1]["screen"] == "thank_you"
    [row] = rows(data)
    assert MARKER.capitalize() in json.loads(row[3])["answers"][0]["text"]  # it was really typed and kept
    logs = every_text_file(Path(env["KIVY_HOME"])) | every_text_file(data / "logs")
    assert "INFO" in logs[data / "logs" / "kiosk.log"], "the kiosk's own log should be written in this test"
    for path, text in logs.items():
        assert MARKER not in text.lower(), path
    assert "INFO" in result["output"] and MARKER not in result["output"].lower()  # the console log too


def test_a_dictated_marker_is_in_no_log_or_output(tmp_path, kiosk_env):
    """The Korean kiosk's dictation: what the recogniser heard is shown to the person, never logged."""
    said = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(said), "좋아요"], check=True)
    env = {key: value for key, value in kiosk_env.items() if key not in ("KIVY_NO_FILELOG", "KIVY_NO_CONSOLELOG")}
    data = tmp_path / "data"
    steps = [{"tap": "start"}, {"tap": "answer:good"}, {"microphone": str(said)}, {"tap": "control:listen"},
             {"wait_for": "confirm_voice", "seconds": 60}, {"tap": "confirm:yes"}]
    result = run_kiosk(tmp_path, env, steps, data=data, config=KOREAN_KIOSK,
                       extra=("--speech-log", str(tmp_path / "spoken.jsonl")))
    assert result["steps"][-1]["screen"] == "thank_you"
    heard = json.loads(rows(data)[0][3])["answers"][1]["text"]
    assert heard
    for path, text in (every_text_file(Path(env["KIVY_HOME"])) | every_text_file(data / "logs")).items():
        assert heard not in text, path
    assert heard not in result["output"]
