"""The response record: what one session leaves behind, in the form it is stored, exported and synced.

The payload is self-describing (question and answer words are copied in) so an export or the central
server can read a record years later, after the question set has changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Status = Literal["answered", "skipped", "not_reached"]


@dataclass
class AnswerRecord:
    """What happened to one question of the set in this session."""

    question: str
    question_text: str
    kind: Literal["choice", "text"]
    status: Status = "not_reached"
    choice: str | None = None
    """Answer id chosen on a choice question."""
    choice_text: str | None = None
    """The words of that answer, as shown."""
    text: str | None = None
    """Free text (scrubbed): the answer to a text question, or the "tell us why" of a choice question."""
    follow_up_text: str | None = None
    """The words of the follow-up prompt ("Tell us why"), when the question has one."""
    about_you: bool | None = None
    """True on an "About you" answer: exports and every per-response view leave it out; only counts show it."""


@dataclass
class SessionRecord:
    """One person's session, complete or walked away from."""

    question_set: str
    question_set_version: int
    language: str
    answers: list[AnswerRecord]
    complete: bool
    channel: str = "touch"
    misuse_suspected: bool = False
    concerns: list[str] = field(default_factory=list)
    """Safeguarding categories found in the words given (sync.core.privacy.concerns); the words themselves
    are stored scrubbed, and the record is synced before any other."""
    concern_urgent: bool = False
    """Whether the words said the person may be at risk now (sync.core.privacy.concerns.Reading): staff see it first."""
    extra: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {
            "question_set": self.question_set,
            "question_set_version": self.question_set_version,
            "language": self.language,
            "complete": self.complete,
            "misuse_suspected": self.misuse_suspected,
            "channel": self.channel,
            **({"concerns": sorted(self.concerns)} if self.concerns else {}),
            **({"concern_urgent": True} if self.concern_urgent else {}),
            "answers": [{k: v for k, v in vars(a).items() if v is not None} for a in self.answers],
            **self.extra,
        }

    def fingerprint(self) -> str:
        """Identity of the answers given, ignoring everything else (for spotting repeated presses)."""
        given = [(a.question, a.status, a.choice, a.text) for a in self.answers]
        return hashlib.sha256(json.dumps(given).encode()).hexdigest()


def without_about_you(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as any per-response view may show it (exports, the safeguarding queue): every field, but no
    "About you" answer."""
    answers = payload.get("answers")
    if not isinstance(answers, list):
        return payload
    return payload | {"answers": [a for a in answers if not (isinstance(a, dict) and a.get("about_you") is True)]}


def canonical_json(payload: dict[str, Any]) -> str:
    """The one serialisation used for storing and hashing (sorted keys, real UTF-8, no spaces)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def payload_sha256(payload_json: str) -> str:
    return hashlib.sha256(payload_json.encode("utf-8")).hexdigest()


def read_payload(stored: str | bytes) -> Any:
    """A stored payload as data; None if it is not JSON. Kiosks and servers once stored numbers beyond a float's
    range (1e400; the server refuses them now), which orjson cannot read: those are read by the standard library
    (as infinity) so that such a record still counts and exports, instead of breaking an export or a count."""
    try:
        return orjson.loads(stored)
    except orjson.JSONDecodeError:
        try:
            return json.loads(stored)
        except (ValueError, RecursionError):
            return None
