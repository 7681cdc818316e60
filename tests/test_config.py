"""Config files: a care worker's typo must give one line naming the file, the line and the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.session.settings import BUILTIN_CONFIG, load_config
from sync.core.config_files import ConfigError
from sync.core.questions import Question, QuestionSet
from tests.conftest import PROJECT

DEFAULT_SET = (BUILTIN_CONFIG / "questions" / "default.toml").read_text()


def config_dir(tmp_path: Path, kiosk_toml: str | None = None, questions: str | None = None) -> Path:
    folder = tmp_path / "my-config"
    (folder / "questions").mkdir(parents=True)
    if questions is not None:  # a changed copy of the standard set, asked instead of the built-in Easy Read set
        (folder / "questions" / "default.toml").write_text(questions)
        kiosk_toml = 'question_set = "default"\n' + (kiosk_toml or "")
    if kiosk_toml is not None:
        (folder / "kiosk.toml").write_text(kiosk_toml)
    return folder


def line_number(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def expect_error(folder: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    return caught.value


def test_built_in_defaults_load():
    config = load_config()
    assert config.questions.id == "easy-read"  # a new kiosk asks in Easy Read words
    assert [q.id for q in config.questions.questions] == ["overall", "listen", "matters", "working", "not-working",
                                                          "about-you", "about-age", "about-who"]
    assert [q.about_you for q in config.questions.questions] == [False] * 5 + [True] * 3
    assert [(a.id, a.text) for a in config.questions.questions[0].answers] == [
        ("very-good", "Very good"), ("good", "Good"), ("neither", "OK"), ("poor", "Bad"), ("very-poor", "Very bad"),
        ("dont-know", "I don't know")]
    assert config.settings.idle.half_finished == "keep"


def test_the_standard_wording_is_one_line_away(config):
    assert config.questions.id == "default"  # question_set = "default" (tests/data/standard-set-config)
    assert [q.id for q in config.questions.questions] == ["overall", "listen", "working", "not-working", "about-you",
                                                          "about-age", "about-who"]
    assert [a.text for a in config.questions.questions[0].answers] == [
        "Very good", "Good", "Neither good nor poor", "Poor", "Very poor", "Don't know"]


def test_every_shipped_question_set_loads(tmp_path):
    for path in (BUILTIN_CONFIG / "questions").glob("*.toml"):
        folder = config_dir(tmp_path / path.stem, f'question_set = "{path.stem}"\n')
        assert load_config(folder).questions.id == path.stem


def test_a_partial_kiosk_toml_changes_only_what_it_names(tmp_path):
    folder = config_dir(tmp_path, "[idle]\nhalf_finished = \"discard\"\n")
    settings = load_config(folder).settings
    assert settings.idle.half_finished == "discard"
    assert settings.idle.countdown_seconds == 20 and settings.sessions.min_seconds_between == 4


def test_wrong_type_names_file_line_and_field(tmp_path):
    text = "language = \"en-GB\"\n\n[idle]\ncountdown_seconds = \"ten\"\n"
    error = expect_error(config_dir(tmp_path, text))
    assert error.path.name == "kiosk.toml" and error.line == 4 and error.field == "idle.countdown_seconds"
    assert "my-config/kiosk.toml, line 4, field idle.countdown_seconds:" in str(error)


def test_misspelt_setting_is_not_silently_ignored(tmp_path):
    error = expect_error(config_dir(tmp_path, "[sessions]\nthank_you_secs = 5\n"))
    assert (error.line, error.field) == (2, "sessions.thank_you_secs")
    assert "not a known setting" in error.reason


def test_bad_choice_of_policy(tmp_path):
    error = expect_error(config_dir(tmp_path, "[idle]\nhalf_finished = \"forget\"\n"))
    assert (error.line, error.field) == (2, "idle.half_finished")
    assert "'keep' or 'discard'" in error.reason


def test_staff_names_are_kept_unless_the_site_replaces_them(tmp_path):
    assert load_config().settings.privacy.staff_names == "keep"
    replaced = load_config(config_dir(tmp_path, "[privacy]\nstaff_names = \"replace\"\n")).settings.privacy
    assert replaced.staff_names == "replace" and replaced.keep_sent_days == 90
    error = expect_error(config_dir(tmp_path / "typo", "[privacy]\nstaff_names = \"hide\"\n"))
    assert (error.line, error.field) == (2, "privacy.staff_names")
    assert "'keep' or 'replace'" in error.reason


def test_toml_syntax_error_gives_the_line(tmp_path):
    error = expect_error(config_dir(tmp_path, "language = \"en-GB\"\n[idle\ncountdown_seconds = 3\n"))
    assert error.line == 2 and "not valid TOML" in str(error)


def test_unknown_question_set_points_at_the_setting(tmp_path):
    error = expect_error(config_dir(tmp_path, "\n\nquestion_set = \"nonesuch\"\n"))
    assert (error.path.name, error.line, error.field) == ("kiosk.toml", 3, "question_set")


def test_missing_picture_points_at_its_line(tmp_path):
    broken = DEFAULT_SET.replace('picture = "face-sad"', 'picture = "face-saad"')
    error = expect_error(config_dir(tmp_path, questions=broken))
    assert error.path.name == "default.toml"
    assert error.line == line_number(broken, "face-saad")
    assert error.field == "questions[1].answers[4].picture"
    assert "no picture named 'face-saad'" in error.reason


def test_a_picture_outside_the_picture_folders_is_refused(tmp_path):
    """An absolute path (security review, finding 6) names a file anywhere on the kiosk: only names inside the
    picture folders count, even for a picture that exists."""
    outside = tmp_path / "elsewhere" / "face-sad.png"
    outside.parent.mkdir()
    outside.write_bytes((PROJECT / "assets" / "pictures" / "face-sad.png").read_bytes())
    for name in (str(outside.with_suffix("")), str(outside)):
        broken = DEFAULT_SET.replace('picture = "face-sad"', f'picture = "{name}"')
        error = expect_error(config_dir(tmp_path / str(len(name)), questions=broken))
        assert error.field == "questions[1].answers[4].picture" and "no picture named" in error.reason


def test_duplicate_answer_id_points_at_the_second_one(tmp_path):
    broken = DEFAULT_SET.replace('id = "poor"', 'id = "good"')
    error = expect_error(config_dir(tmp_path, questions=broken))
    assert error.line == line_number(broken, 'id = "good"', occurrence=2)
    assert error.field == "questions[1].answers[4].id" and "used twice" in error.reason


def test_missing_required_field_points_at_its_block(tmp_path):
    broken = DEFAULT_SET.replace('text = "What is working? What is the best thing that has happened?"\n', "")
    error = expect_error(config_dir(tmp_path, questions=broken))
    assert error.field == "questions[3].text" and "required" in error.reason
    assert error.line == line_number(broken, "[[questions]]", occurrence=3)


FORMULA_WORDS = [  # (what the set says, what a manager changed it to, the field named)
    ('text = "Overall, how was your experience of our service?"',
     'text = "=HYPERLINK(\\"http://evil.example/q\\",\\"q\\")"', "questions[1].text"),
    ('spoken = "Overall, how was your experience of our service? Touch a picture."', 'spoken = "  +Overall"',
     "questions[1].spoken"),
    ('follow_up = "Tell us why"', 'follow_up = "@Tell us why"', "questions[1].follow_up"),
    ('follow_up_spoken = "Tell us why. You can type, or touch skip."', 'follow_up_spoken = "\\t-Tell us why"',
     "questions[1].follow_up_spoken"),
    ('text = "Very good"', 'text = "\\u0001=SUM(1)"', "questions[1].answers[1].text"),
    ('spoken = "I don\'t know"', 'spoken = "-I don\'t know"', "questions[1].answers[6].spoken"),
    ('translations.bn = { text = "খুব ভালো" }', 'translations.bn = { text = "=খুব ভালো" }',
     "questions[1].answers[1].translations.bn.text"),
]


@pytest.mark.parametrize(("written", "changed", "field"), FORMULA_WORDS, ids=[case[2] for case in FORMULA_WORDS])
def test_words_that_start_like_a_spreadsheet_formula_are_refused(tmp_path, written, changed, field):
    """Question and answer words are copied into every export; a spreadsheet must never run them."""
    assert written in DEFAULT_SET
    broken = DEFAULT_SET.replace(written, changed, 1)
    error = expect_error(config_dir(tmp_path, questions=broken))
    assert (error.path.name, error.line, error.field) == ("default.toml", line_number(broken, changed), field)
    assert error.reason.startswith("must not start with =, +, - or @")


def test_choice_question_needs_answers(tmp_path):
    broken = DEFAULT_SET.replace('id = "listen"\nkind = "choice"', 'id = "listen"\nkind = "choice"\nfollow_up = "Why?"')
    broken = broken[: broken.index('id = "yes"') - len("  [[questions.answers]]\n  ")] + "\n"
    error = expect_error(config_dir(tmp_path, questions=broken))
    assert error.field == "questions[2]" and "between 2 and 6 answers" in error.reason
    assert error.line == line_number(broken, "[[questions]]", occurrence=2)


def test_not_utf8_is_reported_not_crashed(tmp_path):
    folder = config_dir(tmp_path)
    (folder / "kiosk.toml").write_bytes(b"language = \"\xff\xfe\"\n")
    assert "not UTF-8" in str(expect_error(folder))


def test_kiosk_refuses_to_start_with_broken_config(tmp_path, kiosk_env):
    folder = config_dir(tmp_path, "[idle]\ncountdown_seconds = -1\n")
    result = subprocess.run([sys.executable, "-m", "kiosk", "run", "--config", str(folder), "--data",
                             str(tmp_path / "data")], capture_output=True, text=True, env=kiosk_env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {folder}/kiosk.toml, line 2, field idle.countdown_seconds: Input should be greater than or equal to 1"
    ]
    assert not (tmp_path / "data").exists()  # nothing was started or created


def test_kiosk_refuses_to_start_with_a_broken_site_concerns_file(tmp_path, kiosk_env):
    """A site may add its own safeguarding phrases; a mistake there must stop the kiosk, not the first
    person whose words it should have caught."""
    folder = config_dir(tmp_path)
    (folder / "languages" / "en").mkdir(parents=True)
    (folder / "languages" / "en" / "concerns.toml").write_text("[phrases]\nself-harm = 7\n")
    result = subprocess.run([sys.executable, "-m", "kiosk", "run", "--config", str(folder), "--data",
                             str(tmp_path / "data")], capture_output=True, text=True, env=kiosk_env, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {folder}/languages/en/concerns.toml, line 2") and "self-harm" in line
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(("change", "reason"), [
    ({"kind": "text", "answers": ()}, "an about_you question must be a choice question"),
    ({"follow_up": "Tell us why"}, "an about_you question must be a choice question without a follow_up"),
])
def test_an_about_you_question_may_only_be_a_plain_choice(config, change, reason):
    question = config.questions.questions[-1].model_dump() | change
    with pytest.raises(ValueError, match=reason):
        Question.model_validate(question)


def test_about_you_questions_must_come_last(config):
    questions = list(config.questions.questions)
    with pytest.raises(ValueError, match="must come after all the other questions"):
        QuestionSet.model_validate(config.questions.model_dump() | {"questions": [questions[-1], *questions[:-1]]})


def test_a_help_contact_with_a_missing_picture_points_at_its_line(tmp_path):
    kiosk_toml = ('[[help.site_contacts]]\nname = "Advocate"\nphone = "020 7946 0000"\n'
                  'picture = "no-such-picture"\n')
    error = expect_error(config_dir(tmp_path, kiosk_toml))
    assert (error.path.name, error.line, error.field) == ("kiosk.toml", 4, "help.site_contacts[1].picture")
    assert "no picture named 'no-such-picture'" in error.reason
