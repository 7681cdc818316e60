"""What the server sends each site's kiosks: its question set and its "You said, we did" items.

Question sets are checked with the kiosk's own rules (sync.core.questions) before they are stored, so a
kiosk never receives a set it would refuse to start with.
"""

from __future__ import annotations

import hashlib
import tempfile
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.core.config_files import ConfigError, TomlFile
from sync.core.paths import ASSETS, BUILTIN_CONFIG
from sync.core.protocol import YOU_SAID_WE_DID_LANGUAGE, QuestionSetText, Translation, Updates, YouSaidWeDid
from sync.core.questions import QuestionSet, base_language, find_picture, load_question_set
from sync.core.record import canonical_json
from sync.server.domain.languages import language_names, translation_languages
from sync.server.domain.staff import audit
from sync.server.storage.db import question_sets, you_said_we_did

PICTURE_DIRS = [ASSETS / "pictures"]
"""Kiosks may add their own pictures, but only the built-in ones are sure to be on every kiosk."""
BUILT_IN_QUESTION_SETS = BUILTIN_CONFIG / "questions"
ITEMS_PER_UPDATE = 20
MAX_ITEM_CHARACTERS = 300
"""For each of "You said" and "We did": Easy Read is short, and the kiosk and the poster show it in large type."""
LATEST_AHEAD = timedelta(days=366)
"""An item may be dated up to a year ahead (a change planned and promised), no later."""
EARLIEST_DATE = date(2000, 1, 1)
"""Anything older is a slip of the keyboard (0026 for 2026)."""


class ContentError(Exception):
    """Content that would not work on the kiosks; the message says what to change."""


class VersionTaken(ContentError):
    """A set's (id, version) already names other words: sent to this site, or built into every kiosk."""

    def __init__(self, message: str, *, set_id: str, version: int, built_in: bool, next_free: int):
        super().__init__(message)
        self.set_id, self.version, self.built_in = set_id, version, built_in
        self.next_free = next_free
        """The lowest version above every one used for this set at this site or built in."""


def check_question_set(text: str, name: str) -> QuestionSet:
    """Check a question set's TOML ``text`` with the kiosk's own rules. A problem raises ConfigError naming
    ``name`` (the file as the person knows it), its line and field, never the temporary file the kiosk's
    loader reads."""
    with tempfile.TemporaryDirectory(prefix="question-set-") as folder:
        path = Path(folder) / "question_set.toml"
        try:
            path.write_text(text, encoding="utf-8")
            return load_question_set(path, PICTURE_DIRS)
        except UnicodeEncodeError:
            raise ConfigError(Path(name), "is not UTF-8 text") from None
        except ConfigError as exc:
            raise ConfigError(Path(name), exc.reason, exc.line, exc.field) from None


def built_in_question_sets() -> dict[str, str]:
    """The question sets every kiosk has (config/questions/), by file stem: their TOML text."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(BUILT_IN_QUESTION_SETS.glob("*.toml"))}


def set_question_set(engine: Engine, site: str, path: Path) -> QuestionSetText:
    """Store the question set in file ``path`` (the command line's way); see :func:`publish_question_set`."""
    return publish_question_set(engine, site, TomlFile(path).text, str(path))


def publish_question_set(engine: Engine, site: str, text: str, name: str, *,
                         staff: str | None = None) -> QuestionSetText:
    """Store a checked question set as the one the site's kiosks use from their next sync; messages call
    it ``name``. A set's (id, version) names one text for good, since stored answers refer to it; the
    built-in sets' ids and versions are taken by their own words. With ``staff``, the audit log records
    who published it, in the same transaction."""
    text = text.replace("\r\n", "\n")
    qset = check_question_set(text, name)
    built_in = {}
    for words in built_in_question_sets().values():
        data = tomllib.loads(words)
        if data.get("id") == qset.id:
            built_in[int(data.get("version", 0))] = words.replace("\r\n", "\n")
    with engine.begin() as connection:
        this_set = (question_sets.c.site == site, question_sets.c.set_id == qset.id)
        earlier = connection.execute(sa.select(question_sets.c.toml)
                                     .where(*this_set, question_sets.c.version == qset.version).limit(1)).scalar()
        highest = connection.execute(sa.select(sa.func.max(question_sets.c.version)).where(*this_set)).scalar()
        next_free = max([highest or 0, *built_in]) + 1
        if earlier is not None and earlier != text:
            raise VersionTaken(f"version {qset.version} of question set {qset.id!r} was already sent to site "
                               f"{site!r} with other content; raise 'version' in {name}",
                               set_id=qset.id, version=qset.version, built_in=False, next_free=next_free)
        if built_in.get(qset.version, text) != text:
            raise VersionTaken(f"version {qset.version} of question set {qset.id!r} is built into the kiosks "
                               f"with other content; raise 'version' in {name}",
                               set_id=qset.id, version=qset.version, built_in=True, next_free=next_free)
        connection.execute(question_sets.insert().values(site=site, set_id=qset.id, version=qset.version,
                                                         toml=text, created_at=utc_now()))
        if staff is not None:
            audit(connection, staff, "question-set-published", site, f"{qset.id} v{qset.version}")
    return QuestionSetText(id=qset.id, version=qset.version, toml=text)


def built_in_pictures() -> list[str]:
    """The pictures every kiosk has, by name (file stem), in alphabetical order."""
    return sorted(path.stem for path in PICTURE_DIRS[0].glob("*.png"))


def _too_long(label: str, text: str) -> str:
    """Why ``text`` is too long for the kiosk and the poster; "" when it is not."""
    length = len(text.strip())
    if length <= MAX_ITEM_CHARACTERS:
        return ""
    return (f"{label} has {length} characters; make it {MAX_ITEM_CHARACTERS} or fewer. "
            "Short sentences are easier to read.")


def check_you_said_we_did(said: str, did: str, picture: str, when: date, today: date) -> dict[str, str]:
    """What is wrong with an item, by field (said, did, picture, date); empty when it is fine. Stricter than
    :func:`add_you_said_we_did`, which takes what the command line was given: this is for people typing
    into the dashboard, whose words go on a poster."""
    problems = {}
    for name, text, label in (("said", said, "You said"), ("did", did, "We did")):
        if not text.strip():
            problems[name] = f'Write what {"people said" if name == "said" else "you did about it"} in "{label}".'
        elif too_long := _too_long(f'"{label}"', text):
            problems[name] = too_long
    if picture and picture not in built_in_pictures():
        problems["picture"] = "Choose one of the pictures shown: only those are on every kiosk."
    if when > today + LATEST_AHEAD:
        problems["date"] = "The date is more than a year from now; check the year."
    elif when < EARLIEST_DATE:
        problems["date"] = "The date is before the year 2000; check the year."
    return problems


def check_translations(translations: dict[str, Translation]) -> dict[str, str]:
    """What is wrong with an item's translations as typed into the dashboard, by field (``said-bn``, ``did-bn``);
    empty when they are fine. A language is given with both boxes or neither (the kiosk shows both)."""
    problems = {}
    for tag, words in translations.items():
        english = language_names(tag)[0]
        for name, text, label in (("said", words.said, "You said"), ("did", words.did, "We did")):
            if not text.strip():
                problems[f"{name}-{tag}"] = f'Write "{label}" in {english} too, or leave both {english} boxes empty.'
            elif too_long := _too_long(f'"{label}" in {english}', text):
                problems[f"{name}-{tag}"] = too_long
    return problems


def check_translation_languages(tags: list[str]) -> None:
    """Refuse translations into a language the kiosks do not offer, or into the item's own (English), or twice."""
    for position, tag in enumerate(tags):
        if base_language(tag) == YOU_SAID_WE_DID_LANGUAGE:
            raise ContentError("the item's own words are English: give them as 'you said' and 'we did', "
                               "not as a translation")
        if tag not in translation_languages():
            offered = ", ".join(f"{code} ({language_names(code)[0]})" for code in translation_languages())
            raise ContentError(f"the kiosks have no language {tag!r} to translate into; they have {offered}")
        if tag in tags[:position]:
            raise ContentError(f"the {language_names(tag)[0]} translation is given twice")


def _translations_json(translations: dict[str, Translation]) -> str:
    return orjson.dumps({tag: {"said": words.said.strip(), "did": words.did.strip()}
                         for tag, words in sorted(translations.items())}).decode("utf-8")


def insert_you_said_we_did(connection: Connection, site: str, said: str, did: str, picture: str, when: date,
                           translations: dict[str, Translation] | None = None) -> int:
    """Store an item in the caller's transaction (so it and its audit record commit together); returns its id."""
    return int(connection.execute(you_said_we_did.insert().values(
        site=site, said=said.strip(), did=did.strip(), picture=picture, date=when.isoformat(), created_at=utc_now(),
        translations=_translations_json(translations or {}))
    ).inserted_primary_key[0])


def add_you_said_we_did(engine: Engine, site: str, said: str, did: str, picture: str, when: date,
                        translations: dict[str, Translation] | None = None) -> int:
    """Store an item as the command line gives it: checked to work on the kiosks, with no length limits."""
    said, did = said.strip(), did.strip()
    if not said or not did:
        raise ContentError("both 'you said' and 'we did' need some words")
    if picture and find_picture(picture, PICTURE_DIRS) is None:
        raise ContentError(f"no picture named {picture!r} (looked in {PICTURE_DIRS[0]})")
    check_translation_languages(list(translations or {}))
    for tag, words in (translations or {}).items():
        if not words.said.strip() or not words.did.strip():
            raise ContentError(f"the {language_names(tag)[0]} translation needs both 'you said' and 'we did'")
    with engine.begin() as connection:
        return insert_you_said_we_did(connection, site, said, did, picture, when, translations)


def _newest_first(query: sa.Select[Any]) -> sa.Select[Any]:
    """The order kiosks show items in, and so the order of every list of them."""
    return query.order_by(you_said_we_did.c.date.desc(), you_said_we_did.c.id.desc())


def _item(row: sa.RowMapping) -> dict[str, Any]:
    return {**row, "translations": orjson.loads(row["translations"])}


def list_you_said_we_did(connection: Connection, sites: list[str] | tuple[str, ...],
                         limit: int | None = None) -> list[dict[str, Any]]:
    """The items of ``sites``, newest first (by date, then the latest added): each a dict of id, site, said,
    did, picture, date (YYYY-MM-DD), created_at and translations (``{"bn": {"said": …, "did": …}}``).
    ``limit`` applies to each site, as for kiosks."""
    found: list[dict[str, Any]] = []
    for site in sorted(set(sites)):
        query = _newest_first(sa.select(you_said_we_did).where(you_said_we_did.c.site == site))
        found.extend(_item(row) for row in connection.execute(query.limit(limit)).mappings())
    return found


def find_you_said_we_did(connection: Connection, item_id: int) -> dict[str, Any] | None:
    row = connection.execute(sa.select(you_said_we_did).where(you_said_we_did.c.id == item_id)).mappings().first()
    return _item(row) if row else None


def delete_you_said_we_did(connection: Connection, item_id: int) -> bool:
    """Remove an item for good: kiosks stop showing it at their next sync. False when there was none."""
    return bool(connection.execute(you_said_we_did.delete().where(you_said_we_did.c.id == item_id)).rowcount)


def updates_for_site(connection: Connection, site: str) -> Updates:
    """The site's newest question set and newest items; ``version`` is a hash of exactly that content,
    quoted so it can serve as the HTTP ETag as it is."""
    qset = connection.execute(
        sa.select(question_sets.c.set_id, question_sets.c.version, question_sets.c.toml)
        .where(question_sets.c.site == site).order_by(question_sets.c.id.desc()).limit(1)
    ).first()
    items = connection.execute(_newest_first(
        sa.select(you_said_we_did.c.id, you_said_we_did.c.said, you_said_we_did.c.did, you_said_we_did.c.picture,
                  you_said_we_did.c.date, you_said_we_did.c.translations)
        .where(you_said_we_did.c.site == site)).limit(ITEMS_PER_UPDATE)
    ).mappings().all()
    content = Updates(
        version="", site=site,
        question_set=QuestionSetText(id=qset.set_id, version=qset.version, toml=qset.toml) if qset else None,
        you_said_we_did=[YouSaidWeDid(**_item(item)) for item in items],
    )
    digest = hashlib.sha256(canonical_json(content.model_dump(exclude={"version"})).encode("utf-8")).hexdigest()
    return content.model_copy(update={"version": f'"{digest[:32]}"'})
