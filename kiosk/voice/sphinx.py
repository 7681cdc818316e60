"""Listening for English answers with nothing to install: PocketSphinx's US English model ships inside its PyPI
wheel (38 MB), where vosk's English model is a separate 40 MB download (``kiosk voice install en``).

Grammar only: it chooses among a question's answers, never takes dictation (vosk does, once installed).
The settings, measured on espeak-ng's voices (docs/voice.md): ``bestpath`` off keeps the grammar's own best
path; wide beams and no cap on active HMMs keep a phrase that begins like another ("sometimes", "some of the
time") from having every path pruned. Each utterance is decoded from just before it starts, with a fixed faint
hiss under it (see ``with_hiss``). On every Easy Read answer and every "yes"/"no" to "Is that right?", in
voices never used while tuning, the kiosk took 155 of 160 answers and 34 of 35 confirmations right.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from kiosk.voice.audio import BYTES_PER_SECOND, SAMPLE_RATE, AudioSource
from kiosk.voice.recogniser import Heard, decode

if TYPE_CHECKING:
    from pocketsphinx import Decoder

SETTINGS = {"samprate": SAMPLE_RATE, "logfn": os.devnull, "bestpath": False,
            "beam": 1e-120, "wbeam": 1e-100, "pbeam": 1e-120, "maxhmmpf": -1, "lm": None}
"""``lm`` None: its dictation language model is never used here, and not loading it saves 90 MB."""
WORD = re.compile(r"[a-z']+")
KEPT_BYTES = 6 * BYTES_PER_SECOND
"""How much audio an utterance that matched no answer may carry into the next one."""
HISS = 32768 * 10 ** (-60 / 20)
"""A microphone's faint hiss (-60 dBFS, as sample RMS), added to every utterance before it is decoded."""
LEAD_BYTES = round(0.45 * BYTES_PER_SECOND)
"""Audio kept from before the endpointer says speech started: its 0.3 s window, and 0.15 s of quiet before."""


def with_hiss(pcm: bytes) -> bytes:
    """``pcm`` with a faint hiss, the same for every utterance. Digital silence (exact zeros: a synthesised
    voice's pauses, a microphone's noise gate) throws PocketSphinx's feature normalisation off: after one second
    of zeros "Correct" was heard as "no". The hiss is fixed, not random, so the same sound is always heard
    as the same answer."""
    samples = np.frombuffer(pcm, "<i2", count=len(pcm) // 2) + np.random.default_rng(0).normal(0, HISS, len(pcm) // 2)
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


class SphinxUtterances:
    """One question's answers, heard utterance by utterance. PocketSphinx's Endpointer finds where speech starts
    and ends (30 ms frames); the utterance, from just before its start, is then decoded at once, which chose the
    right answer more often than decoding the endpointer's frames as they came (33 of 36 against 29 on held-out
    voices: it trims the start of the first word). The quiet before it is left out: decoded with seconds of
    waiting in front, the same "Correct" was heard as "yeah", "no" or nothing as the wait grew."""

    def __init__(self, decoder: Decoder, grammar: str):
        from pocketsphinx import Endpointer

        self.decoder = decoder
        self.decoder.add_jsgf_string("answers", grammar)  # replaces the previous question's answers
        self.decoder.activate_search("answers")
        self.endpointer = Endpointer(sample_rate=SAMPLE_RATE)
        self._audio = b""
        """Audio since the last utterance ended, at most LEAD_BYTES of it before the next one starts."""
        self._framed = 0
        self._start: int | None = None
        """Where the utterance being heard starts in ``_audio``."""
        self._said = ""

    def accept(self, chunk: bytes) -> bool:
        self._audio += chunk
        size = self.endpointer.frame_bytes
        ended = False
        while len(self._audio) - self._framed >= size:
            was_speaking = self.endpointer.in_speech
            self.endpointer.process(self._audio[self._framed:self._framed + size])
            self._framed += size
            if self._start is None:
                if self.endpointer.in_speech:
                    self._start = max(0, self._framed - LEAD_BYTES)
                elif self._framed > LEAD_BYTES:  # only quiet so far: keep no more of it than an utterance takes
                    self._audio, self._framed = self._audio[self._framed - LEAD_BYTES:], LEAD_BYTES
            if was_speaking and not self.endpointer.in_speech and self._start is not None:
                self._said, ended = self.words_in(self._audio[self._start:self._framed]), True
                if self._said or self._framed - self._start > KEPT_BYTES:
                    self._audio, self._framed, self._start = self._audio[self._framed:], 0, None
                # else no answer fits it: perhaps half of one said with a pause ("I do not ... want to say"),
                # decoded again with what comes next
        return ended

    def words_in(self, pcm: bytes) -> str:
        self.decoder.start_utt()
        self.decoder.process_raw(with_hiss(pcm), full_utt=True)
        self.decoder.end_utt()
        hypothesis = self.decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""

    def result(self) -> str:
        return self._said

    def speaking(self) -> bool:
        return bool(self.endpointer.in_speech)

    def final(self) -> str:
        return self.words_in(self._audio[self._start or 0:]) if self.endpointer.in_speech else ""


class SphinxRecogniser:
    """The English answers recogniser: the same calls as kiosk.voice.recogniser.Recogniser, in grammar mode.
    One decoder, loaded once (0.3 s) and given each question's answers in turn, so a listen or transcribe
    waits for the one before it to finish."""

    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(**SETTINGS)
        self._lock = threading.Lock()

    def known_phrases(self, phrases: Sequence[str]) -> list[str]:
        """The phrases (lowercased) whose every word is in the pronouncing dictionary."""
        known = []
        for phrase in phrases:
            words = WORD.findall(phrase.lower())
            if words and all(self._decoder.lookup_word(word) is not None for word in words):
                known.append(" ".join(words))
        return list(dict.fromkeys(known))

    def _utterances(self, phrases: Sequence[str] | None) -> SphinxUtterances:
        if phrases is None:
            raise ValueError("English with no speech model installed hears only a question's answers: give the "
                             "phrases, or install a model for dictation with `kiosk voice install en`")
        known = self.known_phrases(phrases)
        if not known:
            raise ValueError("none of the phrases are in the English pronouncing dictionary")
        return SphinxUtterances(self._decoder, "#JSGF V1.0;\ngrammar answers;\npublic <answer> = "
                                + " | ".join(f"( {phrase} )" for phrase in known) + ";")

    def listen(self, source: AudioSource, phrases: Sequence[str] | None = None, *, time_limit: float = 10.0,
               silence_timeout: float = 4.0, on_level: Callable[[float], None] | None = None,
               muted: Callable[[], bool] | None = None, cancel: threading.Event | None = None) -> Heard:
        with self._lock:
            return decode(self._utterances(phrases), source, time_limit, silence_timeout, on_level, muted, cancel)

    def transcribe(self, pcm: bytes, phrases: Sequence[str] | None = None) -> str:
        """Which answer a whole recording holds (one utterance, decoded at once)."""
        with self._lock:
            return self._utterances(phrases).words_in(pcm)
