"""The kiosk's own words (buttons, headings, spoken prompts) in the kiosk's language, from gettext catalogues.

English is the source: each ``_('...')`` in kiosk/**/*.py and kiosk/**/*.kv is its own msgid, and
``config/languages/messages.pot`` lists them all (docs/translating.md has the command that re-makes it).
A language is a ``languages/<tag>/messages.po`` that translators edit with ordinary tools (Poedit,
Weblate). It is read as it is when the kiosk starts, so no compiled ``.mo`` is kept and adding a language
needs no code change. Files are looked for like a language pack (kiosk.voice.language_pack): the site's
own config folder before the built-in one, the full tag (``en-GB``) before the language (``en``). Every
file found counts, most specific first, so a site's file needs only the phrases it changes.

A phrase that is not translated, is marked fuzzy, or whose ``{placeholders}`` differ from the English
is shown in English, with one warning per language naming it. A file that is not valid PO stops the
kiosk with the file and line (ConfigError), like every other config file.
"""

from __future__ import annotations

import gettext
import io
import logging
import re
import string
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from sync.core.config_files import ConfigError
from sync.core.paths import pack_folders

CATALOGUE = "messages.po"
TEMPLATE = "messages.pot"
"""The list of every phrase to translate, in ``languages/`` beside the language folders."""

log = logging.getLogger(__name__)
_warned: set[tuple[str | Path, ...]] = set()

_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)(?:\s+(.*))?$")
_QUOTED = re.compile(r'^"(?:[^"\\]|\\.)*"$')
_OPEN_ENTRY = ("msgctxt", "msgid", "msgid_plural")


def translations(language: str, config_dirs: list[Path]) -> gettext.NullTranslations:
    """The kiosk's words in ``language`` (a tag such as ``bn``, ``ko`` or ``en-GB``).

    Every ``<dir>/languages/<tag>/messages.po`` found counts, most specific first: a site's file needs
    only the phrases it changes, the built-in file gives the rest, and English anything left. With no
    file at all the words are English (with a warning unless the language is English). Raises
    ConfigError, naming the file and line, when a file is not valid PO.
    """
    english = language.split("-")[0].lower() == "en"
    candidates = [folder / CATALOGUE for folder in pack_folders(language, config_dirs)]
    paths = [c for c in candidates if c.is_file()]
    if not paths:
        if not english:
            _warn_once(language, candidates[:1], "%s: no translation of the kiosk's words (looked for %s), "
                       "so they are shown in English", language, candidates[0])
        return gettext.NullTranslations()
    catalogs = [read_catalogue(path) for path in paths]
    problems = [untranslated(catalog) for catalog in catalogs]
    if not english:
        _warn_missing(language, paths, catalogs, problems, _template(config_dirs))
    first, *rest = (_compiled(catalog, unusable) for catalog, unusable in zip(catalogs, problems, strict=True))
    for words in rest:
        first.add_fallback(words)  # appended at the end of the chain: the site's file, then the built-in one
    return first


def _compiled(catalog: Catalog, unusable: dict[str, str]) -> gettext.GNUTranslations:
    """The catalogue's usable phrases, compiled in memory as ``msgfmt`` would write them to a .mo file."""
    for message in list(catalog):
        if message.id and _key(message.id) in unusable:
            catalog.delete(message.id, message.context)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _template(config_dirs: list[Path]) -> Catalog | None:
    """Every phrase the kiosk says, from the first ``languages/messages.pot`` (the built-in one)."""
    path = next((d / "languages" / TEMPLATE for d in config_dirs if (d / "languages" / TEMPLATE).is_file()), None)
    return read_catalogue(path) if path else None


def _warn_missing(language: str, paths: list[Path], catalogs: list[Catalog], problems: list[dict[str, str]],
                  template: Catalog | None) -> None:
    """One warning naming each phrase that no file translates usably, and why."""
    wanted = dict.fromkeys(_key(m.id) for catalog in ([template] if template else catalogs) for m in catalog if m.id)
    usable = {_key(m.id) for catalog, unusable in zip(catalogs, problems, strict=True) for m in catalog
              if m.id and _key(m.id) not in unusable}
    missing = {msgid: next((p[msgid] for p in problems if msgid in p), "missing")
               for msgid in wanted if msgid not in usable}
    if missing:
        listed = "; ".join(f"{msgid!r} ({why})" for msgid, why in missing.items())
        _warn_once(language, paths, "%s: %d of %d phrases are shown in English until they are translated in %s: %s",
                   language, len(missing), len(wanted), ", ".join(map(str, paths)), listed)


def read_catalogue(path: Path) -> Catalog:
    """A .po or .pot file, checked line by line first: Babel's reader quietly skips some mistakes (a
    missing closing quote, a msgstr with no msgid) that would lose or garble a translation."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"is not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(path, f"cannot be read ({exc.strerror})") from exc
    check_syntax(path, text)
    try:
        return read_po(io.StringIO(text), abort_invalid=True)
    except PoFileError as exc:
        raise ConfigError(path, f"is not a valid translation file: {exc}") from None
    except ValueError as exc:  # the header's Language or Plural-Forms
        header = next((n for n, line in enumerate(text.splitlines(), 1) if line.startswith("msgstr")), None)
        raise ConfigError(path, f"has a header (msgid \"\") the kiosk cannot read: {exc}", header) from None


def check_syntax(path: Path, text: str) -> None:
    """Raise ConfigError at the first line that breaks the PO grammar: comments, then an optional
    msgctxt, a msgid, and its msgstr (or msgid_plural and msgstr[0], msgstr[1], ...), each followed
    by any number of lines of quoted text."""
    state, after_text, entry_line, plural = "start", False, 0, -1
    entry: list[str] = []  # the msgctxt and msgid as written, to find the same msgid twice
    seen: dict[tuple[str, ...], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if line and state in _OPEN_ENTRY:
                raise ConfigError(path, f"the {state} on line {entry_line} has no msgstr", entry_line)
            after_text = False
            continue
        if line.startswith('"'):
            if not after_text:
                raise ConfigError(path, "text in quotes must come straight after msgid, msgstr or more text", number)
            _check_quoted(path, line, number)
            if state in _OPEN_ENTRY:
                entry[-1] += line
            continue
        keyword = _KEYWORD.match(line)
        if keyword is None:
            raise ConfigError(path, "expected msgid, msgstr, a comment (#) or text in quotes", number)
        word, index, quoted = keyword.groups()
        _check_quoted(path, quoted or "", number)
        if word in ("msgctxt", "msgid"):
            if state in _OPEN_ENTRY and (state, word) != ("msgctxt", "msgid"):
                raise ConfigError(path, f"the {state} on line {entry_line} has no msgstr", entry_line)
            if state != "msgctxt":
                entry_line, entry = number, []
            entry.append(f"{word} {quoted}")
        elif word == "msgid_plural":
            if state != "msgid":
                raise ConfigError(path, "msgid_plural must come straight after its msgid", number)
        elif index is None:
            if state != "msgid":
                raise ConfigError(path, "this msgstr has no msgid before it", number)
        elif int(index) != plural + 1 or state != ("msgid_plural" if index == "0" else "msgstr[n]"):
            raise ConfigError(path, f"{word} must come after " + (
                "a msgid and its msgid_plural" if index == "0" else f"msgstr[{int(index) - 1}]"), number)
        if word.startswith("msgstr"):
            plural = -1 if index is None else int(index)
            word = "msgstr" if index is None else "msgstr[n]"
            if plural < 1:
                if tuple(entry) in seen:
                    raise ConfigError(path, f"this msgid is translated twice (also on line {seen[tuple(entry)]})",
                                      entry_line)
                seen[tuple(entry)] = entry_line
        state, after_text = word, True
    if state in _OPEN_ENTRY:
        raise ConfigError(path, f"the {state} on line {entry_line} has no msgstr", entry_line)


def _check_quoted(path: Path, text: str, number: int) -> None:
    if not _QUOTED.match(text):
        raise ConfigError(path, 'the text must be in one pair of quote marks ("...", with \\" for a quote mark '
                          "inside it)", number)


def placeholders(text: str) -> set[str] | None:
    """The ``{names}`` in a phrase, or None if its braces are broken (``{number``)."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:
        return None


def untranslated(catalog: Catalog) -> dict[str, str]:
    """``{msgid: why}`` for each phrase the catalogue cannot be trusted to say: empty, fuzzy, or with
    placeholders other than the English ones (``.format`` would fail, or drop a number)."""
    problems: dict[str, str] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems[ids[0]] = "not translated"
        elif message.fuzzy:
            problems[ids[0]] = "marked fuzzy"
        elif any(placeholders(s) != placeholders(ids[0]) for s in strings):
            wanted = " ".join(f"{{{name}}}" for name in sorted(placeholders(ids[0]) or ()))
            problems[ids[0]] = f"the translation must keep {wanted}" if wanted else "the translation must not use { }"
    return problems


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _warn_once(language: str, paths: list[Path], message: str, *args: object) -> None:
    """Warn once per language and set of files, however often the kiosk switches language."""
    if (language, *paths) not in _warned:
        _warned.add((language, *paths))
        log.warning(message, *args)
