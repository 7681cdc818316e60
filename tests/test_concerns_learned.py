"""The learned second reader (kiosk/privacy/learned.py) with the real encoder and the committed model.

The sentences below were written for this test and are in neither training file (checked). They were not
picked from a larger set. The reader has a high false-alarm rate on ordinary texts (docs/privacy.md, "Known
limits"): these tests show that it works on plain cases, not how often it is right.

The encoder loads once per session (a few seconds, most of them importing torch).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.privacy import learned
from kiosk.privacy.concerns import CATEGORIES, load_concern_rules
from kiosk.privacy.learned import MODEL_FILE, ConcernModel, LearnedReader, cases_digest
from tests.bench_scripts import bench_script
from tests.conftest import PROJECT

pytestmark = pytest.mark.skipif(not learned.available(),
                                reason="the learned extra is not installed: pip install -e '.[test]'")

DISCLOSURES = {
    "the man on nights comes into my room and touches me when i am trying to sleep": "abuse-sexual",
    "my nephew has been using my bank card without asking and now there is nothing left": "abuse-financial",
    "they leave me sitting in a wet pad for hours before anyone comes": "neglect",
    "one of the carers twisted my arm behind my back until i cried": "abuse-physical",
    "the fire exit at the end of my corridor has been chained shut for weeks": "unsafe",  # the rules miss this one
}
ORDINARY = [
    "the gardens are lovely in the spring and i like sitting by the pond",
    "could we have more choice of cereal at breakfast",
    "the new activities coordinator runs a brilliant quiz on fridays",
    "my room gets a lot of sun in the afternoon which i enjoy",
    "the physio has really helped me get my confidence back",
]


def training_module():
    return bench_script("train_concerns")


@pytest.fixture(scope="session")
def reader() -> LearnedReader:
    english = LearnedReader("en")
    assert english.warm_up(), "the encoder should load when the extra is installed"
    return english


@pytest.fixture(scope="module")
def rules():
    return load_concern_rules("en")


def test_the_test_sentences_are_not_training_data():
    texts = {case["text"].casefold() for path in training_module().TRAINING
             for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]}
    assert not {text.casefold() for text in [*DISCLOSURES, *ORDINARY]} & texts


@pytest.mark.parametrize(("text", "category"), DISCLOSURES.items())
def test_a_clear_disclosure_is_flagged_by_the_learned_reader_alone(reader, rules, text, category):
    assert reader.concerns(text) == [category]
    assert rules.concerns(text)


def test_the_learned_reader_adds_its_category_only_when_the_rules_find_nothing(reader, rules):
    missed = "the fire exit at the end of my corridor has been chained shut for weeks"
    assert rules.rule_concerns(missed) == [] and rules.concerns(missed) == ["unsafe"]
    both = "i am frightened of the new resident, he grabs me in the corridor"
    assert rules.concerns(both) == rules.rule_concerns(both) == ["abuse-physical", "unsafe"]  # the rules' own


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_feedback_is_not_flagged(reader, rules, text):
    assert reader.concerns(text) == []
    assert rules.concerns(text) == []


def test_other_languages_get_nothing_from_the_learned_reader(reader):
    assert LearnedReader("ko").concerns("one of the carers twisted my arm behind my back") == []
    assert LearnedReader("ko").probability("they hit me") is None
    assert load_concern_rules("ko").learned is None
    for text in ["직원들이 친절하고 잘 들어줘요.", "খাবার আরও ভালো হতে পারে।"]:  # typed on an English kiosk
        assert reader.concerns(text) == [] and reader.probability(text) is None
    assert load_concern_rules("en-GB").learned is not None


def test_the_model_file_is_sound():
    model = ConcernModel.load()
    assert set(model.categories) == set(CATEGORIES) and model.dimensions == 384
    assert model.about["encoder"]["normalised"] and 0 < model.threshold < 1


def test_the_model_was_trained_on_the_current_training_files():
    """Someone who edits a training file is told to retrain."""
    recorded = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["training_data"]
    for path, entry in zip(training_module().TRAINING, recorded, strict=True):
        cases = tomllib.loads(path.read_text(encoding="utf-8"))["case"]
        assert entry["file"] == str(path.relative_to(PROJECT))
        assert entry["sha256"] == cases_digest(cases), (
            f"{entry['file']} changed since the learned concern model was trained: "
            f"run .venv/bin/python bench/train_concerns.py and commit kiosk/privacy/concern_model.json")


@pytest.mark.slow  # about 10 s: the whole cross-validation grid again
def test_training_again_gives_the_committed_model(reader):
    """bench/train_concerns.py, run now on the same files, gives the same C, threshold and weights."""
    train = training_module()
    trained = train.train(encoder=reader.encoder)
    assert train.same_model(trained, json.loads(MODEL_FILE.read_text(encoding="utf-8"))) == []


def test_without_the_extra_the_rules_read_alone(monkeypatch, caplog):
    for name in learned.NEEDS:
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    monkeypatch.setattr(learned, "SHARED_ENCODER", learned.Encoder())  # as in a fresh process
    learned._warn_missing.cache_clear()
    assert not learned.available()
    with caplog.at_level(logging.WARNING, logger="kiosk.privacy.learned"):
        english = load_concern_rules("en")
        load_concern_rules("en-GB")
    assert english.learned is None
    assert english.concerns("a worker hit me") == ["abuse-physical"]
    assert english.concerns("the fire exit at the end of my corridor has been chained shut for weeks") == []
    assert [record.message for record in caplog.records].count(
        "learned concern reader not installed (pip install 'feedback-kiosk[learned]'); "
        "reading concerns by the rules alone") == 1
    learned._warn_missing.cache_clear()


def test_an_encoder_that_cannot_load_leaves_the_rules_working(monkeypatch, caplog, rules):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    broken = LearnedReader("en", encoder=learned.Encoder())
    text = "the fire exit at the end of my corridor has been chained shut for weeks"
    with caplog.at_level(logging.WARNING, logger="kiosk.privacy.learned"):
        assert broken.concerns(text) == [] and broken.concerns(text) == []
        assert not broken.warm_up()
    assert len(caplog.records) == 1 and "rules alone" in caplog.records[0].message
    assert all("fire exit" not in record.getMessage() for record in caplog.records)  # never the words
    with_broken = dataclasses.replace(rules, learned=broken)
    assert with_broken.concerns("a worker hit me") == ["abuse-physical"] and with_broken.concerns(text) == []


def test_the_text_is_never_logged(reader, caplog):
    marker = "zebra quilt marker twisted my arm"
    with caplog.at_level(logging.DEBUG):
        reader.concerns(marker)
        LearnedReader("en", encoder=reader.encoder).concerns(marker)
    assert all("zebra" not in record.getMessage() for record in caplog.records)


def test_the_model_file_is_shipped_with_the_package():
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "privacy/concern_model.json" in pyproject["tool"]["setuptools"]["package-data"]["kiosk"]
    assert Path(learned.__file__).with_name("concern_model.json") == MODEL_FILE


def test_a_kiosk_reads_by_the_rules_alone_unless_its_settings_ask_for_the_learned_reader():
    from kiosk.settings import load_config

    config = load_config()
    assert config.settings.privacy.learned_concerns is False  # its false alarms are a choice for a safeguarding lead
    assert load_concern_rules("en", config.config_dirs, learned=False).learned is None
