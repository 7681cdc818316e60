"""What the server sends each site's kiosks: its question set and its "You said, we did" items.

Question sets are checked with the kiosk's own rules (kiosk.questions) before they are stored, so a
kiosk never receives a set it would refuse to start with.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kiosk.questions import find_picture, load_question_set
from kiosk.record import canonical_json
from kiosk.settings import ASSETS
from sync.protocol import QuestionSetText, Updates, YouSaidWeDid
from sync.server.db import question_sets, you_said_we_did
from sync.server.timestamps import utc_now

PICTURE_DIRS = [ASSETS / "pictures"]
"""Kiosks may add their own pictures, but only the built-in ones are sure to be on every kiosk."""
ITEMS_PER_UPDATE = 20


class ContentError(Exception):
    """Content that would not work on the kiosks; the message says what to change."""


def set_question_set(engine: Engine, site: str, path: Path) -> QuestionSetText:
    """Store a checked question set as the one the site's kiosks use from their next sync. A set's
    (id, version) names one text for good, since stored answers refer to it."""
    qset = load_question_set(path, PICTURE_DIRS)
    stored = QuestionSetText(id=qset.id, version=qset.version, toml=path.read_text(encoding="utf-8"))
    with engine.begin() as connection:
        earlier = connection.execute(
            sa.select(question_sets.c.toml).where(question_sets.c.site == site, question_sets.c.set_id == qset.id,
                                                  question_sets.c.version == qset.version).limit(1)
        ).scalar()
        if earlier is not None and earlier != stored.toml:
            raise ContentError(f"version {qset.version} of question set {qset.id!r} was already sent to site "
                               f"{site!r} with other content; raise 'version' in {path}")
        connection.execute(question_sets.insert().values(site=site, set_id=qset.id, version=qset.version,
                                                         toml=stored.toml, created_at=utc_now()))
    return stored


def add_you_said_we_did(engine: Engine, site: str, said: str, did: str, picture: str, when: date) -> int:
    said, did = said.strip(), did.strip()
    if not said or not did:
        raise ContentError("both 'you said' and 'we did' need some words")
    if picture and find_picture(picture, PICTURE_DIRS) is None:
        raise ContentError(f"no picture named {picture!r} (looked in {PICTURE_DIRS[0]})")
    with engine.begin() as connection:
        return int(connection.execute(you_said_we_did.insert().values(
            site=site, said=said, did=did, picture=picture, date=when.isoformat(), created_at=utc_now())
        ).inserted_primary_key[0])


def updates_for_site(connection: Connection, site: str) -> Updates:
    """The site's newest question set and newest items; ``version`` is a hash of exactly that content,
    quoted so it can serve as the HTTP ETag as it is."""
    qset = connection.execute(
        sa.select(question_sets.c.set_id, question_sets.c.version, question_sets.c.toml)
        .where(question_sets.c.site == site).order_by(question_sets.c.id.desc()).limit(1)
    ).first()
    items = connection.execute(
        sa.select(you_said_we_did.c.id, you_said_we_did.c.said, you_said_we_did.c.did, you_said_we_did.c.picture,
                  you_said_we_did.c.date)
        .where(you_said_we_did.c.site == site)
        .order_by(you_said_we_did.c.date.desc(), you_said_we_did.c.id.desc()).limit(ITEMS_PER_UPDATE)
    ).mappings().all()
    content = Updates(
        version="", site=site,
        question_set=QuestionSetText(id=qset.set_id, version=qset.version, toml=qset.toml) if qset else None,
        you_said_we_did=[YouSaidWeDid(**item) for item in items],
    )
    digest = hashlib.sha256(canonical_json(content.model_dump(exclude={"version"})).encode("utf-8")).hexdigest()
    return content.model_copy(update={"version": f'"{digest[:32]}"'})
