"""Listening for English answers with nothing to install: PocketSphinx's US English model ships inside its PyPI
wheel (38 MB), where vosk's English model is a separate 40 MB download (``kiosk voice install en``).

Grammar only: it chooses among a question's answers, never takes dictation (vosk does, once installed).
The settings, measured on espeak-ng's voices (docs/voice.md): ``dither`` adds the faint noise every real
microphone has (digital silence, exact zeros, threw its feature normalisation off: 27 of 72 answers right
without it, 70 of 72 with it); ``bestpath`` off keeps the grammar's own best path; wide beams and no cap on
active HMMs keep a phrase that begins like another ("sometimes", "some of the time") from having every path
pruned. On every Easy Read answer in voices never used while tuning, the kiosk took 118 of 128 right (and 32 of
32 in Piper's voice).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kiosk.voice.audio import BYTES_PER_SECOND, SAMPLE_RATE, AudioSource
from kiosk.voice.recogniser import Heard, decode

if TYPE_CHECKING:
    from pocketsphinx import Decoder

SETTINGS = {"samprate": SAMPLE_RATE, "logfn": os.devnull, "bestpath": False, "dither": True, "seed": 1,
            "beam": 1e-120, "wbeam": 1e-100, "pbeam": 1e-120, "maxhmmpf": -1, "lm": None}
"""``lm`` None: its dictation language model is never used here, and not loading it saves 90 MB."""
WORD = re.compile(r"[a-z']+")
KEPT_BYTES = 6 * BYTES_PER_SECOND
"""How much audio an utterance that matched no answer may carry into the next one."""


class SphinxUtterances:
    """One question's answers, heard utterance by utterance. PocketSphinx's Endpointer finds where speech ends
    (30 ms frames); the whole utterance is then decoded at once, which chose the right answer more often than
    decoding the endpointer's frames as they came (33 of 36 against 29 on held-out voices: it trims the
    start of the first word)."""

    def __init__(self, decoder: Decoder, grammar: str):
        from pocketsphinx import Endpointer

        self.decoder = decoder
        self.decoder.add_jsgf_string("answers", grammar)  # replaces the previous question's answers
        self.decoder.activate_search("answers")
        self.endpointer = Endpointer(sample_rate=SAMPLE_RATE)
        self._audio = b""
        """Everything heard since the last utterance ended."""
        self._framed = 0
        self._said = ""

    def accept(self, chunk: bytes) -> bool:
        self._audio += chunk
        size = self.endpointer.frame_bytes
        ended = False
        while len(self._audio) - self._framed >= size:
            was_speaking = self.endpointer.in_speech
            self.endpointer.process(self._audio[self._framed:self._framed + size])
            self._framed += size
            if was_speaking and not self.endpointer.in_speech:
                self._said, ended = self.words_in(self._audio[:self._framed]), True
                if self._said or self._framed > KEPT_BYTES:
                    self._audio, self._framed = self._audio[self._framed:], 0
                # else no answer fits it: perhaps half of one said with a pause ("I do not ... want to say"),
                # decoded again with what comes next
        return ended

    def words_in(self, pcm: bytes) -> str:
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hypothesis = self.decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""

    def result(self) -> str:
        return self._said

    def speaking(self) -> bool:
        return bool(self.endpointer.in_speech)

    def final(self) -> str:
        return self.words_in(self._audio) if self.endpointer.in_speech else ""


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
