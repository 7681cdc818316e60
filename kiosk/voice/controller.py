"""The kiosk's voice: speaks every screen the flow shows, and listens when the flow asks.

It sits beside the flow and the screens: it watches :class:`kiosk.flow.FlowState`, says each new
screen's prompts through the speech worker, and on the listening and "Is that right?" screens runs the
recogniser on a worker thread. What was heard goes back to the flow as ordinary method calls, on the
UI thread (``call_soon``), and only if the screen is still the one that asked. No Kivy here.

Audio never touches the disk: the recogniser reads chunks from the microphone in memory and keeps
only the words, and only the words the person confirms are stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.flow import Flow, FlowState, Screen
from kiosk.settings import Contact, KioskConfig
from kiosk.voice.language_pack import LanguagePack, match
from kiosk.voice.models import VoiceModels
from kiosk.voice.prompts import spoken_for
from kiosk.voice.speech_out import (
    AplaySpeaker,
    PromptCache,
    Pyttsx3Synthesiser,
    SilentSpeaker,
    Speaker,
    SpeechWorker,
)

if TYPE_CHECKING:  # vosk and numpy load on first use, not while the attract screen is starting
    from kiosk.voice.audio import AudioSource
    from kiosk.voice.recogniser import Heard, Recogniser

log = logging.getLogger(__name__)

SourceFactory = Callable[[], "AudioSource | None"]
"""Opens the microphone for one answer (None: no microphone now)."""


class Listener:
    """The speech model, loaded once on a background thread (a few seconds, ~500 MB) so the attract
    screen is not held up, and the microphone it listens through."""

    def __init__(self, model_path: Path, open_source: SourceFactory, *, time_limit: float, silence: float):
        self.open_source, self.time_limit, self.silence = open_source, time_limit, silence
        self._recogniser: Recogniser | None = None
        self.ready = threading.Event()
        threading.Thread(target=self._load, args=(model_path,), name="speech-model", daemon=True).start()

    def _load(self, model_path: Path) -> None:
        from kiosk.voice.recogniser import Recogniser

        try:
            self._recogniser = Recogniser(model_path)
        except Exception:  # the kiosk carries on by touch; the reason is in the log
            log.exception("the speech model in %s could not be loaded", model_path)
        self.ready.set()

    def listen(self, phrases: list[str] | None, *, cancel: threading.Event, muted: Callable[[], bool],
               on_level: Callable[[float], None]) -> Heard | None:
        """One answer, or None when there is no model or no microphone."""
        self.ready.wait()
        source = self.open_source() if self._recogniser is not None else None
        if source is None or self._recogniser is None:
            return None
        try:
            return self._recogniser.listen(source, phrases, time_limit=self.time_limit, silence_timeout=self.silence,
                                           on_level=on_level, muted=muted, cancel=cancel)
        finally:
            source.close()


def _screen_key(state: FlowState) -> tuple[object, ...]:
    """What makes a screen new (and worth saying again): not the countdown or a typed letter."""
    question = state.question.id if state.question else None
    return state.screen, question, state.follow_up, state.waiting, state.heard, state.attempt


class VoiceController:
    def __init__(self, *, flow: Flow, pack: LanguagePack, speech: SpeechWorker | None, listener: Listener | None,
                 call_soon: Callable[[Callable[[], None]], None], contacts: Sequence[Contact] = ()):
        self.flow, self.pack, self.speech, self.listener = flow, pack, speech, listener
        self.contacts = contacts
        self.call_soon = call_soon
        self.level = 0.0
        """Loudness of the last chunk heard (0..1), for the "I'm listening" meter."""
        self._key: tuple[object, ...] | None = None
        self._cancel = threading.Event()

    @property
    def can_listen(self) -> bool:
        return self.listener is not None

    def attach(self) -> None:
        self.flow.subscribe(self._changed)
        self._changed(self.flow.state)

    def hear_again(self) -> None:
        """The "hear it again" button."""
        self._say(self.flow.state)

    def touched(self) -> None:
        """Any touch silences the kiosk at once: the person is busy with the screen."""
        if self.speech is not None:
            self.speech.stop()

    def close(self) -> None:
        self._cancel.set()
        if self.speech is not None:
            self.speech.close()

    def _say(self, state: FlowState) -> None:
        if self.speech is not None:
            # "You said: …" repeats the person's own words: spoken from memory, never cached
            self.speech.say(spoken_for(state, can_listen=self.can_listen, contacts=self.contacts),
                            self.pack.language, self.pack.voice, self.pack.recorded,
                            private=state.screen == Screen.CONFIRM_VOICE)

    def _changed(self, state: FlowState) -> None:
        key = _screen_key(state)
        if key == self._key:
            return
        self._key = key
        self._cancel.set()  # whatever was listening belongs to the screen that went away
        self._say(state)
        if self.listener is None:
            return
        if state.screen == Screen.LISTENING and state.question is not None:
            choice = not state.follow_up and state.question.kind == "choice"
            phrases = self.pack.answer_phrases(state.question) if choice else None
            self._listen(key, phrases, lambda heard: self._answer(heard, phrases))
        elif state.screen == Screen.CONFIRM_VOICE:
            self._listen(key, self.pack.confirm_phrases(), self._confirmation)

    def _listen(self, key: tuple[object, ...], phrases: dict[str, str] | None,
                deliver: Callable[[Heard | None], None]) -> None:
        self._cancel = cancel = threading.Event()
        listener = self.listener
        assert listener is not None

        def run() -> None:
            heard = listener.listen(list(phrases) if phrases is not None else None, cancel=cancel,
                                    muted=self._speaking, on_level=self._set_level)
            self.level = 0.0
            if heard is not None and heard.outcome == "cancelled":
                return
            self.call_soon(lambda: deliver(heard) if self._key == key else None)

        threading.Thread(target=run, name="listening", daemon=True).start()

    def _speaking(self) -> bool:
        return self.speech is not None and self.speech.speaking.is_set()

    def _set_level(self, value: float) -> None:
        self.level = value

    def _answer(self, heard: Heard | None, phrases: dict[str, str] | None) -> None:
        if heard is None:  # no microphone after all: give the pictures back
            self.flow.stop_listening()
        elif heard.outcome != "heard":
            self.flow.nothing_heard()
        elif phrases is None:
            self.flow.heard(heard.text)
        else:
            self.flow.heard(heard.text, match(heard.text, phrases))

    def _confirmation(self, heard: Heard | None) -> None:
        meaning = match(heard.text, self.pack.confirm_phrases()) if heard and heard.outcome == "heard" else None
        if meaning == "yes":
            self.flow.confirm_heard()
        elif meaning == "try_again":
            self.flow.try_again()
        # silence or unclear: the Yes / Try again buttons are still there


def make_voice(*, flow: Flow, config: KioskConfig, data_dir: Path, call_soon: Callable[[Callable[[], None]], None],
               speaker: Speaker | None = None, open_source: SourceFactory | None = None) -> VoiceController:
    """The kiosk's voice as its settings ask: ``speaker`` and ``open_source`` replace the sound card and
    the microphone (tests and demos feed real WAV files through them)."""
    settings, pack = config.settings.voice, config.language_pack
    speech = None
    if settings.speak:
        speaker = speaker or (AplaySpeaker() if settings.speaker == "aplay" else SilentSpeaker())
        speech = SpeechWorker(Pyttsx3Synthesiser(), speaker, PromptCache())
        speech.start()
        speech.prefetch(_every_prompt(config), pack.language, pack.voice)
    listener = None
    model = VoiceModels(data_dir).find(pack.language) if settings.listen else None
    if model is not None and open_source is None and _microphone(settings.microphone) is not None:
        open_source = lambda: _microphone(settings.microphone)  # noqa: E731
    if model is not None and open_source is not None:  # no model or no microphone: no microphone button
        listener = Listener(model, open_source, time_limit=settings.listen_seconds, silence=settings.silence_seconds)
    return VoiceController(flow=flow, pack=pack, speech=speech, listener=listener, call_soon=call_soon,
                           contacts=config.settings.help.contacts)


def _every_prompt(config: KioskConfig) -> list[str]:
    """The question set's spoken words, synthesised while the kiosk waits so each screen speaks at once."""
    texts: list[str] = []
    for question in config.questions.questions:
        texts += [question.say, question.follow_up_say, *(answer.say for answer in question.answers)]
    return [text for text in texts if text]


def _microphone(device: str) -> AudioSource | None:
    from kiosk.voice.audio import MicrophoneSource, MicrophoneUnavailable

    try:
        return MicrophoneSource(int(device) if device.isdigit() else (device or None))
    except MicrophoneUnavailable as error:
        log.warning("no microphone: %s", error)
        return None
