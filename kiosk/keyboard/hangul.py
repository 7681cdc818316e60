"""Hangul typed as on a 2-set (두벌식) keyboard: each key is one jamo and the syllable is built as the
person types (ㅎ ㅏ ㄴ → 한, then ㄱ ㅜ ㄱ → 한국; 한 + ㅏ → 하나).

Both functions work on the text itself, not on remembered key presses: typing carries on from words typed
on a physical keyboard or corrected after the recogniser heard them, and Delete takes back exactly one
jamo (한 → 하 → ㅎ → nothing), whatever happened in between.
"""

from __future__ import annotations

FIRST_SYLLABLE, SYLLABLES = 0xAC00, 11172
INITIALS = tuple("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")
VOWELS = tuple("ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ")
FINALS = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")
COMPOUND_VOWELS = {("ㅗ", "ㅏ"): "ㅘ", ("ㅗ", "ㅐ"): "ㅙ", ("ㅗ", "ㅣ"): "ㅚ", ("ㅜ", "ㅓ"): "ㅝ", ("ㅜ", "ㅔ"): "ㅞ",
                   ("ㅜ", "ㅣ"): "ㅟ", ("ㅡ", "ㅣ"): "ㅢ"}
CLUSTERS = {("ㄱ", "ㅅ"): "ㄳ", ("ㄴ", "ㅈ"): "ㄵ", ("ㄴ", "ㅎ"): "ㄶ", ("ㄹ", "ㄱ"): "ㄺ", ("ㄹ", "ㅁ"): "ㄻ",
            ("ㄹ", "ㅂ"): "ㄼ", ("ㄹ", "ㅅ"): "ㄽ", ("ㄹ", "ㅌ"): "ㄾ", ("ㄹ", "ㅍ"): "ㄿ", ("ㄹ", "ㅎ"): "ㅀ",
            ("ㅂ", "ㅅ"): "ㅄ"}
"""Final consonant clusters: the second consonant joins the first when no vowel follows."""
_VOWEL_PARTS = {joined: pair for pair, joined in COMPOUND_VOWELS.items()}
_CLUSTER_PARTS = {joined: pair for pair, joined in CLUSTERS.items()}


def syllable(initial: str, vowel: str, final: str = "") -> str:
    return chr(FIRST_SYLLABLE + (INITIALS.index(initial) * len(VOWELS) + VOWELS.index(vowel)) * len(FINALS)
               + FINALS.index(final))


def parts(char: str) -> tuple[str, str, str] | None:
    """A syllable's initial consonant, vowel and final consonant(s) ("" for none); None for anything else."""
    index = ord(char) - FIRST_SYLLABLE if len(char) == 1 else -1
    if not 0 <= index < SYLLABLES:
        return None
    return INITIALS[index // (len(VOWELS) * len(FINALS))], VOWELS[index // len(FINALS) % len(VOWELS)], \
        FINALS[index % len(FINALS)]


def typed(draft: str, key: str) -> str:
    """``draft`` after the jamo ``key`` (anything else is added as it is)."""
    head, last = draft[:-1], draft[-1:]
    block = parts(last)
    if key in VOWELS:
        if block is None:
            if last in INITIALS:  # a consonant waiting for its vowel
                return head + syllable(last, key)
            return head + COMPOUND_VOWELS.get((last, key), last + key)
        initial, vowel, final = block
        if not final:
            compound = COMPOUND_VOWELS.get((vowel, key))
            return head + syllable(initial, compound) if compound else draft + key
        kept, moved = _CLUSTER_PARTS.get(final, ("", final))  # the final moves on: 한 + ㅏ → 하나, 닭 + ㅣ → 달기
        return head + syllable(initial, vowel, kept) + syllable(moved, key)
    if block is not None and key in FINALS[1:]:
        initial, vowel, final = block
        if not final:
            return head + syllable(initial, vowel, key)
        if cluster := CLUSTERS.get((final, key)):
            return head + syllable(initial, vowel, cluster)
    return draft + key


def deleted(draft: str) -> str:
    """``draft`` with the last jamo taken back: 갃 → 각 → 가 → ㄱ, 과 → 고, 하나 → 한."""
    head, last = draft[:-1], draft[-1:]
    block = parts(last)
    if block is None:
        return head + _VOWEL_PARTS[last][0] if last in _VOWEL_PARTS else head
    initial, vowel, final = block
    if final:
        return head + syllable(initial, vowel, _CLUSTER_PARTS.get(final, ("", ""))[0])
    if vowel in _VOWEL_PARTS:
        return head + syllable(initial, _VOWEL_PARTS[vowel][0])
    return typed(head, initial)  # the consonant left may close the syllable before, as it did when typed


def jamo(text: str) -> list[str]:
    """The keys that type ``text``, one jamo each (한국 → ㅎ ㅏ ㄴ ㄱ ㅜ ㄱ); anything else as it is."""
    keys: list[str] = []
    for char in text:
        block = parts(char)
        if block is None:
            keys += _VOWEL_PARTS.get(char, (char,))
        else:
            initial, vowel, final = block
            keys += [initial, *_VOWEL_PARTS.get(vowel, (vowel,)), *_CLUSTER_PARTS.get(final, (final,) if final else ())]
    return keys
