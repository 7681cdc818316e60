"""The session flow on the real default questions, saving into a real SQLite store."""

from __future__ import annotations

import json

import pytest

from kiosk.session.flow import Flow, SaveFailed, Screen
from kiosk.session.store import Store
from kiosk.voice.prompts import spoken_for
from sync.core.privacy.concerns import Reading


def stored(store: Store) -> list[dict]:
    rows = store.db.execute("SELECT payload FROM responses ORDER BY seq").fetchall()
    return [json.loads(row[0]) for row in rows]


def by_question(payload: dict) -> dict[str, dict]:
    return {answer["question"]: answer for answer in payload["answers"]}


def type_text(flow: Flow, text: str) -> None:
    for char in text:
        flow.type_letter(char)


def complete_session(flow: Flow, clock, overall: str = "good") -> None:  # type: ignore[no-untyped-def]
    clock.advance(60)
    flow.tick()
    flow.start()
    flow.choose(overall)
    flow.skip()  # tell us why
    flow.choose("yes")
    flow.skip()
    flow.skip()
    flow.choose("no")  # "Would you like to tell us a little about you?" No, finish


def test_a_full_session_is_stored_as_one_record_then_thanks(make_flow, store, clock):
    flow = make_flow()
    flow.start()
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "overall"
    assert (flow.state.number, flow.state.total) == (1, 7)
    flow.choose("good")
    assert flow.state.screen == Screen.TEXT and flow.state.follow_up
    type_text(flow, "kind staff")
    flow.submit_text()
    flow.choose("sometimes")
    assert flow.state.screen == Screen.TEXT and not flow.state.follow_up and flow.state.number == 3
    type_text(flow, "the garden")
    flow.submit_text()
    type_text(flow, "more trips")
    flow.submit_text()
    assert flow.state.question.id == "about-you" and flow.state.number == 5
    flow.choose("yes")
    flow.choose("65-or-over")
    assert stored(store) == []  # nothing is saved before the last answer
    flow.skip()  # which of these are you?
    assert flow.state.screen == Screen.THANK_YOU
    [payload] = stored(store)
    answers = by_question(payload)
    assert payload["complete"] is True and payload["misuse_suspected"] is False
    assert answers["overall"]["choice"] == "good" and answers["overall"]["choice_text"] == "Good"
    assert answers["overall"]["text"] == "Kind staff"  # "tell us why" kept in the same record
    assert answers["overall"]["follow_up_text"] == "Tell us why"
    assert answers["listen"]["choice"] == "sometimes"
    assert answers["working"]["text"] == "The garden"
    assert answers["not-working"] == {**answers["not-working"], "status": "answered", "text": "More trips"}
    assert answers["about-age"] == {**answers["about-age"], "choice": "65-or-over", "about_you": True}
    assert answers["about-who"]["status"] == "skipped" and answers["about-who"]["about_you"] is True
    assert "about_you" not in answers["overall"]


def test_skipping_everything_still_stores_a_complete_record(make_flow, store):
    flow = make_flow()
    flow.start()
    for _ in range(7):
        flow.skip()
    assert flow.state.screen == Screen.THANK_YOU
    [payload] = stored(store)
    assert [a["status"] for a in payload["answers"]] == ["skipped"] * 7
    assert "choice" not in by_question(payload)["overall"]


def test_tell_us_why_is_only_asked_after_an_answer(make_flow):
    flow = make_flow()
    flow.start()
    flow.skip()
    assert flow.state.question.id == "listen" and flow.state.screen == Screen.CHOICE


def test_back_returns_to_the_previous_screen_with_the_answer_shown(make_flow):
    flow = make_flow()
    flow.start()
    flow.choose("poor")
    type_text(flow, "cold food")
    flow.submit_text()
    assert flow.state.question.id == "listen"
    flow.back()
    assert flow.state.screen == Screen.TEXT and flow.state.follow_up and flow.state.draft == "Cold food"
    flow.back()
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "overall"
    assert flow.state.chosen == "poor"


def test_skip_after_going_back_clears_the_earlier_answer(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.choose("very-poor")
    type_text(flow, "why")
    flow.submit_text()
    flow.back()
    flow.back()
    flow.skip()
    flow.skip()
    flow.skip()
    flow.skip()
    flow.choose("no")
    overall = by_question(stored(store)[0])["overall"]
    assert overall["status"] == "skipped" and "choice" not in overall and "text" not in overall


def test_back_on_the_first_question_goes_to_the_start_and_stores_nothing_new(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.back()
    assert flow.state.screen == Screen.ATTRACT
    assert stored(store) == []


@pytest.mark.parametrize(("policy", "kept"), [("keep", 1), ("discard", 0)])
def test_start_again_follows_the_half_finished_policy(make_flow, store, policy, kept):
    flow = make_flow(idle={"half_finished": policy})
    flow.start()
    flow.choose("good")
    flow.start_again()
    assert flow.state.screen == Screen.START_AGAIN and stored(store) == []  # asked first: nothing happened yet
    said = spoken_for(flow.state, can_listen=False)
    assert said[-1] == ("Your answers so far are saved. We do not know who you are." if kept else
                        "Your answers so far will be deleted.")  # the person is told before choosing
    flow.confirm_start_again()
    assert flow.state.screen == Screen.ATTRACT
    payloads = stored(store)
    assert len(payloads) == kept
    if kept:
        assert payloads[0]["complete"] is False
        assert by_question(payloads[0])["overall"]["choice"] == "good"
        assert by_question(payloads[0])["working"]["status"] == "not_reached"


def test_walking_away_before_answering_anything_stores_nothing(make_flow, store, clock):
    flow = make_flow()
    flow.start()
    clock.advance(10_000)
    flow.tick()
    clock.advance(10_000)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT
    assert stored(store) == []


@pytest.mark.parametrize(("policy", "kept"), [("keep", 1), ("discard", 0)])
def test_idle_asks_are_you_still_there_then_resets(make_flow, store, clock, policy, kept):
    flow = make_flow(idle={"half_finished": policy, "still_there_after_seconds": 45, "countdown_seconds": 15})
    flow.start()
    flow.choose("very-good")
    type_text(flow, "lovely")
    clock.advance(44)
    flow.tick()
    assert flow.state.screen == Screen.TEXT
    clock.advance(1)
    flow.tick()
    assert flow.state.screen == Screen.STILL_THERE and flow.state.seconds_left == 15
    clock.advance(5.5)
    flow.tick()
    assert flow.state.seconds_left == 10
    clock.advance(10)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT
    payloads = stored(store)
    assert len(payloads) == kept
    if kept:
        overall = by_question(payloads[0])["overall"]
        assert payloads[0]["complete"] is False and overall["choice"] == "very-good"
        assert "text" not in overall  # a draft never sent with Done is not kept


def test_still_here_resumes_exactly_where_the_person_was(make_flow, clock):
    flow = make_flow()
    flow.start()
    flow.choose("good")
    type_text(flow, "half a sente")
    clock.advance(1000)
    flow.tick()
    assert flow.state.screen == Screen.STILL_THERE
    flow.still_here()
    assert flow.state.screen == Screen.TEXT and flow.state.draft == "Half a sente"
    clock.advance(30)
    flow.tick()
    assert flow.state.screen == Screen.TEXT  # the idle timer restarted


def test_typing_keeps_the_kiosk_awake(make_flow, clock):
    flow = make_flow(idle={"still_there_after_seconds": 45})
    flow.start()
    flow.choose("good")
    for char in "slowly":
        clock.advance(30)
        flow.type_letter(char)
        flow.tick()
    assert flow.state.screen == Screen.TEXT


def test_idle_does_not_interrupt_the_start_screen(make_flow, clock):
    flow = make_flow()
    clock.advance(100_000)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT


def test_thank_you_returns_to_the_start_on_its_own_or_on_a_tap(make_flow, clock):
    flow = make_flow(sessions={"thank_you_seconds": 8})
    complete_session(flow, clock)
    assert flow.state.screen == Screen.THANK_YOU
    clock.advance(7)
    flow.tick()
    assert flow.state.screen == Screen.THANK_YOU
    clock.advance(1)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT
    complete_session(flow, clock)
    flow.finish()
    assert flow.state.screen == Screen.ATTRACT


def test_a_new_session_cannot_start_moments_after_the_last(make_flow, clock):
    flow = make_flow(sessions={"min_seconds_between": 4})
    complete_session(flow, clock)
    flow.finish()
    clock.advance(3)
    flow.start()
    assert flow.state.screen == Screen.ATTRACT and flow.state.waiting
    clock.advance(1)
    flow.tick()
    assert not flow.state.waiting
    flow.start()
    assert flow.state.screen == Screen.CHOICE


def test_a_burst_of_identical_sessions_is_flagged_not_dropped(make_flow, store, clock):
    flow = make_flow(sessions={"misuse_burst_count": 3, "misuse_window_seconds": 300})
    for overall in ("good", "good", "poor", "good", "good"):
        complete_session(flow, clock, overall)
    flags = [p["misuse_suspected"] for p in stored(store)]
    assert flags == [False, False, False, True, True]


def test_identical_sessions_spread_out_are_not_flagged(make_flow, store, clock):
    flow = make_flow(sessions={"misuse_burst_count": 3, "misuse_window_seconds": 120})
    for _ in range(4):
        complete_session(flow, clock)  # 60 s apart...
        clock.advance(100)  # ...plus 100: never three within two minutes
    assert [p["misuse_suspected"] for p in stored(store)] == [False] * 4


def test_no_thank_you_when_the_save_fails_and_the_answers_are_retried(make_flow, store, clock, config):
    attempts: list[int] = []

    def flaky_save(record):  # type: ignore[no-untyped-def]
        attempts.append(1)
        if len(attempts) <= 2:
            raise SaveFailed("database or disk is full")
        return store.save(record)

    flow = Flow(questions=config.questions, settings=config.settings, save=flaky_save, scrub=lambda text, _names: text,
                concerns=lambda _text, _language: Reading(), clock=clock)
    complete_session(flow, clock)
    assert flow.state.screen == Screen.OUT_OF_ORDER
    flow.start()
    assert flow.state.screen == Screen.OUT_OF_ORDER  # nobody can start answering into a broken kiosk
    clock.advance(config.settings.sessions.retry_save_seconds)
    flow.tick()
    assert flow.state.screen == Screen.OUT_OF_ORDER and len(attempts) == 2
    clock.advance(config.settings.sessions.retry_save_seconds)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT
    assert len(stored(store)) == 1


def stored_working_answer(flow: Flow, store: Store, text: str) -> str:
    """Skip to "What is working?", give ``text`` there, finish, and return what was stored."""
    flow.start()
    flow.skip()
    flow.skip()
    flow.edit_text(text)
    flow.submit_text()
    flow.skip()
    flow.choose("no")
    return by_question(stored(store)[0])["working"]["text"]


def test_typed_text_is_scrubbed_before_it_is_stored(make_flow, store):
    text = stored_working_answer(make_flow(), store, "ring me on 07700 900123 or jo@example.org")
    assert text == "ring me on [phone] or [email]"


@pytest.mark.parametrize(("staff_names", "kept"), [
    ("keep", "Trevor and Dr Smith were kind, call me on [phone]"),
    ("replace", "[name] and Dr [name] were kind, call me on [phone]"),
])
def test_staff_names_are_kept_or_replaced_as_the_site_says(make_flow, store, staff_names, kept):
    """privacy.staff_names: kept by default (praise reaches the nurse it names), or replaced with or without a title."""
    flow = make_flow(privacy={"staff_names": staff_names})
    assert stored_working_answer(flow, store, "Trevor and Dr Smith were kind, call me on 07700 900123") == kept


def test_letters_start_sentences_with_capitals_and_delete_removes_one(make_flow):
    flow = make_flow()
    flow.start()
    flow.skip()
    flow.skip()
    type_text(flow, "good. very")
    assert flow.state.draft == "Good. Very"
    flow.delete_letter()
    assert flow.state.draft == "Good. Ver"


def test_taps_meant_for_another_screen_are_ignored(make_flow, store):
    flow = make_flow()
    flow.choose("good")
    flow.submit_text()
    flow.skip()
    flow.back()
    flow.still_here()
    assert flow.state.screen == Screen.ATTRACT and stored(store) == []


def test_every_change_is_announced_to_listeners(make_flow):
    flow = make_flow()
    seen: list[Screen] = []
    flow.subscribe(lambda state: seen.append(state.screen))
    flow.start()
    flow.choose("good")
    assert seen == [Screen.CHOICE, Screen.TEXT]


def test_control_characters_never_reach_the_store(make_flow, store):
    assert stored_working_answer(make_flow(), store, "tea\x0b is\x00 cold\nsometimes") == "tea is cold\nsometimes"


def answer_the_feedback(flow: Flow) -> None:
    flow.start()
    flow.choose("good")
    for _ in range(4):  # tell us why, listen, working, not working
        flow.skip()
    assert flow.state.question.id == "about-you"


def test_no_thanks_to_about_you_finishes_with_thanks_and_keeps_the_feedback(make_flow, store):
    flow = make_flow()
    answer_the_feedback(flow)
    flow.choose("no")
    assert flow.state.screen == Screen.THANK_YOU
    [payload] = stored(store)
    answers = by_question(payload)
    assert payload["complete"] is True and answers["overall"]["choice"] == "good"
    assert answers["about-you"]["choice"] == "no" and answers["about-you"]["about_you"] is True
    assert answers["about-age"]["status"] == "not_reached"


def test_walking_away_during_about_you_keeps_the_feedback_whatever_the_half_finished_policy(make_flow, store, clock):
    flow = make_flow(idle={"half_finished": "discard", "still_there_after_seconds": 45, "countdown_seconds": 15})
    answer_the_feedback(flow)
    flow.choose("yes")
    clock.advance(45)
    flow.tick()
    assert flow.state.screen == Screen.STILL_THERE
    clock.advance(15)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT  # no thank-you to an empty room
    [payload] = stored(store)
    assert payload["complete"] is True and by_question(payload)["about-you"]["choice"] == "yes"


def test_walking_away_before_about_you_still_follows_the_half_finished_policy(make_flow, store, clock):
    flow = make_flow(idle={"half_finished": "discard", "still_there_after_seconds": 45, "countdown_seconds": 15})
    flow.start()
    flow.choose("good")
    clock.advance(45)
    flow.tick()
    assert flow.state.screen == Screen.STILL_THERE
    clock.advance(15)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT and stored(store) == []


def test_the_forward_button_says_skip_before_an_answer_and_next_after_and_next_keeps_the_answer(make_flow, store):
    flow = make_flow()
    flow.start()
    assert flow.state.forward == "skip"
    flow.choose("good")
    flow.back()  # back from "tell us why" to the question, with Good still chosen
    assert flow.state.chosen == "good" and flow.state.forward == "next"
    flow.next()
    assert flow.state.screen == Screen.TEXT and flow.state.follow_up  # on, as if Good had been tapped again
    assert flow.state.forward == "skip"
    flow.type_letter("k")
    assert flow.state.forward == ""  # words typed: Done is the way on, not a Skip that would drop them
    flow.submit_text()
    flow.choose("yes")
    flow.skip()
    flow.skip()
    assert flow.state.question.is_gate and flow.state.forward == ""  # "No, finish" is the way on, not Skip
    flow.choose("no")
    assert by_question(stored(store)[0])["overall"]["choice"] == "good"


def test_next_does_nothing_before_an_answer_is_chosen(make_flow):
    flow = make_flow()
    flow.start()
    flow.next()
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "overall"


def test_start_again_with_nothing_given_goes_straight_to_the_start(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.start_again()
    assert flow.state.screen == Screen.ATTRACT and stored(store) == []


def test_start_again_asks_first_and_no_goes_back_to_the_same_screen_with_its_answer(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.choose("very-good")
    flow.type_letter("h")
    before = flow.state
    flow.start_again()
    assert flow.state.screen == Screen.START_AGAIN
    flow.keep_going()
    assert flow.state == before and stored(store) == []
    flow.start_again()
    flow.confirm_start_again()
    assert flow.state.screen == Screen.ATTRACT
    assert by_question(stored(store)[0])["overall"]["choice"] == "very-good"


def test_walking_away_from_start_again_leaves_the_session(make_flow, store, clock):
    flow = make_flow()
    flow.start()
    flow.choose("good")
    flow.start_again()
    clock.advance(10_000)
    flow.tick()
    assert flow.state.screen == Screen.ATTRACT and len(stored(store)) == 1


def test_i_need_help_on_a_question_comes_back_to_that_question_with_what_was_typed(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.choose("good")
    type_text(flow, "kind")
    flow.ask_for_help()
    assert flow.state.screen == Screen.HELP and flow.state.asked_for_help and flow.state.help_page == ""
    said = spoken_for(flow.state, can_listen=False)
    assert "Staff will read what you wrote, to keep people safe." not in said  # nothing was read: they asked
    assert said[:2] == ["What would help?", "Hear the question again, slowly"] and "Or phone someone." in said
    flow.phone_someone()
    assert spoken_for(flow.state, can_listen=False)[:2] == ["You can phone someone.", "Use your own phone."]
    flow.back()
    flow.carry_on()  # "Back to the questions": the same question, as it was left
    assert flow.state.screen == Screen.TEXT and flow.state.follow_up and flow.state.draft == "Kind"
    flow.submit_text()
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "listen"
    flow.ask_for_help()
    flow.hear_slowly()  # most often it is the question itself: said again, and slower from now on
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "listen"
    assert flow.state.personal.slower_speech
    flow.ask_for_help()
    assert "Make the words bigger" in spoken_for(flow.state, can_listen=False)
    flow.make_words_bigger()  # or the words are too small to read: bigger, on the same question
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "listen"
    assert flow.state.personal.bigger_text
    flow.ask_for_help()
    assert "Make the words bigger" not in spoken_for(flow.state, can_listen=False)  # they are already
    flow.finish_now()  # "Stop now"
    assert flow.state.screen == Screen.THANK_YOU
    [payload] = stored(store)
    assert payload["answers"][0]["text"] == "Kind" and not payload.get("concerns")
    store.close()


def test_help_shows_phone_numbers_or_a_card_for_staff_and_the_session_carries_on(make_flow, store):
    flow = make_flow()
    flow.start()
    flow.choose("very-poor")
    type_text(flow, "a worker hit me")
    flow.submit_text()
    assert flow.state.screen == Screen.HELP and flow.state.help_page == ""
    flow.phone_someone()
    assert flow.state.screen == Screen.HELP and flow.state.help_page == "phone"
    flow.back()  # from the phone numbers, back to the two ways (not to the question)
    assert flow.state.screen == Screen.HELP and flow.state.help_page == ""
    flow.tell_staff()
    assert flow.state.screen == Screen.HELP and flow.state.help_page == "staff"
    flow.carry_on()
    assert flow.state.screen == Screen.CHOICE and flow.state.question.id == "listen"
