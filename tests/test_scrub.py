"""scrub() against its corpus (every case exactly, with the site's staff names kept and replaced), plus properties no
corpus can cover: it never raises, scrubbing twice changes nothing (the kiosk scrubs, then the server scrubs the same
text again at ingest), and redacting names at publication gives what a site replacing them would have stored."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.core.privacy import redact_names, scrub

DATA = Path(__file__).parent / "data"
CORPUS = tomllib.loads((DATA / "scrub_cases.toml").read_text(encoding="utf-8"))["case"]
PEER = tomllib.loads((DATA / "scrub_peer.toml").read_text(encoding="utf-8"))["case"]
CASES = CORPUS + PEER
PLACEHOLDER = re.compile(r"\[(?:phone|email|postcode|nhs-number|ni-number|date-of-birth|name|address)\]")
# Pieces of feedback that sit near the rules' edges, glued together at random to look for trouble.
PIECES = [
    "my name is", "I'm", "im", "this is", "hi", "call me", "Dr", "mrs", "Sarah", "jones", "from", "flat 3",
    "born on", "DOB", "3/4/1956", "3rd April 1956", "1956", "07700 900123", "+44", "(0)", "0113", "496 0000",
    "943 476 5919", "9434765919", "QQ 12 34 56 C", "ab123456", "LS1 4AP", "ls14ap", "12", "Acacia Avenue",
    "High Street", "The Green", "I live at", "number", "jo@example.org", "at", "gmail", "dot", "com", "oh",
    "seven", "double", "nine", "room 12", "£12", "10:30", ",", ".", "[name]", "[phone]", "happy", "Rose House",
    "Trevor", "&", "and", "Tumi", "the nurse", "nurse", "Kelly", "MS", "Ms", "Teams", "CPN", "Grace", "sarah",
    "GIR 0AA", "0032698674", "KELLY", "St", "ward",
]


def case_id(case: dict) -> str:
    return f"{case['kind']}: {case['text'][:40]}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_where_staff_names_are_kept(case):
    assert scrub(case["text"]) == case.get("want", case["text"])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_where_staff_names_are_replaced(case):
    assert scrub(case["text"], staff_names="replace") == case.get("replace", case.get("want", case["text"]))


def test_the_corpus_covers_every_category():
    kinds = [case["kind"] for case in CORPUS]
    assert len(CORPUS) >= 100 and kinds.count("ordinary") >= 40
    for kind in ("phone", "email", "postcode", "nhs-number", "ni-number", "date-of-birth", "name", "address"):
        assert kinds.count(kind) >= 8, kind
        assert all(f"[{kind}]" in case["want"] for case in CASES if case["kind"] == kind)
    assert kinds.count("other-name") >= 8
    assert all("[name]" in case["replace"] and "want" not in case for case in CASES if case["kind"] == "other-name")
    assert not any("want" in case or "replace" in case for case in CASES if case["kind"] == "ordinary")


def test_a_site_setting_other_than_keep_or_replace_is_refused():
    with pytest.raises(ValueError, match=r"'keep' or 'replace'"):
        scrub("Dr Jones", staff_names="hide")  # type: ignore[arg-type]


def test_a_wrong_nhs_check_digit_is_left_alone():
    assert scrub("nhs number 943 476 5918") == "nhs number 943 476 5918"
    assert scrub("nhs number 943 476 5919") == "nhs number [nhs-number]"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12), st.sampled_from([" ", "", "  ", ", "]))
def test_scrub_is_idempotent_on_near_misses(pieces, glue):
    text = glue.join(pieces)
    once = scrub(text)
    assert scrub(once) == once
    replaced = scrub(text, staff_names="replace")
    assert scrub(replaced, staff_names="replace") == replaced and scrub(replaced) == replaced  # the server keeps
    assert redact_names(once) == replaced  # redacting at publication = replacing at the kiosk


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_scrub_never_raises_and_is_idempotent_on_any_text(text):
    for staff_names in ("keep", "replace"):
        once = scrub(text, staff_names=staff_names)
        assert isinstance(once, str) and scrub(once, staff_names=staff_names) == once
        assert PLACEHOLDER.sub("", once).count("[") <= text.count("[")  # nothing but placeholders was added
    assert redact_names(scrub(text)) == scrub(text, staff_names="replace")
