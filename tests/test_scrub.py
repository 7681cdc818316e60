"""scrub() against its corpus (every case exactly), plus properties no corpus can cover: it never raises, and
scrubbing twice changes nothing (the kiosk scrubs, then the server scrubs the same text again at ingest)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.privacy import scrub

CASES = tomllib.loads((Path(__file__).parent / "data" / "scrub_cases.toml").read_text(encoding="utf-8"))["case"]
PLACEHOLDER = re.compile(r"\[(?:phone|email|postcode|nhs-number|ni-number|date-of-birth|name|address)\]")
# Pieces of feedback that sit near the rules' edges, glued together at random to look for trouble.
PIECES = [
    "my name is", "I'm", "im", "this is", "hi", "call me", "Dr", "mrs", "Sarah", "jones", "from", "flat 3",
    "born on", "DOB", "3/4/1956", "3rd April 1956", "1956", "07700 900123", "+44", "(0)", "0113", "496 0000",
    "943 476 5919", "9434765919", "QQ 12 34 56 C", "ab123456", "LS1 4AP", "ls14ap", "12", "Acacia Avenue",
    "High Street", "The Green", "I live at", "number", "jo@example.org", "at", "gmail", "dot", "com", "oh",
    "seven", "double", "nine", "room 12", "£12", "10:30", ",", ".", "[name]", "[phone]", "happy", "Rose House",
]


def case_id(case: dict) -> str:
    return f"{case['kind']}: {case['text'][:40]}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case(case):
    assert scrub(case["text"]) == case.get("want", case["text"])


def test_the_corpus_covers_every_category():
    kinds = [case["kind"] for case in CASES]
    assert len(CASES) >= 100 and kinds.count("ordinary") >= 40
    for kind in ("phone", "email", "postcode", "nhs-number", "ni-number", "date-of-birth", "name", "address"):
        assert kinds.count(kind) >= 8, kind
        assert all(f"[{kind}]" in case["want"] for case in CASES if case["kind"] == kind)
    assert not any("want" in case for case in CASES if case["kind"] == "ordinary")


def test_a_wrong_nhs_check_digit_is_left_alone():
    assert scrub("nhs number 943 476 5918") == "nhs number 943 476 5918"
    assert scrub("nhs number 943 476 5919") == "nhs number [nhs-number]"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12), st.sampled_from([" ", "", "  ", ", "]))
def test_scrub_is_idempotent_on_near_misses(pieces, glue):
    once = scrub(glue.join(pieces))
    assert scrub(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_scrub_never_raises_and_is_idempotent_on_any_text(text):
    once = scrub(text)
    assert isinstance(once, str) and scrub(once) == once
    assert PLACEHOLDER.sub("", once).count("[") <= text.count("[")  # nothing but placeholders was added
