"""Answering by voice in the real app: a real Kivy window, the real Korean vosk model, real espeak-ng
speech both ways. The microphone is the only stand-in: it "hears" a WAV file spoken by espeak-ng, in
real time, through the same audio-source interface as a microphone."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kiosk.session.settings import load_config
from kiosk.voice.speech_out import PromptCache
from tests.conftest import PROJECT
from tests.spoken import after_a_pause, espeak, piper
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


def test_a_fresh_english_kiosk_answers_a_whole_session_by_voice(tmp_path, kiosk_env):
    """No `kiosk voice install`: the built-in English engine hears each answer and each "yes" to "Is that right?".
    The people are espeak-ng at several speeds and pitches, and Piper's neural voice; on "Tell us more" (words,
    which only an installed model can take down) there is no microphone, and the person skips."""
    said = tmp_path / "microphone"
    said.mkdir()
    answers = [  # (what is said, how, the screen that follows "yes")
        ("Very good", lambda text, path: espeak(text, path, "en-gb", 130, 40), "text"),
        ("Sometimes", lambda text, path: espeak(text, path, "en-gb-scotland", 170, 70), "choice"),
        ("Yes", piper, "choice"),
        ("The food", lambda text, path: espeak(text, path, "en-us", 150, 30), "text"),
        ("The building", piper, "text"),
        ("Yes", lambda text, path: espeak(text, path, "en-gb-x-rp", 120, 60), "choice"),
        ("Sixty five or over", piper, "choice"),
        ("Family or carer", lambda text, path: espeak(text, path, "en-gb", 160, 50), "thank_you"),
    ]
    confirmations = [("Yes", piper), ("Yeah", lambda text, path: espeak(text, path, "en-gb", 140, 50)),
                     ("Correct", lambda text, path: espeak(text, path, "en-us+m3", 150, 50))]
    steps: list[dict[str, object]] = [{"tap": "start"}]
    for number, (words, voice, after) in enumerate(answers):
        yes_words, yes_voice = confirmations[number % len(confirmations)]
        steps += [
            {"quiet": 60},
            {"microphone": str(voice(words, said / f"{number}.wav"))},  # heard on the listening screen
            {"microphone": str(after_a_pause(yes_voice(yes_words, said / f"{number}-yes.wav")))},  # on the next
            {"tap": "control:listen"},
            {"wait_for": "confirm_voice", "seconds": 60},
            {"wait_for": after, "seconds": 60},
        ]
        if after == "text":
            steps += [{"audit": str(tmp_path / f"text-{number}.json")}, {"tap": "control:skip"}]
    data = tmp_path / "data"
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data, extra=("--speech-speed", "20", "--speech-log",
                                                                    str(tmp_path / "spoken.jsonl")))
    assert screens(result)[-1] == "thank_you"
    spoken = [json.loads(line)["text"] for line in (tmp_path / "spoken.jsonl").read_text().splitlines()]
    assert "Or touch the microphone, and say your answer." in spoken  # on each question with answers to choose
    assert "You can touch the microphone, and say it." not in spoken  # not where only typing takes the words
    assert "You said: Family or carer." in spoken

    [(_seq, _id, complete, payload_json)] = rows(data)
    payload = json.loads(payload_json)
    assert complete == 1 and payload["channel"] == "voice" and payload["language"] == "en-GB"
    chosen = {answer["question"]: answer["choice"] for answer in payload["answers"] if answer.get("choice")}
    assert chosen == {"overall": "very-good", "listen": "sometimes", "matters": "yes", "working": "food",
                      "not-working": "building", "about-you": "yes", "about-age": "65-or-over",
                      "about-who": "family-carer"}
    for audit_file in tmp_path.glob("text-*.json"):  # "Tell us more": type it, no microphone
        shown = json.loads(audit_file.read_text())
        targets = {widget.get("tap_id") for widget in shown["widgets"]}
        assert shown["screen"] == "text" and "control:skip" in targets and "control:listen" not in targets
