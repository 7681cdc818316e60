"""Which speech engine hears a language: a vosk model where one is installed (any words: answers and dictation),
else PocketSphinx for English (its model is in its PyPI wheel: a question's answers only), else none (touch).

The kiosk, ``kiosk transcribe`` and ``kiosk doctor`` all ask here, so they never disagree about what a language
can do. Nothing is loaded until :attr:`Hearing.load` is called (a vosk model takes seconds and hundreds of MB).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kiosk.voice.models import VoiceModels, language_folder

if TYPE_CHECKING:
    from kiosk.voice.audio import AudioSource
    from kiosk.voice.recogniser import Heard

SPHINX_LANGUAGES = frozenset({"en"})
"""Primary languages PocketSphinx's own model hears."""


class Engine(Protocol):
    """What the kiosk asks of a loaded recogniser (kiosk.voice.recogniser.Recogniser, kiosk.voice.sphinx)."""

    def listen(self, source: AudioSource, phrases: Sequence[str] | None = None, *, time_limit: float = 10.0,
               silence_timeout: float = 4.0, on_level: Callable[[float], None] | None = None,
               muted: Callable[[], bool] | None = None, cancel: threading.Event | None = None) -> Heard:
        """One answer: one of ``phrases``, or any words when ``phrases`` is None (only if it takes dictation)."""

    def transcribe(self, pcm: bytes, phrases: Sequence[str] | None = None) -> str:
        """Everything said in a 16 kHz mono 16-bit buffer."""


@dataclass(frozen=True)
class Hearing:
    """How one language is heard, known before anything is loaded."""

    engine: str
    """In words, for staff: "the vosk model in …" or "PocketSphinx (built in)"."""
    dictation: bool
    """Whether it takes any words (a text question), not only a question's answers."""
    model: Path | None = None
    """The vosk model folder (None for PocketSphinx)."""

    def load(self) -> Engine:
        if self.model is None:
            from kiosk.voice.sphinx import SphinxRecogniser

            return SphinxRecogniser()
        from kiosk.voice.recogniser import Recogniser

        return Recogniser(self.model)


def hearing_for(language: str, models: VoiceModels) -> Hearing | None:
    """How ``language`` ("en-GB", "ko") is heard on this kiosk, or None: answered by touch only.
    Raises InstallError for something that is not a language tag."""
    model = models.find(language)
    if model is not None:
        return Hearing(f"the vosk model in {model}", dictation=True, model=model)
    if language_folder(language).partition("-")[0] in SPHINX_LANGUAGES:
        return Hearing("PocketSphinx (built in: answers only)", dictation=False)
    return None
