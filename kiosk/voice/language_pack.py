"""How the kiosk speaks and listens in one language: ``languages/<tag>/voice.toml`` in a config folder.

A pack names the synthetic voice (espeak-ng voice, rate, volume), the words people may say for each
answer (by answer id; the answer's own words always count too), the words that confirm or reject what
the kiosk heard, and may hold human recordings (``recordings.toml``, see kiosk.voice.speech_out). The
kiosk looks for ``<config>/languages/en-GB/``, then ``<config>/languages/en/``, then the same in the
built-in config; the first folder with a ``voice.toml`` is the pack. No code change adds a language.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kiosk.voice.speech_out import RecordedPrompts, RecordingsError, Voice
from sync.core.config_files import ConfigError, TomlFile
from sync.core.paths import pack_folders
from sync.core.questions import Question

PACK_FILE = "voice.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpeechSettings(_Strict):
    engine: Literal["piper", "espeak-ng"] = "piper"
    """Piper where a Piper voice is installed for the language (kiosk.voice.piper), else espeak-ng; "espeak-ng":
    espeak-ng whatever is installed."""
    voice: str = Field(min_length=1)
    rate: int = Field(default=150, ge=80, le=300)
    volume: float = Field(default=1.0, ge=0.0, le=1.0)


class ConfirmWords(_Strict):
    yes: tuple[str, ...] = Field(min_length=1)
    try_again: tuple[str, ...] = Field(min_length=1)


class PackFile(_Strict):
    name: str = Field(default="", max_length=40)
    """The language's name in its own words and script, as the language screen shows and says it."""
    font: str = ""
    """A font file with this language's letters, for a script Atkinson Hyperlegible lacks (sync.core.fonts)."""
    font_bold: str = ""
    text_scale: float = Field(default=1.0, ge=0.8, le=1.5)
    """How much larger this language's words are drawn: some scripts look smaller than Latin letters at the
    same size (Bengali's letters hang from a line and sit low)."""
    digits: str = Field(default="", pattern=r"^(\S{10})?$")
    """The digits 0 to 9 in this language's script (Bengali ০১২৩৪৫৬৭৮৯), for the numbers the kiosk writes
    itself (question counts, seconds); empty: 0-9. Phone numbers are written as they are dialled."""
    shows: str = ""
    """For a language with no script of its own (Sylheti): the language whose words are on screen while
    this one is heard, from human recordings only (`kiosk voice recordings`)."""
    picture: str = ""
    """A picture beside the language's name on the language screen (for a spoken-only language: an ear)."""
    speech: SpeechSettings
    confirm: ConfirmWords
    synonyms: dict[str, tuple[str, ...]] = {}


def phrase(text: str) -> str:
    """Words as the recogniser writes them: lower case, no punctuation, single spaces. Only punctuation
    and symbols go: Bengali vowel signs are combining marks, not letters, and must stay (মারে)."""
    kept = (" " if unicodedata.category(c)[0] in "PS" and c != "'" else c for c in text.lower())
    return " ".join("".join(kept).split())


@dataclass(frozen=True)
class LanguagePack:
    language: str
    name: str
    folder: Path
    voice: Voice
    confirm: ConfirmWords
    synonyms: dict[str, tuple[str, ...]]
    recorded: RecordedPrompts
    fonts: tuple[Path, Path] | None = None
    piper: bool = True
    """Whether this language is spoken with a Piper voice when one is installed (``[speech] engine``)."""
    """Regular and bold font files for this language's letters; None: the kiosk's Latin font."""
    text_scale: float = 1.0
    """How much larger this language's words are drawn than the kiosk's usual sizes."""
    digits: str = ""
    """0 to 9 in this language's script; empty for 0-9."""
    shows: str = ""
    """Spoken only: the language whose words are on screen (PackFile.shows); empty for a written language."""
    picture: str = ""

    def number(self, value: int) -> str:
        """``value`` written with this language's digits: one digit system on a screen (a Latin eight looks
        like the Bengali digit four)."""
        text = str(value)
        return text.translate(str.maketrans("0123456789", self.digits)) if self.digits else text

    def answer_phrases(self, question: Question) -> dict[str, str]:
        """``{phrase: answer id}`` a person may say on this question. An answer's own words come before every
        synonym ("OK" on the screen means OK, even where another answer lists "ok"); then the first answer to
        claim a synonym keeps it."""
        phrases: dict[str, str] = {}
        for words, answer_id in [*((answer.text, answer.id) for answer in question.answers),
                                 *((words, answer.id) for answer in question.answers
                                   for words in self.synonyms.get(answer.id, ()))]:
            if said := phrase(words):
                phrases.setdefault(said, answer_id)
        return phrases

    def confirm_phrases(self) -> dict[str, str]:
        """``{phrase: "yes" | "try_again"}`` for the "Is that right?" screen."""
        phrases = {phrase(w): "try_again" for w in self.confirm.try_again}
        phrases.update({phrase(w): "yes" for w in self.confirm.yes})
        return phrases


def match(heard: str, phrases: dict[str, str]) -> str | None:
    """The meaning of what was heard, or None if it is unclear. Grammar mode may return several
    phrases in a row ("good very good"): read them longest first; all must mean the same thing."""
    words = phrase(heard).split()
    if not words:
        return None
    if (whole := " ".join(words)) in phrases:
        return phrases[whole]
    longest_first = sorted(phrases, key=lambda p: -len(p.split()))
    meanings: set[str] = set()
    i = 0
    while i < len(words):
        for candidate in longest_first:
            size = len(candidate.split())
            if words[i:i + size] == candidate.split():
                meanings.add(phrases[candidate])
                i += size
                break
        else:
            return None  # a word that belongs to no phrase
    return meanings.pop() if len(meanings) == 1 else None


def load_language_pack(language: str, config_dirs: list[Path]) -> LanguagePack:
    """The pack for ``language``; raises ConfigError naming the file, line and field of any mistake."""
    candidates = pack_folders(language, config_dirs)
    folder = next((c for c in candidates if (c / PACK_FILE).is_file()), None)
    if folder is None:
        raise ConfigError(candidates[0], f"no language pack for {language!r}: add {candidates[0] / PACK_FILE}")
    toml = TomlFile(folder / PACK_FILE)
    data: PackFile = toml.validate(PackFile)
    try:
        recorded = RecordedPrompts(folder)
    except RecordingsError as error:
        raise ConfigError(folder / "recordings.toml", str(error)) from None
    speech = data.speech
    fonts = None
    if data.font:
        regular = folder / data.font  # an absolute path stays as it is
        fonts = (regular, folder / data.font_bold if data.font_bold else regular)
        for path, field in zip(fonts, ("font", "font_bold"), strict=True):
            if not path.is_file():
                raise toml.error((field,), f"no font file {path}: install it (Debian's fonts-noto-core has most "
                                 "scripts) or correct the path")
    return LanguagePack(language, data.name or language, folder, Voice(speech.voice, speech.rate, speech.volume),
                        data.confirm, data.synonyms, recorded, fonts, speech.engine == "piper", data.text_scale,
                        data.digits, data.shows, data.picture)
