""""You said, we did" on the real app's thank-you screen (a Kivy window in a subprocess): each person sees an
item in the language they chose, and someone who chose Bengali or Korean never sees an item that has no words
in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.session.i18n import translations
from kiosk.session.settings import BUILTIN_CONFIG, KioskConfig
from kiosk.session.updates import save_updates
from sync.core.protocol import QuestionSetText, Translation, Updates, YouSaidWeDid
from tests.test_gui import run_kiosk

pytestmark = pytest.mark.gui

GARDEN = YouSaidWeDid(id=1, said="The garden is messy.", did="We planted flowers.", picture="heart",
                      date="2026-10-01", translations={
                          "bn": Translation(said="বাগানটা অগোছালো।", did="আমরা ফুল লাগিয়েছি।"),
                          "ko": Translation(said="정원이 지저분해요.", did="꽃을 심었어요.")})
LIFT = YouSaidWeDid(id=2, said="The lift is broken.", did="We mended the lift.", picture="thumbs-up",
                    date="2026-11-01")
"""Newer, so shown first where it can be; in English only."""


def session(language: str, audit: Path) -> list[dict[str, object]]:
    """One person's whole session in ``language`` (the one-question "feelings" set), ending on the thank-you
    screen, which is audited; then they finish and the next person may start."""
    choose = [] if language == "en-GB" else [{"tap": "setting:language"}, {"tap": f"language:{language}"}]
    return [*choose, {"tap": "start"}, {"tap": "answer:happy"}, {"tap": "control:skip"}, {"audit": str(audit)},
            {"tap": "finish"}, {"advance": 5}]


def send(data: Path, picture_dirs: list[Path], *items: YouSaidWeDid) -> None:
    """What the sync job keeps from the server: the items, and the short "feelings" question set."""
    toml = (BUILTIN_CONFIG / "questions" / "feelings.toml").read_text()
    feelings = QuestionSetText(id="feelings", version=1, toml=toml)
    save_updates(data, Updates(version="1", site="Rose House", question_set=feelings, you_said_we_did=list(items)),
                 picture_dirs)


def on_screen(audit: Path) -> list[str]:
    """Every text on the audited thank-you screen."""
    found = json.loads(audit.read_text())
    assert found["screen"] == "thank_you"
    return [widget["text"] for widget in found["widgets"] if "text" in widget]


def lines(language: str, words: Translation, config: KioskConfig) -> list[str]:
    """The "You said" and "We did" lines as the thank-you screen words them in ``language``."""
    kiosk_words = translations(language, config.config_dirs)
    return [kiosk_words.gettext("People told us: {said}").format(said=words.said),
            kiosk_words.gettext("What we did: {did}").format(did=words.did)]


def english(item: YouSaidWeDid) -> Translation:
    return Translation(said=item.said, did=item.did)


def test_each_person_sees_the_item_in_their_own_language_or_not_at_all(tmp_path, kiosk_env, config):
    data = tmp_path / "data"
    send(data, config.picture_dirs, LIFT, GARDEN)
    audits = {language: tmp_path / f"{language}.json" for language in ("bn", "en-GB", "ko")}
    run_kiosk(tmp_path, kiosk_env, [step for language, audit in audits.items() for step in session(language, audit)],
              data=data)
    for tag in ("bn", "ko"):
        shown = on_screen(audits[tag])
        assert set(lines(tag, GARDEN.translations[tag], config)) <= set(shown), shown
        assert not any(LIFT.said in text or GARDEN.said in text for text in shown), shown  # never the English
    shown = on_screen(audits["en-GB"])
    assert any(set(lines("en-GB", english(item), config)) <= set(shown) for item in (LIFT, GARDEN)), shown


def test_with_nothing_in_the_persons_language_the_thank_you_screen_shows_no_item(tmp_path, kiosk_env, config):
    data = tmp_path / "data"
    send(data, config.picture_dirs, LIFT)
    run_kiosk(tmp_path, kiosk_env, [*session("bn", tmp_path / "bn.json"), *session("en-GB", tmp_path / "en.json")],
              data=data)
    said = translations("bn", config.config_dirs).gettext("People told us: {said}").format(said="")
    assert not any(said in text or LIFT.said in text for text in on_screen(tmp_path / "bn.json"))
    assert set(lines("en-GB", english(LIFT), config)) <= set(on_screen(tmp_path / "en.json"))
