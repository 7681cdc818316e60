"""Speech out with real espeak-ng through pyttsx3: cache, recordings, interruption, the muted-mic signal.

The only fake is the speaker (:class:`CaptureSpeaker`). Nothing here depends on how fast the machine
is: waits are on events with generous timeouts, and orderings are checked, not durations.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from platformdirs import user_data_dir

from kiosk.voice.speech_out import (
    AplaySpeaker,
    CaptureSpeaker,
    PromptCache,
    Pyttsx3Synthesiser,
    RecordedPrompts,
    RecordingsError,
    SpeechWorker,
    SynthesisFailed,
    Voice,
    default_cache_dir,
)

ENGLISH = Voice("en-gb")
LONG = "This prompt goes on and on so that there is time to interrupt it. " * 12
WAIT = 30.0


class CountingSynthesiser:
    """The real synthesiser, counting its calls and optionally held at a gate before each one."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.inner = Pyttsx3Synthesiser()
        self.texts: list[str] = []
        self.gate = gate
        self.entered = threading.Event()
        self.finished = threading.Event()

    def synthesise(self, text: str, voice: Voice, out: Path) -> None:
        self.texts.append(text)
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(WAIT)
        self.inner.synthesise(text, voice, out)
        self.finished.set()


@pytest.fixture
def cache(tmp_path: Path) -> PromptCache:
    return PromptCache(tmp_path / "speech")


@pytest.fixture
def make_worker(cache: PromptCache):  # type: ignore[no-untyped-def]
    workers: list[SpeechWorker] = []

    def build(synthesiser, speaker, **options) -> SpeechWorker:  # type: ignore[no-untyped-def]
        worker = SpeechWorker(synthesiser, speaker, cache, **options)
        worker.start()
        workers.append(worker)
        return worker

    yield build
    for worker in workers:
        worker.close()


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (1, 2)
        return reader.getframerate(), np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")


def assert_speech(path: Path) -> None:
    assert path.read_bytes()[:4] == b"RIFF" and path.read_bytes()[8:12] == b"WAVE"
    rate, samples = read_wav(path)
    assert rate == 22050
    assert len(samples) / rate > 0.2
    assert np.abs(samples.astype(np.int32)).max() > 1000


def write_tone(path: Path, seconds: float = 0.5) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = (8000 * np.sin(2 * math.pi * 440 * np.arange(int(16000 * seconds)) / 16000)).astype("<i2")
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(samples.tobytes())


def test_a_cache_miss_synthesises_a_real_wav(cache):
    path = cache.get("Overall, how was your experience of our service?", "en", ENGLISH, Pyttsx3Synthesiser())
    assert path.parent == cache.folder and path.suffix == ".wav"
    assert_speech(path)
    assert [p.name for p in cache.folder.iterdir()] == [path.name]  # no temporary file left behind


def test_korean_and_bengali_are_spoken_with_their_own_voices(cache):
    synthesiser = Pyttsx3Synthesiser()
    korean = cache.get("직원들이 친절해요", "ko", Voice("ko"), synthesiser)
    bengali = cache.get("কর্মীরা খুব ভালো।", "bn", Voice("bn"), synthesiser)
    for path in (korean, bengali):
        assert_speech(path)


def test_an_unknown_voice_is_a_clear_error(tmp_path):
    with pytest.raises(SynthesisFailed, match="no voice for 'klingon'"):
        Pyttsx3Synthesiser().synthesise("Hello", Voice("klingon"), tmp_path / "out.wav")


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # pyttsx3's callback raising
def test_a_wav_that_cannot_be_written_fails_instead_of_hanging(tmp_path):
    """pyttsx3 2.99's runAndWait never returns once writing the WAV has failed; the watchdog ends it."""
    synthesiser = Pyttsx3Synthesiser(timeout=1)
    synthesiser.synthesise("Before", ENGLISH, tmp_path / "before.wav")
    with pytest.raises(SynthesisFailed):
        synthesiser.synthesise("Nowhere to go", ENGLISH, tmp_path / "missing-folder" / "out.wav")
    synthesiser.synthesise("After", ENGLISH, tmp_path / "after.wav")
    assert_speech(tmp_path / "after.wav")


def test_a_failed_synthesis_leaves_nothing_in_the_cache(cache):
    class Broken:
        def synthesise(self, text: str, voice: Voice, out: Path) -> None:
            out.write_bytes(b"not a wav")

    with pytest.raises(SynthesisFailed):
        cache.get("Hello", "en", ENGLISH, Broken())
    assert list(cache.folder.iterdir()) == []


def test_saying_a_prompt_again_uses_the_cache(make_worker):
    synthesiser, speaker = CountingSynthesiser(), CaptureSpeaker(speed=20)
    worker = make_worker(synthesiser, speaker)
    for _ in range(2):
        worker.say(["Yes", "No"], "en", ENGLISH)
        assert worker.wait_idle(WAIT)
    assert synthesiser.texts == ["Yes", "No"]
    assert [p.text for p in speaker.played] == ["Yes", "No", "Yes", "No"]
    assert speaker.played[0].path == speaker.played[2].path


def test_rate_volume_voice_and_language_each_have_their_own_cache_entry(cache):
    keys = {cache.path_for("Good", "en", ENGLISH), cache.path_for("Good", "en", Voice("en-gb", rate=200)),
            cache.path_for("Good", "en", Voice("en-gb", volume=0.5)), cache.path_for("Good", "en", Voice("en-us")),
            cache.path_for("Good", "en-GB", ENGLISH), cache.path_for("Good.", "en", ENGLISH)}
    assert len(keys) == 6
    synthesiser = CountingSynthesiser()
    slow = cache.get("Thank you for telling us", "en", Voice("en-gb", rate=120), synthesiser)
    fast = cache.get("Thank you for telling us", "en", Voice("en-gb", rate=300), synthesiser)
    quiet = cache.get("Thank you for telling us", "en", Voice("en-gb", rate=120, volume=0.3), synthesiser)
    assert len(synthesiser.texts) == 3
    assert len(read_wav(fast)[1]) < len(read_wav(slow)[1])
    assert np.abs(read_wav(quiet)[1].astype(np.int32)).max() < np.abs(read_wav(slow)[1].astype(np.int32)).max()


def test_a_recorded_prompt_replaces_synthesis(tmp_path, make_worker):
    pack = tmp_path / "pack"
    write_tone(pack / "recordings" / "how-was-it.wav")
    (pack / "recordings.toml").write_text('"How was it?" = "how-was-it.wav"\n', encoding="utf-8")
    synthesiser, speaker = CountingSynthesiser(), CaptureSpeaker(speed=20)
    worker = make_worker(synthesiser, speaker)
    worker.say(["How was it?", "Good"], "en", ENGLISH, RecordedPrompts(pack))
    assert worker.wait_idle(WAIT)
    assert speaker.played[0].path == pack / "recordings" / "how-was-it.wav"
    assert speaker.played[0].sample_rate == 16000
    assert synthesiser.texts == ["Good"]


def test_a_listed_recording_that_is_missing_is_a_clear_error(tmp_path):
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings.toml").write_text('"Thank you" = "thanks.wav"\n', encoding="utf-8")
    with pytest.raises(RecordingsError) as raised:
        RecordedPrompts(tmp_path)
    message = str(raised.value)
    assert str(tmp_path / "recordings.toml") in message and "'Thank you'" in message and "thanks.wav" in message
    assert RecordedPrompts(tmp_path / "no-recordings").lookup("Thank you") is None


def test_a_new_say_interrupts_the_prompt_being_spoken(make_worker, tmp_path):
    log_path = tmp_path / "spoken.jsonl"
    speaker = CaptureSpeaker(log_path)
    worker = make_worker(Pyttsx3Synthesiser(), speaker)
    worker.say([LONG, "And more after it"], "en", ENGLISH)
    assert worker.speaking.wait(WAIT)
    worker.say(["Short"], "en", ENGLISH)
    assert worker.wait_idle(WAIT)
    assert [(p.text, p.interrupted) for p in speaker.played] == [(LONG, True), ("Short", False)]
    lines = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    assert [(line["text"], line["language"], line["interrupted"]) for line in lines] == [
        (LONG, "en", True), ("Short", "en", False)]
    assert lines[0]["duration"] > 10 and lines[1]["duration"] > 0.2


def test_stop_silences_at_once_and_clears_the_speaking_signal(make_worker):
    changes: list[tuple[bool, float]] = []
    speaker = CaptureSpeaker()
    worker = make_worker(Pyttsx3Synthesiser(), speaker, on_speaking=lambda on: changes.append((on, time.monotonic())))
    worker.say([LONG, "Never said"], "en", ENGLISH)
    assert worker.speaking.wait(WAIT)
    worker.stop()
    assert worker.wait_idle(WAIT)
    assert not worker.speaking.is_set()
    assert [(p.text, p.interrupted) for p in speaker.played] == [(LONG, True)]
    assert [on for on, _ in changes] == [True, False]


def test_speaking_is_set_for_the_whole_of_a_screen_and_only_then(make_worker):
    changes: list[tuple[bool, float]] = []
    speaker = CaptureSpeaker(speed=20)
    worker = make_worker(Pyttsx3Synthesiser(), speaker, on_speaking=lambda on: changes.append((on, time.monotonic())))
    worker.say(["Did we listen?", "Yes", "Sometimes", "No"], "en", ENGLISH)
    assert worker.wait_idle(WAIT)
    assert not worker.speaking.is_set()
    assert [on for on, _ in changes] == [True, False]  # the microphone is not unmuted between prompts
    (_, muted), (_, unmuted) = changes
    assert all(muted <= p.started_at <= unmuted for p in speaker.played) and len(speaker.played) == 4


def test_say_returns_while_a_cold_prompt_is_still_being_synthesised(make_worker):
    gate = threading.Event()
    synthesiser, speaker = CountingSynthesiser(gate), CaptureSpeaker(speed=20)
    worker = make_worker(synthesiser, speaker)
    worker.say(["Not in the cache yet"], "en", ENGLISH)
    assert synthesiser.entered.wait(WAIT)  # say() has returned and the worker is synthesising...
    assert not synthesiser.finished.is_set() and not speaker.played  # ...and has not finished
    gate.set()
    assert worker.wait_idle(WAIT)
    assert [p.text for p in speaker.played] == ["Not in the cache yet"]


def test_said_everything_waits_for_what_is_to_be_said_and_not_for_prefetching(make_worker):
    gate = threading.Event()
    synthesiser = CountingSynthesiser(gate)
    worker = make_worker(synthesiser, CaptureSpeaker(speed=20))
    worker.prefetch(["One", "Two"], "en", ENGLISH)
    assert synthesiser.entered.wait(WAIT)
    assert worker.said_everything()  # only prefetching: nobody hears that
    worker.say(["Is that right?"], "en", ENGLISH)
    assert not worker.said_everything()  # queued
    gate.set()
    assert worker.wait_idle(WAIT)
    assert worker.said_everything()


def test_prefetch_gives_way_to_say(make_worker, cache):
    gate = threading.Event()
    synthesiser, speaker = CountingSynthesiser(gate), CaptureSpeaker(speed=20)
    worker = make_worker(synthesiser, speaker)
    worker.prefetch(["One", "Two", "Three"], "en", ENGLISH)
    assert synthesiser.entered.wait(WAIT)
    worker.say(["Hello"], "en", ENGLISH)
    gate.set()
    assert worker.wait_idle(WAIT)
    assert synthesiser.texts == ["One", "Hello", "Two", "Three"]
    assert [p.text for p in speaker.played] == ["Hello"]
    assert all(cache.path_for(text, "en", ENGLISH).is_file() for text in ("One", "Two", "Three"))


def test_aplay_without_a_sound_card_warns_once_and_carries_on(cache, caplog):
    wav = cache.get("Hello", "en", ENGLISH, Pyttsx3Synthesiser())
    speaker = AplaySpeaker()
    with caplog.at_level(logging.WARNING, logger="kiosk.voice.speakers"):
        speaker.play(wav)  # plays if this machine has a sound card; warns if it has none
        speaker.play(wav)
    assert len(caplog.records) <= 1


def test_aplay_speaker_stop_ends_the_player_without_a_warning(tmp_path, caplog):
    """A stand-in player that would run for a minute shows that stop() ends the subprocess."""
    speaker = AplaySpeaker(command=(sys.executable, "-c", "import time; time.sleep(60)"))
    write_tone(tmp_path / "tone.wav")
    player = threading.Thread(target=speaker.play, args=(tmp_path / "tone.wav",))
    with caplog.at_level(logging.WARNING, logger="kiosk.voice.speakers"):
        player.start()
        while player.is_alive():
            speaker.stop()
            player.join(0.05)
    assert caplog.records == []


def test_the_cache_lives_apart_from_answers_and_temporary_files():
    folder = default_cache_dir().resolve()
    for elsewhere in (Path(tempfile.gettempdir()), Path(user_data_dir("feedback-kiosk", appauthor=False))):
        assert not folder.is_relative_to(elsewhere.resolve())
    assert folder.name == "speech"
