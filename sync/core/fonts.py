"""Fonts that have every letter a screen needs, in one file each.

Kivy's text renderer has no font fallback: a label in a font without Latin letters shows boxes for a
helpline's name or an English phrase not yet translated. So a language whose own font lacks Latin
letters (Noto Sans Bengali) gets a font made once by merging Atkinson Hyperlegible's Latin letters with
it (fontTools), kept in the user's cache. The merged font keeps Noto's shaping rules, so Bengali
conjuncts still form (tests/test_fonts.py). A language names its font in its pack (``font`` in
``languages/<tag>/voice.toml``), so adding a script needs no code.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import fontpkg_atkinson_hyperlegible as atkinson
from platformdirs import user_cache_dir

from sync.core.files import atomic_path

ATKINSON = Path(atkinson.__file__).parent / "files"
LATIN = (ATKINSON / "AtkinsonHyperlegible-Regular.ttf", ATKINSON / "AtkinsonHyperlegible-Bold.ttf")


def font_files(own: tuple[Path, Path] | None, cache: Path | None = None) -> tuple[Path, Path]:
    """Regular and bold font files for a language whose pack names ``own`` fonts (None: Atkinson
    Hyperlegible, designed for low-vision readers), with Atkinson's Latin letters merged in if they
    have none."""
    if own is None:
        return LATIN
    folder = cache or Path(user_cache_dir("feedback-kiosk", appauthor=False)) / "fonts"
    if has_latin_remembered(own[0], folder.parent / "font-checks"):  # beside the merged fonts, not among them
        return own
    return merged(LATIN[0], own[0], folder), merged(LATIN[1], own[1], folder)


def has_latin_remembered(path: Path, folder: Path) -> bool:
    """``has_latin``, read once per version of a font file and kept in ``folder``: the start screen shows the word
    "Language" in every offered script, and reading a Bengali and a Korean font's letters (with fontTools' import)
    took 0.28 s of every start, before its first frame."""
    stat = path.stat()
    version = hashlib.sha256(f"{path.resolve()} {stat.st_size} {stat.st_mtime_ns}".encode()).hexdigest()[:16]
    marker = folder / f"has-latin-{version}"
    try:
        known = marker.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        known = ""
    if known in ("yes", "no"):
        return known == "yes"
    answer = has_latin(path)
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text("yes" if answer else "no", encoding="ascii")
    return answer


def has_latin(path: Path) -> bool:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:
        return all(ord(c) in font.getBestCmap() for c in "Aaz")


def merged(latin: Path, script: Path, folder: Path) -> Path:
    """``latin`` + ``script`` as one font file, made once (about 0.2 s) and kept in ``folder``."""
    target = folder / f"Kiosk-{script.stem}.ttf"
    if target.is_file() and target.stat().st_mtime >= max(latin.stat().st_mtime, script.stat().st_mtime):
        return target  # without importing fontTools: this is every start's case
    from fontTools.merge import Merger, Options

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it reports every table it reads
    folder.mkdir(parents=True, exist_ok=True)
    font = Merger(options=Options(drop_tables=["vhea", "vmtx"])).merge([str(latin), str(script)])
    family = f"Kiosk {script.stem}"  # a new name: the merged font is neither of the originals
    for record in font["name"].names:
        if record.nameID in (1, 3, 4, 6, 16):
            record.string = family.replace(" ", "-") if record.nameID == 6 else family
    with atomic_path(target) as partial:
        font.save(str(partial))
    return target
