"""concerns() flags what a safeguarding lead must see, and leaves idioms and everyday complaints alone.

The corpus (tests/data/concern_cases.toml) holds the cases; every one must pass with the rules alone (the
learned second reader, which also flags some of the corpus's ordinary sentences, is tested in
test_concerns_learned.py). The language-pack tests write their own config folder, as a service would.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config_files import ConfigError
from kiosk.privacy import concerns
from kiosk.privacy.concerns import CATEGORIES, load_concern_rules
from kiosk.settings import BUILTIN_CONFIG

CASES = tomllib.loads((Path(__file__).parent / "data" / "concern_cases.toml").read_text(encoding="utf-8"))["case"]


@pytest.fixture(scope="module")
def rules_alone():
    return load_concern_rules("en", learned=False)


@pytest.mark.parametrize("case", CASES, ids=[case["text"][:40] for case in CASES])
def test_corpus_case(rules_alone, case):
    assert rules_alone.concerns(case["text"]) == sorted(case["expect"])


def test_with_the_learned_reader_every_corpus_concern_is_still_flagged_with_the_rules_categories():
    for case in CASES:
        if case["expect"]:
            assert concerns(case["text"]) == sorted(case["expect"])


def test_corpus_is_big_enough_and_covers_every_category():
    positives = [case for case in CASES if case["expect"]]
    assert len(CASES) >= 100 and len(positives) >= 50 and len(CASES) - len(positives) >= 50
    assert {category for case in positives for category in case["expect"]} == set(CATEGORIES)


@pytest.mark.parametrize("text", ["I DON'T FEEL SAFE HERE!!", "i don\u2019t feel safe here", "i do not feel safe here"])
def test_capitals_punctuation_and_curly_apostrophes_do_not_matter(text):
    assert concerns(text) == ["unsafe"]


def test_a_negation_in_another_clause_does_not_cancel():
    assert concerns("i am not happy, they hit me") == ["abuse-physical"]
    assert concerns("i dont know why they hit me") == ["abuse-physical"]


def write_pack(config: Path, language: str, text: str) -> Path:
    path = config / "languages" / language / "concerns.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_language_pack_adds_its_phrases_to_the_english_ones(tmp_path):
    write_pack(tmp_path, "xx", '[phrases]\nabuse-physical = ["zorg* @victim"]\n\n[negation]\ncues = ["nix"]\n')
    rules = load_concern_rules("xx-YY", [tmp_path, BUILTIN_CONFIG])
    assert rules.concerns("he zorgs me") == ["abuse-physical"]  # uses the English word list @victim
    assert rules.concerns("he nix zorgs me") == []
    assert rules.concerns("i want to kill myself") == ["self-harm"]
    assert load_concern_rules("en", [tmp_path, BUILTIN_CONFIG]).rule_concerns("he zorgs me") == []


def test_the_built_in_korean_and_bengali_packs_load():
    assert concerns("죽고 싶어요", "ko") == ["self-harm"]
    assert concerns("직원이 저를 안 때려요", "ko") == []
    assert concerns("আমি মরতে চাই।", "bn") == ["self-harm"]


@pytest.mark.parametrize(("text", "field", "reason"), [
    ('[phrases]\nself-harm = ["(kill myself"]\n', "phrases.self-harm[1]", "check the brackets"),
    ('[phrases]\nself-harm = ["hurt @nobodyknows"]\n', "phrases.self-harm[1]", "no word list named 'nobodyknows'"),
    ('[phrases]\nself-harm = ["bull(y|ies)"]\n', "phrases.self-harm[1]", "bracket touching a word"),
    ('[phrases]\nself-hurt = ["x"]\n', "phrases.self-hurt.[key]", "Input should be 'self-harm'"),
    ('[phrasse]\nself-harm = ["x"]\n', "phrasse", "not a known setting"),
])
def test_a_broken_pack_names_the_file_line_and_field(tmp_path, text, field, reason):
    path = write_pack(tmp_path, "xx", text)
    with pytest.raises(ConfigError) as error:
        load_concern_rules("xx", [tmp_path, BUILTIN_CONFIG])
    assert error.value.path == path and error.value.field == field and error.value.line is not None
    assert reason in str(error.value)


def test_invalid_toml_names_the_file(tmp_path):
    path = write_pack(tmp_path, "xx", "[phrases\n")
    with pytest.raises(ConfigError, match="is not valid TOML") as error:
        load_concern_rules("xx", [tmp_path, BUILTIN_CONFIG])
    assert error.value.path == path


def test_without_an_english_pack_the_kiosk_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="no English concern phrases"):
        load_concern_rules("en", [tmp_path])


@given(st.text(max_size=300), st.sampled_from(["en", "ko", "bn", "fr"]))
@settings(deadline=None)  # the first call per language loads its pack (~0.3 s)
def test_never_raises_and_only_returns_known_categories(text, language):
    found = concerns(text, language)
    assert found == sorted(set(found)) and set(found) <= set(CATEGORIES)


def test_a_sites_own_phrases_add_to_the_built_in_ones(tmp_path):
    from kiosk.privacy.concerns import load_concern_rules
    from kiosk.settings import BUILTIN_CONFIG

    folder = tmp_path / "languages" / "en"
    folder.mkdir(parents=True)
    (folder / "concerns.toml").write_text('[phrases]\nunsafe = ["the blue door"]\n')
    rules = load_concern_rules("en-GB", [tmp_path, BUILTIN_CONFIG])
    assert rules.concerns("someone keeps opening the blue door at night") == ["unsafe"]
    assert rules.concerns("a worker hit me") == ["abuse-physical"]  # the built-in phrases are still there
