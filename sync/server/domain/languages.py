"""Languages as the server names them, and which ones "You said, we did" items may be translated into.

Items are written in English, the dashboard's language. They may carry translations into each language the
built-in kiosk has its own words in: a ``config/languages/<tag>/messages.po`` (today Bengali and Korean).
A kiosk only offers a language it can show its buttons in, and the server cannot see which languages each
site's kiosks offer, so the built-in catalogues are the list every kiosk can have.
"""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError

from sync.core.paths import BUILTIN_CONFIG
from sync.core.questions import base_language

ENGLISH_NAMES = {"bn": "Bengali"}
"""Where staff's word for a language differs from CLDR's ("Bangla")."""
CATALOGUE = "messages.po"
"""A language's kiosk words, as kiosk.session.i18n reads them (not imported: it brings in the kiosk's voice code)."""


def language_names(tag: str) -> tuple[str, str]:
    """A language's name in English and in its own words: ("Korean", "한국어")."""
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return tag, tag
    english = ENGLISH_NAMES.get(base_language(tag)) or locale.get_display_name("en") or tag
    return english, locale.get_display_name() or tag


@cache
def translation_languages() -> tuple[str, ...]:
    """The languages an item may be translated into, by tag, in alphabetical order: ``("bn", "ko")``."""
    return tuple(sorted(path.parent.name for path in (BUILTIN_CONFIG / "languages").glob(f"*/{CATALOGUE}")))
