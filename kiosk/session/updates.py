"""What the central server sent back: a question set and "You said, we did" items for this site.

The sync job checks a question set with the same rules as config files before keeping it, and writes
it into ``<data dir>/updates/``; the kiosk picks it up at the next return to the start screen, never in
the middle of someone's session. A set that fails the checks is refused with a logged reason and the
last good one stays.

"You said, we did" items come in English with translations into other languages; :func:`words_in` gives
an item in a person's language, or nothing, so a screen in Bengali never shows an item in English.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sync.core.config_files import ConfigError
from sync.core.files import write_atomically
from sync.core.protocol import YOU_SAID_WE_DID_LANGUAGE, Translation, Updates, YouSaidWeDid
from sync.core.questions import QuestionSet, base_language, load_question_set, translation

log = logging.getLogger(__name__)

UPDATES_DIR = "updates"
QUESTIONS_FILE = "question_set.toml"
YOU_SAID_FILE = "you_said_we_did.json"


def save_updates(data_dir: Path, updates: Updates, picture_dirs: list[Path]) -> str | None:
    """Keep what the server sent; returns the reason when its question set was refused."""
    folder = data_dir / UPDATES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    refused = None
    if updates.question_set is not None:
        candidate = folder / "question_set.candidate.toml"
        candidate.write_text(updates.question_set.toml, encoding="utf-8")
        try:
            load_question_set(candidate, picture_dirs)
        except ConfigError as exc:
            refused = f"question set {updates.question_set.id!r} v{updates.question_set.version} refused: {exc}"
            log.error("%s; keeping the last good one", refused)
        else:
            write_atomically(folder / QUESTIONS_FILE, updates.question_set.toml)
        finally:
            candidate.unlink(missing_ok=True)
    items = [item.model_dump() for item in updates.you_said_we_did]
    write_atomically(folder / YOU_SAID_FILE, json.dumps(items, ensure_ascii=False, indent=1))
    return refused


def load_question_set_update(data_dir: Path, picture_dirs: list[Path]) -> QuestionSet | None:
    """The question set the server sent, if any and still valid (checked again: files can be edited)."""
    path = data_dir / UPDATES_DIR / QUESTIONS_FILE
    if not path.is_file():
        return None
    try:
        return load_question_set(path, picture_dirs)
    except ConfigError as exc:
        log.error("ignoring the server's question set: %s", exc)
        return None


def load_you_said_we_did(data_dir: Path) -> list[YouSaidWeDid]:
    path = data_dir / UPDATES_DIR / YOU_SAID_FILE
    if not path.is_file():
        return []
    return [YouSaidWeDid.model_validate(item) for item in json.loads(path.read_text(encoding="utf-8"))]


def words_in(item: YouSaidWeDid, language: str) -> Translation | None:
    """The item's words for someone who chose ``language``, matched by base language (``bn-BD`` gets the ``bn``
    words, ``en-GB`` the item's own English); None when it has none in that language."""
    base = base_language(language)
    if base == base_language(YOU_SAID_WE_DID_LANGUAGE):
        return Translation(said=item.said, did=item.did)
    if (words := translation(item.translations, language)) is not None:
        return words
    return next((words for tag, words in sorted(item.translations.items()) if base_language(tag) == base), None)
