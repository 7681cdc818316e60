"""The kiosk's own words in the language on screen, for the .kv files: ``_('Back', app.language)``.

Passing ``app.language`` makes Kivy re-evaluate the words whenever a person chooses another language,
so every screen follows without being rebuilt. The catalogues are read once per language
(kiosk.session.i18n); a phrase missing from one is shown in English.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

from kiosk.session.i18n import translations

_config_dirs: list[Path] = []


def use(config_dirs: list[Path]) -> None:
    """Where the catalogues are: the kiosk's config folders (site first), set once by the app."""
    _config_dirs[:] = config_dirs
    catalogue.cache_clear()


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    return translations(language, _config_dirs)


def translate(msgid: str, language: str) -> str:
    """``msgid`` (the English) in ``language``."""
    return catalogue(language).gettext(msgid)
