"""Personal details are replaced by placeholders before any text is stored (kiosk) and again at ingest (server).

Feedback must stay anonymous, yet people type or say who they are, how to reach them and where they live.
:func:`scrub` swaps each such detail for ``[email]``, ``[date-of-birth]``, ``[phone]``, ``[nhs-number]``,
``[ni-number]``, ``[postcode]``, ``[address]`` or ``[name]`` and leaves the rest of the sentence as it was,
so the feedback still reads and ordinary sentences (times, counts, money, room and ward numbers, scores,
dates of meetings, "Rose House", "I'm happy", "I'm 45") come through unchanged.

Decisions (the corpus in ``tests/data/scrub_cases.toml`` holds an example of each):

- Input is typed on an on-screen ABC keyboard (few capitals, little punctuation, "im", "my names") or
  dictated (all lower case, numbers as digits). Runs of six or more spoken digit words become phone and
  NHS numbers ("oh seven seven double oh nine ..."), and spoken emails are caught ("sarah at gmail dot
  com"); digits and digit words mixed in one number, spoken dates ("the third of april nineteen fifty
  six"), spoken postcodes and NI numbers are not.
- Only the detail is replaced; the lead-in stays ("born on [date-of-birth]", "my name is [name]").
- Regexes rather than a library: ``phonenumbers`` would need a new dependency and reads only the digits,
  presidio needs a spaCy model the kiosk cannot download, and none of them knows NHS numbers or how
  dictated text looks. Every pattern is compiled once; :func:`scrub` is a fixed run of substitutions, and
  the six that need a digit are skipped for text without one (the bench prints microseconds per call).
- Order: email (its local part may hold digits and names), spoken numbers, date of birth (before the
  other number rules), phone, NHS, NI, postcode, address, names last (they look at the words around
  them). A phone number starts with 0 or +44 and its second digit is never 0, 4 or 6; an NHS number that
  starts with 0 and could be a phone number is taken as one (either placeholder hides it).
- Idempotent (the server scrubs again what the kiosk scrubbed): no rule matches a placeholder, and every
  rule treats a placeholder's brackets as part of a word, so putting one in never frees a new match.
- NHS numbers: ten digits, run together or 3-3-4 with the same space or dash twice, and the modulus-11
  check digit must hold; with a wrong check digit the number is left (it is probably a reference). Leading
  zeros are allowed: 0032698674 is valid (a peer's test value, issue 20).
- NI numbers: two letters, six digits (in any pairs) and a final A-D; the final letter may be left out
  only when everything is run together. HMRC's excluded prefixes are not enforced: the shape is specific
  enough, and the "QQ" specimen and a mistyped prefix are still someone's number.
- Dates of birth are taken only after "born", "DOB", "date of birth" or "birthday": a date on its own is
  far more often a meeting or an appointment. "born in 1956" counts; "born in Leeds" does not.
- Addresses: a house number, up to three words and a street word ("12 Acacia Avenue", "flat 3, 45 High
  Street"), or what follows "live at/on/in" ("I live at number 12", "I live on Acacia Avenue"). Street
  words that are also everyday words (Green, Walk, Way, Park, Hill...) count only when capitalised, and
  words such as "people", "minutes" or "the" cannot sit between the number, so "a 20 minute drive",
  "12 people", "room 12", "ward 7", "bus 25", "£12" stay. "flat 3" on its own is kept, like a room number.
- The writer's own name: people introducing themselves ("my name is...", "I'm...", "this is ... from flat 3",
  "call me") always become ``[name]``. After "my name is" any word that is not a common word is a name;
  after "I'm", "this is", "it's" or "call me" a capitalised word is, a lower-case one only after a greeting
  ("hi im tom") or before "from", "here" or "speaking" (dictated "i'm sarah" on its own is missed, as "I'm
  tired" must not be scrubbed). A stop list of common words, feelings and states keeps "I'm happy",
  "I'm not sure", "I'm English" and "This is Rose House" as they are.
- Names of people the writer speaks of (staff mostly: "Dr Jones was excellent", "Trevor on nights") follow
  one site setting, ``privacy.staff_names`` (issue 20). "keep" (the default) leaves them all, titled or
  not, as NHS trusts keep Friends and Family Test comments for the service to act on; reports and exports
  redact them when published (:func:`redact_names`). "replace" runs :func:`redact_names` before storing:
  the name after a title ("Dr [name]", "mrs [name]"; the title stays, because who did what matters to
  managers) or a staff role ("nurse [name]", "CPN [name]"), a given name from a hand-written list
  (sync/core/privacy/given_names.py) with its surname, and a capitalised word a role follows ("[name] the
  nurse"). A name that is neither listed nor next to a title or role is missed; the scrubber cannot tell a
  patient's "Mr Smith" from a consultant's, so both go or both stay.
- Abbreviations are never names and never titles: "MS" in capitals is multiple sclerosis or Microsoft Teams,
  so only "Ms"/"ms" is a title, and only before a capitalised word; CPN, OT, GP, HCA, CAMHS, SALT, ECG and
  the like are on the stop list. After a title in lower case, a word that reads as a verb ("the dr
  explained", "the mrs came") is not a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, get_args

from sync.core.privacy.given_names import GIVEN_NAMES, WORDLIKE_NAMES

# ---- shared word lists ------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_COMMON = _words("""
a an the and or but nor so yet if then than that this these those there here where when what which who whom
whose why how i me my mine myself you your yours we us our ours he him his she her hers they them their it its
is am are was were be been being have has had do does did done will would shall should can could may might
must not no yes of to in on at by for from with without about above below over under into onto upon off out
up down near next past through across around after before during since until till via per very really quite
too just only also even still already again always never often sometimes all any both each every few many
more most much other some such own same one two three four five six seven eight nine ten eleven twelve
twenty thirty forty fifty hundred thousand first second third people person persons minute minutes min mins
hour hours hr hrs day days week weeks month months year years time times mile miles metre metres meter
meters yard yards step steps pound pounds pence percent star stars point points
room rooms ward wards bed beds bay bays bus buses floor floors flat flats table tables pm am oclock
""")

_PLACES = _words("""
house court lodge hall ward unit centre center hospital infirmary home homes surgery practice clinic road
street lane avenue close drive way hotel school college university church chapel trust nhs team service
services group gardens park manor view grange village town city station
""")

# How people describe themselves or their care: never a name, and not a street's name when in lower case.
_DESCRIPTIVE = _words("""
happy sad glad unhappy angry upset cross annoyed worried anxious scared afraid frightened nervous lonely
alone bored tired exhausted sick ill unwell well fine ok okay alright good great better best bad worse worst
fantastic brilliant excellent amazing wonderful lovely nice kind grateful thankful pleased satisfied
dissatisfied disappointed delighted impressed surprised shocked concerned confused frustrated stressed
depressed relieved sure unsure certain sorry fed hungry thirsty cold hot warm comfortable uncomfortable safe
unsafe free busy new old young elderly late early ready able unable back away done finished blind deaf
disabled diabetic pregnant married single divorced widowed retired unemployed homeless poor rich fit
healthy sore hurt injured poorly thrilled livid furious disgusted appalled embarrassed ashamed lucky
fortunate proud honest serious confident calm quiet interested involved registered discharged admitted
stuck lost left due sorted alive awake asleep full hard partially visually allergic impatient patient
nearly almost rubbish terrible awful shocking disgusting appalling dreadful horrible big small busy main
""")

_NOT_NAMES = _COMMON | _PLACES | _DESCRIPTIVE | _words("""
english british scottish welsh irish polish indian pakistani bangladeshi chinese african caribbean asian
black white european italian spanish french german dutch romanian portuguese nigerian somali turkish kurdish
american australian canadian filipino ukrainian russian greek muslim christian jewish sikh hindu catholic
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday tonight morning
afternoon evening night weekend christmas easter january february march april june july august september
october november december
mr mrs ms miss mx dr prof sir dame doctor nurse nurses carer carers doctors staff manager receptionist
patients resident residents visitor volunteer gp consultant physio family friend daughter son wife husband
mum dad mother father partner brother sister nan gran grandma grandad neighbour
feedback care food help support thanks thank please cheers hello hi love like hate want need think know
feel said told called spelt spelled wrong written missing anytime asap symptoms dob st saint
""") | _words("""
appointment appointments department dept assessment referral review letter results scan test tests notes plan
session sessions visit visits check reception desk office rota practitioner led input advice meeting teams
""")

# Medical and service abbreviations: never a name, whatever the words around them ("its CAMHS here", "the OT Dave").
_ABBREVIATIONS = _words("""
ms cpn ot gp hca camhs salt ecg iv rn ae icu itu hdu ent mri ct bp nhs pals cmht crht crhtt hv mdt ld adhd asd ocd
ptsd copd uti dvt tia ppe ivf amhp iapt slt pt
""")
_NOT_NAMES |= _ABBREVIATIONS

# ---- email, phone, NHS and NI numbers -----------------------------------------------------------------

# Where a detail may start and end: not inside a word, and not against a placeholder, which counts as a word, so
# that a placeholder put in by one rule never frees a match for another on the next run (scrub is idempotent).
_START = r"(?<![\w\]])"
_END = r"(?![\w\[])"

# Each starts only where its run of letters starts, so a long run without "@" or "at" costs linear time.
_EMAIL = re.compile(rf"(?<![\w.+\]-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+{_END}")
_SPOKEN_EMAIL = re.compile(
    r"(?<![\w\]-])(?<!dot )(?!dot\b)[a-z0-9_-]+(?:\s+dot\s+[a-z0-9_-]+)*\s+at\s+[a-z0-9-]+(?:\s+dot\s+[a-z0-9-]+)*"
    rf"\s+dot\s+(?:com|org|net|uk|gov|nhs|ac|edu|io|me|info|biz|scot|wales|ie){_END}",
    re.IGNORECASE,
)

# 0 or +44 / 0044 (with an optional "(0)"), a UK first digit, then 8-9 digits with single spaces, dashes or
# a closing bracket between them; a dot is not allowed, so opening hours ("09.00 17.00") never join up.
_PHONE = re.compile(
    r"(?<![\w+£$€/\]])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0)[1-35789](?:(?:\)\s?|[ -])?[0-9]){8,9}(?![0-9\[])"
)
_NHS_NUMBER = re.compile(r"(?<![\w+£$€/.\]-])[0-9]{3}([ -]?)[0-9]{3}\1[0-9]{4}(?![\w\[-])")
_NI_NUMBER = re.compile(
    rf"{_START}[a-z]{{2}}(?:[0-9]{{6}}[a-d]?|\s?[0-9]{{2}}\s?[0-9]{{2}}\s?[0-9]{{2}}\s?[a-d]){_END}", re.IGNORECASE
)

_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
                "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_SPOKEN_DIGIT = rf"(?:(?:double|triple)\s+)?(?:{'|'.join(_DIGIT_WORDS)}){_END}"
_SPOKEN_NUMBER = re.compile(rf"{_START}(?:plus\s+)?{_SPOKEN_DIGIT}(?:[\s,-]+{_SPOKEN_DIGIT}){{5,}}", re.IGNORECASE)
_SPOKEN_TOKEN = re.compile(rf"(double\s+|triple\s+)?({'|'.join(_DIGIT_WORDS)})\b", re.IGNORECASE)


def _nhs_check_holds(digits: str) -> bool:
    """The NHS modulus-11 rule: weights 10..2 on the first nine digits give the tenth."""
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    return remainder != 1 and (11 - remainder) % 11 == int(digits[9])


def _nhs_number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    return "[nhs-number]" if _nhs_check_holds(digits) else match[0]


def _spoken_number(match: re.Match[str]) -> str:
    """A dictated run of digit words becomes ``[phone]`` or ``[nhs-number]`` when its digits are one."""
    digits = "".join(
        _DIGIT_WORDS[word.lower()] * (3 if repeat and repeat[0] in "tT" else 2 if repeat else 1)
        for repeat, word in _SPOKEN_TOKEN.findall(match[0])
    )
    if match[0][:4].lower() == "plus":
        return "[phone]" if digits.startswith("44") and len(digits) in (11, 12) else match[0]
    if digits.startswith("0") and len(digits) in (10, 11):
        return "[phone]"
    if len(digits) == 10 and _nhs_check_holds(digits):
        return "[nhs-number]"
    return match[0]


# ---- dates of birth -------------------------------------------------------------------------------------

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?")
_DAY = r"[0-3]?[0-9](?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)[0-9]{2}"
_DATE = (
    rf"[0-3]?[0-9](?P<sep>[/.\- ])[01]?[0-9](?P=sep)(?:19|20)?[0-9]{{2}}"  # 3/4/1956, 03.04.56, 5 6 1944
    rf"|(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR}|\s+'?[0-9]{{2}})?"  # 3rd (of) April (1956)
    rf"|{_MONTH}\s+(?:the\s+)?{_DAY}(?:,?\s+{_YEAR})?"  # March 5th, 1931
    rf"|(?:{_MONTH}\s+)?{_YEAR}"  # (April) 1956
)
_DATE_OF_BIRTH = re.compile(
    rf"{_START}((?:born|d\.?o\.?b\b\.?|date\s+of\s+birth|birth\s*date|birthday)(?:\s+(?:is|was|on|in)\b|\s*[:=-])*\s*)"
    rf"(?:{_DATE})(?![\w\[]|[/.-][0-9])",
    re.IGNORECASE,
)

# ---- postcodes and addresses -------------------------------------------------------------------------------

# Outward code, optional space, inward code: a digit and two letters, never C I K M O V (so "3pm" is safe), and
# not a lower-case ordinal ("ward a1 2nd bed"; "B33 8TH" in capitals counts). GIR 0AA (Girobank's) is the one
# valid postcode outside that shape.
_POSTCODE = re.compile(
    rf"{_START}(?:GIR\s*0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]?\s*(?![0-9](?-i:st|nd|rd|th)\b)[0-9][ABD-HJLNP-UW-Z]{{2}})"
    rf"{_END}",
    re.IGNORECASE,
)

_STREET_NOUN = "street|road|lane|avenue|crescent|terrace|grove|mews|boulevard|gardens|drive|close|court|square"
_STREET_SUFFIX = f"{_STREET_NOUN}|parade|st|rd|ave|ln|cres"
# A word of a street's name: not a common word, and in lower case neither a describing word nor a street word
# ("2 new road signs", "the 2 lane road"); "12 New Road" still counts.
_STREET_WORD = (
    rf"(?!(?:{'|'.join(sorted(_COMMON))})\b)"
    rf"(?!(?-i:{'|'.join(sorted(_DESCRIPTIVE))}|{_STREET_NOUN})\b)"
    r"[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?"
)
# Up to three words and a street word; "The" in capitals may stand alone ("14 The Green", not "in the close").
# Street words that are also everyday words count only when capitalised.
_STREET = (
    rf"(?:(?-i:The)\s+(?:{_STREET_WORD}\s+){{0,2}}|(?:the\s+)?(?:{_STREET_WORD}\s+){{1,3}})"
    rf"(?:{_STREET_SUFFIX}|(?-i:Place|Green|Walk|Way|View|Park|Hill|Rise|Row|Gate|Vale|Wharf|Wynd|End)){_END}"
)
_HOUSE_NUMBER = r"[0-9]{1,4}[a-z]?"
_ADDRESS = re.compile(
    rf"(?<![\w£$€.:/\]-])(?:(?:flat|apartment|apt)\s*{_HOUSE_NUMBER},?\s+)?{_HOUSE_NUMBER},?\s+{_STREET}",
    re.IGNORECASE,
)
_LIVE = rf"{_START}(?:live|lives|living|stay|staying)\s+"
_LIVE_AT = re.compile(
    rf"({_LIVE}at\s+)(?:(?:number|no\.?)\s*)?{_HOUSE_NUMBER}(?![\w\[:])|({_LIVE}(?:on|in)\s+){_STREET}", re.IGNORECASE
)


# ---- names ----------------------------------------------------------------------------------------------

StaffNames = Literal["keep", "replace"]
"""The site setting ``privacy.staff_names``: what scrub does with the names of people the writer speaks of."""
STAFF_NAMES: tuple[StaffNames, ...] = get_args(StaffNames)

_INTRODUCTION = re.compile(
    rf"{_START}(?:(?P<greeting>hi|hello|hiya|hey)\W+)?"
    r"(?:(?P<strong>my\s+(?:(?:first|full|real|sur)\s*)?name(?:['\u2019]?s|\s+is)|name\s*:|i['\u2019]?m\s+called"
    r"|i\s+am\s+called)|(?P<weak>i['\u2019]?m|i\s+am|this\s+is|it['\u2019]?s|call\s+me))\s+",
    re.IGNORECASE,
)
_STAFF_ROLE = (r"(?:nurse|sister|matron|carer|midwife|physio|physiotherapist|therapist|doctor|consultant|surgeon"
               r"|registrar|receptionist|porter|cleaner|manager|keyworker|hca|cpn|ot|rn|gp|salt)s?")
# Titles ("Ms" only as written so: "MS" is multiple sclerosis or Microsoft), and staff roles before a name
# ("nurse Kelly", "CPN Dave"), which count only before a capitalised word.
_TITLE = re.compile(
    rf"{_START}(?:(?P<title>(?:mrs|mr|mx|dr)\b\.?)|(?P<ms>(?-i:Ms|ms)\b\.?)"
    rf"|(?P<formal>(?-i:Miss|Prof|Professor|Sir|Dame)\b\.?)|(?P<role>{_STAFF_ROLE}\b))\s+",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"\s*([^\W\d_]+(?:[-'\u2019](?!s\b)[^\W\d_]+)*)(?![\w\[])")
_SAYS_WHO = frozenset({"from", "here", "speaking"})
# Past tenses and the like that follow "the dr" or "the mrs" (wife) in lower case, where a surname would.
_VERBS = _words("""
came went gave took saw made got put sent kept felt rang spoke wrote knew brought thought sat stood let ran met
found heard says gets goes makes takes gives sees rings
""")


def _could_be_name(word: str) -> bool:
    lower = word.lower()
    return lower not in _NOT_NAMES and not lower.endswith("ing")


def _could_be_lower_name(word: str) -> bool:
    """A word in lower case (or capitals) after a title or a greeting is a name unless it reads as a verb."""
    lower = word.lower()
    if lower in GIVEN_NAMES:
        return True
    return _could_be_name(word) and lower not in _VERBS and not lower.endswith(("ed", "ly"))


def _capitalised(word: str) -> bool:
    return word[0].isupper() and not word.isupper()


def _leading(words: list[str], fits: Callable[[str], bool], limit: int) -> int:
    """How many of the first ``limit`` words fit, counted from the start."""
    count = 0
    while count < min(limit, len(words)) and fits(words[count]):
        count += 1
    return count


def _lead_kind(lead: re.Match[str]) -> str:
    """Which lead-in this is: strong, weak, greeted (a greeting and a weak one), title, ms, formal or role."""
    kind = lead.lastgroup or ""
    return "greeted" if kind == "weak" and lead["greeting"] else kind


def _name_length(words: list[str], kind: str) -> int:
    """How many of ``words``, the words after an introduction or a title, are the person's name (0: none)."""
    if not words or not _could_be_name(words[0]):
        return 0
    if _capitalised(words[0]):
        count = _leading(words, lambda w: _capitalised(w) and _could_be_name(w), 3)
        return 0 if count < len(words) and words[count].lower() in _PLACES else count
    if kind == "strong":
        return _leading(words, _could_be_name, 3)
    if kind in ("title", "greeted"):
        return _leading(words, _could_be_lower_name, 2)
    if kind == "weak":
        count = _leading(words, _could_be_lower_name, 2)
        return count if count < len(words) and words[count].lower() in _SAYS_WHO else 0
    return 0  # ms, formal, role: only before a capitalised word


def _names_after(leads: re.Pattern[str], text: str) -> str:
    """Replace the name after each lead-in (an introduction or a title) with ``[name]``, keeping the lead-in."""
    parts, done, start = [], 0, 0
    while lead := leads.search(text, start):  # from the end of the last name: a lead-in may start inside it
        words, position = [], lead.end()
        while len(words) < 4 and (word := _NAME_WORD.match(text, position)):
            words.append(word)
            position = word.end()
        length = _name_length([word[1] for word in words], _lead_kind(lead))
        start = lead.end()
        if length:
            parts += [text[done:lead.end()], "[name]"]
            done = start = words[length - 1].end()
    parts.append(text[done:])
    return "".join(parts)


# ---- names without a title (privacy.staff_names = "replace", and redact_names at publication) -------------------

_TOKEN = re.compile(r"(?<![\w\[\]-])[^\W\d_]+(?:[-'\u2019](?!s\b)[^\W\d_]+)*(?![\w\[\]])")
_SENTENCE_START = re.compile(r"(?:^|[.!?\n])[\s\"'\u201c\u2018(*-]*")
# "Tumi the nurse", "Tumi, our carer", "Tumi (HCA)": a role after a capitalised word says it is a name.
_ROLE_AFTER = re.compile(
    rf"\s*,?\s*(?:(?:the|our|my|a|an|his|her|their)\s+(?:[^\W\d_]+\s+)?|\(\s*){_STAFF_ROLE}\b", re.IGNORECASE
)
_SAINT = frozenset({"st", "saint"})


def _adjacent(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    return text[left.end():right.start()].isspace()


def _is_given_name(text: str, token: re.Match[str], mid_sentence: bool) -> bool:
    """A name from the list (a word-like one only capitalised mid-sentence), or a capitalised word a role follows."""
    word = token[0]
    lower = word.lower()
    if lower in GIVEN_NAMES:
        return True
    if not (mid_sentence and _capitalised(word)):
        return False
    return lower in WORDLIKE_NAMES or (_could_be_name(word) and bool(_ROLE_AFTER.match(text, token.end())))


def _surname(first: str, word: str) -> bool:
    """Whether ``word``, right after a given name, is its surname ("Sarah Jones", "SARAH JONES")."""
    if _capitalised(word):
        return _could_be_name(word)
    return first.isupper() and word.isupper() and _could_be_lower_name(word)


def _untitled_run(text: str, tokens: list[re.Match[str]], index: int, mid_sentence: bool) -> tuple[int, bool]:
    """How many tokens from ``index`` on go together (a given name and its surname, or one other word), and whether
    they are a person's name: not when a place word follows ("Mary Seacole Ward", "Rose House"). The whole run is
    passed over either way, so a second scrub decides as the first did."""
    if index and tokens[index - 1][0].lower() in _SAINT and _adjacent(text, tokens[index - 1], tokens[index]):
        return 1, False  # St Thomas' Hospital
    if not _is_given_name(text, tokens[index], mid_sentence):
        return 1, False
    end = index + 1
    while (end < len(tokens) and end - index < 3 and _adjacent(text, tokens[end - 1], tokens[end])
           and _surname(tokens[index][0], tokens[end][0])):
        end += 1
    after = tokens[end][0].lower() if end < len(tokens) and _adjacent(text, tokens[end - 1], tokens[end]) else ""
    return end - index, after not in _PLACES


def _untitled_names(text: str) -> str:
    """Replace given names with no title before them ("Trevor", "sarah and dave") with ``[name]``."""
    tokens = list(_TOKEN.finditer(text))
    starts = {found.end() for found in _SENTENCE_START.finditer(text)}
    parts, done, index = [], 0, 0
    while index < len(tokens):
        length, is_name = _untitled_run(text, tokens, index, tokens[index].start() not in starts)
        if is_name:
            parts += [text[done:tokens[index].start()], "[name]"]
            done = tokens[index + length - 1].end()
        index += length
    parts.append(text[done:])
    return "".join(parts)


def redact_names(text: str) -> str:
    """Replace the names of people ``text`` speaks of, with a title or without, by ``[name]``, as far as the rules
    can tell: what a site with ``privacy.staff_names = "replace"`` stores, and what reports and exports publish
    when asked to redact names (comments are kept as given for the service to act on, and redacted on publication,
    as NHS trusts do with Friends and Family Test comments)."""
    return _untitled_names(_names_after(_TITLE, text))


# The rules that need a digit in the text, in order; most feedback has none, and then all of them are skipped.
_DIGIT = re.compile(r"[0-9]")
_DIGIT_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_DATE_OF_BIRTH, r"\1[date-of-birth]"),
    (_PHONE, "[phone]"),
    (_NHS_NUMBER, _nhs_number),
    (_NI_NUMBER, "[ni-number]"),
    (_POSTCODE, "[postcode]"),
    (_ADDRESS, "[address]"),
)


def scrub(text: str, staff_names: StaffNames = "keep") -> str:
    """Return ``text`` with personal details replaced by placeholders such as ``[phone]`` and ``[name]``. The writer's
    own name (an introduction) always goes; the names of people they speak of go only with ``staff_names="replace"``
    (the site setting ``privacy.staff_names``: see :func:`redact_names`)."""
    if staff_names not in STAFF_NAMES:
        raise ValueError(f"staff_names must be 'keep' or 'replace', not {staff_names!r}")
    if "@" in text:
        text = _EMAIL.sub("[email]", text)
    if "dot" in text.lower():
        text = _SPOKEN_EMAIL.sub("[email]", text)
    text = _SPOKEN_NUMBER.sub(_spoken_number, text)
    if _DIGIT.search(text):
        for pattern, replacement in _DIGIT_RULES:
            text = pattern.sub(replacement, text)
    text = _LIVE_AT.sub(lambda match: f"{match[1] or match[2]}[address]", text)
    text = _names_after(_INTRODUCTION, text)
    return redact_names(text) if staff_names == "replace" else text
