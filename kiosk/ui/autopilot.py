"""Drive the real app with simulated touches from a script: used by tests, benchmarks and screenshots.

    python -m kiosk.ui.autopilot --script steps.json --out result.json [--config DIR] [--data DIR] [--size WxH]

Steps (a JSON list, run one per drawn frame):
    {"tap": "answer:good"}      touch the widget whose tap_id is given, on the current screen
    {"touch_at": [0.5, 0.5]}    touch the window at that fraction of its width and height
    {"hold_at": [0.02, 0.98], "seconds": 6}
                                press there, move the clock on by that many seconds (a finger held
                                down), then lift (x from the left, y from the bottom, as in Kivy)
    {"type": "hi there"}        tap the on-screen keys that type it, one by one, turning the keyboard's
                                pages as needed (Hangul as its jamo: 한 is ㅎ ㅏ ㄴ); a character no page has
                                is typed on a physical keyboard instead (a "keyboard" step)
    {"keyboard": "07700 900123"} type on a physical keyboard (for what the letter keys do not have)
    {"advance": 70}             move the flow's clock on by that many seconds, then let it tick
    {"screenshot": "a.png"}     save the window as a PNG
    {"key": "tab"}              press a key (tab, shift+tab, left, right, up, down, enter, space, escape,
                                f1, alt+f4), as a keyboard or a switch interface would (see kiosk.ui.access)
    {"close_request": true}     ask SDL to close the window, as the window manager's close button or
                                Alt+F4 does (an SDL_QUIT event pushed into SDL's own queue)
    {"key": "tab", "until": "answer:good"}
                                press it again and again (at most 50 times) until that is highlighted
    {"audit": "a.json"}         write what is on screen (touch targets, texts and their colours) as JSON,
                                see kiosk.ui.audit
    {"disk_full": true}         limit this process's file size to 1 byte (RLIMIT_FSIZE): writes then
                                fail with EFBIG exactly as on a full disk; false lifts the limit
    {"microphone": "a.wav"}     the next time the kiosk listens, it hears this file (in real time), as
                                if said into the microphone (with a microphone's faint hiss) once the
                                kiosk has finished speaking; with none queued there is silence
    {"wait_for": "confirm_voice", "seconds": 30}
                                let the app run until that screen shows (listening takes real time)
    {"quiet": 30}               let the app run until the kiosk has finished speaking
    {"wait_for_highlight": "start", "seconds": 30, "key": "enter"}
                                let the app run until that is highlighted (one-switch scanning), then
                                press the key (if given) in the same moment, as a switch user does

With --kiosk-mode the app runs as `kiosk run` does on a kiosk (full screen, locked down) instead of
in a window. With --speech-log FILE, the speaker is kiosk.voice.speakers.CaptureSpeaker: every prompt the kiosk
speaks is synthesised for real and logged (text, language, duration) as one JSON line in FILE; --speech-speed N
plays it N times faster than life, so a test waiting for the kiosk to finish speaking waits less.
Tap ids of the on-screen keyboard (kiosk.ui.widgets.LetterKeyboard, its keys from kiosk.keyboard):
``key:<key>`` for a letter or sign as the keyboard file writes it (``key:a``, ``key:ক``, ``key:ি``, ``key:ㅎ``),
``key:space``, ``key:delete``, and ``key:page:<n>`` for "more letters", where n is the page it turns to
(counted from 1).

Taps press, wait 50 ms like a finger, then lift. The result file records, for each step, the screen
shown afterwards and the time from the lift (or the step's action) to the next frame finished drawing
(``latency_ms``): the GL driver has drawn every pixel of it (``glFinish``), not only been handed it. Waiting
for that also means no step starts while the previous frame is still being drawn: a software GL driver draws
frames behind the app's back, and a tap landing during that wait would be charged for the previous screen's
pixels (a person taps once a screen is there to see).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.voice.audio import WavFileSource

MICROPHONE_HISS = -60.0
"""dBFS of the hiss under the fake microphone's audio: a quiet room through a cheap microphone."""


class OffsetClock:
    """The real monotonic clock plus a jump the script can add (idle time without waiting)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


def find_tappable(root: Any, tap_id: str) -> Any:
    for widget in root.walk():
        if getattr(widget, "tap_id", None) == tap_id and widget.get_root_window() is not None and not widget.disabled:
            return widget
    raise LookupError(f"nothing with tap_id {tap_id!r} on screen {root.name!r}")


class Autopilot:
    def __init__(self, app: Any, clock: OffsetClock, steps: list[dict[str, Any]], out: Path,
                 microphone: list[Path] | None = None):
        self.app, self.clock, self.steps, self.out = app, clock, list(steps), out
        self.microphone = microphone if microphone is not None else []
        """Files the kiosk will hear, in turn (shared with the app's audio source)."""
        self.results: list[dict[str, Any]] = []
        self.error: str | None = None
        self.first_frame_at: float | None = None
        self._limit = resource.getrlimit(resource.RLIMIT_FSIZE)
        self.finished = False

    def start(self) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window

        def first_frame(*_args: object) -> None:
            Window.unbind(on_flip=first_frame)
            self.first_frame_at = time.time()  # wall clock, comparable with the process's start
            # the first frame is drawn before the layout has settled: give it a moment, or a tap aimed at
            # a widget's centre lands where the widget will not be
            Clock.schedule_once(lambda _dt: self._next(), 0.3)

        Window.bind(on_flip=first_frame)

    def _next(self) -> None:
        from kivy.clock import Clock

        if not self.steps or self.error:
            self._finish()
            return
        step = self.steps.pop(0)
        if "type" in step:  # one tap per key, each a step of its own
            self.steps[:0] = typing(self.app.manager.get_screen("text").ids.keyboard, step["type"])
            self._next()
        elif "wait_for" in step or "quiet" in step or "wait_for_highlight" in step:
            self._wait_for(step, time.monotonic() + float(step.get("seconds", step.get("quiet", 30))))
        elif "until" in step:
            self._press_until(step, 50)
        elif "hold_at" in step:
            touch = self._press(step)
            self.clock.offset += float(step["seconds"])
            self.app.tick()
            self._act(step, touch.touch_up)
        elif "tap" in step or "touch_at" in step:
            # a finger rests ~50 ms: press now, lift later; the lift is what buttons act on
            try:
                touch = self._press(step)
            except LookupError as exc:
                self.error = f"{step}: {exc}"
                self._finish()
                return
            Clock.schedule_once(lambda _dt: self._act(step, touch.touch_up), 0.05)
        else:
            self._act(step, lambda: self._run(step))

    def _act(self, step: dict[str, Any], action: Callable[[], object]) -> None:
        """Do ``action``, then record the screen and the time until the next frame was drawn."""
        from kivy.clock import Clock
        from kivy.core.window import Window

        started = time.perf_counter()
        try:
            action()
        except Exception as exc:  # report any failure to the test that reads the result
            self.error = f"{step}: {type(exc).__name__}: {exc}"
        acted = time.perf_counter()

        def drawn(*_args: object) -> None:
            from kivy.graphics.opengl import glFinish

            Window.unbind(on_flip=drawn)
            glFinish()
            highlighted = self.app.access.highlighted
            self.results.append({"step": step, "screen": self.app.manager.current,
                                 "highlighted": highlighted.tap_id if highlighted is not None else None,
                                 "latency_ms": (time.perf_counter() - started) * 1000,
                                 "action_ms": (acted - started) * 1000})
            Clock.schedule_once(lambda _dt: self._next(), 0)

        Window.bind(on_flip=drawn)
        Window.canvas.ask_update()

    def _press_until(self, step: dict[str, Any], tries: int) -> None:
        """One press of the step's key per frame until its target is highlighted."""
        from kivy.clock import Clock

        highlighted = self.app.access.highlighted
        if highlighted is not None and highlighted.tap_id == step["until"]:
            self._act(step, lambda: None)
        elif tries == 0:
            self.error = f"{step}: never highlighted (last: {getattr(highlighted, 'tap_id', None)!r})"
            self._finish()
        else:
            press_key(step["key"])
            Clock.schedule_once(lambda _dt: self._press_until(step, tries - 1), 0)

    def _wait_for(self, step: dict[str, Any], deadline: float) -> None:
        from kivy.clock import Clock

        speech = self.app.voice.speech
        highlighted = self.app.access.highlighted
        if ("quiet" in step and (speech is None or speech.wait_idle(0))) or (
                self.app.manager.current == step.get("wait_for")) or (
                highlighted is not None and highlighted.tap_id == step.get("wait_for_highlight")):
            self._act(step, lambda: press_key(step["key"]) if "key" in step else None)
        elif time.monotonic() > deadline:
            self.error = f"{step}: still on {self.app.manager.current!r}{', speaking' if 'quiet' in step else ''}"
            self._finish()
        else:
            Clock.schedule_once(lambda _dt: self._wait_for(step, deadline), 0.05)

    def _run(self, step: dict[str, Any]) -> None:
        if "microphone" in step:
            self.microphone.append(Path(step["microphone"]))
        elif "advance" in step:
            self.clock.offset += float(step["advance"])
            self.app.tick()
        elif "keyboard" in step:
            from kivy.core.window import Window

            Window.dispatch("on_textinput", step["keyboard"])
        elif "screenshot" in step:
            save_screen(self.app.root, step["screenshot"])
        elif "key" in step:
            press_key(step["key"])
        elif "close_request" in step:
            push_sdl_quit()
        elif "audit" in step:
            from kiosk.ui.audit import audit

            found = {"screen": self.app.manager.current, "widgets": audit(self.app.manager.current_screen)}
            Path(step["audit"]).write_text(json.dumps(found, ensure_ascii=False, indent=1))
        elif "disk_full" in step:
            limit = (1, self._limit[1]) if step["disk_full"] else self._limit
            resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        else:
            raise ValueError("unknown step")

    def _press(self, step: dict[str, Any]) -> Any:
        from kivy.core.window import Window
        from kivy.tests.common import UnitTestTouch

        if "tap" in step:
            widget = find_tappable(self.app.manager.current_screen, step["tap"])
            x, y = widget.to_window(*widget.center)
        else:
            x, y = step.get("touch_at", step.get("hold_at"))
            x, y = x * Window.width, y * Window.height
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        return touch

    def _finish(self) -> None:
        self.finished = True
        resource.setrlimit(resource.RLIMIT_FSIZE, self._limit)
        result = {"steps": self.results, "error": self.error, "first_frame_at": self.first_frame_at}
        self.out.write_text(json.dumps(result, indent=1))
        self.app.stop()

    def closed_early(self) -> None:
        """The app ended by itself (a close request, Restart) before the script did: say so in the result."""
        if not self.finished:
            self.error = "the app closed before the script ended"
            self._finish()


def typing(board: Any, text: str) -> list[dict[str, str]]:
    """The steps that type ``text`` on ``board`` (a LetterKeyboard) from the page it shows."""
    keyboard, page, steps = board.keyboard, board.page, []
    for key in keyboard.keys_for(text):
        if key == " ":
            steps.append({"tap": "key:space"})
        elif (wanted := keyboard.page_of(key, page)) is None:
            steps.append({"keyboard": key})
        else:
            while page != wanted:
                page = keyboard.next_page(page)
                steps.append({"tap": f"key:page:{page + 1}"})
            steps.append({"tap": f"key:{key}"})
    return steps


KEYS = {"tab": 9, "enter": 13, "space": 32, "left": 276, "up": 273, "right": 275, "down": 274, "escape": 27,
        "f1": 282, "f4": 285}


def press_key(name: str) -> None:
    """A key press as SDL2 delivers it: key down (and the text it types), then key up."""
    from kivy.core.window import Window

    *held, key = name.split("+")
    code = KEYS[key]
    Window.dispatch("on_key_down", code, 0, None, held)
    if key == "space":
        Window.dispatch("on_textinput", " ")
    Window.dispatch("on_key_up", code, 0)


def save_screen(root: Any, path: str) -> None:
    """Save what the window shows as a PNG. Kivy draws the widgets onto a transparent picture; the window
    behind them is cleared to the screens' background colour (kiosk.ui.app), so lay them on that."""
    from kivy.core.window import Window
    from PIL import Image

    root.export_to_png(path)
    with Image.open(path) as drawn:
        shown = Image.new("RGBA", drawn.size, tuple(round(c * 255) for c in Window.clearcolor))
        shown.alpha_composite(drawn.convert("RGBA"))
    shown.convert("RGB").save(path)


def push_sdl_quit() -> None:
    """Put an SDL_QUIT event in the queue of the SDL library Kivy has loaded, as closing the window does."""
    import ctypes

    library = next(line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
                   if "/libSDL2-2" in line)
    sdl = ctypes.CDLL(library)
    event = ctypes.create_string_buffer(56)  # sizeof(SDL_Event); SDL_QUIT's type field is 0x100
    ctypes.c_uint32.from_buffer(event).value = 0x100
    if sdl.SDL_PushEvent(event) != 1:
        raise RuntimeError("SDL refused the close request")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--speech-log", type=Path)
    parser.add_argument("--speech-speed", type=float, default=1.0,
                        help="with --speech-log, play each prompt this many times faster than life (tests)")
    parser.add_argument("--kiosk-mode", action="store_true")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))

    from kiosk.device.logs import log_app
    from kiosk.session.settings import load_config
    from kiosk.ui.app import build_app, prepare_kivy
    from kiosk.voice.speakers import CaptureSpeaker

    config = load_config(args.config)
    log_app(args.data)  # as `kiosk run` logs, so tests search the same files
    prepare_kivy(windowed=not args.kiosk_mode, size=(width, height), screen=config.settings.screen)
    clock = OffsetClock()
    heard: list[Path] = []
    speaker = CaptureSpeaker(args.speech_log, speed=args.speech_speed) if args.speech_log else None

    def microphone() -> WavFileSource | None:  # the person at it waits for the kiosk to finish asking
        if not heard:
            return None
        from kiosk.voice.audio import WavFileSource  # numpy: imported here, as `kiosk run` does, not at start

        speech = app.voice.speech
        return WavFileSource(heard.pop(0), when=lambda: speech is None or speech.said_everything(),
                             noise_floor=MICROPHONE_HISS)

    app = build_app(config=config, data_dir=args.data, clock=clock, speaker=speaker, open_source=microphone,
                    locked_down=args.kiosk_mode)

    pilot = Autopilot(app, clock, json.loads(args.script.read_text()), args.out, heard)
    pilot.start()
    app.run()
    pilot.closed_early()
    return 1 if pilot.error else 0


if __name__ == "__main__":
    sys.exit(main())
