"""Text that suggests someone is at risk: the categories a safeguarding lead acts on (issue 5).

Why rules first: the kiosk runs offline on a Raspberry Pi, and a safeguarding lead must be able to read why
a comment was flagged and change the phrases without a programmer. (A learned second reader now works beside
them, because rules alone miss too much: see the end of this docstring.) Missing a disclosure costs
far more than a false alarm (staff read a flagged comment; a missed one is never read), so the phrases are
broad and only well-known idioms and plain negations take a match back.

Categories: ``self-harm``, ``abuse-physical`` (including restraint: locked in, tied, held down),
``abuse-sexual``, ``abuse-financial``, ``abuse-emotional`` (bare "abuse" counts here), ``neglect``
(missed care, medicines, food, help) and ``unsafe`` (feeling unsafe or afraid, and hazards in the place:
falls, icy paths, fire doors, broken call bells, wrong medicines).

Two tiers, both in the same notation and read the same way. ``[phrases]`` are whole disclosures ("kill
myself", "took my pension"). ``[triggers]`` are the broad second tier: single words and short stems that
flag on their own ("slapped", "bruises", "undress", "hungry", "scared", "loose carpet"), because people
describing harm rarely use the words a rule writer expects; held-out sentences written by others showed
the phrases alone catch only a third to two thirds of concerns. A trigger that is common in ordinary
feedback ("left", "money", "tablets", "waiting", "fell") is written with a second word close by ("left ..
on the floor", "@money .. (taken|missing)"), and the idiom list grows with the triggers ("fell asleep",
"day trip", "dead tired"). The precision cost was measured on the ordinary cases of the corpus, which holds
everyday complaints, praise, idioms with violent or death words, and negated sentences for that purpose.
Measured honestly, the rules still generalise poorly: six rounds of fresh held-out sentences, each
written before that round's changes, gave 32%, 27%, 31%, 35%, 38% and 29% recall (precision 82-100%) before
they were folded into the corpus. The corpus figures (100%) are therefore an upper bound, not an estimate.

A third tier, ``[[cooccur.<category>]]``, flags a clause holding a cue from each of two or three groups
(a person word and a force verb and a body word; a money word and a taking verb; a care need and a failure
cue) at most ``within`` words apart. Negation applies to each cue, except words matched by the rule's own
groups ("nobody turned her"). On the first set written after it (round 11) it raised recall only from 63% to
67% while the false-positive rate rose from 20% to 40%: weak cues co-occur in ordinary feedback too.

Phrases live in language packs, ``languages/<tag>/concerns.toml`` (see config/languages/en/concerns.toml
for the format). The English pack always applies and the person's own language adds to it, because people
mix languages; for each, every folder holding the file adds to it (built-in first, then a service's own
config folder, exact tag and primary subtag), so a service adds phrases without losing the built-in ones.

How a text is read:

0. real text is made plain first (:func:`normalise`): a redaction mark (``XXXX``, ``***``, ``[name redacted]``)
   becomes the person word "staff", as the name it hid would read (most are staff named in praise), and in a
   text that never writes a lower-case "l" a capital I inside a word stands for one ("kiII myseIf"), as in
   exported or OCR-read comments, and so does one starting a word inside a sentence ("the Iad"; a sentence
   may start with "It"); otherwise it is an "i" ("HavIng"), which lower-casing gives. Emoji and their
   variation selectors are ignored;
1. it is cut into sentences at . ! ? and new lines, and those into clauses at , ; :; a phrase never spans two
   clauses;
2. each clause is lower-cased, apostrophes are dropped ("don't" -> "dont"), other punctuation becomes a
   space, and the pack's ``[spellings]`` replace whole words (contractions: "dont" -> "do not"; typos); a word
   of five letters or more that is one of the phrases' own words with two neighbouring letters swapped
   ("talbets", "agian") is read as that word, for concerns and benign frames alike;
3. idioms ("dying to", "to die for", "could kill for") are blanked out, so no phrase can use their words;
4. a phrase that matches counts, unless its category is not ``self-harm`` and a negation cue ("not",
   "never", "nobody") stands in the four words before it, with no boundary word ("and", "but", "when",
   "why") in between and not as part of a ``not_negation`` phrase ("never stop", "do not want"). Any talk
   of suicide is flagged, even when denied. A ``..`` gap inside a phrase never passes over a cue: "staff
   never shout" does not match ``@person .. shout* at``. Negation written after the words is not seen.
5. a category found only in clauses that are not urgent is taken back when a clause of the same sentence holds
   one of the pack's ``[benign]`` frames for it (fear before a procedure, a fall at home handled well, bruises
   from blood tests, rudeness at a reception desk, a self-harm past and recovered from); frames are read before
   idioms are blanked, and stay in their sentence because real comments hold several topics. Inside one clause a
   frame must be at most :data:`FRAME_REACH` words from the finding, as an unpunctuated comment is one clause.

A second reader, learned rather than written (sync/core/privacy/learned.py): a static sentence encoder and a
trained kernel model, English only, in every install and on by default (``privacy.learned_concerns``). Then
:class:`ConcernRules` (what :func:`load_concern_rules` returns and the app calls) gives the **union**: a text is
flagged when the rules or the learned reader flag it. When the rules fire, their categories and urgency are the
answer and the learned reader is not asked; when they find nothing, the learned reader's one likeliest category
is, for staff to review (never the help screen: it cannot say why). Figures: "Known limits" in docs/privacy.md.
If its encoder cannot load, or for another language, the rules read alone.

The text is never logged or kept here.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

from sync.core.config_files import ConfigError, TomlFile

if TYPE_CHECKING:
    from sync.core.privacy.learned import LearnedReader

Category = Literal[
    "self-harm", "abuse-physical", "abuse-sexual", "abuse-financial", "abuse-emotional", "neglect", "unsafe",
]
CATEGORIES: tuple[str, ...] = get_args(Category)
NEVER_NEGATED = frozenset({"self-harm"})
RULES_FILE = "concerns.toml"
ENGLISH = "en"
GAP_WORDS = 3
"""``..`` in a phrase stands for up to this many words."""
NEGATION_REACH = 4
"""A negation cue cancels a match when it is among this many words before it."""
FRAME_REACH = 20
"""A benign frame in the clause of a finding takes it back only when it is at most this many words from it:
unpunctuated comments run several topics into one clause. (A frame in another clause of the sentence is near.)"""
REPAIR_LENGTH = 5
"""Typed words this long or longer with two neighbouring letters swapped are read as the phrase word they spell."""

_CLAUSE_END = re.compile(r"[.!?;:,\n\u0964\u0965]")  # \u0964, \u0965: Bengali danda
_SENTENCE_END = re.compile(r"[.!?\n\u0964\u0965]")
_NOT_WORD = re.compile(r"[^\w\s]")
_APOSTROPHES = frozenset("'\u2019\u2018`\u00b4")
_TOKEN = re.compile(r"\.\.|\(|\)\??|\||\$|@[\w-]+|[^\s()|$]+")
_GLUED = re.compile(r"[^\s(|)?]\(|[^\s(|]\)\??[^\s)|$?]")
_OPTIONAL_LETTER = re.compile(r"\w\?")
_NEVER = "(?!)"
_REDACTED = re.compile(r"[\[(<{][^\])>}\n]{0,30}\b(?:name|names|redacted|removed|withheld|anonymi[sz]ed)\b"
                       r"[^\])>}\n]{0,30}[\])>}]|(?<!\S)\*+(?!\S)|\b[Xx]{3,}\b", re.IGNORECASE)
_INNER_CAPITAL_I = re.compile(r"(?<=[^\W\d_])I")
_INITIAL_CAPITAL_I = re.compile(r"(?<=[^\W_][ \t]|[,;:][ \t])I(?=[a-z])")  # "the Iad", not "It" starting a sentence
_LOWER_CASE_WORD = re.compile(r"\b(?=\w*[a-z])\w+\b")
_EMOJI_MARKS = frozenset(map(chr, [*range(0xFE00, 0xFE10), 0x20E3]))  # variation selectors, keycap


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Negation(_Strict):
    cues: tuple[str, ...] = ()
    not_negation: tuple[str, ...] = ()
    boundaries: tuple[str, ...] = ()


class Idioms(_Strict):
    phrases: tuple[str, ...] = ()


class CoOccur(_Strict):
    """One co-occurrence rule: a match from each non-empty group in one clause, at most ``within`` words apart."""

    within: int = 6
    a: tuple[str, ...]
    b: tuple[str, ...]
    c: tuple[str, ...] = ()


class Urgency(_Strict):
    """Which findings mean the person may be at risk now (see :class:`Reading`)."""

    now: dict[Category, tuple[str, ...]] = {}
    past: tuple[str, ...] = ()
    ongoing: tuple[str, ...] = ()


class ConcernFile(_Strict):
    spellings: dict[str, str] = {}
    words: dict[str, tuple[str, ...]] = {}
    phrases: dict[Category, tuple[str, ...]] = {}
    triggers: dict[Category, tuple[str, ...]] = {}
    cooccur: dict[Category, tuple[CoOccur, ...]] = {}
    idioms: Idioms = Idioms()
    negation: Negation = Negation()
    urgency: Urgency = Urgency()
    benign: dict[Category, tuple[str, ...]] = {}


def _keep(char: re.Match[str]) -> str:
    """Drop apostrophes, invisible joiners and emoji variation selectors, keep combining marks (Bengali vowel
    signs are not ``\\w``), turn the rest (emoji too) into a space."""
    mark = char.group()
    kind = unicodedata.category(mark)
    if mark in _APOSTROPHES or kind == "Cf" or mark in _EMOJI_MARKS:
        return ""
    return mark if kind.startswith("M") else " "


def _plain_words(text: str) -> list[str]:
    """``text`` lower-cased, without apostrophes or other punctuation, split into words."""
    return _NOT_WORD.sub(_keep, text.casefold()).split()


def normalise(text: str) -> str:
    """``text`` as the phrases expect it to be written: redaction marks read as "staff", and a capital I inside
    a word read as the letter it stands for (step 0 of the module docstring). Real comments arrive like this;
    the phrases are written for plain words."""
    text = _REDACTED.sub(" staff ", text)
    if "I" not in text or "l" in text or "i" not in text:
        return text  # "I" inside a word is an "i" (or nothing tells): lower-casing reads it so
    text = _INITIAL_CAPITAL_I.sub("l", text)
    return _LOWER_CASE_WORD.sub(lambda word: _INNER_CAPITAL_I.sub("l", word.group()), text)


class _Compiler:
    """Turns the phrase notation into regular expressions over a clause written as ``"word word "``."""

    def __init__(self, spellings: dict[str, str]):
        self.spellings = {"".join(_plain_words(key)): " ".join(_plain_words(value)) for key, value in spellings.items()}
        self.sets: dict[str, str] = {}
        self.gap = f"(?:[^ ]+ ){{0,{GAP_WORDS}}}"
        self.vocabulary: set[str] = set()
        self.repairs: dict[str, str] = {}

    def words(self, text: str) -> str:
        """``text`` in the form patterns match: plain words, spellings applied (then, once the phrases are
        compiled, two swapped letters repaired), each followed by a space."""
        return "".join(self.spellings.get(word, self.repairs.get(word, word)) + " " for word in _plain_words(text))

    def learn_repairs(self) -> None:
        """Map every word that is one of the phrases' own words (of :data:`REPAIR_LENGTH` letters or more) with
        two neighbouring letters swapped back to it: "talbets", "agian", "thnik" are typed, and phrases are
        written for plain words. A swap that is itself a phrase word, or that two words share, is left alone."""
        repairs: dict[str, str | None] = {}
        for word in self.vocabulary:
            if len(word) < REPAIR_LENGTH:
                continue
            for at in range(len(word) - 1):
                swapped = word[:at] + word[at + 1] + word[at] + word[at + 2:]
                if swapped != word and swapped not in self.vocabulary:
                    repairs[swapped] = word if repairs.get(swapped, word) == word else None
        self.repairs = {typed: word for typed, word in repairs.items() if word is not None}

    def word(self, token: str) -> str:
        if "*" not in token:
            plain = self.words(token)
            if not plain:
                raise ValueError(f"{token!r} has no letters")
            self.vocabulary.update(plain.split())
            return re.escape(plain)
        pieces = ["".join(_plain_words(piece)) for piece in token.split("*")]
        return "[^ ]*".join(map(re.escape, pieces)) + " "

    def regex(self, pattern: str) -> str:
        if _GLUED.search(pattern):
            raise ValueError("has a bracket touching a word: alternatives are whole words, as in (hit|hits)")
        if _OPTIONAL_LETTER.search(pattern):
            raise ValueError("has a ? after a letter, which would be read as part of the word: write (trip|trips)")
        parts: list[str] = []
        for token in _TOKEN.findall(pattern):
            if token == "..":
                parts.append(self.gap)
            elif token == "(":
                parts.append("(?:")
            elif token in (")", ")?", "|", "$"):
                parts.append(token)
            elif token.startswith("@"):
                if token[1:] not in self.sets:
                    raise ValueError(f"no word list named {token[1:]!r} under [words]")
                parts.append(self.sets[token[1:]])
            else:
                parts.append(self.word(token))
        source = "".join(parts)
        try:
            re.compile(source)
        except re.error as error:
            raise ValueError(f"cannot be read ({error.msg}): check the brackets") from None
        return source

    def union(self, toml: TomlFile, loc: tuple[str, ...], patterns: Iterable[str]) -> list[str]:
        """Each pattern compiled; a mistake raises ConfigError naming the file, line and field."""
        compiled = []
        for index, pattern in enumerate(patterns):
            try:
                compiled.append(self.regex(pattern))
            except ValueError as error:
                raise toml.error((*loc, index), f"phrase {pattern!r} {error}") from None
        return compiled


def _any_of(sources: list[str]) -> re.Pattern[str]:
    return re.compile("(?<![^ ])(?:" + ("|".join(f"(?:{s})" for s in sources) or _NEVER) + ")")


def _blank(pattern: re.Pattern[str], clause: str) -> str:
    """``clause`` with every word inside a match of ``pattern`` replaced by ``_``."""
    return pattern.sub(lambda found: "_ " * found.group().count(" "), clause)


def _blank_spans(before: str, spans: list[tuple[int, int]]) -> str:
    """``before`` with the words inside ``spans`` (character ranges of the clause) replaced by ``_``."""
    chars = list(before)
    for start, end in spans:
        for at in range(start, min(end, len(chars))):
            if chars[at] != " ":
                chars[at] = "_"
    return "".join(chars)


@dataclass(frozen=True)
class Reading:
    """What one text suggests: the categories (sorted; empty for ordinary feedback), and whether the words say
    the person may be at risk **now**, which shows them the help screen and tells staff at once. Anything else
    found is for staff to review: the safeguarding queue, no help screen (the help button is always there).

    The rule, for a safeguarding lead: a text is urgent when, in a clause that does not put it in the past
    (``[urgency] past``: "last year", "used to", "when i was younger", "helped me through", or a screening
    question asked: "asked me about thoughts of harming myself"), it talks of suicide or self-harm (any talk of
    it, even denied), or matches one of ``[urgency.now]``: the person says someone is hurting, touching,
    threatening or controlling them, or that they are afraid or unsafe where they are. Any finding is urgent too
    when its sentence says the harm is still going on (``[urgency] ongoing``: "still sitting in it now", "since
    this morning", "keeps slipping at night"), and a clause that says so is not put in the past by a word
    of the past beside it ("sent home with a leaflet, going to the bridge tonight": real comments often run
    as one clause). Other neglect, hazards, money going missing and what happened to
    someone else are for review. The learned reader's findings are always for review: it cannot say why it
    flagged a text."""

    categories: list[str] = dataclasses.field(default_factory=list)
    urgent: bool = False


ALWAYS_URGENT = frozenset({"self-harm"})
"""Categories urgent wherever they are found, unless put in the past."""


@dataclass(frozen=True)
class ConcernRules:
    """One language's phrases, compiled, and the learned reader for that language if there is one.
    :meth:`concerns` reads a text with both (their union), :meth:`rule_concerns` with the phrases alone."""

    compiler: _Compiler
    phrases: dict[str, re.Pattern[str]]
    idioms: re.Pattern[str]
    cues: re.Pattern[str]
    not_negation: re.Pattern[str]
    boundaries: re.Pattern[str]
    cooccur: tuple[tuple[str, int, tuple[re.Pattern[str], ...]], ...] = ()
    urgent: dict[str, re.Pattern[str]] = dataclasses.field(default_factory=dict)
    past: re.Pattern[str] = re.compile(_NEVER)
    ongoing: re.Pattern[str] = re.compile(_NEVER)
    benign: dict[str, re.Pattern[str]] = dataclasses.field(default_factory=dict)
    learned: LearnedReader | None = None

    def concerns(self, text: str) -> list[str]:
        """The categories of :meth:`read`."""
        return self.read(text).categories

    def read(self, text: str) -> Reading:
        """The rules' reading; when they find nothing, the learned reader's categories, for review."""
        reading = self.rule_reading(text)
        if reading.categories or self.learned is None:
            return reading
        return Reading(self.learned.concerns(text))

    def warm_up(self) -> None:
        """Load the learned reader's encoder now, not at the first text (seconds): for a background thread."""
        if self.learned is not None:
            self.learned.warm_up()

    def rule_concerns(self, text: str) -> list[str]:
        """The categories the phrases, triggers and co-occurrence rules find, sorted."""
        return self.rule_reading(text).categories

    def rule_reading(self, text: str) -> Reading:
        """Each sentence read by :meth:`_sentence_reading`; the text's categories are every sentence's, and it is
        urgent when any sentence is. Benign frames stay inside their sentence because real comments hold several
        topics: "the physio pushed me hard" must not take back a bruise described two sentences later."""
        found: set[str] = set()
        urgent = False
        for sentence in _SENTENCE_END.split(normalise(text)):
            kept, pressing = self._sentence_reading(sentence)
            found |= kept
            urgent |= pressing
        return Reading(sorted(found), urgent)

    def _sentence_reading(self, sentence: str) -> tuple[set[str], bool]:
        """The categories one sentence suggests, and whether it is urgent. Each clause is read by the phrases,
        triggers and co-occurrence rules; a clause with a finding is urgent by the rule of :class:`Reading`, and so
        is every finding of a sentence that says the harm is still going on (``[urgency] ongoing``: "still
        sitting in it now", "since this morning"). A category found only in clauses that are not urgent is taken
        back when each of its findings has one of its benign frames near: in another clause of the sentence, or
        within :data:`FRAME_REACH` words in its own ("the physio pushed me hard and it worked")."""
        where: dict[str, list[tuple[int, int]]] = {}  # each finding's clause and first word
        frames: dict[str, list[tuple[int, int, int]]] = {}  # each frame's clause, first and last word
        present: set[str] = set()
        urgent: set[str] = set()
        ongoing = False
        for number, part in enumerate(_CLAUSE_END.split(sentence)):
            words = self.compiler.words(part)
            clause = _blank(self.idioms, words)
            at = {name: self._matches(name, rx, clause) for name, rx in self.phrases.items()}
            for name, within, groups in self.cooccur:
                if at.get(name) is None:
                    at[name] = self._together(name, within, groups, clause)
            here = {name for name, word in at.items() if word is not None}
            for name, word in at.items():
                if word is not None:
                    where.setdefault(name, []).append((number, word))
            still = self.ongoing.search(clause) is not None
            if still or not self.past.search(clause):  # "after a leaflet ... going to the bridge tonight"
                present |= here
                ongoing |= still
                if here & ALWAYS_URGENT or (here and self._says_now(clause)):
                    urgent |= here
            for name, rx in self.benign.items():  # idioms are not frames
                frames.setdefault(name, []).extend((number, words.count(" ", 0, frame.start()),
                                                    words.count(" ", 0, frame.end())) for frame in rx.finditer(words))
        if ongoing:
            urgent |= present
        framed = {name for name, found in where.items() if all(any(
            frame_clause != clause or first - FRAME_REACH <= word <= last + FRAME_REACH
            for frame_clause, first, last in frames.get(name, ())) for clause, word in found)}
        return set(where) - (framed - urgent), bool(urgent)

    def _says_now(self, clause: str) -> bool:
        return any(self._matches(name, rx, clause) is not None for name, rx in self.urgent.items())

    def _together(self, category: str, within: int, groups: tuple[re.Pattern[str], ...], clause: str) -> int | None:
        """The first word of a match of every group, none negated, each at most ``within`` words from the others;
        None if there is none. Words matched by another group never negate ("nobody turned her": "nobody" is a
        cue of the rule, not a denial)."""
        spans = [[(found.start(), found.end()) for found in group.finditer(clause)] for group in groups]
        if not all(spans):
            return None
        kept: list[list[tuple[int, int]]] = []
        for index, own in enumerate(spans):
            others = sorted(span for other, group in enumerate(spans) if other != index for span in group)
            kept.append([(clause.count(" ", 0, start), clause.count(" ", 0, end)) for start, end in own
                         if category in NEVER_NEGATED or not self._negated(_blank_spans(clause[:start], others))])
        for chosen in itertools.product(*kept):
            ordered = sorted(chosen)
            if all(later[0] >= earlier[1] and later[0] - earlier[1] <= within
                   for earlier, later in itertools.pairwise(ordered)):
                return ordered[0][0]
        return None

    def _matches(self, category: str, phrase: re.Pattern[str], clause: str) -> int | None:
        """The first word of the first match of ``phrase`` that is not negated, or None."""
        position = 0
        while found := phrase.search(clause, position):
            if category in NEVER_NEGATED or not self._negated(clause[:found.start()]):
                return clause.count(" ", 0, found.start())
            position = clause.find(" ", found.start()) + 1
        return None

    def _negated(self, before: str) -> bool:
        before = _blank(self.not_negation, before)
        boundaries = list(self.boundaries.finditer(before))
        if boundaries:
            before = before[boundaries[-1].end():]
        window = before.split()[-NEGATION_REACH:]
        return bool(window) and self.cues.search(" ".join(window) + " ") is not None


def _rules_files(language: str, config_dirs: list[Path]) -> list[Path]:
    """Every ``concerns.toml`` for ``language``, built-in first: a site's own file adds phrases, it never
    takes the built-in ones away (a site adding one phrase must not lose the hundreds it did not write)."""
    from sync.core.paths import pack_folders

    found = [f / RULES_FILE for f in pack_folders(language, config_dirs) if (f / RULES_FILE).is_file()]
    return found[::-1]


def load_concern_rules(language: str = ENGLISH, config_dirs: list[Path] | None = None, *,
                       learned: bool = True) -> ConcernRules:
    """English phrases plus ``language``'s own, from ``config_dirs`` (default: the built-in config), and, when
    ``learned`` and ``language`` is English, the learned reader (if its encoder can be loaded; it loads
    at the first text or :meth:`ConcernRules.warm_up`). Raises ConfigError naming the file, line and field of
    any mistake, or if there is no English pack."""
    if config_dirs is None:
        from sync.core.paths import BUILTIN_CONFIG

        config_dirs = [BUILTIN_CONFIG]
    english = _rules_files(ENGLISH, config_dirs)
    if not english:
        missing = config_dirs[0] / "languages" / ENGLISH / RULES_FILE
        raise ConfigError(missing, "no English concern phrases: every kiosk needs this file")
    paths = dict.fromkeys([*english, *_rules_files(language, config_dirs)])
    tomls = [TomlFile(path) for path in paths]
    rules = _compile([(toml, toml.validate(ConcernFile).model_dump()) for toml in tomls])
    if not learned:
        return rules
    from sync.core.privacy.learned import learned_reader  # here, so importing sync.core.privacy stays light

    return dataclasses.replace(rules, learned=learned_reader(language))


def _compile(packs: list[tuple[TomlFile, dict[str, Any]]]) -> ConcernRules:
    """Every pack's entries at each place, compiled in order: cues shape ``..``, word lists come before the
    phrases that use them."""
    compiler = _Compiler({key: value for _, data in packs for key, value in data["spellings"].items()})

    def sources(*loc: str) -> list[str]:
        return [source for toml, data in packs
                for source in compiler.union(toml, loc, functools.reduce(lambda node, key: node.get(key, {}),
                                                                         loc, data))]

    cues = sources("negation", "cues")
    if cues:
        compiler.gap = f"(?:(?!{'|'.join(cues)})[^ ]+ ){{0,{GAP_WORDS}}}"
    for name in dict.fromkeys(name for _, data in packs for name in data["words"]):
        compiler.sets[name] = "(?:" + ("|".join(sources("words", name)) or _NEVER) + ")"
    tiers = {category: sources("phrases", category) + sources("triggers", category) for category in CATEGORIES}
    now = {category: sources("urgency", "now", category) for category in CATEGORIES}
    benign = {category: sources("benign", category) for category in CATEGORIES}
    cooccur = tuple((category, rule["within"], tuple(_any_of(compiler.union(toml, ("cooccur", category, index, key),
                                                                            rule[key]))
                                                     for key in "abc" if rule[key]))
                    for toml, data in packs for category, rules in data["cooccur"].items()
                    for index, rule in enumerate(rules))
    compiler.learn_repairs()
    return ConcernRules(compiler, {category: _any_of(tiers[category]) for category in CATEGORIES},
                        _any_of(sources("idioms", "phrases")), _any_of(cues),
                        _any_of(sources("negation", "not_negation")), _any_of(sources("negation", "boundaries")),
                        cooccur, {category: _any_of(now[category]) for category in CATEGORIES if now[category]},
                        _any_of(sources("urgency", "past")), _any_of(sources("urgency", "ongoing")),
                        {category: _any_of(benign[category]) for category in CATEGORIES if benign[category]})


@functools.cache
def _builtin_rules(language: str) -> ConcernRules:
    return load_concern_rules(language, learned=False)


def read_concerns(text: str, language: str = ENGLISH) -> Reading:
    """What ``text`` suggests, by the built-in English phrases plus ``language``'s own (loaded once per
    language), without the learned reader: the kiosk itself reads with :func:`load_concern_rules`, which adds it
    when ``privacy.learned_concerns`` is on (the default)."""
    return _builtin_rules(language).read(text)


def concerns(text: str, language: str = ENGLISH) -> list[str]:
    """The concern categories ``text`` suggests, sorted, e.g. ``["self-harm"]``; [] for ordinary feedback."""
    return read_concerns(text, language).categories
