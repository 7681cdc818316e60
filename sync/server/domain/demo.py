"""Invented answers for trying the dashboard, and for benchmarks: `feedback-server demo-data`.

Every answer goes in through :func:`sync.server.domain.batches.store_batch`, as a kiosk's would, so it is scrubbed,
counted for the overview and, when flagged, queued for safeguarding. The answers follow the two shipped
question sets (config/questions/easy-read.toml for four sessions in ten, default.toml for the rest): the
Friends and Family Test question with a "tell us why", "do we listen", and what is working and not working.
Each site has its own mix of answers, fewer people answer at weekends, and a few sessions stop part way, as
at a real kiosk. The comments are made up from the everyday subjects people raise about supported living and
day services. Nothing here is real.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from sync.core.clock import utc_now
from sync.core.protocol import Batch, Record, payload_hash
from sync.server.api.auth import Kiosk
from sync.server.domain.batches import store_batch
from sync.server.domain.kiosks import add_kiosk, record_contact

BATCH = 2000
SYNC_DELAY = timedelta(minutes=10)
"""How long after a day's last invented answer its batch arrives (received_at: the safeguarding queue reads a
long gap as a kiosk that could not send)."""
KIOSKS_PER_SITE = 2
OVERALL = ("very-good", "good", "neither", "poor", "very-poor", "dont-know")
LISTEN = {"yes": "Yes", "sometimes": "Sometimes", "no": "No"}
EASY_READ_SHARE = 0.4
"""How many sessions ask the Easy Read set (a new kiosk's) rather than the standard wording: an older kiosk
keeps the set it was given, so a real server holds both."""
WORDS = {
    "default": {"overall": ("Overall, how was your experience of our service?",
                            ("Very good", "Good", "Neither good nor poor", "Poor", "Very poor", "Don't know")),
                "listen": "Do you feel we listen to you and know what matters most to you?",
                "working": "What is working? What is the best thing that has happened?",
                "not-working": "What is not working? What one thing would make it better?"},
    "easy-read": {"overall": ("How was your time with us?", ("Very good", "Good", "OK", "Bad", "Very bad",
                                                             "I don't know")),
                  "listen": "Do we listen to you?", "matters": "Do we know what matters to you?",
                  "working": "What is the best thing here?", "not-working": "What could be better?"},
}
"""Each set's words (config/questions/default.toml and easy-read.toml), as a kiosk sends them."""
WORKING = {
    "staff": ["{who} is always kind to me", "the staff are friendly and make time to chat",
              "{who} helped me when I was upset", "my support worker really listens to me"],
    "food": ["the food is lovely now", "I like the new menu", "we get to choose our dinner",
             "the cooking class was great fun"],
    "outings": ["the trip to the seaside was the best day", "I love going swimming on Tuesdays",
                "we went bowling and I won", "the garden club is really good"],
    "independence": ["I can make my own breakfast now", "I went on the bus on my own",
                     "they help me manage my money myself", "I chose the colour of my room"],
}
NOT_WORKING = {
    "noise": ["it is too noisy at night", "people shout in the corridor late at night",
              "I cannot sleep because of the noise", "the TV is too loud in the lounge"],
    "waiting": ["I have to wait a long time for help", "nobody comes when I press the buzzer",
                "there are not enough staff at weekends", "I waited all morning for someone to take me out"],
    "food": ["the food is cold when it gets to me", "dinner is always the same", "there is no halal choice",
             "I do not like the sandwiches"],
    "cleanliness": ["the bathroom is dirty", "the kitchen is not cleaned enough", "my room smells damp",
                    "the carpet in the hall is stained"],
    "transport": ["the minibus is often late", "I missed college because the taxi did not come",
                  "I cannot get to the shops without a lift", "the bus stop is too far to walk"],
}
TOPICS = {"staff": "staff", "food": "food", "outings": "activities", "independence": "something-else",
          "noise": "something-else", "waiting": "staff", "cleanliness": "building", "transport": "something-else"}
"""The Easy Read set's topic picture (config/questions/easy-read.toml) a person touches before each subject."""
TOPIC_WORDS = {"staff": "The staff", "food": "The food", "activities": "Things to do", "building": "The building",
               "something-else": "Something else"}
WHO = ("Sam", "my keyworker", "the night staff", "Priya", "the manager")
CONCERNS = [("a worker hit me", "abuse-physical"), ("someone takes my money", "abuse-financial"),
            ("I want to end my life", "self-harm"), ("nobody helps me wash and I am left in bed", "neglect")]
LANGUAGES = (("en-GB", 88), ("bn", 8), ("ko", 4))
CHANNELS = (("touch", 78), ("voice", 14), ("keyboard", 8))
CONCERN_RATE = 0.002


def _pick(chooser: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return chooser.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


def _comment(chooser: random.Random, subjects: dict[str, list[str]]) -> str:
    text = chooser.choice(subjects[chooser.choice(list(subjects))])
    return text.replace("{who}", chooser.choice(WHO))


def _payload(chooser: random.Random, leaning: float) -> dict[str, Any]:
    """One session. ``leaning`` (0 to 1) is how well this site is doing: it shifts the answers."""
    question_set = "easy-read" if chooser.random() < EASY_READ_SHARE else "default"
    words = WORDS[question_set]
    good = leaning * 0.85
    weights = [good * 0.55, good * 0.45, 0.08, (1 - good) * 0.45, (1 - good) * 0.3, 0.05]
    overall = chooser.choices(OVERALL, weights)[0]
    question, answer_words = words["overall"]
    answers: list[dict[str, Any]] = [{"question": "overall", "kind": "choice", "status": "answered", "choice": overall,
                                      "choice_text": dict(zip(OVERALL, answer_words, strict=True))[overall],
                                      "question_text": question,
                                      "follow_up_text": "Tell us why"}]
    if chooser.random() < 0.2:
        answers[0]["text"] = _comment(chooser, WORKING if overall in ("very-good", "good") else NOT_WORKING)
    complete = chooser.random() > 0.06
    for asked in [name for name in ("listen", "matters") if name in words]:
        listen = chooser.choices(list(LISTEN), [leaning, 0.3, 1 - leaning])[0]
        answers.append({"question": asked, "kind": "choice", "status": "answered" if complete else "not_reached",
                        "question_text": words[asked],
                        **({"choice": listen, "choice_text": LISTEN[listen]} if complete else {})})
    concern = chooser.choice(CONCERNS) if chooser.random() < CONCERN_RATE else None
    for question, subjects, rate in (("working", WORKING, 0.3), ("not-working", NOT_WORKING, 0.25)):
        subject = chooser.choice(list(subjects))
        said = complete and chooser.random() < rate
        text = (concern[0] if concern and question == "not-working"
                else _comment(chooser, {subject: subjects[subject]}) if said else None)
        answer: dict[str, Any] = {"question": question, "kind": "text", "question_text": words[question],
                                  "status": "answered" if text else "skipped" if complete else "not_reached"}
        if question_set == "easy-read":  # a topic's picture first, then "Tell us more" (only after a topic)
            topic = TOPICS[subject] if text or (complete and chooser.random() < rate) else None
            answer |= {"kind": "choice", "status": "answered" if topic else answer["status"],
                       **({"choice": topic, "choice_text": TOPIC_WORDS[topic]} if topic else {}),
                       "follow_up_text": "Tell us more"}
        answers.append(answer | ({"text": text} if text else {}))
    return {"question_set": question_set, "question_set_version": 1, "language": _pick(chooser, LANGUAGES),
            "complete": complete or concern is not None, "misuse_suspected": False,
            "channel": _pick(chooser, CHANNELS), "answers": answers,
            **({"concerns": [concern[1]]} if concern else {})}


def _moments(chooser: random.Random, count: int, days: int, now: datetime) -> Iterator[datetime]:
    """``count`` moments over the last ``days`` days, in order; weekends and nights are quieter."""
    for _ in range(count):
        while True:
            day = now - timedelta(days=chooser.random() * days)
            if day.weekday() < 5 or chooser.random() < 0.5:
                break
        moment = day.replace(hour=chooser.choice((9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)),
                             minute=chooser.randrange(60), second=chooser.randrange(60), microsecond=0)
        yield moment if moment <= now else moment - timedelta(days=1)  # today's opening hours may be still to come


def _days(moments: list[datetime]) -> Iterator[tuple[int, list[datetime]]]:
    """``moments`` (in order) in batches of one day's, at most :data:`BATCH` each, with how many came before."""
    start = 0
    while start < len(moments):
        end = start + 1
        while end < len(moments) and end - start < BATCH and moments[end].date() == moments[start].date():
            end += 1
        yield start, moments[start:end]
        start = end


def generate(engine: Engine, sites: list[str], responses: int, *, days: int = 365, seed: int = 1,
             now: datetime | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Enrol two kiosks per site and store ``responses`` invented sessions among them; returns how many."""
    chooser = random.Random(seed)
    now = now or utc_now()
    kiosks = []
    for site in sites:
        leaning = chooser.uniform(0.55, 0.95)
        for number in range(1, KIOSKS_PER_SITE + 1):
            name = f"{site.lower().replace(' ', '-')}-{number}"
            add_kiosk(engine, name, site)
            kiosks.append((Kiosk(name=name, site=site), str(uuid.uuid4()), leaning))
    per_kiosk = [responses // len(kiosks) + (index < responses % len(kiosks)) for index in range(len(kiosks))]
    stored = 0
    for (kiosk, device, leaning), count in zip(kiosks, per_kiosk, strict=True):
        moments = sorted(_moments(chooser, count, days, now))
        for seq_before, day in _days(moments):
            records = []
            for seq, moment in enumerate(day, seq_before + 1):
                body = _payload(chooser, leaning)
                records.append(Record(id=str(uuid.UUID(int=chooser.getrandbits(128), version=4)), seq=seq,
                                      created_at_device=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), payload=body,
                                      sha256=payload_hash(body)))
            sent = min(day[-1] + SYNC_DELAY, now)  # a kiosk syncs soon after each answer
            store_batch(engine, kiosk, Batch(batch_id=str(uuid.uuid4()), kiosk_id=device, schema_version=1,
                                             sent_at_device=sent.strftime("%Y-%m-%dT%H:%M:%SZ"), pending=0,
                                             records=records), received_at=sent)
            stored += len(records)
            if progress is not None:
                progress(len(records))
    with engine.begin() as connection:  # each kiosk still syncs (with nothing to send) when the demo is made
        for kiosk, device, _leaning in kiosks:
            record_contact(connection, kiosk.name, now=utc_now(), pending=0, device_id=device)
    return stored
