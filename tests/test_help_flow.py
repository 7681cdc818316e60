"""When someone's words suggest they are at risk: the help screen, the flags kept with the response,
and that response sent to the server first. The detector itself is tested in test_concerns.py; here a
stand-in reads any text containing "HELPME" as urgent and "REVIEWME" as for staff to review, so the flow's own
rules are what is tested."""

from __future__ import annotations

import pytest

from kiosk.session.flow import Flow, Screen
from kiosk.session.store import Store
from sync.core.privacy import scrub
from sync.core.privacy.concerns import Reading
from sync.core.record import AnswerRecord, SessionRecord
from tests.test_flow import by_question, stored, type_text


def flag_marker(text: str, _language: str = "en") -> Reading:
    if "HELPME" in text.upper():
        return Reading(["self-harm"], urgent=True)
    return Reading(["neglect"]) if "REVIEWME" in text.upper() else Reading()


@pytest.fixture
def flow(config, store, clock) -> Flow:  # type: ignore[no-untyped-def]
    return Flow(questions=config.questions, settings=config.settings, save=store.save, scrub=scrub,
                concerns=flag_marker, clock=clock)


def test_a_concern_shows_help_then_carries_on_and_is_stored_scrubbed_and_flagged(flow, store):
    flow.start()
    flow.choose("poor")
    type_text(flow, "helpme call 07700 900123")
    flow.submit_text()
    assert flow.state.screen == Screen.HELP
    assert stored(store) == []
    flow.carry_on()
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "listen"
    flow.skip()
    flow.skip()
    flow.skip()
    flow.choose("no")  # nothing about you
    [payload] = stored(store)
    assert payload["concerns"] == ["self-harm"] and payload["complete"] is True and payload["concern_urgent"] is True
    assert by_question(payload)["overall"]["text"] == "Helpme call [phone]"


def test_words_for_staff_to_review_are_flagged_without_the_help_screen(flow, store):
    """"Staff should review" (neglect seen, money gone missing): the queue, not a frightening screen."""
    flow.start()
    flow.choose("poor")
    type_text(flow, "reviewme please")
    flow.submit_text()
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "listen"
    flow.skip()
    flow.skip()
    flow.skip()
    flow.choose("no")
    [payload] = stored(store)
    assert payload["concerns"] == ["neglect"] and "concern_urgent" not in payload


@pytest.fixture
def discarding_flow(config, store, clock) -> Flow:  # type: ignore[no-untyped-def]
    """A kiosk set to drop half-finished sessions: flagged words must be kept all the same."""
    settings = config.settings.model_copy(update={"idle": config.settings.idle.model_copy(
        update={"half_finished": "discard"})})
    return Flow(questions=config.questions, settings=settings, save=store.save, scrub=scrub, concerns=flag_marker,
                clock=clock)


def test_finish_now_keeps_the_words_even_when_half_finished_sessions_are_discarded(discarding_flow, store):
    flow = discarding_flow
    flow.start()
    flow.choose("very-poor")
    type_text(flow, "helpme")
    flow.submit_text()
    flow.finish_now()
    assert flow.state.screen == Screen.THANK_YOU
    [payload] = stored(store)
    assert payload["concerns"] == ["self-harm"] and payload["complete"] is False


def test_walking_away_from_the_help_screen_still_keeps_the_flagged_words(discarding_flow, store, clock):
    flow = discarding_flow
    flow.start()
    flow.choose("good")
    type_text(flow, "helpme")
    flow.submit_text()
    clock.advance(61)
    flow.tick()
    assert flow.state.screen == Screen.STILL_THERE
    clock.advance(21)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT
    [payload] = stored(store)
    assert payload["concerns"] == ["self-harm"]


def test_ordinary_words_do_not_show_help(flow, store):
    flow.start()
    flow.choose("good")
    type_text(flow, "kind staff")
    flow.submit_text()
    assert flow.state.screen == Screen.CHOICE


def test_flagged_responses_are_sent_first(tmp_path):
    store = Store(tmp_path / "data")
    answers = [AnswerRecord("why", "Why?", "text", "answered", text="x")]
    for flags in ([], [], ["neglect"], []):
        store.save(SessionRecord("default", 1, "en-GB", answers, True, concerns=flags))
    assert [seq for _id, seq, *_ in store.pending(10)] == [3, 1, 2, 4]
    store.close()


def test_the_card_for_staff_waits_while_the_person_fetches_someone(flow, store, clock, config):
    """"Go and find a member of staff": the card stays up for staff_card_seconds (5 minutes), not the minute
    a question waits, and the session is kept as usual after that."""
    flow.start()
    flow.choose("poor")
    type_text(flow, "helpme")
    flow.submit_text()
    flow.tell_staff()
    waits = config.settings.idle.staff_card_seconds
    assert waits == 300 > config.settings.idle.still_there_after_seconds
    clock.advance(waits - 1)
    flow.tick()
    assert flow.state.screen == Screen.HELP and flow.state.help_page == "staff"
    clock.advance(2)
    flow.tick()
    assert flow.state.screen == Screen.STILL_THERE
    clock.advance(config.settings.idle.countdown_seconds + 1)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT
    [payload] = stored(store)
    assert payload["concerns"] == ["self-harm"]
