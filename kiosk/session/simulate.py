"""Synthetic sessions through the real flow and store, for demos, load tests and crash tests."""

from __future__ import annotations

import random
from collections.abc import Callable

from kiosk.session.flow import Flow, SaveFailed, Screen
from kiosk.session.settings import KioskConfig
from kiosk.session.store import Saved, Store
from sync.core.privacy import read_concerns, scrub

SAMPLE_TEXTS = (
    "The staff are kind and they listen to me.",
    "I like the garden and the cooking group.",
    "Sometimes nobody answers the bell at night.",
    "More trips out please, the bus is always late.",
    "My keyworker helped me sort out my money.",
    "Call me on 07700 900123 about the food.",
    "কর্মীরা খুব ভালো, ক্ষমা চাওয়ার দরকার নেই।",
    "খাবার আরও ভালো হতে পারে।",
    "직원들이 친절하고 잘 들어줘요.",
    "밤에 너무 시끄러워요.",
)


class SimulatedClock:
    """A monotonic clock that only moves when told, so simulated sessions never wait."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def simulate(
    count: int, *, config: KioskConfig, store: Store, seed: int | None, on_saved: Callable[[Saved], None]
) -> None:
    """Record ``count`` complete sessions with random answers, skips and back presses."""
    rng = random.Random(seed)
    clock = SimulatedClock()

    def save(record):  # type: ignore[no-untyped-def]
        on_saved(store.save(record))

    flow = Flow(questions=config.questions, settings=config.settings, save=save, scrub=scrub,
                concerns=read_concerns, clock=clock, channel="simulated")
    pause = config.settings.sessions.min_seconds_between + config.settings.sessions.thank_you_seconds
    for _ in range(count):
        clock.advance(pause + rng.uniform(1, 600))
        flow.tick()
        flow.start()
        while flow.state.screen in (Screen.CHOICE, Screen.TEXT, Screen.HELP):
            clock.advance(rng.uniform(2, 20))
            if flow.state.screen == Screen.HELP:
                flow.carry_on()
            else:
                _answer_at_random(flow, rng)
        if flow.state.screen == Screen.OUT_OF_ORDER:
            raise SaveFailed("the store refused a simulated session")
        flow.finish()


def _answer_at_random(flow: Flow, rng: random.Random) -> None:
    state = flow.state
    roll = rng.random()
    if roll < 0.08:
        flow.skip()
    elif roll < 0.12 and (state.number > 1 or state.follow_up):
        flow.back()
    elif state.screen == Screen.CHOICE and state.question is not None:
        flow.choose(rng.choice(state.question.answers).id)
    else:
        flow.edit_text(rng.choice(SAMPLE_TEXTS))
        flow.submit_text()
