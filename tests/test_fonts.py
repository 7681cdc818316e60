"""Fonts with every letter a screen needs: Bengali screens get Noto Sans Bengali with Atkinson
Hyperlegible's Latin letters merged in, and the merge keeps Bengali shaping exactly as it was."""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat, features

from kiosk.session.settings import load_config
from sync.core import fonts
from sync.core.fonts import LATIN, font_files, has_latin

PACKS = load_config().language_packs
BENGALI, KOREAN = PACKS["bn"].fonts, PACKS["ko"].fonts


def drawn(font_path: Path, text: str, layout: ImageFont.Layout = ImageFont.Layout.RAQM) -> Image.Image:
    """``text`` in that font, cropped to its ink (the merged font's line metrics are Atkinson's)."""
    font = ImageFont.truetype(str(font_path), 48, layout_engine=layout)
    image = Image.new("L", (700, 120), 0)
    ImageDraw.Draw(image).text((10, 20), text, font=font, fill=255)
    return image.crop(image.getbbox())


def same(a: Image.Image, b: Image.Image) -> bool:
    """The same shapes, allowing the pixel of hinting and rounding the merged font's metrics bring. A
    word laid out without shaping (vowel signs after their consonant, no conjuncts) is wider or
    narrower by far more than this."""
    if max(abs(a.width - b.width), abs(a.height - b.height)) > 2:
        return False
    return ImageStat.Stat(ImageChops.difference(a, b.resize(a.size))).mean[0] < 40


def test_english_uses_atkinson_and_korean_its_own_font_with_latin_letters(tmp_path):
    assert PACKS["en-GB"].fonts is None and font_files(None, tmp_path) == LATIN
    assert KOREAN is not None and font_files(KOREAN, tmp_path) == KOREAN
    assert has_latin(KOREAN[0])
    assert list(tmp_path.iterdir()) == [], "nothing is merged for fonts that have Latin letters"


def test_bengali_gets_latin_letters_and_keeps_its_shaping(tmp_path):
    assert features.check("raqm"), "Bengali needs Pillow's raqm layout (Debian libfribidi0)"
    regular, bold = font_files(BENGALI, tmp_path)
    assert regular.parent == tmp_path and bold.parent == tmp_path
    assert not has_latin(BENGALI[0]) and has_latin(regular) and has_latin(bold)
    with TTFont(regular) as font:
        assert ord("ক") in font.getBestCmap() and "Kiosk" in font["name"].getDebugName(1)
    for word in ("কেমন", "লেগেছে", "ক্ষমা"):  # vowel signs drawn before their consonant, and a conjunct
        assert same(drawn(regular, word), drawn(BENGALI[0], word)), word
        assert not same(drawn(regular, word, ImageFont.Layout.BASIC), drawn(BENGALI[0], word)), word
    assert same(drawn(regular, "Samaritans"), drawn(LATIN[0], "Samaritans"))


def test_the_merged_font_is_made_once(tmp_path):
    first = font_files(BENGALI, tmp_path)[0]
    made = first.stat().st_mtime_ns
    assert font_files(BENGALI, tmp_path)[0] == first and first.stat().st_mtime_ns == made


def test_a_pack_naming_a_missing_font_is_refused_with_its_file_and_field(tmp_path):
    import pytest

    from kiosk.voice.language_pack import load_language_pack
    from sync.core.config_files import ConfigError

    pack = tmp_path / "languages" / "pa"
    pack.mkdir(parents=True)
    (pack / "voice.toml").write_text('name = "ਪੰਜਾਬੀ"\nfont = "NotoSansGurmukhi.ttf"\n\n[speech]\nvoice = "pa"\n\n'
                                     '[confirm]\nyes = ["ਹਾਂ"]\ntry_again = ["ਨਹੀਂ"]\n')
    with pytest.raises(ConfigError) as raised:
        load_language_pack("pa", [tmp_path])
    assert "voice.toml" in str(raised.value) and "font" in str(raised.value)
    assert "NotoSansGurmukhi.ttf" in str(raised.value)


def test_whether_a_font_has_latin_letters_is_read_once_per_version_of_the_file(tmp_path, monkeypatch):
    font = tmp_path / "own.ttf"
    font.write_bytes(LATIN[0].read_bytes())
    cache = tmp_path / "cache"
    assert fonts.has_latin_remembered(font, cache)
    read = []
    monkeypatch.setattr(fonts, "has_latin", lambda path: read.append(path) or False)
    assert fonts.has_latin_remembered(font, cache) and read == []  # the start screen opens no font file
    font.write_bytes(font.read_bytes() + b"\0")  # another version of the file: read again
    assert not fonts.has_latin_remembered(font, cache) and read == [font]
