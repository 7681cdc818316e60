"""Every prompt the kiosk says in a language, by a stable id: the script a person records from.

A recording is found by its prompt id (``<data>/recordings/<language>/<id>.wav``), so a site can record its
own prompts (a familiar voice, a language with no synthesiser) and the kiosk plays them in place of synthesis.
For a spoken-only language (Sylheti: PackFile.shows) nothing else is heard. The ids are readable and stay the
same while the English words do: ``tell-us-what-you-think`` for the kiosk's own words, ``overall`` for a
question, ``overall.very-good`` for one of its answers, ``overall.more`` for its "tell us more". A prompt the
kiosk says in several places ("Yes") is recorded once.

Not in the script: words only known on the day ("You said: …" repeats a person's own words, notices from
staff are written at the dashboard). A spoken-only language has no speech model, so no "You said: …" either.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from kiosk.session.i18n import translations
from kiosk.session.settings import Contact, KioskConfig
from kiosk.voice.language_pack import LanguagePack
from kiosk.voice.prompts import fixed_prompts, help_line
from sync.core.spreadsheet import spreadsheet_cell

ENGLISH = "en-GB"
SLUG_WORDS = 6
"""Words of the English prompt kept in its id: enough to tell prompts apart at a glance."""


@dataclass(frozen=True)
class ScriptLine:
    id: str
    english: str
    """What it means, in English (the words a recorder translates)."""
    said: str
    """The words the kiosk says there in the language on screen: the recording replaces exactly these."""


def prompt_script(config: KioskConfig, language: str) -> list[ScriptLine]:
    """The prompts to record for ``language``, in the order a session meets them: for a written language,
    the listening screens' too (it may have a speech model, now or later)."""
    pack = config.language_packs[language]
    shown, can_listen = pack.shows or language, not pack.shows
    words = translations(shown, config.config_dirs).gettext
    lines = [ScriptLine("language-name", f"The name of this language, said in it: {pack.name}", pack.name)]
    lines += _own_words(config.settings.help.contacts, shown, words, can_listen)
    english, local = config.questions.in_language(ENGLISH)[0], config.questions.in_language(shown)[0]
    for question, asked in zip(english.questions, local.questions, strict=True):
        lines.append(ScriptLine(question.id, question.say, asked.say))
        if question.follow_up:
            lines.append(ScriptLine(f"{question.id}.more", question.follow_up_say, asked.follow_up_say))
        lines += [ScriptLine(f"{question.id}.{answer.id}", answer.say, said.say)
                  for answer, said in zip(question.answers, asked.answers, strict=True)]
    once: dict[str, ScriptLine] = {}
    for line in lines:
        once.setdefault(line.said, line)
    return list(once.values())


def _own_words(contacts: tuple[Contact, ...], shown: str, words: Callable[[str], str],
               can_listen: bool) -> list[ScriptLine]:
    """The kiosk's own screens' words: the English (gettext's msgids) and the same in ``shown``, in step."""
    english = fixed_prompts(language=ENGLISH, can_listen=can_listen, contacts=contacts)
    local = fixed_prompts(language=shown, can_listen=can_listen, contacts=contacts, _=words)
    contact_lines = {help_line(contact, ENGLISH): contact for contact in contacts}
    taken: set[str] = set()
    lines = []
    for meaning, said in zip(english, local, strict=True):
        contact = contact_lines.get(meaning)
        stem = f"contact-{slug(contact.name)}" if contact else slug(meaning)
        name, number = stem, 2
        while name in taken:
            name, number = f"{stem}-{number}", number + 1
        taken.add(name)
        lines.append(ScriptLine(name, meaning, said))
    return lines


def slug(text: str) -> str:
    """ "Touch the screen to start." -> touch-the-screen-to-start"""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:SLUG_WORDS]) or "prompt"


def script_as(shape: str, pack: LanguagePack, lines: list[ScriptLine]) -> str:
    """The script as ``text`` (to read), ``csv`` (a spreadsheet to tick off) or ``html`` (to print)."""
    if shape == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["file", "meaning (English)", "on screen"])
        writer.writerows([spreadsheet_cell(cell) for cell in (f"{line.id}.wav", line.english, line.said)]
                         for line in lines)
        return buffer.getvalue()
    if shape == "html":
        template = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=True)
        return template.get_template("recording_script.html").render(name=pack.name, language=pack.language,
                                                                     lines=lines)
    return "".join(f"{line.id}.wav\n    {line.english}\n    {line.said}\n" for line in lines)


def recording_folder(data_dir: Path, language: str) -> Path:
    return data_dir / "recordings" / language


def recorded_files(config: KioskConfig, data_dir: Path, language: str) -> dict[str, Path]:
    """``{words said: recording}`` for the prompts of ``language`` recorded at this site."""
    folder = recording_folder(data_dir, language)
    if not folder.is_dir():
        return {}
    return {line.said: folder / f"{line.id}.wav" for line in prompt_script(config, language)
            if (folder / f"{line.id}.wav").is_file()}


def missing(config: KioskConfig, data_dir: Path, language: str) -> list[ScriptLine]:
    """The prompts of ``language`` with no recording yet."""
    return not_in(prompt_script(config, language), recording_folder(data_dir, language))


def not_in(lines: list[ScriptLine], folder: Path) -> list[ScriptLine]:
    """Those of ``lines`` with no recording in ``folder``."""
    return [line for line in lines if not (folder / f"{line.id}.wav").is_file()]


def spoken_languages_ready(config: KioskConfig, data_dir: Path) -> dict[str, str]:
    """The spoken-only languages whose every prompt is recorded and whose screens' language is offered, and
    the language each shows: {"syl": "bn"}. One with a prompt missing is not offered: half a session in
    silence serves nobody."""
    return {tag: shown for tag in config.settings.spoken_languages
            if (shown := config.language_packs[tag].shows) in config.settings.offered
            and not missing(config, data_dir, tag)}
