"""What happens next: the session state machine, in plain Python with no Kivy import.

The screens draw :class:`FlowState` and forward taps as method calls; the flow decides everything
else (which question is next, idle reset, repeat-press protection, when it is safe to say thank you).
Time comes from an injected monotonic clock so tests and ``kiosk simulate`` can drive it.

    attract ──start──▶ question 1 ─▶ (tell us why) ─▶ question 2 … ─▶ save ─ok─▶ thank you ─▶ attract
                         │  ▲ back / skip or next / start again (asks first) └fail─▶ out of order
                         │                        (also instead of question 1 when the disk is nearly full)
                         └─ quiet too long ─▶ still there? ─countdown─▶ attract (half-finished policy)

    words that suggest someone may be at risk now (sync.core.privacy.concerns) ─▶ help ─▶ carry on / finish now
    (words for staff to review are flagged and kept, with no help screen: sync.core.privacy.concerns.Reading)

    attract ──language──▶ languages ──one chosen──▶ attract (in that language)
    attract: bigger text / high contrast / slower speech, for this person only (see Personal)

    question ──microphone──▶ listening ──heard──▶ "You said: Good. Is that right?" ──yes──▶ next
                 ▲               │ silence / not understood: listen again (twice), then back   │
                 └───────────────┴──────────── stop / back ◀── try again ◀─────────────────────┘

Voice answers come from kiosk.voice.controller, which turns what the recogniser heard into the
method calls below; the flow never sees audio.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from kiosk.keyboard import PHYSICAL, Keyboard
from kiosk.session.settings import KioskSettings
from sync.core.privacy.scrub import StaffNames
from sync.core.questions import Question, QuestionSet
from sync.core.record import AnswerRecord, SessionRecord

if TYPE_CHECKING:
    from sync.core.privacy.concerns import Reading

MAX_TEXT_LENGTH = 1000
LISTEN_ATTEMPTS = 3
"""Tries at hearing an answer (the first and two gentle re-prompts) before going back to the question."""

log = logging.getLogger(__name__)


class SaveFailed(Exception):
    """The answers could not be durably stored (disk full, database unwritable)."""


class Screen(StrEnum):
    """Which screen is shown; the UI has one Kivy screen per value."""

    ATTRACT = "attract"
    LANGUAGE = "language"
    CHOICE = "choice"
    TEXT = "text"
    STILL_THERE = "still_there"
    LISTENING = "listening"
    CONFIRM_VOICE = "confirm_voice"
    HELP = "help"
    START_AGAIN = "start_again"
    THANK_YOU = "thank_you"
    OUT_OF_ORDER = "out_of_order"


ANSWERING = (Screen.CHOICE, Screen.TEXT, Screen.LISTENING, Screen.CONFIRM_VOICE, Screen.HELP)
"""Screens of a session in progress, where idleness leads to "are you still there?"."""


Adjustment = Literal["bigger_text", "high_contrast", "slower_speech"]


@dataclass(frozen=True)
class Personal:
    """What one person chose for their own session on the start screen. It lasts until their session
    ends (or they walk away), so the next person starts from the kiosk's own settings."""

    language: str
    """The language on screen."""
    bigger_text: bool = False
    high_contrast: bool = False
    slower_speech: bool = False
    spoken: str = ""
    """A spoken-only language chosen (Sylheti): heard from recordings while ``language``'s words show."""

    @property
    def hears(self) -> str:
        """The language this person hears and answers in (what their answers are stored as)."""
        return self.spoken or self.language


@dataclass(frozen=True)
class Step:
    """One screen of a session: a question, or the "tell us why" that follows a choice."""

    index: int
    follow_up: bool = False


@dataclass(frozen=True)
class FlowState:
    """Everything a screen needs to draw itself."""

    screen: Screen
    question: Question | None = None
    follow_up: bool = False
    """True on the "tell us why" text screen that belongs to ``question``."""
    number: int = 0
    """Which question this is (1-based), for the progress indicator."""
    total: int = 0
    chosen: str | None = None
    """The answer already chosen on this question (when the person came back to it)."""
    draft: str = ""
    """Text typed so far on a text screen."""
    seconds_left: int = 0
    """Countdown on the "are you still there?" screen."""
    waiting: bool = False
    """On attract: a tap came too soon after the last session; ask the person to wait a moment."""
    heard: str = ""
    """On "Is that right?": the answer's words (choice) or what was heard (text)."""
    heard_answer: str | None = None
    """On "Is that right?" for a choice question: the answer id that was heard."""
    listen_again: str = ""
    """On listening: why we are listening again ("silence" or "not-understood"), else ""."""
    attempt: int = 0
    """On listening: which try this is (1 = the first), so each try is a new state."""
    keeps_answers: bool = True
    """On "Start again?": whether the answers given so far are kept (the half-finished policy), to say so."""
    help_page: Literal["", "staff", "phone"] = ""
    """On help: "" for its two ways to get help (Easy Read: one idea a page), "staff" once the person chose "Find
    a member of staff now" (a card shows what to tell the one they bring), "phone" for the phone numbers."""
    asked_for_help: bool = False
    """On help: the person asked for it ("I need help" on a question), rather than their words raising a
    concern; "Back to the questions" returns to that same question."""
    personal: Personal = field(default=Personal("en"))
    """This person's language and adjustments (the flow fills it in on every state it shows)."""

    @property
    def takes_words(self) -> bool:
        """Whether this screen's answer is words (a text question or a "tell us why"), not one of the answers."""
        return self.question is not None and (self.follow_up or self.question.kind != "choice")

    @property
    def forward(self) -> Literal["next", "skip", ""]:
        """What the forward button offers: "next" once an answer is chosen (on, keeping it), "skip" before,
        and nothing on the "About you" gate (its "No, finish" is the way on) or beside typed words (Done is)."""
        question = self.question
        if question is None or self.screen not in (Screen.CHOICE, Screen.TEXT):
            return ""
        if self.screen == Screen.TEXT:
            return "" if self.draft.strip() else "skip"
        if question.is_gate:
            return ""
        return "next" if self.chosen is not None else "skip"


Saver = Callable[[SessionRecord], object]


class Flow:
    """One kiosk's sessions, one after another."""

    def __init__(
        self,
        *,
        questions: QuestionSet,
        settings: KioskSettings,
        save: Saver,
        scrub: Callable[[str, StaffNames], str],
        concerns: Callable[[str, str], Reading],
        clock: Callable[[], float] = time.monotonic,
        channel: str = "touch",
        room: Callable[[], bool] = lambda: True,
        spoken: Mapping[str, str] | None = None,
    ):
        self._base = questions
        self._localised: dict[str, QuestionSet] = {}
        self._spoken = dict(spoken or {})
        """Spoken-only languages offered, and the language each shows on screen: {"syl": "bn"}."""
        self.languages = (*settings.offered, *self._spoken)
        """The languages a person may choose, the kiosk's own first, spoken-only ones last."""
        self._afresh = Personal(settings.language)
        """How each person starts: the kiosk's own language, no adjustments."""
        self._personal = self._afresh
        self._settings = settings
        self._save = save
        self._scrub = scrub
        self._concerns = concerns
        self._clock = clock
        self._channel = channel
        self._room = room
        """Whether the disk has room to keep taking answers (kiosk.device.disk_space.has_room)."""
        self._listeners: list[Callable[[FlowState], None]] = []
        self._recent: deque[tuple[float, str]] = deque()
        self._unsaved: list[SessionRecord] = []
        self._last_finished = -math.inf
        self._last_activity = clock()
        self._screen_since = clock()
        self._last_retry = -math.inf
        self._reset_session()
        self._state = FlowState(Screen.ATTRACT, personal=self._personal)

    # -- observing ---------------------------------------------------------------------------------

    @property
    def state(self) -> FlowState:
        return self._state

    def subscribe(self, listener: Callable[[FlowState], None]) -> None:
        """Call ``listener`` with the new state after every change."""
        self._listeners.append(listener)

    def _show(self, state: FlowState) -> None:
        if state.screen == Screen.ATTRACT and self._state.screen not in (Screen.ATTRACT, Screen.LANGUAGE):
            self._personal = self._afresh  # a session ended: the next person starts afresh
        state = replace(state, personal=self._personal)
        if state != self._state:
            if state.screen != self._state.screen:
                self._screen_since = self._clock()
            self._state = state
            for listener in self._listeners:
                listener(state)

    def replace_questions(self, questions: QuestionSet) -> bool:
        """Ask a new question set from the next session on; refused (False) while someone is answering."""
        if self._state.screen not in (Screen.ATTRACT, Screen.LANGUAGE):
            return False
        self._base, self._localised = questions, {}
        self._reset_session()
        return True

    # -- events from the screens ------------------------------------------------------------------

    def start(self) -> None:
        """A touch on the attract screen: begin a session unless the last one ended moments ago."""
        if self._state.screen != Screen.ATTRACT:
            return
        if self._clock() - self._last_finished < self._settings.sessions.min_seconds_between:
            self._show(replace(self._state, waiting=True))
            return
        if not self._room():  # no one should answer questions that could not be kept
            self._out_of_order()
            return
        self._reset_session()
        self._touched()
        self._go(Step(0))

    def open_languages(self) -> None:
        """The language button on the start screen: show every language in its own words."""
        if self._state.screen == Screen.ATTRACT:
            self._touched()
            self._show(FlowState(Screen.LANGUAGE))

    def set_language(self, language: str) -> None:
        """A language was chosen: back to the start screen, now in that language."""
        if self._state.screen == Screen.LANGUAGE and language in self.languages:
            self._touched()
            shown = self._spoken.get(language)
            self._personal = replace(self._personal, language=shown or language, spoken=language if shown else "")
            self._show(FlowState(Screen.ATTRACT))

    def adjust(self, what: Adjustment) -> None:
        """Bigger text, high contrast or slower speech, on or off, for this person's session only."""
        if self._state.screen == Screen.ATTRACT:
            self._touched()
            self._personal = replace(self._personal, **{what: not getattr(self._personal, what)})
            self._show(replace(self._state, waiting=False))

    def used_keys(self) -> None:
        """Something was pressed with a keyboard or a switch: the session is stored as answered that way."""
        self._used_keys = True

    def choose(self, answer_id: str) -> None:
        """A picture answer was tapped."""
        if self._state.screen == Screen.CHOICE and self._step is not None:
            self._take_choice(answer_id)

    def edit_text(self, draft: str) -> None:
        """The person typed or deleted a letter; keeps the kiosk awake and remembers the draft."""
        if self._state.screen == Screen.TEXT:
            self._touched()
            self._show(replace(self._state, draft=draft[:MAX_TEXT_LENGTH]))

    def type_letter(self, char: str, keyboard: Keyboard = PHYSICAL) -> None:
        """One key of the on-screen ``keyboard`` (a Hangul jamo joins the syllable before it), or a letter
        from a physical one; in a script with capitals, sentences start with one."""
        draft = self._state.draft
        if len(draft) >= MAX_TEXT_LENGTH:
            return
        self.edit_text(keyboard.typed(draft, char))

    def delete_letter(self, keyboard: Keyboard = PHYSICAL) -> None:
        """Take back the last key typed on ``keyboard`` (one jamo of a Hangul syllable), or the last letter."""
        self.edit_text(keyboard.deleted(self._state.draft))

    def submit_text(self) -> None:
        """Done on a text screen; an empty answer counts as a skip."""
        if self._state.screen == Screen.TEXT and self._step is not None:
            self._take_text(self._state.draft)

    def next(self) -> None:
        """Next, on a question answered earlier (the person came back to it): on, keeping the answer."""
        if self._state.screen == Screen.CHOICE and self._state.chosen is not None and self._step is not None:
            self._touched()
            self._advance()

    def skip(self) -> None:
        """Skip this screen; skipping a question clears an answer given to it earlier."""
        if self._state.screen not in ANSWERING or self._step is None:
            return
        record = self._records[self._step.index]
        if self._step.follow_up:
            record.text = None
        else:
            record.status, record.choice, record.choice_text, record.text = "skipped", None, None, None
        self._touched()
        self._advance()

    def back(self) -> None:
        """Go to the previous screen of this session; from the first question, back to the start.
        From listening or "Is that right?", back to the question itself; from the help screen's phone numbers
        or card for staff, back to its two ways to get help."""
        if self._state.screen == Screen.LANGUAGE:
            self._touched()
            self._show(FlowState(Screen.ATTRACT))
            return
        if self._state.screen in (Screen.LISTENING, Screen.CONFIRM_VOICE):
            self.stop_listening()
            return
        if self._state.screen == Screen.HELP and self._state.help_page:
            self._help_page("")
            return
        if self._state.screen not in (Screen.CHOICE, Screen.TEXT):
            return
        self._touched()
        if not self._history:
            self._abandon()
            return
        self._step = None
        self._go(self._history.pop(), remember=False)

    def start_again(self) -> None:
        """Leave this session (the half-finished policy decides what is kept) and show the start; once
        something was answered, only after asking "Start again from the beginning?"."""
        if self._state.screen == Screen.STILL_THERE or (self._state.screen in ANSWERING and not self._given()):
            self._abandon()
        elif self._state.screen in ANSWERING:
            self._touched()
            self._paused = self._state
            self._show(FlowState(Screen.START_AGAIN, keeps_answers=self._settings.idle.half_finished == "keep"))

    def confirm_start_again(self) -> None:
        """ "Yes, start again"."""
        if self._state.screen == Screen.START_AGAIN:
            self._abandon()

    def keep_going(self) -> None:
        """ "No, go back" from "Start again?": the screen the person was on."""
        if self._state.screen == Screen.START_AGAIN and self._paused is not None:
            self._touched()
            paused, self._paused = self._paused, None
            self._show(paused)

    def still_here(self) -> None:
        """The person answered "yes, I'm still here": carry on where they were."""
        if self._state.screen == Screen.STILL_THERE and self._paused is not None:
            self._touched()
            paused, self._paused = self._paused, None
            self._show(paused)

    # -- voice ---------------------------------------------------------------------------------------

    def listen(self) -> None:
        """The microphone button: listen for this question's answer."""
        if self._state.screen in (Screen.CHOICE, Screen.TEXT):
            self._touched()
            self._attempts = 1
            self._show(replace(self._question_state(), screen=Screen.LISTENING, attempt=1))

    def heard(self, text: str, answer_id: str | None = None) -> None:
        """The recogniser heard something: on a choice question ``answer_id`` is what it means (None:
        not one of the answers). Nothing is stored until the person confirms it."""
        if self._state.screen != Screen.LISTENING or self._step is None:
            return
        self._touched()
        choice = self._question_state().screen == Screen.CHOICE
        if choice:
            if answer_id is None:
                self._listen_again("not-understood")
                return
            text = self._question.answer(answer_id).text
        elif not text.strip():
            self._listen_again("silence")
            return
        else:
            text = text.strip()
            text = text[:1].upper() + text[1:]  # dictation comes in lower case; typed sentences start with a capital
        self._show(replace(self._state, screen=Screen.CONFIRM_VOICE, heard=text[:MAX_TEXT_LENGTH],
                           heard_answer=answer_id if choice else None, listen_again=""))

    def nothing_heard(self) -> None:
        """Silence, or the time limit: ask again gently, then give the pictures back."""
        if self._state.screen == Screen.LISTENING:
            self._listen_again("silence")

    def confirm_heard(self) -> None:
        """ "Yes, that's right": keep the answer heard, exactly as a tap or typed text would be kept."""
        if self._state.screen != Screen.CONFIRM_VOICE or self._step is None:
            return
        self._used_voice = True
        if self._state.heard_answer is not None:
            self._take_choice(self._state.heard_answer)
        else:
            self._take_text(self._state.heard)

    def try_again(self) -> None:
        """ "No, try again": listen once more."""
        if self._state.screen == Screen.CONFIRM_VOICE:
            self._touched()
            self._attempts = 1
            self._show(replace(self._question_state(), screen=Screen.LISTENING, attempt=1))

    def use_keyboard(self) -> None:
        """On a text question: put what was heard in the text box to correct it by hand."""
        if self._state.screen == Screen.CONFIRM_VOICE and self._state.heard_answer is None:
            self._touched()
            self._show(replace(self._question_state(), screen=Screen.TEXT, draft=self._state.heard))

    def stop_listening(self) -> None:
        """Back to the question's pictures or keyboard (a tap on "stop", or no microphone)."""
        if self._state.screen in (Screen.LISTENING, Screen.CONFIRM_VOICE):
            self._touched()
            self._show(self._question_state())

    def ask_for_help(self) -> None:
        """ "I need help" on a question: the help screen's ways to find a person or phone someone."""
        if self._state.screen in (Screen.CHOICE, Screen.TEXT):
            self._touched()
            self._asked_from = self._state
            self._show(replace(self._state, screen=Screen.HELP, asked_for_help=True))

    def hear_slowly(self) -> None:
        """From "I need help": back to the question, read again more slowly (and every prompt after it)."""
        self._back_to_the_question_with("slower_speech")

    def make_words_bigger(self) -> None:
        """From "I need help": back to the question with bigger words (and every screen after it)."""
        self._back_to_the_question_with("bigger_text")

    def _back_to_the_question_with(self, what: Adjustment) -> None:
        if self._state.screen == Screen.HELP and self._state.asked_for_help and self._asked_from is not None:
            self._touched()
            self._personal = replace(self._personal, **{what: True})
            self._show(self._asked_from)

    def carry_on(self) -> None:
        """From the help screen: back to the question the person asked for help on, or after words of concern,
        on to the next question."""
        if self._state.screen != Screen.HELP or self._step is None:
            return
        self._touched()
        if self._state.asked_for_help and self._asked_from is not None:
            self._show(self._asked_from)
        else:
            self._advance()

    def tell_staff(self) -> None:
        """From the help screen: a card to show a member of staff, in the person's language and English."""
        self._help_page("staff")

    def phone_someone(self) -> None:
        """From the help screen: the numbers to phone (the site's own people first, then national lines)."""
        self._help_page("phone")

    def _help_page(self, page: Literal["", "staff", "phone"]) -> None:
        if self._state.screen == Screen.HELP:
            self._touched()
            self._show(replace(self._state, help_page=page))

    def finish_now(self) -> None:
        """From the help screen: stop here; what was said is kept (and flagged) whatever the policy."""
        if self._state.screen == Screen.HELP:
            self._finish_session(complete=False, thank=True)

    def finish(self) -> None:
        """A tap on the thank-you screen: back to the start."""
        if self._state.screen == Screen.THANK_YOU:
            self._show(FlowState(Screen.ATTRACT))

    def tick(self) -> None:
        """Called about twice a second: idle checks, countdowns, screen timeouts, save retries."""
        now = self._clock()
        screen = self._state.screen
        idle = self._settings.idle
        waits = idle.staff_card_seconds if self._state.help_page == "staff" else idle.still_there_after_seconds
        if screen in ANSWERING and now - self._last_activity >= waits:
            self._paused = self._state
            self._show(FlowState(Screen.STILL_THERE, seconds_left=idle.countdown_seconds,
                                 keeps_answers=idle.half_finished == "keep"))
        elif screen == Screen.STILL_THERE:
            left = math.ceil(idle.countdown_seconds - (now - self._screen_since))
            if left <= 0:
                self._abandon()
            else:
                self._show(replace(self._state, seconds_left=left))
        elif screen == Screen.START_AGAIN and now - self._last_activity >= idle.still_there_after_seconds:
            self._abandon()  # asked to start again, then walked away
        elif screen == Screen.THANK_YOU and now - self._screen_since >= self._settings.sessions.thank_you_seconds:
            self._show(FlowState(Screen.ATTRACT))
        elif screen == Screen.ATTRACT and self._state.waiting:
            if now - self._last_finished >= self._settings.sessions.min_seconds_between:
                self._show(FlowState(Screen.ATTRACT))
        elif (screen in (Screen.ATTRACT, Screen.LANGUAGE) and self._personal != self._afresh
              and now - self._last_activity >= idle.still_there_after_seconds):
            self._personal = self._afresh  # chosen, then left: not for the next person
            self._show(FlowState(Screen.ATTRACT))
        elif screen == Screen.ATTRACT and now - self._last_retry >= self._settings.sessions.retry_save_seconds:
            self._last_retry = now
            if not self._room():  # the disk filled while no one was here: say so before anyone starts
                self._out_of_order()
        elif screen == Screen.OUT_OF_ORDER and now - self._last_retry >= self._settings.sessions.retry_save_seconds:
            self._last_retry = now
            if self._store_unsaved() and self._room():
                self._show(FlowState(Screen.ATTRACT))

    # -- inside -------------------------------------------------------------------------------------

    @property
    def _set(self) -> QuestionSet:
        """The question set in this person's language."""
        language = self._personal.language
        if language not in self._localised:
            self._localised[language], gaps = self._base.in_language(language)
            if gaps.missing:
                log.warning("question set %r: %d words are not translated into %s and are shown in %s (%s)",
                            self._base.id, len(gaps.missing), language, self._base.language,
                            ", ".join(gaps.missing[:5]))
        return self._localised[language]

    @property
    def _question(self) -> Question:
        return self._set.questions[self._step_index]

    @property
    def _step_index(self) -> int:
        assert self._step is not None
        return self._step.index

    @property
    def _on_follow_up(self) -> bool:
        return self._step is not None and self._step.follow_up

    def _reset_session(self) -> None:
        self._records = [AnswerRecord(q.id, q.text, q.kind, follow_up_text=q.follow_up or None,
                                      about_you=q.about_you or None) for q in self._base.questions]
        self._history: list[Step] = []
        self._step: Step | None = None
        self._paused: FlowState | None = None
        self._asked_from: FlowState | None = None
        self._attempts = 0
        self._used_voice = self._used_keys = False
        self._flags: set[str] = set()
        self._urgent = False

    def _question_state(self) -> FlowState:
        """The current question's own screen, as _go drew it (with any draft or choice so far)."""
        assert self._step is not None
        question, record = self._question, self._records[self._step.index]
        if self._step.follow_up or question.kind == "text":
            screen, chosen, draft = Screen.TEXT, None, record.text or ""
        else:
            screen, chosen, draft = Screen.CHOICE, record.choice, ""
        return FlowState(screen, question, self._step.follow_up, self._step.index + 1, len(self._set.questions),
                         chosen, draft)

    def _take_choice(self, answer_id: str) -> None:
        answer = self._base.questions[self._step_index].answer(answer_id)  # kept in the set's own words
        record = self._records[self._step_index]
        record.status, record.choice, record.choice_text = "answered", answer.id, answer.text
        self._touched()
        if answer.finish:
            self._finish_session(complete=True)
        else:
            self._advance()

    def _take_text(self, draft: str) -> None:
        text = "".join(c for c in draft if c.isprintable() or c == "\n").strip()
        if not text:
            self.skip()
            return
        record = self._records[self._step_index]
        found = self._concerns(text, self._personal.language)  # on the words as given; only the scrubbed words are kept
        record.text = self._scrub(text, self._settings.privacy.staff_names)  # staff names kept or not, as the site says
        if not self._on_follow_up:
            record.status = "answered"
        self._touched()
        self._flags.update(found.categories)
        self._urgent = self._urgent or found.urgent
        if found.urgent:
            self._show(replace(self._question_state(), screen=Screen.HELP, draft=""))
        else:
            self._advance()

    def _listen_again(self, why: str) -> None:
        self._touched()
        if self._attempts >= LISTEN_ATTEMPTS:
            self._show(self._question_state())
            return
        self._attempts += 1
        self._show(replace(self._question_state(), screen=Screen.LISTENING, listen_again=why, attempt=self._attempts))

    def _touched(self) -> None:
        self._last_activity = self._clock()

    def _go(self, step: Step, remember: bool = True) -> None:
        if remember and self._step is not None:
            self._history.append(self._step)
        self._step = step
        record = self._records[step.index]
        if record.status == "not_reached":
            record.status = "skipped"  # seen but not (yet) answered
        self._show(self._question_state())

    def _advance(self) -> None:
        assert self._step is not None
        question, record = self._question, self._records[self._step.index]
        wants_why = question.kind == "choice" and bool(question.follow_up) and record.status == "answered"
        if wants_why and not self._step.follow_up:
            self._go(Step(self._step.index, follow_up=True))
        elif self._step.index + 1 < len(self._set.questions):
            self._go(Step(self._step.index + 1))
        else:
            self._finish_session(complete=True)

    def _abandon(self) -> None:
        """Someone walked away or started again: keep or drop what they gave, then show the start.
        Words that raised a concern are always kept: safeguarding outranks the half-finished policy."""
        given = self._given()
        if self._step is not None and self._step.index >= self._base.feedback_questions:
            self._finish_session(complete=True, thank=False)  # the feedback was all given; "About you" is optional
        elif self._flags or (given and self._settings.idle.half_finished == "keep"):
            self._finish_session(complete=False)
        else:
            self._reset_session()
            self._show(FlowState(Screen.ATTRACT))

    def _given(self) -> bool:
        """Whether this session holds any answer or words."""
        return any(r.status == "answered" or r.text for r in self._records)

    def _finish_session(self, *, complete: bool, thank: bool | None = None) -> None:
        record = SessionRecord(
            question_set=self._set.id,
            question_set_version=self._set.version,
            language=self._personal.hears,
            answers=self._records,
            complete=complete,
            channel="voice" if self._used_voice else "keyboard" if self._used_keys else self._channel,
            concerns=sorted(self._flags),
            concern_urgent=self._urgent,
        )
        record.misuse_suspected = self._looks_like_misuse(record.fingerprint())
        self._reset_session()
        self._last_finished = self._clock()
        self._unsaved.append(record)
        if not self._store_unsaved():
            self._out_of_order()
        elif complete if thank is None else thank:
            self._show(FlowState(Screen.THANK_YOU))
        else:
            self._show(FlowState(Screen.ATTRACT))

    def _out_of_order(self) -> None:
        """Ask for staff; tick() tries again every retry_save_seconds and comes back once all is well."""
        self._last_retry = self._clock()
        self._show(FlowState(Screen.OUT_OF_ORDER))

    def _looks_like_misuse(self, fingerprint: str) -> bool:
        """True when this session repeats the same answers as the last few, quickly (HappyOrNot-style)."""
        now, window = self._clock(), self._settings.sessions.misuse_window_seconds
        while self._recent and now - self._recent[0][0] > window:
            self._recent.popleft()
        repeats = sum(1 for _, seen in self._recent if seen == fingerprint)
        self._recent.append((now, fingerprint))
        return repeats + 1 >= self._settings.sessions.misuse_burst_count

    def _store_unsaved(self) -> bool:
        """Save what is waiting, oldest first; True only when every record is durably stored."""
        while self._unsaved:
            try:
                self._save(self._unsaved[0])
            except SaveFailed:
                return False
            self._unsaved.pop(0)
        return True
