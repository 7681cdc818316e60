"""What we ask: question sets loaded from TOML, validated before the kiosk starts.

A question set is a file such as ``config/questions/default.toml``. Each question has an id, the words
shown, a picture and the words spoken; choice questions list their answers the same way. A choice
question may carry a ``follow_up`` ("Tell us why"): a free-text answer kept in the same record.

The set is written in one language (``language``, English by default) and may carry the same words in
others: ``translations.bn = { text = "...", spoken = "..." }`` beside each question, answer and the
title. :meth:`QuestionSet.in_language` gives the set as a person choosing Bengali sees it; anything not
translated stays in the set's own language, so a missing translation never stops a session.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sync.core.config_files import TomlFile
from sync.core.spreadsheet import starts_like_formula

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


def base_language(tag: str) -> str:
    """``en-GB`` -> ``en``: translations and language packs may be written for the whole language."""
    return tag.split("-")[0].lower()


T = TypeVar("T")


def translation(translations: Mapping[str, T], language: str) -> T | None:
    """The words given for ``language``, else for its base language (``bn-BD`` -> ``bn``); None if neither."""
    return translations.get(language) or translations.get(base_language(language))


def _not_a_formula(words: str) -> str:
    if starts_like_formula(words):
        raise ValueError("must not start with =, +, - or @ (even after spaces), a tab or a carriage return: a "
                         "spreadsheet opening the exported answers could take these words for a formula")
    return words


Words = Annotated[str, AfterValidator(_not_a_formula)]
"""Words a person sees or hears. Question and answer words are copied into every response and so into every
export (sync/core/export.py), where a spreadsheet must show them, never run them."""


class AnswerWords(_Strict):
    text: Words = Field(default="", max_length=40)
    spoken: Words = ""


class QuestionWords(_Strict):
    text: Words = Field(default="", max_length=200)
    spoken: Words = ""
    follow_up: Words = ""
    follow_up_spoken: Words = ""


class SetWords(_Strict):
    title: str = ""


@dataclass
class Untranslated:
    """What a language lacks in a set: where, as ``question overall: text``, for one warning."""

    language: str
    missing: list[str] = field(default_factory=list)


def _translated(item: Answer | Question | QuestionSet, language: str, gaps: Untranslated) -> dict[str, str]:
    """The fields of ``item`` that ``language`` translates, noting in ``gaps`` those it should but does not."""
    words = translation(item.translations, language)
    given = words.model_dump(exclude_defaults=True) if words is not None else {}
    for name in ("title", "text", "follow_up"):
        if getattr(item, name, "") and name not in given:
            gaps.missing.append(f"{getattr(item, 'id', 'set')}: {name}")
    for shown, spoken in (("text", "spoken"), ("follow_up", "follow_up_spoken")):
        if shown in given:
            given.setdefault(spoken, "")  # the set's own spoken words belong to its own language
    return given


class Answer(_Strict):
    """One picture button on a choice question."""

    id: str = Field(pattern=ID_PATTERN)
    text: Words = Field(min_length=1, max_length=40)
    picture: str = Field(min_length=1)
    spoken: Words = ""
    finish: bool = False
    """Choosing this answer ends the session here, with thanks ("No, finish" on the "About you" question)."""
    translations: dict[str, AnswerWords] = {}

    @property
    def say(self) -> str:
        return self.spoken or self.text


class Question(_Strict):
    """One screen: a choice between pictures, or free text."""

    id: str = Field(pattern=ID_PATTERN)
    kind: Literal["choice", "text"]
    text: Words = Field(min_length=1, max_length=200)
    picture: str = Field(min_length=1)
    spoken: Words = ""
    answers: tuple[Answer, ...] = ()
    follow_up: Words = ""
    follow_up_spoken: Words = ""
    follow_up_picture: str = "keyboard"
    about_you: bool = False
    """An optional "About you" question (age band, who the person is): asked after the feedback, never required,
    and only ever counted, never shown beside a person's other answers (docs/privacy.md)."""
    translations: dict[str, QuestionWords] = {}

    @property
    def say(self) -> str:
        return self.spoken or self.text

    @property
    def follow_up_say(self) -> str:
        return self.follow_up_spoken or self.follow_up

    @property
    def is_gate(self) -> bool:
        """The "Would you like to tell us about you?" question: an About-you question one of whose
        answers finishes the session."""
        return self.about_you and any(answer.finish for answer in self.answers)

    def answer(self, answer_id: str) -> Answer:
        for answer in self.answers:
            if answer.id == answer_id:
                return answer
        raise KeyError(f"question {self.id!r} has no answer {answer_id!r}")

    @model_validator(mode="after")
    def _answers_match_kind(self) -> Question:
        if self.kind == "choice" and not 2 <= len(self.answers) <= 6:
            raise ValueError("a choice question needs between 2 and 6 answers")
        if self.kind == "text" and (self.answers or self.follow_up):
            raise ValueError("a text question cannot have answers or a follow_up")
        if self.about_you and (self.kind != "choice" or self.follow_up):
            raise ValueError("an about_you question must be a choice question without a follow_up: words typed "
                             "about oneself could name the person")
        return self


class QuestionSet(_Strict):
    """The questions one session walks through, in order."""

    id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    language: str = Field(default="en", pattern=LANGUAGE_TAG)
    """The language the set's own words are in."""
    questions: tuple[Question, ...] = Field(min_length=1)
    translations: dict[str, SetWords] = {}

    @model_validator(mode="after")
    def _about_you_comes_last(self) -> QuestionSet:
        flags = [question.about_you for question in self.questions]
        if True in flags and not all(flags[flags.index(True):]):
            raise ValueError("the about_you questions must come after all the other questions")
        if all(flags):
            raise ValueError("a question set needs at least one question that is not about_you")
        return self

    @property
    def feedback_questions(self) -> int:
        """How many questions come before the "About you" ones."""
        return sum(not question.about_you for question in self.questions)

    def in_language(self, language: str) -> tuple[QuestionSet, Untranslated]:
        """The set with its words in ``language`` where translated (its own words elsewhere), and what
        was missing. Ids, pictures and order never change, so stored answers mean the same in any language."""
        gaps = Untranslated(language)
        if base_language(language) == base_language(self.language):
            return self, gaps
        questions = []
        for question in self.questions:
            answers = tuple(a.model_copy(update=_translated(a, language, gaps)) for a in question.answers)
            questions.append(question.model_copy(update={**_translated(question, language, gaps), "answers": answers}))
        own = _translated(self, language, gaps)
        return self.model_copy(update={**own, "language": language, "questions": tuple(questions)}), gaps


def load_question_set(path: Path, picture_dirs: list[Path]) -> QuestionSet:
    """Load and check a question set; every problem is reported with its file, line and field."""
    toml = TomlFile(path)
    qset: QuestionSet = toml.validate(QuestionSet)
    _check_unique(toml, [q.id for q in qset.questions], ("questions",))
    for qi, question in enumerate(qset.questions):
        _check_unique(toml, [a.id for a in question.answers], ("questions", qi, "answers"))
        _check_picture(toml, question.picture, ("questions", qi, "picture"), picture_dirs)
        if question.follow_up:
            _check_picture(toml, question.follow_up_picture, ("questions", qi, "follow_up_picture"), picture_dirs)
        for ai, answer in enumerate(question.answers):
            _check_picture(toml, answer.picture, ("questions", qi, "answers", ai, "picture"), picture_dirs)
    return qset


def _check_unique(toml: TomlFile, ids: list[str], loc: tuple[str | int, ...]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            raise toml.error((*loc, index, "id"), f"the id {item!r} is used twice")
        seen.add(item)


def find_picture(name: str, picture_dirs: list[Path]) -> Path | None:
    """A picture is named by its file stem (``thumbs-up``) or a path relative to a picture folder; never an
    absolute path, which ``folder / name`` would follow anywhere on the kiosk."""
    if not re.fullmatch(r"\w[\w./-]*", name) or ".." in name:
        return None
    filename = name if name.endswith(".png") else f"{name}.png"
    for folder in picture_dirs:
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    return None


def _check_picture(toml: TomlFile, name: str, loc: tuple[str | int, ...], picture_dirs: list[Path]) -> None:
    if find_picture(name, picture_dirs) is None:
        folders = ", ".join(str(d) for d in picture_dirs)
        raise toml.error(loc, f"no picture named {name!r} (looked for {name}.png in {folders})")

