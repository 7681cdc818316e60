"""Take a screenshot of every kiosk screen, in every shipped language, in landscape and portrait, into
docs/screenshots/ (named LANGUAGE-ORIENTATION-NN-screen.png).

    .venv/bin/python docs/make_screenshots.py [--staff-only]

Runs the real app offscreen through kiosk.ui.autopilot (the voice screens on the Korean example
kiosk, hearing espeak-ng's Korean through the real speech model; Sylheti on a stand-in set of recordings),
then shrinks each PNG to half size so the
repository stays small. Look at every one after a change to the screens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from example_recordings import make_example  # docs/, beside this script
from PIL import Image

from kiosk.session.settings import load_config
from kiosk.session.updates import save_updates
from kiosk.staff.pin import set_pin
from sync.core.protocol import Translation, Updates, YouSaidWeDid

OUT = Path(__file__).resolve().parent / "screenshots"
KOREAN_KIOSK = Path(__file__).resolve().parent / "examples" / "korean-kiosk"
EXAMPLE_UPDATES = Updates(version="example", site="Rose House", you_said_we_did=[
    YouSaidWeDid(id=1, said="There is nothing to do at weekends", did="We started a Saturday walking group",
                 picture="thumbs-up", date="2026-10-01", translations={
                     "bn": Translation(said="শনি-রবিবারে করার কিছু নেই", did="আমরা শনিবারে হাঁটার দল শুরু করেছি"),
                     "ko": Translation(said="주말에 할 일이 없어요", did="토요일 걷기 모임을 시작했어요")})])
TYPED = {"en-GB": ("kind staff", "a worker hit me"), "bn": ("কর্মীরা ভালো", "আমাকে মারে"),
         "ko": ("직원이 친절해요", "직원이 때렸어요")}
"""What a person types in each language, on their own script's keyboard: a comment, then words of concern."""


def steps(shot: str, language: str) -> list[dict]:
    """Every screen, in ``language`` (chosen on the language screen again after each session, since the
    next person starts in the kiosk's own language)."""
    def snap(name: str) -> dict:
        return {"screenshot": f"{shot}-{name}.png"}

    choose = [] if language == "en-GB" else [{"tap": "setting:language"}, {"tap": f"language:{language}"}]
    comment, concern = TYPED[language]
    return [
        *choose, snap("01-attract"),
        {"tap": "setting:language"}, snap("02-language"), {"tap": "control:back"},
        {"tap": "start"}, snap("03-choice-six-answers"),
        {"tap": "control:help"}, snap("30-help-i-need-help"), {"tap": "help:carry_on"},
        {"tap": "answer:good"}, {"type": comment}, snap("04-text-tell-us-why"),
        {"tap": "control:back"}, snap("05-choice-answer-chosen"),
        {"tap": "answer:good"}, {"tap": "control:skip"}, snap("06-choice-three-answers"),
        {"tap": "answer:yes"}, {"tap": "answer:yes"}, snap("31-choice-topics"),
        {"tap": "answer:food"}, snap("07-text-empty"),
        {"advance": 61}, snap("08-still-there"),
        {"tap": "still_here"}, {"tap": "control:skip"}, {"tap": "control:skip"}, snap("24-about-you"),
        {"tap": "answer:yes"}, snap("25-about-you-age"), {"tap": "control:skip"}, snap("26-about-you-who"),
        {"tap": "control:skip"}, snap("09-thank-you"),
        {"tap": "finish"}, *choose, {"tap": "start"}, snap("10-attract-please-wait"),
        {"advance": 10}, *choose, {"tap": "start"}, {"tap": "answer:very-poor"}, {"type": concern},
        {"tap": "control:done"}, snap("11-help-you-can-talk-to-someone"), {"tap": "help:phone"},
        snap("29-help-phone-someone"), {"tap": "control:back"}, {"tap": "help:tell_staff"},
        snap("27-help-tell-staff-now"), {"tap": "control:back"}, {"tap": "help:finish"}, {"tap": "finish"},
        {"advance": 10}, *choose, {"tap": "setting:bigger_text"}, {"tap": "setting:high_contrast"},
        snap("12-attract-bigger-text-high-contrast"), {"tap": "start"}, snap("13-choice-bigger-text-high-contrast"),
        {"tap": "answer:good"}, snap("14-text-bigger-text-high-contrast"), {"tap": "control:start_again"},
        snap("28-start-again-bigger-text-high-contrast"), {"tap": "start_again:yes"},
        {"advance": 10}, *choose, {"tap": "start"}, *[{"tap": "control:skip"}] * 5, {"disk_full": True},
        {"tap": "answer:no"},
        {"disk_full": False}, snap("15-out-of-order"),
    ]


def voice_steps(shot: str, said: Path) -> list[dict]:
    """Answering by voice, on the Korean example kiosk (the speech model on PyPI is Korean)."""
    def snap(name: str) -> dict:
        return {"screenshot": f"{shot}-{name}.png"}

    return [
        {"tap": "start"}, {"quiet": 60}, snap("16-choice-with-microphone"),
        {"microphone": str(said)}, {"tap": "control:listen"}, snap("17-listening"),
        {"wait_for": "confirm_voice", "seconds": 60}, snap("18-you-said-is-that-right"),
        {"tap": "confirm:yes"}, {"microphone": str(said)}, {"tap": "control:listen"},
        {"wait_for": "confirm_voice", "seconds": 60}, snap("19-you-said-dictation"),
    ]


def sylheti_steps(shot: str) -> list[dict]:
    """Sylheti, spoken only: offered once its recordings are in (a stand-in set here), shown in Bengali."""
    def snap(name: str) -> dict:
        return {"screenshot": f"{shot}-{name}.png"}

    return [{"tap": "setting:language"}, snap("02-language"), {"tap": "language:syl"}, snap("01-attract"),
            {"tap": "start"}, snap("03-choice")]


STAFF_PIN = "2580"


def staff_steps(shot: str) -> list[dict]:
    """Staff mode (in English only): the PIN pad, a wrong PIN, the staff screen, a confirmation."""
    def snap(name: str) -> dict:
        return {"screenshot": f"{shot}-{name}.png"}

    pin = [{"tap": f"pin:{digit}"} for digit in STAFF_PIN]
    return [
        {"tap": "start"}, {"tap": "answer:good"}, {"tap": "control:skip"}, {"tap": "answer:yes"}, {"tap": "answer:yes"},
        {"tap": "control:skip"}, {"tap": "control:skip"}, {"tap": "answer:no"}, {"tap": "finish"},
        {"hold_at": [0.02, 0.98], "seconds": 6}, snap("20-staff-pin"),
        *[{"tap": "pin:1"}] * 4, {"tap": "pin:ok"}, *pin[:2], snap("21-staff-pin-wrong"), {"tap": "pin:delete"},
        {"tap": "pin:delete"}, *pin, {"tap": "pin:ok"}, snap("22-staff"),
        {"tap": "staff:shutdown"}, snap("23-staff-press-again"),
    ]


def take(steps: list[dict], tmp: str, data: Path, size: str, env: dict[str, str], *options: str) -> None:
    script, result = Path(tmp, "steps.json"), Path(tmp, "result.json")
    script.write_text(json.dumps(steps))
    subprocess.run([sys.executable, "-m", "kiosk.ui.autopilot", "--script", str(script), "--out", str(result),
                    "--data", str(data), "--size", size, *options], env=env, check=True)


def main() -> None:
    staff_only = "--staff-only" in sys.argv
    OUT.mkdir(exist_ok=True)
    env = dict(os.environ, SDL_VIDEODRIVER=os.environ.get("SDL_VIDEODRIVER", "offscreen"), KIVY_NO_ARGS="1",
               KIVY_NO_FILELOG="1", KIVY_NO_CONSOLELOG="1")
    with tempfile.TemporaryDirectory() as tmp:
        env["KIVY_HOME"] = f"{tmp}/kivy"
        recorded = Path(tmp, "sylheti")
        make_example("syl", recorded)
        for orientation, size in (("landscape", "1280x800"), ("portrait", "800x1280")):
            data = Path(tmp, f"data-staff-{orientation}")
            set_pin(data, STAFF_PIN)
            take(staff_steps(f"{tmp}/en-GB-{orientation}"), tmp, data, size, env)
            if staff_only:
                continue
            for language in load_config().settings.offered:
                data = Path(tmp, f"data-{language}-{orientation}")
                save_updates(data, EXAMPLE_UPDATES, load_config().picture_dirs)  # so "You said, we did" shows
                take(steps(f"{tmp}/{language}-{orientation}", language), tmp, data, size, env)
            data = Path(tmp, f"data-syl-{orientation}")
            subprocess.run([sys.executable, "-m", "kiosk", "voice", "recordings", "syl", "--from", str(recorded),
                            "--data", str(data)], check=True, capture_output=True)
            take(sylheti_steps(f"{tmp}/syl-{orientation}"), tmp, data, size, env)
            said = Path(tmp, "said.wav")
            subprocess.run(["espeak-ng", "-v", "ko", "-w", str(said), "좋아요"], check=True)
            take(voice_steps(f"{tmp}/ko-{orientation}", said), tmp, Path(tmp, f"voice-{orientation}"), size, env,
                 "--config", str(KOREAN_KIOSK), "--speech-log", str(Path(tmp, "spoken.jsonl")))
        for old in OUT.glob("*-2[0-3]-staff*.png" if staff_only else "*.png"):
            old.unlink()
        for shot in sorted(Path(tmp).glob("*.png")):
            image = Image.open(shot)
            image = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
            image.convert("RGB").quantize(colors=128).save(OUT / shot.name, optimize=True)
            print(OUT / shot.name)


if __name__ == "__main__":
    main()
