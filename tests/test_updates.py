"""Question sets and "You said, we did" from the server: checked before use, applied between sessions."""

from __future__ import annotations

from kiosk.flow import Screen
from kiosk.settings import BUILTIN_CONFIG
from kiosk.updates import load_question_set_update, load_you_said_we_did, save_updates
from sync.protocol import QuestionSetText, Updates, YouSaidWeDid

FEELINGS = (BUILTIN_CONFIG / "questions" / "feelings.toml").read_text()


def updates(toml: str | None, version: str = "v1") -> Updates:
    question_set = QuestionSetText(id="feelings", version=1, toml=toml) if toml is not None else None
    item = YouSaidWeDid(id=1, said="The garden is messy", did="We planted flowers", picture="heart", date="2026-11-01")
    return Updates(version=version, site="Rose House", question_set=question_set, you_said_we_did=[item])


def test_a_good_set_is_kept_and_loaded(tmp_path, config):
    assert save_updates(tmp_path, updates(FEELINGS), config.picture_dirs) is None
    loaded = load_question_set_update(tmp_path, config.picture_dirs)
    assert loaded is not None and loaded.id == "feelings"
    assert [i.did for i in load_you_said_we_did(tmp_path)] == ["We planted flowers"]


def test_a_bad_set_is_refused_with_a_reason_and_the_last_good_one_stays(tmp_path, config):
    save_updates(tmp_path, updates(FEELINGS), config.picture_dirs)
    broken = FEELINGS.replace('picture = "face-sad"', 'picture = "no-such-picture"')
    reason = save_updates(tmp_path, updates(broken, "v2"), config.picture_dirs)
    assert reason is not None and "no picture named 'no-such-picture'" in reason and "line" in reason
    assert load_question_set_update(tmp_path, config.picture_dirs).id == "feelings"
    assert not list((tmp_path / "updates").glob("*candidate*"))


def test_nothing_sent_means_the_config_set_is_used(tmp_path, config):
    save_updates(tmp_path, updates(None), config.picture_dirs)
    assert load_question_set_update(tmp_path, config.picture_dirs) is None


def test_a_new_set_is_never_applied_in_the_middle_of_a_session(tmp_path, config, make_flow):
    save_updates(tmp_path, updates(FEELINGS), config.picture_dirs)
    feelings = load_question_set_update(tmp_path, config.picture_dirs)
    flow = make_flow()
    flow.start()
    assert flow.replace_questions(feelings) is False
    assert flow.state.question.id == "overall"
    flow.start_again()
    assert flow.state.screen == Screen.ATTRACT and flow.replace_questions(feelings) is True
    flow.start()
    assert flow.state.question.id == "feel-today" and flow.state.total == 1
