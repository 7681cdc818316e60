"""What the themes page needs from the database: the comments of a site and period, sorted into "what is
working" and "what is not working"; each comment's sentence vector, computed once and kept; and the
themes staff named (sync/server/domain/themes.py groups them).

Which side a comment is on (the "Working Together for Change" practice):

- answers to a text question whose id starts with ``working`` → what is working; ``not-working`` → what
  is not working (as in config/questions/default.toml);
- the "tell us why" after a choice → working after Very good, Good or Yes; not working after Poor, Very
  poor or No;
- everything else (after "Neither", "Don't know", "Sometimes", and other text questions) → other comments.

Responses in the safeguarding queue are left out: they are for the managers who act on them, not for a
team meeting's themes, which viewers see too.

Vectors are kept per (response, question), as 384 float16 numbers (768 bytes), and are deleted with their
response by retention (sync/server/domain/retention.py). The text itself is never copied here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.core.clock import utc_now
from sync.core.record import read_payload
from sync.server.domain.aggregates import Filters
from sync.server.domain.themes import Comment, SavedTheme, saved_theme_from_json, saved_theme_to_json
from sync.server.storage.db import comment_vectors, concern_queue, insert_ignoring_duplicates, responses, saved_themes

Side = Literal["working", "not-working", "other"]
SIDES: dict[Side, str] = {"working": "What is working", "not-working": "What is not working",
                          "other": "Other comments"}
GOOD_CHOICES = frozenset({"very-good", "good", "yes"})
POOR_CHOICES = frozenset({"poor", "very-poor", "no"})
Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class SiteComment:
    response_id: str
    question: str
    text: str

    @property
    def key(self) -> str:
        """One id per comment (a response may hold several)."""
        return f"{self.response_id}/{self.question}"


def side_of(answer: dict[str, object]) -> Side:
    """Which side a comment is on: the question's own ("What is the best thing here?" and its "Tell us more", whatever
    topic was touched), else the answer it explains ("Tell us why" after "Very good")."""
    question, choice = str(answer.get("question", "")), answer.get("choice")
    if question.startswith("not-working"):
        return "not-working"
    if question.startswith("working"):
        return "working"
    if choice in GOOD_CHOICES:
        return "working"
    return "not-working" if choice in POOR_CHOICES else "other"


def load_comments(connection: Connection, site: str, filters: Filters, side: Side) -> list[SiteComment]:
    """Every free-text answer on ``side`` given at ``site`` in the filters' period, oldest first."""
    query = (sa.select(responses.c.id, responses.c.payload)
             .where(responses.c.site == site,
                    responses.c.created_at_device >= filters.start.isoformat(),
                    responses.c.created_at_device < (filters.end + timedelta(days=1)).isoformat(),
                    responses.c.payload.contains('"text":'),
                    ~sa.exists().where(concern_queue.c.response_id == responses.c.id))
             .order_by(responses.c.created_at_device, responses.c.id))
    if filters.question_set:
        query = query.where(responses.c.question_set == filters.question_set)
    found = []
    for response_id, payload in connection.execute(query):
        data = read_payload(payload)
        for answer in data.get("answers", []) if isinstance(data, dict) else []:
            text = answer.get("text") if isinstance(answer, dict) else None
            if isinstance(text, str) and text.strip() and side_of(answer) == side:
                found.append(SiteComment(response_id, str(answer.get("question", ""))[:100], text.strip()))
    return found


def as_comments(found: Sequence[SiteComment]) -> list[Comment]:
    return [Comment(id=comment.key, text=comment.text) for comment in found]


def cached_encoder(engine: Engine, found: Sequence[SiteComment], encode: Encode) -> Encode:
    """An encoder for these comments that computes each one's vector only once, ever: stored vectors are
    read back, the rest encoded together and stored. Other texts (the keywords) go to ``encode``."""
    vectors: dict[str, np.ndarray] = {}
    with engine.connect() as connection:
        ids = sorted({comment.response_id for comment in found})
        for start in range(0, len(ids), 5000):
            rows = connection.execute(sa.select(comment_vectors.c.response_id, comment_vectors.c.question,
                                                comment_vectors.c.vector)
                                      .where(comment_vectors.c.response_id.in_(ids[start:start + 5000])))
            for response_id, question, vector in rows:
                vectors[f"{response_id}/{question}"] = np.frombuffer(vector, dtype=np.float16).astype(np.float32)
    missing = [comment for comment in found if comment.key not in vectors]
    if missing:
        fresh = np.asarray(encode([comment.text for comment in missing]), dtype=np.float32)
        with engine.begin() as connection:
            connection.execute(insert_ignoring_duplicates(connection, comment_vectors), [
                {"response_id": comment.response_id, "question": comment.question,
                 "vector": row.astype(np.float16).tobytes()} for comment, row in zip(missing, fresh, strict=True)])
        vectors.update((comment.key, row) for comment, row in zip(missing, fresh, strict=True))
    by_text = {comment.text: vectors[comment.key] for comment in found}

    def lookup(texts: list[str]) -> np.ndarray:
        unknown = [text for text in dict.fromkeys(texts) if text not in by_text]
        if unknown:
            by_text.update(zip(unknown, np.asarray(encode(unknown), dtype=np.float32), strict=True))
        return np.stack([by_text[text] for text in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    return lookup


def load_saved(connection: Connection, site: str) -> list[tuple[int, SavedTheme]]:
    rows = connection.execute(sa.select(saved_themes.c.id, saved_themes.c.centroids)
                              .where(saved_themes.c.site == site).order_by(saved_themes.c.id))
    return [(row_id, saved_theme_from_json(text)) for row_id, text in rows]


def save_theme(connection: Connection, site: str, theme: SavedTheme, member: str, replaces: Sequence[int]) -> int:
    """Keep ``theme`` for ``site``; the saved themes it was made from (``replaces``) go. Its id, for the audit
    log (which names things by id: a theme's name may be made of people's words)."""
    if replaces:
        connection.execute(saved_themes.delete().where(saved_themes.c.site == site, saved_themes.c.id.in_(replaces)))
    inserted = connection.execute(saved_themes.insert().values(
        site=site, name=theme.name, centroids=saved_theme_to_json(theme), created_at=utc_now(), created_by=member))
    return int(inserted.inserted_primary_key[0])


def forget_saved(connection: Connection, site: str, name: str) -> list[int]:
    """Forget the saved theme called ``name``; the ids forgotten (none if it was not there)."""
    ids = list(connection.execute(sa.select(saved_themes.c.id).where(saved_themes.c.site == site,
                                                                     saved_themes.c.name == name)).scalars())
    if ids:
        connection.execute(saved_themes.delete().where(saved_themes.c.id.in_(ids)))
    return ids
