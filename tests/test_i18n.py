"""The kiosk's own words in Bengali and Korean: the template is up to date with the source, every phrase is
translated with its placeholders kept, and a half-finished, broken or absent catalogue never stops the
kiosk speaking English (except a broken file, which is reported with its file and line)."""

from __future__ import annotations

import gettext
import logging
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.session.i18n import placeholders, translations, untranslated
from kiosk.session.settings import BUILTIN_CONFIG
from sync.core.config_files import ConfigError
from tests.conftest import PROJECT

TEMPLATE = PROJECT / "config" / "languages" / "messages.pot"
LANGUAGES = sorted(path.parent.name for path in (BUILTIN_CONFIG / "languages").glob("*/messages.po"))
EXTRACT = ["pybabel", "extract", "-F", "babel.cfg", "--add-comments=Translators:", "--add-location=file",
           "-o", "config/languages/messages.pot", "."]
"""The command in docs/translating.md that makes the template from every _('...') in kiosk/."""


def entries(path: Path) -> list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    """What a translator sees of each phrase, in order: the header (dates, Babel version) left out."""
    with path.open("rb") as f:
        return [(m.id, tuple(m.auto_comments), tuple(sorted(file for file, _ in m.locations)), tuple(sorted(m.flags)))
                for m in read_po(f) if m.id]


def catalogue(tag: str) -> dict[str, str]:
    with (BUILTIN_CONFIG / "languages" / tag / "messages.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extract") / "messages.pot"
    command = [str(Path(sys.executable).with_name("pybabel")), *EXTRACT[1:-2], str(out), "."]
    result = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out


def test_extraction_reads_the_kv_screens_and_the_spoken_prompts(extracted):
    found = {msgid: locations for msgid, _, locations, _ in entries(extracted)}
    assert "kiosk/ui/screens/attract.kv" in found["Touch the screen to start"]
    assert "kiosk/ui/screens/common.kv" in found["Hear again"]
    assert "kiosk/voice/prompts.py" in found["Touch the screen to start."]
    assert "kiosk/voice/prompts.py" in found["Is that right?"]  # said and shown: one translation for both


def test_the_committed_template_is_what_extraction_makes(extracted):
    assert entries(extracted) == entries(TEMPLATE), (
        f"config/languages/messages.pot is out of date with the _('...') phrases in kiosk/. Run\n"
        f"    .venv/bin/{shlex.join(EXTRACT)}\nthen update the catalogues (docs/translating.md)."
    )


def test_every_phrase_with_a_placeholder_tells_translators_what_it_holds():
    for msgid, comments, _, flags in entries(TEMPLATE):
        if placeholders(msgid):
            assert comments, f"add a '# Translators:' comment above _({msgid!r}) saying what its placeholders hold"
            assert "python-brace-format" in flags  # Poedit and Weblate then check the placeholders too


@pytest.mark.parametrize("tag", LANGUAGES)
def test_every_phrase_is_translated_with_its_placeholders_kept(tag):
    translated = catalogue(tag)
    english = [msgid for msgid, *_ in entries(TEMPLATE)]
    assert [msgid for msgid in english if not translated.get(msgid)] == []
    assert {msgid: (placeholders(msgid), placeholders(translated[msgid])) for msgid in english
            if placeholders(msgid) != placeholders(translated[msgid])} == {}
    with (BUILTIN_CONFIG / "languages" / tag / "messages.po").open("rb") as f:
        assert untranslated(read_po(f)) == {}  # nothing fuzzy either
    words = translations(tag, [BUILTIN_CONFIG])
    assert all(words.gettext(msgid) == translated[msgid] != msgid for msgid in english)


def test_the_catalogues_load_without_kivy():
    code = ("import sys, kiosk.session.i18n; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT)
    assert result.stdout.strip() == "[]"


def test_the_built_in_languages_are_bengali_and_korean():
    assert LANGUAGES == ["bn", "ko"]


def test_a_language_is_found_by_its_full_tag_or_by_the_language_alone(tmp_path, caplog):
    site = tmp_path / "languages" / "en"
    site.mkdir(parents=True)
    site.joinpath("messages.po").write_text('msgid "Skip"\nmsgstr "Leave it"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kiosk.session.i18n"):
        assert translations("en-GB", [tmp_path, BUILTIN_CONFIG]).gettext("Skip") == "Leave it"
        assert translations("ko-KR", [tmp_path, BUILTIN_CONFIG]).gettext("Skip") == "건너뛰기"
        english = translations("en-GB", [BUILTIN_CONFIG])
    assert type(english) is gettext.NullTranslations and english.gettext("Skip") == "Skip"
    assert caplog.records == []  # English needs no translation: nothing is missing


def test_a_sites_own_file_changes_only_the_phrases_it_holds(tmp_path, caplog):
    site = tmp_path / "languages" / "bn"
    site.mkdir(parents=True)
    site.joinpath("messages.po").write_text('msgid "Skip"\nmsgstr "ছেড়ে দিন"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kiosk.session.i18n"):
        words = translations("bn", [tmp_path, BUILTIN_CONFIG])
    assert words.gettext("Skip") == "ছেড়ে দিন"
    assert words.gettext("Back") == catalogue("bn")["Back"]
    assert caplog.records == []


def test_a_missing_fuzzy_or_broken_phrase_is_shown_in_english_with_one_warning(tmp_path, caplog):
    """A new language (Sylheti, written here in Bengali script), half-way through its translation."""
    text = (BUILTIN_CONFIG / "languages" / "bn" / "messages.po").read_text(encoding="utf-8")
    text = text.replace('msgstr "আবার শুনুন"', 'msgstr ""')  # Hear again: not translated yet
    text = text.replace('msgid "Skip"', '#, fuzzy\nmsgid "Skip"')
    text = text.replace("প্রশ্ন {number}, মোট {total}টি", "প্রশ্ন {নম্বর}, মোট {total}টি")  # a placeholder translated
    text = text.replace('msgid "Stop now"\nmsgstr "এখন থামুন"\n', "")  # a phrase added to the kiosk since
    site = tmp_path / "languages" / "syl"
    site.mkdir(parents=True)
    site.joinpath("messages.po").write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kiosk.session.i18n"):
        words = translations("syl", [tmp_path, BUILTIN_CONFIG])
        translations("syl", [tmp_path, BUILTIN_CONFIG])
    assert words.gettext("Hear again") == "Hear again"
    assert words.gettext("Skip") == "Skip"
    assert words.gettext("Stop now") == "Stop now"
    assert words.gettext("Question {number} of {total}").format(number=1, total=5) == "Question 1 of 5"
    assert words.gettext("Back") == "ফিরে যান"
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = warning.getMessage()
    assert message.startswith(f"syl: 4 of {len(entries(TEMPLATE))} phrases are shown in English")
    assert str(site / "messages.po") in message
    for said in ("'Hear again' (not translated)", "'Skip' (marked fuzzy)", "'Stop now' (missing)",
                 "'Question {number} of {total}' (the translation must keep {number} {total})"):
        assert said in message


def test_a_language_with_no_catalogue_is_english_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="kiosk.session.i18n"):
        words = translations("xx", [tmp_path, BUILTIN_CONFIG])
    assert type(words) is gettext.NullTranslations
    assert words.gettext("Touch the screen to start") == "Touch the screen to start"
    assert "xx: no translation" in caplog.text and str(tmp_path / "languages" / "xx" / "messages.po") in caplog.text


HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


@pytest.mark.parametrize(("body", "line", "reason"), [
    ('msgid "Skip"\nmsgstr "বাদ দিন\n', 6, "quote marks"),
    ('msgid "Skip"\nmsgstr "বাদ" দিন"\n', 6, "quote marks"),
    ('msgid "Skip"\n\nmsgid "Back"\nmsgstr "ফিরে যান"\n', 5, "has no msgstr"),
    ('msgstr "ফিরে যান"\n', 5, "no msgid"),
    ('msgid "Back"\nmsgstr "ফিরে যান"\n\nmsgid "Back"\nmsgstr "পেছনে"\n', 8, "translated twice (also on line 5)"),
    ('msgid "Back"\nmsgsrt "ফিরে যান"\n', 6, "expected msgid, msgstr"),
    ('# a note\n"Back"\n', 6, "must come straight after"),
])
def test_a_broken_catalogue_names_its_file_and_line(tmp_path, body, line, reason):
    site = tmp_path / "languages" / "bn"
    site.mkdir(parents=True)
    path = site / "messages.po"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        translations("bn", [tmp_path, BUILTIN_CONFIG])
    assert (caught.value.path, caught.value.line) == (path, line)
    assert str(caught.value).startswith(f"{path}, line {line}: ") and reason in str(caught.value)


def test_a_catalogue_that_is_not_utf8_is_reported(tmp_path):
    site = tmp_path / "languages" / "bn"
    site.mkdir(parents=True)
    (site / "messages.po").write_bytes((HEADER + 'msgid "Back"\nmsgstr "Zurück"\n').encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        translations("bn", [tmp_path, BUILTIN_CONFIG])
