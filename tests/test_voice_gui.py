"""Answering by voice in the real app: a real Kivy window, the real Korean vosk model, real espeak-ng
speech both ways. The microphone is the only stand-in: it "hears" a WAV file spoken by espeak-ng, in
real time, through the same audio-source interface as a microphone."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kiosk.settings import load_config
from kiosk.voice.speech_out import PromptCache
from tests.conftest import PROJECT
from tests.test_gui import rows, run_kiosk, screens

pytestmark = pytest.mark.gui
KOREAN_KIOSK = PROJECT / "docs" / "examples" / "korean-kiosk"


AUDIO_SUFFIXES = {".wav", ".wave", ".raw", ".pcm", ".flac", ".ogg", ".mp3", ".opus"}


def audio_files(folder: Path) -> list[Path]:
    """Files that hold sound, by name or by their first bytes (a RIFF/WAVE header)."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and (path.suffix.lower() in AUDIO_SUFFIXES or path.read_bytes()[:4] in (b"RIFF", b"fLaC")):
            found.append(path)
    return found


def test_a_spoken_answer_is_confirmed_then_stored_and_no_audio_is_left(tmp_path, kiosk_env):
    said = tmp_path / "microphone" / "good.wav"  # what the person says, outside every folder checked below
    said.parent.mkdir()
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(said), "좋아요"], check=True)
    temp, data, spoken = tmp_path / "temp", tmp_path / "data", tmp_path / "spoken.jsonl"
    temp.mkdir()
    env = {**kiosk_env, "TMPDIR": str(temp)}
    shots = tmp_path / "shots"
    shots.mkdir()
    steps = [
        {"tap": "start"},
        {"quiet": 60},  # the question and every answer are read out
        {"screenshot": str(shots / "choice.png")},
        {"tap": "control:hear_again"},
        {"microphone": str(said)},
        {"tap": "control:listen"},  # a tap silences the kiosk at once
        {"screenshot": str(shots / "listening.png")},
        {"wait_for": "confirm_voice", "seconds": 60},
        {"screenshot": str(shots / "confirm.png")},
        {"tap": "confirm:yes"},
        {"tap": "control:skip"},
    ]
    result = run_kiosk(tmp_path, env, steps, data=data, config=KOREAN_KIOSK, extra=("--speech-log", str(spoken)))
    assert screens(result) == ["choice", "choice", "choice", "choice", "choice", "listening", "listening",
                               "confirm_voice", "confirm_voice", "text", "thank_you"]

    [(_seq, _id, complete, payload_json)] = rows(data)
    payload = json.loads(payload_json)
    answer = payload["answers"][0]
    assert complete == 1 and payload["channel"] == "voice" and payload["language"] == "ko"
    assert (answer["choice"], answer["choice_text"]) == ("good", "좋아요")

    said_aloud = [json.loads(line) for line in spoken.read_text(encoding="utf-8").splitlines()]
    texts = [entry["text"] for entry in said_aloud]
    first = texts.index("서비스는 어떠셨어요?")
    assert texts[first:first + 5] == ["서비스는 어떠셨어요?", "좋아요", "그저 그래요", "싫어요",
                                      "아니면 마이크를 누르고 대답을 말해 주세요."]  # the kiosk's own words, in Korean
    heard_again = texts.index("서비스는 어떠셨어요?", first + 1)
    assert said_aloud[heard_again]["interrupted"]  # cut short by the tap on the microphone
    assert "이렇게 말씀하셨어요: 좋아요." in texts  # the confirmation speaks what was heard
    assert all(entry["language"] == "ko" and entry["duration"] > 0 for entry in said_aloud)

    assert audio_files(data) == [] and audio_files(temp) == []
    # the prompt cache holds the kiosk's own prompts, never a rendering of what the person said
    cache = PromptCache(Path(env["XDG_CACHE_HOME"]) / "feedback-kiosk" / "speech")
    voice = load_config(KOREAN_KIOSK).language_pack.voice
    assert cache.path_for("서비스는 어떠셨어요?", "ko", voice).is_file()
    assert not cache.path_for("이렇게 말씀하셨어요: 좋아요.", "ko", voice).exists()
    assert all(shot.stat().st_size > 10_000 for shot in shots.iterdir())
