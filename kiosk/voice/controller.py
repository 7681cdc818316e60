"""The kiosk's voice: speaks every screen the flow shows, and listens when the flow asks.

It sits beside the flow and the screens: it watches :class:`kiosk.session.flow.FlowState`, says each new
screen's prompts through the speech worker, and on the listening and "Is that right?" screens runs the
recogniser on a worker thread. What was heard goes back to the flow as ordinary method calls, on the
UI thread (``call_soon``), and only if the screen is still the one that asked. No Kivy here.

Audio never touches the disk: the recogniser reads chunks from the microphone in memory and keeps
only the words, and only the words the person confirms are stored.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.session.flow import Flow, FlowState, Personal, Screen
from kiosk.session.i18n import translations
from kiosk.session.settings import Contact, KioskConfig
from kiosk.voice.engines import Engine, Hearing, hearing_for
from kiosk.voice.language_pack import LanguagePack, match
from kiosk.voice.models import VoiceModels
from kiosk.voice.piper import PiperSynthesiser, with_installed_voices
from kiosk.voice.prompt_script import recorded_files
from kiosk.voice.prompts import fixed_prompts, spoken_for
from kiosk.voice.speech_out import (
    AplaySpeaker,
    PromptCache,
    Pyttsx3Synthesiser,
    SilentSpeaker,
    Speaker,
    SpeechWorker,
    Voice,
)

if TYPE_CHECKING:  # vosk and numpy load on first use, not while the attract screen is starting
    from kiosk.voice.audio import AudioSource
    from kiosk.voice.recogniser import Heard

log = logging.getLogger(__name__)

SourceFactory = Callable[[], "AudioSource | None"]
"""Opens the microphone for one answer (None: no microphone now)."""
Phrasebook = Callable[[str], Callable[[str], str]]
"""The kiosk's own words in a language: ``phrasebook("bn")("Thank you!")``."""
SLOWER = 0.75
"""Speech rate for a person who asked for slower speech, as a share of the language's own rate."""
BARGE_IN_LEVEL, BARGE_IN_CHUNKS = 0.5, 3
"""With barge-in, 0.3 s at -35 dBFS or louder is a person answering (a voice at arm's length), not a cough."""


def english(_language: str) -> Callable[[str], str]:
    return lambda msgid: msgid


class Listener:
    """A language's speech engine and the microphone it listens through. The engine loads on a background
    thread (a vosk model takes a few seconds and ~500 MB) the first time the language is used, so neither
    the attract screen nor a kiosk that is rarely asked for Korean pays for Korean."""

    def __init__(self, hearing: Hearing, open_source: SourceFactory, *, time_limit: float, silence: float):
        self.hearing, self.open_source, self.time_limit, self.silence = hearing, open_source, time_limit, silence
        self._recogniser: Engine | None = None
        self._loading = threading.Lock()
        self.started = False
        self.ready = threading.Event()

    def prepare(self) -> None:
        """Start loading the engine, once."""
        with self._loading:
            if not self.started:
                self.started = True
                # not a daemon: one stopped at exit in the middle of an import holds Python's import lock
                # for good, and the interpreter then hangs on its own last import
                threading.Thread(target=self._load, name="speech-model").start()

    def _load(self) -> None:
        try:
            self._recogniser = self.hearing.load()
        except Exception:  # the kiosk carries on by touch; the reason is in the log
            log.exception("%s could not be loaded", self.hearing.engine)
        self.ready.set()

    def listen(self, phrases: list[str] | None, *, cancel: threading.Event, muted: Callable[[], bool],
               on_level: Callable[[float], None]) -> Heard | None:
        """One answer, or None when there is no engine or no microphone."""
        self.prepare()
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
    """What makes a screen new (and worth saying again): not the countdown or a typed letter. A new
    language is (the start screen says itself again in it); another adjustment is not."""
    question = state.question.id if state.question else None
    return (state.screen, question, state.follow_up, state.waiting, state.heard, state.attempt, state.help_page,
            state.asked_for_help, state.personal.hears, state.personal.slower_speech)


class VoiceController:
    def __init__(self, *, flow: Flow, packs: Mapping[str, LanguagePack], speech: SpeechWorker | None,
                 listeners: Mapping[str, Listener], call_soon: Callable[[Callable[[], None]], None],
                 contacts: Sequence[Contact] = (), phrasebook: Phrasebook = english,
                 prompts: Callable[[str], list[str]] | None = None, barge_in: bool = False):
        """``packs`` and ``listeners`` by language tag: a language with no speech model has no listener.
        ``prompts(language)`` lists what to synthesise ahead in a language, the first time it is used.
        ``barge_in`` (``[voice] barge_in``, for echo-cancelled microphones only): the microphone stays open
        while the kiosk speaks, and the kiosk stops talking when the person does."""
        self.flow, self.packs, self.speech, self.listeners = flow, packs, speech, listeners
        self.contacts, self.phrasebook, self.prompts, self.barge_in = contacts, phrasebook, prompts, barge_in
        self._prefetched: set[str] = set()
        self.call_soon = call_soon
        self.level = 0.0
        """Loudness of the last chunk heard (0..1), for the "I'm listening" meter."""
        self._loud_chunks = 0
        self._key: tuple[object, ...] | None = None
        self._cancel = threading.Event()

    def can_listen(self, language: str, *, words: bool = False) -> bool:
        """Whether the microphone is offered in ``language``: for a question's answers, or for ``words`` (a
        text question: only an engine that takes dictation)."""
        listener = self.listeners.get(language)
        return listener is not None and (listener.hearing.dictation or not words)

    def attach(self) -> None:
        self.flow.subscribe(self._changed)
        self._changed(self.flow.state)

    def hear_again(self) -> None:
        """The "hear it again" button."""
        self._say(self.flow.state)

    def read_aloud(self, words: list[str], languages: list[str] | None = None) -> None:
        """Say ``words`` (a button reached with the keyboard or a switch): each in the matching one of
        ``languages`` (a language's own name in its own voice), else in the person's language."""
        personal = self.flow.state.personal
        for index, (said, language) in enumerate(zip(words, languages or [personal.hears] * len(words),
                                                     strict=True)):
            self._speak([said], language, personal, queue=index > 0)

    def touched(self) -> None:
        """Any touch silences the kiosk at once: the person is busy with the screen."""
        if self.speech is not None:
            self.speech.stop()

    def close(self) -> None:
        self._cancel.set()
        if self.speech is not None:
            self.speech.close()

    def _say(self, state: FlowState) -> None:
        if self.speech is None:
            return
        personal = state.personal
        if state.screen == Screen.LANGUAGE:  # each language's name, in its own voice
            for index, tag in enumerate(self.flow.languages):
                self._speak([self.packs[tag].name], tag, personal, queue=index > 0)
            return
        texts = spoken_for(state, can_listen=self.can_listen(personal.hears, words=state.takes_words),
                           contacts=self.contacts, _=self.phrasebook(personal.language))
        # "You said: …" repeats the person's own words: spoken from memory, never cached
        self._speak(texts, personal.hears, personal, private=state.screen == Screen.CONFIRM_VOICE)

    def _speak(self, texts: list[str], language: str, personal: Personal, *, private: bool = False,
               queue: bool = False) -> None:
        """Say ``texts`` in ``language``'s voice; in a spoken-only language, only those recorded."""
        if self.speech is None:
            return
        pack = self.packs[language]
        if pack.shows:
            texts = [text for text in texts if pack.recorded.lookup(text) is not None]
        self.speech.say(texts, language, voice_for(pack, personal), pack.recorded, private=private, queue=queue)

    def _prefetch(self, language: str) -> None:
        """Synthesise a language's prompts while nobody waits: the kiosk's own at start, another when a
        person first chooses it (never all languages at once, for a kiosk that is rarely asked for them)."""
        if self.packs[language].shows:  # spoken-only: recordings, nothing to synthesise
            return
        if self.speech is not None and self.prompts is not None and language not in self._prefetched:
            self._prefetched.add(language)
            self.speech.prefetch(self.prompts(language), language, self.packs[language].voice)

    def _changed(self, state: FlowState) -> None:
        language = state.personal.hears
        self._prefetch(language)
        listener = self.listeners.get(language)
        if listener is not None:
            listener.prepare()
        key = _screen_key(state)
        if key == self._key:
            return
        self._key = key
        self._cancel.set()  # whatever was listening belongs to the screen that went away
        self._say(state)
        pack = self.packs[language]
        if listener is None:
            return
        if state.screen == Screen.LISTENING and state.question is not None:
            if not self.can_listen(language, words=state.takes_words):
                self.call_soon(self.flow.stop_listening)  # only dictation hears words: give the keyboard back
                return
            phrases = None if state.takes_words else pack.answer_phrases(state.question)
            self._listen(listener, key, phrases, lambda heard: self._answer(heard, phrases))
        elif state.screen == Screen.CONFIRM_VOICE:
            confirm = pack.confirm_phrases()
            self._listen(listener, key, confirm, lambda heard: self._confirmation(heard, confirm))

    def _listen(self, listener: Listener, key: tuple[object, ...], phrases: dict[str, str] | None,
                deliver: Callable[[Heard | None], None]) -> None:
        self._cancel = cancel = threading.Event()

        def run() -> None:
            heard = listener.listen(list(phrases) if phrases is not None else None, cancel=cancel,
                                    muted=self._muted, on_level=self._set_level)
            self.level = 0.0
            if heard is not None and heard.outcome == "cancelled":
                return
            self.call_soon(lambda: deliver(heard) if self._key == key else None)

        threading.Thread(target=run, name="listening", daemon=True).start()

    def _speaking(self) -> bool:
        return self.speech is not None and self.speech.speaking.is_set()

    def _muted(self) -> bool:
        """The microphone is not heard while the kiosk speaks, unless its own voice is cancelled out."""
        return not self.barge_in and self._speaking()

    def _set_level(self, value: float) -> None:
        self.level = value
        self._loud_chunks = self._loud_chunks + 1 if value >= BARGE_IN_LEVEL else 0
        if self.barge_in and self._loud_chunks >= BARGE_IN_CHUNKS and self._speaking():
            self.touched()  # the person has started to answer: stop talking over them

    def _answer(self, heard: Heard | None, phrases: dict[str, str] | None) -> None:
        if heard is None:  # no microphone after all: give the pictures back
            self.flow.stop_listening()
        elif heard.outcome != "heard":
            self.flow.nothing_heard()
        elif phrases is None:
            self.flow.heard(heard.text)
        else:
            self.flow.heard(heard.text, match(heard.text, phrases))

    def _confirmation(self, heard: Heard | None, phrases: dict[str, str]) -> None:
        meaning = match(heard.text, phrases) if heard and heard.outcome == "heard" else None
        if meaning == "yes":
            self.flow.confirm_heard()
        elif meaning == "try_again":
            self.flow.try_again()
        # silence or unclear: the Yes / "No, say it again" buttons are still there


def make_voice(*, flow: Flow, config: KioskConfig, data_dir: Path, call_soon: Callable[[Callable[[], None]], None],
               speaker: Speaker | None = None, open_source: SourceFactory | None = None) -> VoiceController:
    """The kiosk's voice as its settings ask: ``speaker`` and ``open_source`` replace the sound card and
    the microphone (tests and demos feed real WAV files through them)."""
    settings, packs = config.settings.voice, with_installed_voices(config.language_packs, data_dir)
    packs = {tag: dataclasses.replace(pack, recorded=pack.recorded.with_recordings(recorded_files(config, data_dir,
                                                                                                 tag)))
             for tag, pack in packs.items()}
    speech = None
    if settings.speak:
        speaker = speaker or (AplaySpeaker() if settings.speaker == "aplay" else SilentSpeaker())
        speech = SpeechWorker(PiperSynthesiser(fallback=Pyttsx3Synthesiser()), speaker, PromptCache())
        speech.start()
    listeners: dict[str, Listener] = {}
    models = VoiceModels(data_dir)
    found = {language: hearing_for(language, models) for language in packs} if settings.listen else {}
    heard = {language: hearing for language, hearing in found.items() if hearing is not None}
    if heard and open_source is None and open_microphone(settings.microphone) is not None:
        open_source = lambda: open_microphone(settings.microphone)  # noqa: E731
    if open_source is not None:  # no engine or no microphone: no microphone button
        listeners = {language: Listener(hearing, open_source, time_limit=settings.listen_seconds,
                                        silence=settings.silence_seconds) for language, hearing in heard.items()}
    # each language's catalogue read once, not on every screen said (kiosk.session.i18n parses the .po file)
    phrasebook = functools.cache(functools.partial(_phrases, config.config_dirs))
    contacts = config.settings.help.contacts

    def prompts(language: str) -> list[str]:
        own = fixed_prompts(language=language, can_listen=language in listeners, contacts=contacts,
                            _=phrasebook(language))
        return own + _every_prompt(config, language)

    return VoiceController(flow=flow, packs=packs, speech=speech, listeners=listeners, call_soon=call_soon,
                           contacts=contacts, phrasebook=phrasebook, prompts=prompts, barge_in=settings.barge_in)


def _phrases(config_dirs: list[Path], language: str) -> Callable[[str], str]:
    return translations(language, config_dirs).gettext


def voice_for(pack: LanguagePack, personal: Personal) -> Voice:
    """The pack's voice, slower for a person who asked for slower speech."""
    if not personal.slower_speech:
        return pack.voice
    return dataclasses.replace(pack.voice, rate=round(pack.voice.rate * SLOWER))


def _every_prompt(config: KioskConfig, language: str) -> list[str]:
    """The question set's spoken words in ``language``, synthesised while the kiosk waits so each screen
    speaks at once."""
    texts: list[str] = []
    for question in config.questions.in_language(language)[0].questions:
        texts += [question.say, question.follow_up_say, *(answer.say for answer in question.answers)]
    return [text for text in texts if text]


def open_microphone(device: str) -> AudioSource | None:
    """The microphone ``[voice] microphone`` names, or None (logged) when there is none."""
    from kiosk.voice.audio import MicrophoneSource, MicrophoneUnavailable

    try:
        return MicrophoneSource(int(device) if device.isdigit() else (device or None))
    except MicrophoneUnavailable as error:
        log.warning("no microphone: %s", error)
        return None
