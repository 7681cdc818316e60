"""What the kiosk says on each screen: the words shown, read aloud, so nobody has to read.

The fixed phrases go through gettext like the screens' own words (kiosk/ui/screens/*.kv), so one
translation serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kiosk.session.flow import FlowState, Personal, Screen
from kiosk.session.settings import Contact


def spoken_for(state: FlowState, *, can_listen: bool, contacts: Sequence[Contact] = (),
               _: Callable[[str], str] = str) -> list[str]:
    """The prompts for ``state``, in the order they are said; [] when the screen says nothing new.
    ``_`` gives the kiosk's own words in the person's language (kiosk.session.i18n)."""
    question = state.question
    language = state.personal.language
    if state.screen == Screen.HELP and state.help_page == "staff":
        return [_("Go and find a member of staff. Bring them to this screen. This screen will wait for you."),
                _("I would like to talk to someone, please.")]
    if state.screen == Screen.HELP and state.help_page == "phone":
        return [_("You can phone someone."), _("Use your own phone."), _("No phone? Ask a member of staff."),
                *(help_line(contact, language) for contact in contacts if contact.shown_to(language))]
    if state.screen == Screen.HELP and state.asked_for_help:
        bigger = [] if state.personal.bigger_text else [_("Make the words bigger")]
        return [_("What would help?"), _("Hear the question again, slowly"), *bigger, _("Find a member of staff now"),
                _("Or phone someone.")]
    if state.screen == Screen.HELP:
        return [_("You can talk to someone now."), _("We want you to be safe."),
                _("Staff will read what you wrote, to keep people safe."), _("It does not say your name."),
                _("Find a member of staff now"), _("Or phone someone.")]
    if state.screen == Screen.ATTRACT:
        return [_("Please wait a moment.")] if state.waiting else [
            _("Tell us what you think."), _("Touch the screen to start.")]
    if state.screen == Screen.CHOICE and question is not None:
        hint = [microphone_hint(state.screen, _)] if can_listen else []
        return [question.say, *(answer.say for answer in question.answers), *hint]
    if state.screen == Screen.TEXT and question is not None:
        hint = [microphone_hint(state.screen, _)] if can_listen else []
        return [question.follow_up_say if state.follow_up else question.say, *hint]
    if state.screen == Screen.LISTENING:
        return {"silence": [_("I did not hear anything. Please say your answer now.")],
                "not-understood": [_("Sorry, I did not understand. Please say it again.")]}.get(state.listen_again, [])
    if state.screen == Screen.CONFIRM_VOICE:
        # Translators: {heard} is the words the kiosk heard. Keep it.
        return [_("You said: {heard}.").format(heard=state.heard), _("Is that right?")]
    if state.screen == Screen.STILL_THERE:
        return [_("Are you still there?"), _("Touch yes, I am still here.")]
    if state.screen == Screen.THANK_YOU:
        return [_("Thank you!"), _("We will read what you said.")]
    if state.screen == Screen.OUT_OF_ORDER:
        return [_("Sorry, this screen is not working."), _("Please tell a member of staff.")]
    if state.screen == Screen.START_AGAIN:
        return [_("Do you want to start again from the beginning?"), what_happens_to_answers(state, _)]
    return []


def fixed_prompts(*, language: str, can_listen: bool, contacts: Sequence[Contact] = (),
                  _: Callable[[str], str] = str) -> list[str]:
    """What the kiosk says on its own screens (not a question's words), to synthesise before anyone
    needs them: a re-prompt made on demand takes a second or more on a Pi, long enough for the
    microphone to count it as the person's silence."""
    screens = (Screen.ATTRACT, Screen.HELP, Screen.STILL_THERE, Screen.THANK_YOU, Screen.OUT_OF_ORDER,
               Screen.START_AGAIN)
    person = Personal(language)
    states = [FlowState(screen, personal=person) for screen in screens] + [
        FlowState(Screen.ATTRACT, waiting=True, personal=person), FlowState(Screen.HELP, help_page="staff"),
        FlowState(Screen.HELP, asked_for_help=True), FlowState(Screen.HELP, help_page="phone", personal=person),
        FlowState(Screen.START_AGAIN, keeps_answers=False)]
    if can_listen:
        states += [FlowState(Screen.LISTENING, listen_again=why) for why in ("silence", "not-understood")]
    hints = [microphone_hint(screen, _) for screen in (Screen.CHOICE, Screen.TEXT)] if can_listen else []
    return [text for state in states for text in spoken_for(state, can_listen=can_listen, contacts=contacts, _=_)
            ] + hints


def microphone_hint(screen: Screen, _: Callable[[str], str] = str) -> str:
    """The last words of a question's screen where the kiosk listens: on a choice, or a text question."""
    if screen == Screen.CHOICE:
        return _("Or touch the microphone, and say your answer.")
    return _("You can touch the microphone, and say it.")


def what_happens_to_answers(state: FlowState, _: Callable[[str], str] = str) -> str:
    """On "Start again?" and "Are you still there?": what becomes of the answers given so far, as the kiosk's
    policy decides."""
    if state.keeps_answers:
        return _("Your answers so far are saved. We do not know who you are.")
    return _("Your answers so far will be deleted.")


def help_line(contact: Contact, language: str) -> str:
    """One contact as it is said: "Samaritans: 116 123. Someone to talk to. Free, day or night." """
    words = contact.in_language(language)
    return f"{words.name}: {contact.phone}." + (f" {words.about}" if words.about else "")
