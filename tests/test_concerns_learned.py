"""The learned second reader (sync/core/privacy/learned.py) with the real static encoder and the committed model.

The sentences in DISCLOSURES and ORDINARY were written for this test and are in no training file (checked).
They were not picked from a larger set. SHORT_ANSWERS and REAL_CONCERNS are real comments quoted in issue 20:
the first must never flag, the second must stay found; the short answers are in the check part of
realstyle_dev.toml, never trained on. These tests show that the reader works on plain cases, not how often it
is right: for that, docs/privacy.md ("Known limits") and bench/bench_concerns.py.

The encoder is part of every install (numpy and ``tokenizers``, no torch) and loads in a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sync.core.privacy import learned
from sync.core.privacy.concerns import CATEGORIES, load_concern_rules
from sync.core.privacy.learned import MODEL_FILE, ConcernModel, LearnedReader, cases_digest, encoder_digest
from tests.bench_scripts import bench_script
from tests.conftest import PROJECT
from tests.real_comments import SHORT_ANSWERS

DISCLOSURES = {
    "the man on nights comes into my room and touches me when i am trying to sleep": "abuse-sexual",
    "my nephew has been using my bank card without asking and now there is nothing left": "abuse-financial",
    "they leave me sitting in a wet pad for hours before anyone comes": "neglect",
    "one of the carers twisted my arm behind my back until i cried": "abuse-physical",
    "the fire exit at the end of my corridor has been chained shut for weeks": "unsafe",  # the rules miss this one
}
REAL_CONCERNS = [
    "My husband was left to fall out of his bed and fracture his hip",
    "I was left on the toilet once for a very long time",
    "I felt very bullied by the male CPN, he was intimidating and I felt vulnerable and trapped",
    "it made me want to self-harm",
]
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
    assert english.warm_up(), "the static encoder should load in every install"
    return english


@pytest.fixture(scope="module")
def rules():
    return load_concern_rules("en")


def test_the_test_sentences_are_not_training_data():
    texts = {case["text"].casefold() for _, _, cases in training_module().training_sets() for case in cases}
    assert not {text.casefold() for text in [*DISCLOSURES, *ORDINARY, *SHORT_ANSWERS, *REAL_CONCERNS]} & texts


def test_the_issues_short_answers_are_kept_for_checking():
    """The real short answers that today's readers flagged are in realstyle_dev.toml's check part."""
    train = training_module()
    every = {case["text"].casefold() for case in train.load_cases(train.REALSTYLE)}
    checked = {case["text"].casefold() for case in train.realstyle_split()[1]}
    quoted = {text.casefold() for text in train.SHORT_ANSWERS} & every
    assert len(quoted) == 4 and quoted <= checked


@pytest.mark.parametrize("text", SHORT_ANSWERS)
def test_a_short_everyday_answer_is_never_flagged_by_the_learned_reader(reader, text):
    assert reader.concerns(text) == []
    assert reader.probability(text) < reader.model.threshold / 2  # not a near miss either


@pytest.mark.parametrize("text", REAL_CONCERNS)
def test_a_real_concern_stays_found_with_the_learned_reader_on(reader, rules, text):
    assert rules.concerns(text)


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
    assert set(model.categories) == set(CATEGORIES) and model.dimensions == 256
    assert model.about["encoder"]["normalised"] and 0 < model.threshold < 1
    assert model.about["by_author"]["ordinary_real_style_flagged"] <= training_module().ORDINARY_CAP


def test_the_model_was_trained_on_the_shipped_encoder():
    """Someone who distils the encoder again (bench/distill_encoder.py) is told to retrain."""
    assert ConcernModel.load().about["encoder"]["sha256"] == encoder_digest(), (
        "sync/core/privacy/encoder/ changed since the learned concern model was trained: "
        "run .venv/bin/python bench/train_concerns.py and commit sync/core/privacy/concern_model.json")


def test_the_model_was_trained_on_the_current_training_files():
    """Someone who edits a training file is told to retrain."""
    recorded = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["training_data"]
    for (group, path, cases), entry in zip(training_module().training_sets(), recorded, strict=True):
        assert (entry["group"], entry["file"]) == (group, str(path.relative_to(PROJECT)))
        assert entry["sha256"] == cases_digest(cases), (
            f"{entry['group']} changed since the learned concern model was trained: "
            f"run .venv/bin/python bench/train_concerns.py and commit sync/core/privacy/concern_model.json")


@pytest.mark.slow  # about 2 minutes on one core: the whole grid again
def test_training_again_gives_the_committed_model(reader):
    """bench/train_concerns.py, run now on the same files, gives the same C, threshold and weights."""
    train = training_module()
    trained = train.train(encoder=reader.encoder)
    assert train.same_model(trained, json.loads(MODEL_FILE.read_text(encoding="utf-8"))) == []


def test_without_tokenizers_the_rules_read_alone(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "tokenizers", None)  # import fails as if not installed
    monkeypatch.setattr(learned, "STATIC_ENCODER", learned.StaticEncoder())  # as in a fresh process
    with caplog.at_level(logging.WARNING, logger="sync.core.privacy.learned"):
        english = load_concern_rules("en")
        assert english.concerns("a worker hit me") == ["abuse-physical"]
        missed = "the fire exit at the end of my corridor has been chained shut for weeks"
        assert english.concerns(missed) == [] and english.concerns(missed) == []
        english.warm_up()
    assert len(caplog.records) == 1 and "rules alone" in caplog.records[0].message


def test_an_encoder_that_cannot_load_leaves_the_rules_working(tmp_path, caplog, rules):
    broken = LearnedReader("en", encoder=learned.StaticEncoder(tmp_path))  # no files there
    text = "the fire exit at the end of my corridor has been chained shut for weeks"
    with caplog.at_level(logging.WARNING, logger="sync.core.privacy.learned"):
        assert broken.concerns(text) == [] and broken.concerns(text) == []
        assert not broken.warm_up()
    assert len(caplog.records) == 1 and "rules alone" in caplog.records[0].message
    assert all("fire exit" not in record.getMessage() for record in caplog.records)  # never the words
    with_broken = dataclasses.replace(rules, learned=broken)
    assert with_broken.concerns("a worker hit me") == ["abuse-physical"] and with_broken.concerns(text) == []


def test_a_table_of_the_wrong_shape_is_refused(tmp_path, caplog):
    for name in (learned.STATIC_TOKENIZER,):
        (tmp_path / name).write_bytes((learned.ENCODER_DIR / name).read_bytes())
    np.save(tmp_path / learned.STATIC_VECTORS, np.zeros((3, 256), dtype=np.int8))
    with caplog.at_level(logging.WARNING, logger="sync.core.privacy.learned"):
        assert learned.StaticEncoder(tmp_path).embed(["hello"]) is None
    assert "not one row per word piece" in caplog.text


def test_the_kiosk_reads_with_the_learned_reader_without_importing_torch():
    code = ("import sys; from sync.core.privacy.concerns import load_concern_rules; "
            "rules = load_concern_rules('en'); rules.warm_up(); "
            "print(rules.concerns('the fire exit at the end of my corridor has been chained shut for weeks')); "
            "print(sorted(name for name in ('torch', 'sentence_transformers', 'transformers', 'sklearn') "
            "if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True,
                          timeout=60)
    assert done.stdout.splitlines() == ["['unsafe']", "[]"]


def test_the_text_is_never_logged(reader, caplog):
    marker = "zebra quilt marker twisted my arm"
    with caplog.at_level(logging.DEBUG):
        reader.concerns(marker)
        LearnedReader("en", encoder=reader.encoder).concerns(marker)
    assert all("zebra" not in record.getMessage() for record in caplog.records)


def test_the_model_and_encoder_files_are_shipped_with_the_package():
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = pyproject["tool"]["setuptools"]["package-data"]["sync"]
    assert {"core/privacy/concern_model.json", "core/privacy/encoder/*"} <= set(shipped)
    assert Path(learned.__file__).with_name("concern_model.json") == MODEL_FILE
    assert {path.name for path in learned.ENCODER_DIR.iterdir()} >= {
        learned.STATIC_VECTORS, learned.STATIC_TOKENIZER, "README.md", "LICENSE-Apache-2.0"}
    assert any(requirement.startswith("tokenizers") for requirement in pyproject["project"]["dependencies"])


def test_an_english_kiosk_reads_with_the_learned_reader_by_default():
    from kiosk.session.settings import load_config

    config = load_config()
    assert config.settings.privacy.learned_concerns is True  # it flags about 1 in 100 ordinary real-style comments
    assert load_concern_rules("en", config.config_dirs).learned is not None
    assert load_concern_rules("en", config.config_dirs, learned=False).learned is None
