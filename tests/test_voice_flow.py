"""Answering by voice in the flow (no audio here: kiosk.voice.controller feeds these calls), and the
language packs that say which words mean which answer."""

from __future__ import annotations

import pytest

from kiosk.session.flow import LISTEN_ATTEMPTS, Screen
from kiosk.session.settings import BUILTIN_CONFIG
from kiosk.voice.language_pack import load_language_pack, match
from sync.core.config_files import ConfigError
from tests.test_flow import by_question, stored


def test_a_choice_heard_and_confirmed_is_stored_as_a_voice_answer(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.listen()
    assert flow.state.screen == Screen.LISTENING and flow.state.question.id == "overall"
    flow.heard("very good", "very-good")
    assert flow.state.screen == Screen.CONFIRM_VOICE
    assert (flow.state.heard, flow.state.heard_answer) == ("Very good", "very-good")  # the answer's own words
    assert stored(store) == []  # nothing is kept before the person says yes
    flow.confirm_heard()
    assert flow.state.screen == Screen.TEXT and flow.state.follow_up  # "tell us why" as after a tap
    flow.listen()
    flow.heard("the staff are kind call me on 07700 900123")
    assert flow.state.heard == "The staff are kind call me on 07700 900123"  # shown back to the speaker only
    flow.confirm_heard()
    flow.skip()
    flow.skip()
    flow.skip()
    flow.choose("no")  # nothing about me
    [payload] = stored(store)
    overall = by_question(payload)["overall"]
    assert overall["choice"] == "very-good" and overall["status"] == "answered"
    assert overall["text"] == "The staff are kind call me on [phone]"  # scrubbed before it is stored
    assert payload["channel"] == "voice"


def test_try_again_listens_again_and_stop_gives_the_pictures_back(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.listen()
    flow.heard("poor", "poor")
    flow.try_again()
    assert flow.state.screen == Screen.LISTENING and flow.state.listen_again == ""
    flow.stop_listening()
    assert flow.state.screen == Screen.CHOICE and flow.state.chosen is None
    flow.choose("good")
    assert flow.state.screen == Screen.TEXT


def test_silence_asks_again_gently_then_returns_to_the_question(make_flow):
    flow = make_flow()
    flow.start()
    flow.listen()
    for _ in range(LISTEN_ATTEMPTS - 1):
        flow.nothing_heard()
        assert flow.state.screen == Screen.LISTENING and flow.state.listen_again == "silence"
    flow.nothing_heard()
    assert flow.state.screen == Screen.CHOICE


def test_words_that_are_not_an_answer_are_asked_again(make_flow):
    flow = make_flow()
    flow.start()
    flow.listen()
    flow.heard("banana", None)
    assert flow.state.screen == Screen.LISTENING and flow.state.listen_again == "not-understood"


def test_dictation_can_be_corrected_with_the_keyboard(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.choose("good")
    flow.listen()
    flow.heard("kind stuff")
    flow.use_keyboard()
    assert flow.state.screen == Screen.TEXT and flow.state.draft == "Kind stuff"
    flow.delete_letter()
    flow.delete_letter()
    flow.type_letter("a")
    flow.type_letter("f")
    flow.submit_text()
    assert flow.state.question.id == "listen"


def test_back_from_listening_returns_to_the_question_and_idle_still_applies(make_flow, clock):
    flow = make_flow()
    flow.start()
    flow.listen()
    flow.back()
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "overall"
    flow.listen()
    flow.heard("good", "good")
    clock.advance(61)
    flow.tick()
    assert flow.state.screen == Screen.STILL_THERE
    flow.still_here()
    assert flow.state.screen == Screen.CONFIRM_VOICE


def test_voice_calls_on_the_wrong_screen_change_nothing(make_flow):
    flow = make_flow()
    for call in (flow.listen, flow.nothing_heard, flow.confirm_heard, flow.try_again, flow.use_keyboard,
                 flow.stop_listening, lambda: flow.heard("good", "good")):
        call()
        assert flow.state.screen == Screen.ATTRACT


# -- language packs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en-GB", "en", "ko", "bn"])
def test_the_built_in_packs_load(language):
    pack = load_language_pack(language, [BUILTIN_CONFIG])
    assert pack.voice.name and pack.confirm_phrases()


def test_answers_are_heard_by_their_words_and_synonyms(config):
    pack = load_language_pack("en-GB", [BUILTIN_CONFIG])
    phrases = pack.answer_phrases(config.questions.questions[0])
    assert match("Very good!", phrases) == "very-good"
    assert match("good", phrases) == "good"
    assert match("brilliant", phrases) == "very-good"
    assert match("good good", phrases) == "good"  # grammar mode can repeat a phrase
    assert match("good very poor", phrases) is None  # two different answers: ask again
    assert match("banana", phrases) is None
    assert match("", phrases) is None
    assert match("yeah", pack.confirm_phrases()) == "yes"
    assert match("try again", pack.confirm_phrases()) == "try_again"


def test_a_broken_pack_names_its_file_line_and_field(tmp_path):
    folder = tmp_path / "languages" / "xx"
    folder.mkdir(parents=True)
    (folder / "voice.toml").write_text('[speech]\nvoice = "en"\nrate = 9000\n\n[confirm]\nyes = ["y"]\n'
                                       'try_again = ["n"]\n')
    with pytest.raises(ConfigError) as error:
        load_language_pack("xx", [tmp_path])
    assert "voice.toml" in str(error.value) and "line 3" in str(error.value) and "speech.rate" in str(error.value)


def test_a_language_with_no_pack_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no language pack for 'zz'"):
        load_language_pack("zz", [tmp_path, BUILTIN_CONFIG])


def test_words_keep_their_vowel_signs_and_lose_only_punctuation():
    from kiosk.voice.language_pack import phrase

    assert phrase("হ্যাঁ, মারে!") == "হ্যাঁ মারে"
    assert phrase("  Very good!! ") == "very good" and phrase("don't know") == "don't know"
    assert phrase("좋아요?") == "좋아요"
