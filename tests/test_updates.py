"""Question sets and "You said, we did" from the server: checked before use, applied between sessions."""

from __future__ import annotations

import json

from kiosk.session.flow import Screen
from kiosk.session.settings import BUILTIN_CONFIG
from kiosk.session.updates import load_question_set_update, load_you_said_we_did, save_updates, words_in
from sync.core.protocol import QuestionSetText, Translation, Updates, YouSaidWeDid

FEELINGS = (BUILTIN_CONFIG / "questions" / "feelings.toml").read_text()


BENGALI = Translation(said="বাগানটা অগোছালো", did="আমরা ফুল লাগিয়েছি")
KOREAN = Translation(said="정원이 지저분해요", did="꽃을 심었어요")


def updates(toml: str | None, version: str = "v1") -> Updates:
    question_set = QuestionSetText(id="feelings", version=1, toml=toml) if toml is not None else None
    item = YouSaidWeDid(id=1, said="The garden is messy", did="We planted flowers", picture="heart", date="2026-11-01")
    return Updates(version=version, site="Rose House", question_set=question_set, you_said_we_did=[item])


def translated(*items: YouSaidWeDid) -> Updates:
    return Updates(version="v1", site="Rose House", you_said_we_did=list(items))


GARDEN = YouSaidWeDid(id=1, said="The garden is messy", did="We planted flowers", picture="heart", date="2026-11-01",
                      translations={"bn": BENGALI, "ko": KOREAN})
LIFT = YouSaidWeDid(id=2, said="The lift is broken", did="We mended it", date="2026-11-02")


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


def test_translations_travel_in_the_updates_and_are_kept_by_the_kiosk(tmp_path, config):
    sent = translated(GARDEN, LIFT)
    assert Updates.model_validate_json(sent.model_dump_json()) == sent
    save_updates(tmp_path, sent, config.picture_dirs)
    assert load_you_said_we_did(tmp_path) == [GARDEN, LIFT]


def test_updates_from_a_server_without_translations_still_load(tmp_path, config):
    older = {"version": "v1", "site": "Rose House", "you_said_we_did": [
        {"id": 2, "said": "The lift is broken", "did": "We mended it", "picture": "", "date": "2026-11-02"}]}
    received = Updates.model_validate(older)
    assert received.you_said_we_did == [LIFT] and LIFT.translations == {}
    (tmp_path / "updates").mkdir()
    (tmp_path / "updates" / "you_said_we_did.json").write_text(json.dumps(older["you_said_we_did"]))
    assert load_you_said_we_did(tmp_path) == [LIFT]  # a file kept before translations existed


def test_an_item_is_in_the_persons_language_or_left_out():
    assert words_in(GARDEN, "bn") == BENGALI
    assert words_in(GARDEN, "bn-BD") == BENGALI  # by base language, as question sets are
    assert words_in(GARDEN, "ko") == KOREAN
    assert words_in(GARDEN, "en-GB") == Translation(said="The garden is messy", did="We planted flowers")
    assert words_in(LIFT, "en") == Translation(said="The lift is broken", did="We mended it")
    assert words_in(LIFT, "bn") is None and words_in(LIFT, "ko") is None  # never English on a Bengali screen
    regional = GARDEN.model_copy(update={"translations": {"bn-BD": BENGALI}})
    assert words_in(regional, "bn") == BENGALI and words_in(regional, "ko") is None
