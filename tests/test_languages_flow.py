"""A person chooses their language and settings for their own session: the real default questions in
Bengali and Korean, a real SQLite store, and the flow forgets the choices when the session ends."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from kiosk.session.flow import Personal, Screen
from kiosk.session.settings import BUILTIN_CONFIG, load_config
from sync.core.questions import load_question_set


def stored(store) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(row[0]) for row in store.db.execute("SELECT payload FROM responses ORDER BY seq")]


def test_every_shipped_question_set_is_complete_in_every_shipped_language(caplog):
    config = load_config()
    for path in (BUILTIN_CONFIG / "questions").glob("*.toml"):
        qset = load_question_set(path, config.picture_dirs)
        for language in config.settings.offered:
            localised, gaps = qset.in_language(language)
            assert gaps.missing == [], f"{path.name} in {language}"
            for question, own in zip(localised.questions, qset.questions, strict=True):
                assert question.id == own.id and question.picture == own.picture
                assert question.say and all(answer.say for answer in question.answers)
                if not language.startswith("en"):
                    assert question.text != own.text, f"{path.name}: {question.id} is not translated into {language}"


def test_a_missing_translation_shows_the_sets_own_words_with_a_warning(tmp_path: Path, make_flow, caplog):
    source = (BUILTIN_CONFIG / "questions" / "feelings.toml").read_text()
    partial = source.replace('  translations.bn = { text = "খুব খুশি" }\n', "")
    assert partial != source, "the feelings set should translate Very happy into Bengali"
    (tmp_path / "feelings.toml").write_text(partial)
    qset = load_question_set(tmp_path / "feelings.toml", load_config().picture_dirs)
    flow = make_flow()
    flow.replace_questions(qset)
    flow.open_languages()
    flow.set_language("bn")
    with caplog.at_level(logging.WARNING, logger="kiosk.session.flow"):
        flow.start()
    texts = [answer.text for answer in flow.state.question.answers]
    assert texts[0] == "Very happy" and texts[1] != "Happy"
    assert "not translated into bn" in caplog.text and "very-happy: text" in caplog.text


def test_a_session_in_bengali_is_asked_in_bengali_and_stored_with_the_sets_own_words(make_flow, store, clock):
    flow = make_flow()
    assert flow.languages == ("en-GB", "bn", "ko")
    flow.open_languages()
    assert flow.state.screen == Screen.LANGUAGE
    flow.set_language("bn")
    assert flow.state.screen == Screen.ATTRACT and flow.state.personal.language == "bn"
    flow.start()
    assert flow.state.question.text.startswith("সব মিলিয়ে")
    flow.choose("good")
    flow.skip()
    flow.choose("yes")
    flow.skip()
    flow.skip()
    assert flow.state.question.text.startswith("আপনার সম্পর্কে")  # "About you", in Bengali too
    flow.choose("no")
    assert flow.state.screen == Screen.THANK_YOU and flow.state.personal.language == "bn"
    flow.finish()
    assert flow.state.personal == Personal("en-GB"), "the next person starts in the kiosk's own language"
    (payload,) = stored(store)
    assert payload["language"] == "bn"
    overall = next(a for a in payload["answers"] if a["question"] == "overall")
    assert overall["choice"] == "good" and overall["choice_text"] == "Good"
    assert overall["question_text"].startswith("Overall")


def test_adjustments_last_for_one_session_only(make_flow, clock):
    flow = make_flow()
    flow.adjust("bigger_text")
    flow.adjust("slower_speech")
    assert flow.state.personal == Personal("en-GB", bigger_text=True, slower_speech=True)
    flow.adjust("slower_speech")
    assert flow.state.personal == Personal("en-GB", bigger_text=True)
    flow.start()
    assert flow.state.personal.bigger_text, "the choice carries into the session"
    flow.start_again()
    assert flow.state.screen == Screen.ATTRACT and flow.state.personal == Personal("en-GB")


def test_choices_left_on_the_start_screen_are_forgotten_after_the_idle_time(make_flow, clock):
    flow = make_flow()
    flow.open_languages()
    flow.set_language("ko")
    flow.adjust("bigger_text")
    clock.advance(30)
    flow.tick()
    assert flow.state.personal.language == "ko"
    clock.advance(31)
    flow.tick()
    assert flow.state.personal == Personal("en-GB")


def test_back_from_the_language_screen_keeps_the_language_and_an_unoffered_one_is_refused(make_flow):
    flow = make_flow()
    flow.open_languages()
    flow.set_language("fr")
    assert flow.state.screen == Screen.LANGUAGE
    flow.back()
    assert flow.state.screen == Screen.ATTRACT and flow.state.personal.language == "en-GB"


def test_concerns_are_read_in_the_persons_language(config, store, clock):
    from kiosk.session.flow import Flow
    from sync.core.privacy import scrub
    from sync.core.privacy.concerns import Reading

    asked: list[str] = []

    def concerns(text: str, language: str) -> Reading:
        asked.append(language)
        return Reading()

    flow = Flow(questions=config.questions, settings=config.settings, save=store.save, scrub=scrub,
                concerns=concerns, clock=clock)
    flow.open_languages()
    flow.set_language("ko")
    flow.start()
    flow.skip()
    flow.skip()
    flow.type_letter("x")
    flow.submit_text()
    assert asked == ["ko"]


def sentences(text: str) -> list[str]:
    import re

    return [s for s in re.split(r"[.?!।]\s*", text) if s.strip()]


def test_every_sentence_shown_or_spoken_is_easy_read_short_in_every_language():
    """Easy Read: at most 15 words a sentence, for questions, answers and the kiosk's own words."""
    from kiosk.session.i18n import translations
    from kiosk.session.settings import load_config

    config = load_config()
    template = (BUILTIN_CONFIG / "languages" / "messages.pot").read_text(encoding="utf-8")
    msgids = [line[7:-1] for line in template.splitlines() if line.startswith('msgid "') and line != 'msgid ""']
    long = []
    for language in config.settings.offered:
        words = translations(language, config.config_dirs).gettext
        texts = [words(msgid) for msgid in msgids]
        for path in (BUILTIN_CONFIG / "questions").glob("*.toml"):
            qset, _gaps = load_question_set(path, config.picture_dirs).in_language(language)
            for question in qset.questions:
                texts += [question.text, question.say, question.follow_up, question.follow_up_say]
                texts += [text for answer in question.answers for text in (answer.text, answer.say)]
        long += [(language, s) for text in texts for s in sentences(text) if len(s.split()) > 15]
    assert long == []


def test_a_language_pack_writes_the_kiosks_own_numbers_in_its_digits(config):
    packs = config.language_packs
    assert packs["bn"].number(18) == "১৮" and packs["bn"].number(2026) == "২০২৬"
    assert packs["en-GB"].number(18) == "18" and packs["ko"].number(18) == "18"
