"""Where the project's built-in files are, for the kiosk, the sync job and the server alike: the built-in config
(question sets, language packs) and the assets (pictures), both beside the ``kiosk`` and ``sync`` packages."""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
BUILTIN_CONFIG = PROJECT_DIR / "config"
ASSETS = PROJECT_DIR / "assets"


def pack_folders(language: str, config_dirs: list[Path]) -> list[Path]:
    """Where a language's files (voice.toml, concerns.toml, messages.po, keyboards) may live, most specific first."""
    tags = [language] + ([language.split("-")[0]] if "-" in language else [])
    return [folder / "languages" / tag for folder in config_dirs for tag in tags]
