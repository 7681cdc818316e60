"""A language's on-screen keyboard: ``languages/<tag>/keyboard.toml`` in a config folder.

The file lists the keys page by page and names how they combine (``compose``): "none" adds each key's
letters as they are (English, Bengali), "hangul" builds syllables from jamo (Korean). The kiosk looks
for the file where it looks for the language's pack (kiosk.voice.language_pack.pack_folders), then falls
back to the English keyboard, so adding a script needs no code. A page keeps to at most 30 keys with
space, delete and "more letters": 10 by 3 in landscape or 6 by 5 in portrait keeps each over 2 cm on a
10-inch screen (tests/test_accessibility.py).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from kiosk.keyboard import hangul
from sync.core.config_files import ConfigError, TomlFile
from sync.core.paths import pack_folders

KEYBOARD_FILE = "keyboard.toml"
FALLBACK_LANGUAGE = "en"
MOST_KEYS = 30
"""Keys on screen at once, counting space, delete and "more letters"."""
DOTTED_CIRCLE = "\u25cc"
Compose = Literal["none", "hangul"]


def _one_key(text: str) -> str:
    if not 1 <= len(text) <= 4 or any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(f"a key is one letter or sign (at most 4 characters, no spaces), not {text!r}")
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PageFile(_Strict):
    keys: tuple[Annotated[str, AfterValidator(_one_key)], ...] = Field(min_length=1)

    @field_validator("keys")
    @classmethod
    def _each_once(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        if twice := sorted({k for k in keys if keys.count(k) > 1}):
            raise ValueError(f"{', '.join(twice)} is on this page twice")
        return keys


class KeyboardFile(_Strict):
    compose: Compose = "none"
    pages: tuple[PageFile, ...] = Field(min_length=1)


def label(key: str) -> str:
    """What a key shows: a letter as a capital where the script has them; a vowel sign or other mark on a
    dotted circle (◌া), as primers print it, so it is not an empty-looking key."""
    return DOTTED_CIRCLE + key if unicodedata.category(key[0]).startswith("M") else key.upper()


@dataclass(frozen=True)
class Keyboard:
    """Pages of keys and what a key does to the words typed so far (no Kivy: the flow uses it too)."""

    pages: tuple[tuple[str, ...], ...]
    compose: Compose = "none"

    @property
    def controls(self) -> int:
        """Keys after the letters: "more letters" when there are pages to turn, space and delete."""
        return 2 + (len(self.pages) > 1)

    @property
    def slots(self) -> int:
        """Places on screen: the fullest page and the controls, so keys keep their size and place on every page."""
        return max(map(len, self.pages), default=0) + self.controls

    @property
    def keys(self) -> set[str]:
        """Every key, on whichever page."""
        return {key for page in self.pages for key in page}

    def next_page(self, page: int) -> int:
        return (page + 1) % len(self.pages)

    def page_of(self, key: str, page: int) -> int | None:
        """The page to show for ``key``: this ``page`` if it has it, else the next one that does."""
        for turns in range(len(self.pages)):
            if key in self.pages[shown := (page + turns) % len(self.pages)]:
                return shown
        return None

    def typed(self, draft: str, key: str) -> str:
        """``draft`` after ``key``; in a script with capitals a sentence starts with one."""
        if self.compose == "hangul":
            return hangul.typed(draft, key)
        if not draft.strip() or draft.endswith((". ", "? ", "! ")):
            key = key.upper()
        return draft + key

    def deleted(self, draft: str) -> str:
        """``draft`` with the last key taken back (one jamo of a Hangul syllable, the whole of a key like ড়)."""
        if self.compose == "hangul":
            return hangul.deleted(draft)
        longest = max((key for key in self.keys if draft.endswith(key)), key=len, default=draft[-1:])
        return draft[:len(draft) - len(longest)]

    def keys_for(self, text: str) -> list[str]:
        """The keys that type ``text`` (" " for space): Hangul as jamo, the longest key that fits first."""
        if self.compose == "hangul":
            return hangul.jamo(text)
        keys, known = [], sorted(self.keys, key=len, reverse=True)
        while text:
            key = next((k for k in known if text.startswith(k)), text[0])
            keys.append(key)
            text = text[len(key):]
        return keys


PHYSICAL = Keyboard(pages=())
"""A physical keyboard: each letter comes whole (an input method has already joined Hangul)."""


def load_keyboard(language: str, config_dirs: list[Path]) -> Keyboard:
    """The keyboard for ``language`` (else the English one); raises ConfigError naming file, line and field."""
    candidates = [folder / KEYBOARD_FILE for folder in
                  [*pack_folders(language, config_dirs), *pack_folders(FALLBACK_LANGUAGE, config_dirs)]]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        raise ConfigError(candidates[0], f"no keyboard for {language!r}, and no English one to fall back on")
    toml = TomlFile(path)
    data: KeyboardFile = toml.validate(KeyboardFile)
    keyboard = Keyboard(tuple(page.keys for page in data.pages), data.compose)
    for number, page in enumerate(keyboard.pages):
        if len(page) + keyboard.controls > MOST_KEYS:
            raise toml.error(("pages", number, "keys"), f"{len(page)} keys are too many for one page: "
                             f"{MOST_KEYS - keyboard.controls} fit beside space, delete and more letters with each "
                             "key over 2 cm. Move some to another [[pages]]")
    return keyboard
