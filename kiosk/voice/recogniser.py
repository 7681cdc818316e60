"""Listening for a spoken answer: vosk, offline, behind one small interface the UI can rely on.

Give :meth:`Recogniser.listen` the answers a question offers and vosk only chooses among them (grammar
mode), which is fast and robust for short answers. Models without an ``[unk]`` word (the Korean one)
force every sound onto one of those answers, so the kiosk must always confirm what it heard. Time is
counted in seconds of audio, not by the clock, so a WAV file read at full speed behaves like a
microphone. Transcripts are never logged.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import vosk

from kiosk.voice.audio import BYTES_PER_SECOND, CHUNK_BYTES, SAMPLE_RATE, AudioSource, level

log = logging.getLogger(__name__)
UNKNOWN_WORD = "[unk]"
STILL_SPEAKING_LEVEL = 0.3
"""About -45 dBFS: louder than a quiet room. The silence timeout waits for a quieter chunk, so someone
who starts to speak just before it is not cut off before vosk has recognised their first word."""


class Utterances(Protocol):
    """What the listening loop needs from an engine (vosk here, PocketSphinx in kiosk.voice.sphinx)."""

    def accept(self, chunk: bytes) -> bool:
        """Take 16 kHz mono 16-bit audio; True when an utterance has just ended (its words in result())."""

    def result(self) -> str:
        """The words of the utterance that just ended, lowercased ("" for noise)."""

    def speaking(self) -> bool:
        """Whether an utterance is under way (vosk: a word of it has been recognised)."""

    def final(self) -> str:
        """End the audio: the words of any utterance still under way."""


class VoskUtterances:
    def __init__(self, kaldi: vosk.KaldiRecognizer):
        self.kaldi = kaldi

    def accept(self, chunk: bytes) -> bool:
        return bool(self.kaldi.AcceptWaveform(chunk))

    def result(self) -> str:
        return str(json.loads(self.kaldi.Result())["text"])

    def speaking(self) -> bool:
        return bool(json.loads(self.kaldi.PartialResult())["partial"])

    def final(self) -> str:
        return str(json.loads(self.kaldi.FinalResult())["text"])


def decode(utterances: Utterances, source: AudioSource, time_limit: float, silence_timeout: float,
           on_level: Callable[[float], None] | None, muted: Callable[[], bool] | None,
           cancel: threading.Event | None) -> Heard:
    """The listening loop shared by every engine (see Recogniser.listen for what each outcome means). The
    source stays open: only the iterator this call took from it is closed."""
    chunks = source.chunks()
    try:
        return _decode(utterances, chunks, time_limit, silence_timeout, on_level, muted, cancel)
    finally:
        if isinstance(chunks, Generator):
            chunks.close()  # a microphone stops recording here


def _decode(utterances: Utterances, chunks: Iterator[bytes], time_limit: float, silence_timeout: float,
            on_level: Callable[[float], None] | None, muted: Callable[[], bool] | None,
            cancel: threading.Event | None) -> Heard:
    audio_bytes = listened_bytes = 0  # whole numbers: ten 0.1 s chunks must make exactly 1 s
    speaking = False
    for chunk in chunks:
        if cancel is not None and cancel.is_set():
            return Heard("cancelled")
        audio_bytes += len(chunk)
        loudness = level(chunk)
        if on_level is not None:
            on_level(loudness)
        if muted is None or not muted():
            listened_bytes += len(chunk)
            if utterances.accept(chunk):
                text = utterances.result()
                if text:
                    return Heard("heard", text)
                speaking = False  # it was only noise
            else:  # a partial result shows up about one word after speech begins
                speaking = speaking or utterances.speaking()
            quiet = loudness < STILL_SPEAKING_LEVEL
            if not speaking and quiet and listened_bytes >= silence_timeout * BYTES_PER_SECOND:
                return Heard("silence")
        if audio_bytes >= time_limit * BYTES_PER_SECOND:
            return Heard("time-limit")
    text = utterances.final()
    return Heard("heard", text) if text else Heard("silence")


class ModelLoadError(RuntimeError):
    """A folder that vosk cannot load as a speech model."""


@dataclass(frozen=True)
class Heard:
    outcome: Literal["heard", "silence", "time-limit", "cancelled"]
    text: str = ""
    """The recognised words, lowercased; empty unless ``outcome`` is "heard"."""


def load_model(model_path: Path) -> vosk.Model:
    """Load a model folder (seconds, and hundreds of MB of memory); never downloads anything."""
    vosk.SetLogLevel(-2)  # -1 hides vosk's progress lines, -2 also its errors: ours below say it in one line
    if not model_path.is_dir():
        raise ModelLoadError(f"{model_path} is not a folder")
    try:
        return vosk.Model(str(model_path))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelLoadError(f"vosk cannot load {model_path} as a speech model") from exc


class Recogniser:
    """One loaded model, shared by every listen (each gets its own vosk recogniser, so threads are fine)."""

    def __init__(self, model_path: Path):
        self.model = load_model(model_path)
        self.has_unknown_word = self.model.vosk_model_find_word(UNKNOWN_WORD) != -1

    def known_phrases(self, phrases: Sequence[str]) -> list[str]:
        """The phrases (lowercased, spaces tidied) whose every word the model knows; vosk would silently
        ignore the others."""
        known = []
        for phrase in phrases:
            words = phrase.lower().split()
            if words and all(self.model.vosk_model_find_word(word) != -1 for word in words):
                known.append(" ".join(words))
        if len(known) < len(phrases):
            log.warning("%d of %d phrases are not in the speech model's vocabulary", len(phrases) - len(known),
                        len(phrases))
        return known

    def _kaldi(self, phrases: Sequence[str] | None) -> vosk.KaldiRecognizer:
        if phrases is None:
            return vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        grammar = self.known_phrases(phrases)
        if not grammar:
            raise ValueError("none of the phrases are in the speech model's vocabulary")
        if self.has_unknown_word:
            grammar.append(UNKNOWN_WORD)
        # Unescaped on purpose: vosk silently drops every \uXXXX-escaped (non-ASCII) word.
        return vosk.KaldiRecognizer(self.model, SAMPLE_RATE, json.dumps(grammar, ensure_ascii=False))

    def listen(self, source: AudioSource, phrases: Sequence[str] | None = None, *, time_limit: float = 10.0,
               silence_timeout: float = 4.0, on_level: Callable[[float], None] | None = None,
               muted: Callable[[], bool] | None = None, cancel: threading.Event | None = None) -> Heard:
        """Listen for one answer: one of ``phrases`` (grammar mode), or any words when ``phrases`` is None.

        Returns at the first non-empty result ("heard"); "silence" when no speech has begun after
        ``silence_timeout`` seconds of listening (muted audio does not count: the person cannot answer
        while the kiosk is talking; a loud chunk delays it, see :data:`STILL_SPEAKING_LEVEL`) or when
        the source ends with nothing heard; "time-limit" after
        ``time_limit`` seconds of audio, muted or not; "cancelled" as soon as ``cancel`` is set. Chunks
        that arrive while ``muted()`` is true are not recognised; ``on_level`` gets every chunk's loudness.
        The source stays open: only the iterator this call took from it is closed.
        """
        return decode(VoskUtterances(self._kaldi(phrases)), source, time_limit, silence_timeout, on_level, muted,
                      cancel)

    def transcribe(self, pcm: bytes, phrases: Sequence[str] | None = None) -> str:
        """Everything said in a 16 kHz mono 16-bit buffer, utterance after utterance, as one line."""
        kaldi = self._kaldi(phrases)
        texts = []
        for offset in range(0, len(pcm), CHUNK_BYTES):
            if kaldi.AcceptWaveform(pcm[offset:offset + CHUNK_BYTES]):
                texts.append(json.loads(kaldi.Result())["text"])
        texts.append(json.loads(kaldi.FinalResult())["text"])
        return " ".join(text for text in texts if text)
