"""The Kivy app: wires the flow, the store and the screens together, and nothing more."""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import features

from kiosk.session.settings import KioskConfig, ScreenSettings

if TYPE_CHECKING:
    from kiosk.keyboard import Keyboard
    from kiosk.voice.controller import SourceFactory
    from kiosk.voice.speakers import Speaker
    from sync.core.privacy.concerns import ConcernRules

BIGGER_TEXT = 1.5
"""How much larger a person's "bigger text" makes every word (the layout keeps its 2 cm buttons)."""
SCREEN_MODULES = ("attract", "language", "choice", "text", "listening", "confirm_voice", "help", "still_there",
                  "start_again", "thank_you", "out_of_order", "staff_pin", "staff")
BUILT_WHEN_NEEDED = ("out_of_order", "staff_pin", "staff")
"""Screens built only when first shown (a moment's wait there is fine); the others are built one a frame after
the start screen appears."""
STAFF_CORNER = 0.12
"""The hidden staff corner (top left) is a square this share of the screen's shorter side."""
CORNER_SCREENS = ("attract", "out_of_order")
"""Where the staff corner works: never during someone's session."""


def prepare_kivy(*, windowed: bool, size: tuple[int, int], screen: ScreenSettings | None = None,
                 kivy_home: Path | None = None) -> None:
    """Settings Kivy reads once, before its window exists. Not ``windowed`` is kiosk mode: full screen,
    borderless, no cursor, and no way out by Escape or a close request (see KioskApp.locked_down)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    if not windowed:
        # SDL turns SIGTERM and SIGINT into close requests, which kiosk mode refuses: systemd could then not
        # stop the app. Without SDL's handlers, run_app's own SIGTERM handler stops it cleanly.
        os.environ["SDL_NO_SIGNAL_HANDLERS"] = "1"
    if features.check("raqm"):
        # Kivy's default text renderer (SDL2_ttf) does not shape Bengali: vowel signs land on the wrong
        # side and conjuncts break. Pillow with libraqm (HarfBuzz) shapes every script correctly.
        os.environ.setdefault("KIVY_TEXT", "pil")
    if kivy_home is not None:
        os.environ["KIVY_HOME"] = str(kivy_home)
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "0" if windowed else "auto")
    Config.set("graphics", "borderless", "0" if windowed else "1")
    Config.set("graphics", "show_cursor", "1" if windowed else "0")
    Config.set("kivy", "exit_on_escape", "1" if windowed else "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "multisamples", "0")
    if screen is not None:
        Config.set("graphics", "rotation", str(screen.rotation))
        # Kivy lets SDL blank the screen unless told not to (on KMS/DRM the console's own blanking is turned
        # off by consoleblank=0: docs/install.md)
        Config.set("graphics", "allow_screensaver", "1" if windowed or not screen.keep_awake else "0")


def build_app(*, config: KioskConfig, data_dir: Path, clock: Callable[[], float] = time.monotonic,  # type: ignore[no-untyped-def]
              speaker: Speaker | None = None, open_source: SourceFactory | None = None,
              concern_rules: dict[str, ConcernRules] | None = None, keyboards: dict[str, Keyboard] | None = None,
              locked_down: bool = False):
    """Create the app object (Kivy must already be prepared); ``locked_down`` in kiosk mode. ``speaker``
    and ``open_source`` stand in for the sound card and microphone (see kiosk.voice.controller.make_voice).
    ``concern_rules`` (by language) are compiled on a thread after the first screen when not given
    (``kiosk run`` compiles them before, so a mistake in a site's concerns.toml stops it with one clear line).
    ``keyboards`` (by language) are read here when not given (``kiosk run`` reads them before, for the same reason)."""
    from importlib import import_module

    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.metrics import Metrics
    from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

    from kiosk.device.backup import BackupSchedule
    from kiosk.device.disk_space import has_room
    from kiosk.device.heartbeat import beat_from_main_loop
    from kiosk.device.recovery import open_store
    from kiosk.keyboard import load_keyboard
    from kiosk.session.flow import Flow, FlowState, Personal, SaveFailed, Screen
    from kiosk.session.store import Store, StoreUnavailable
    from kiosk.session.updates import load_question_set_update, load_you_said_we_did
    from kiosk.staff.mode import StaffMode, StaffState, StaffView
    from kiosk.staff.tools import KioskStaffTools, pin_checker
    from kiosk.ui import theme, words
    from kiosk.ui.access import KeyAccess, words_of
    from kiosk.ui.text_speedups import words_drawn_once, words_measured_once, words_on_new_textures
    from kiosk.voice.controller import make_voice, open_microphone
    from kiosk.voice.prompt_script import spoken_languages_ready
    from sync.core.privacy import scrub
    from sync.core.privacy.concerns import load_concern_rules

    @functools.cache
    def rules(language: str) -> ConcernRules:
        return (concern_rules or {}).get(language) or load_concern_rules(
            language, config.config_dirs, learned=config.settings.privacy.learned_concerns)

    words.use(config.config_dirs)
    theme.pictures_kept_loaded()
    words_on_new_textures()
    words_drawn_once()
    words_measured_once()
    keyboards = keyboards or {tag: load_keyboard(tag, config.config_dirs) for tag in config.settings.offered}
    from kiosk.ui.screens import InstantTransition, Screens
    from kiosk.ui.widgets import FitLabel  # also registers the widget classes and rules

    screens = {name: import_module(f"kiosk.ui.screens.{name}") for name in SCREEN_MODULES}

    class KioskApp(App):
        title = "Feedback kiosk"
        language = StringProperty(config.settings.language)
        """The language on screen: this person's choice, else the kiosk's own (kv: ``_('Back', app.language)``)."""
        font_name = StringProperty(theme.font_for(config.language_pack.fonts))
        colors = ObjectProperty(theme.Palette())
        """The colours on screen (kv: ``app.colors.text``): the standard palette or this person's high contrast."""
        can_listen = BooleanProperty(False)
        """Whether the microphone button shows: for a language that can be heard, and on a text question only where
        its engine takes dictation (kiosk.voice.engines)."""
        bigger = NumericProperty(1.0)
        """This person's "bigger text" factor: a box holding words grows by it (kv: ``dp(150) * app.bigger``)."""
        use_kivy_settings = False

        def number(self, value: int, language: str) -> str:
            """``value`` in ``language``'s digits (kv: ``app.number(root.total, app.language)``)."""
            return config.language_packs[language].number(value)

        def open_settings(self, *_args: object) -> bool:
            """F1 opens Kivy's own settings panel in development; in kiosk mode it does nothing."""
            return False if locked_down else super().open_settings()

        def build(self):  # type: ignore[no-untyped-def]
            self.pictures = theme.Pictures(config.picture_dirs)
            # the screens' background is the window's own colour: a software GL driver pays ~7 ms a frame
            # (1280x800, one core) for a rectangle over the whole window, and clearing the window is free
            self.colors.bind(background=lambda _colors, colour: setattr(Window, "clearcolor", colour))
            Window.clearcolor = self.colors.background
            self.keyboards = keyboards
            """Each offered language's on-screen keyboard (kiosk.keyboard), by tag."""
            self.help_settings = config.settings.help
            self.backups: BackupSchedule | None = None
            try:
                self.store: Store | None = open_store(data_dir)  # a damaged file is replaced by the newest backup
                save = self.store.save
                self.backups = BackupSchedule(data_dir, config.settings.storage, config.settings.privacy.keep_sent_days)
                self.backups.start()  # on a thread of its own, never the UI's
            except StoreUnavailable:
                self.store = None
                save = _cannot_save
            keep_free_mb = config.settings.storage.keep_free_mb
            self.flow = Flow(questions=config.questions, settings=config.settings, save=save, scrub=scrub,
                             room=lambda: has_room(data_dir, keep_free_mb),
                             concerns=lambda text, language: rules(language).read(text), clock=clock,
                             spoken=spoken_languages_ready(config, data_dir))
            self.language_names = {tag: (pack.name, pack.fonts, pack.picture)
                                   for tag, pack in config.language_packs.items()}
            """Each language's name in its own words, its fonts (found when the language screen first shows:
            opening them takes 0.17 s that the start screen need not wait for) and its picture, if any."""
            self.voice = make_voice(flow=self.flow, config=config, data_dir=data_dir, speaker=speaker,
                                    open_source=open_source,
                                    call_soon=lambda action: Clock.schedule_once(lambda _dt: action(), 0))
            Window.bind(on_touch_down=lambda *_args: self.voice.touched())
            self.open_microphone = open_source or (lambda: open_microphone(config.settings.voice.microphone))
            """The microphone for the staff screen's test: the one the kiosk listens with."""
            self.staff = StaffMode(settings=config.settings.staff, check_pin=pin_checker(data_dir),
                                   tools=KioskStaffTools(config=config, data_dir=data_dir, app=self),
                                   background=_in_background, clock=clock)
            self.staff.subscribe(self._draw_staff)
            Window.bind(on_touch_down=self._corner_down, on_touch_up=self._corner_up,
                        on_request_close=lambda *_args, **_kwargs: locked_down)
            self._screen_shown: tuple[object, ...] = ()
            def builder(name: str) -> Callable[[], object]:
                def build() -> object:
                    class_name = "".join(part.title() for part in name.split("_")) + "Screen"
                    screen = getattr(screens[name], class_name)(name=name)
                    screen.landscape = Window.width >= Window.height
                    return screen
                return build

            manager = Screens({name: builder(name) for name in SCREEN_MODULES}, transition=InstantTransition())
            self.manager = manager
            self.access = KeyAccess(lambda: manager.current_screen, self._announce,
                                    lambda: tuple(self.colors.selected_border), self.flow.used_keys,
                                    config.settings.access.scan_seconds, layer=manager.canvas.after)
            Window.bind(size=self._resized)
            self._resized(Window, Window.size)
            self._updates_seen: float | None = None
            self._apply_updates()
            self.flow.subscribe(self._draw)
            if self.store is None:
                manager.current = Screen.OUT_OF_ORDER.value
            else:
                self._draw(self.flow.state)
                self.voice.attach()
            Clock.schedule_interval(lambda _dt: self.tick(), 0.5)
            Window.bind(on_flip=self._build_screens)
            # the concern rules take ~0.3 s to compile: do it on a thread once the first screen is up, not
            # when the first person presses Done. Not a daemon, like the speech model's loader: it imports.
            Clock.schedule_once(lambda _dt: threading.Thread(target=rules, args=(config.settings.language,),
                                                             name="concern-rules").start(), 1)
            beat_from_main_loop(lambda: "Out of order: answers cannot be saved. Run kiosk doctor."
                                if manager.current == Screen.OUT_OF_ORDER.value else "Running")
            return manager

        def _build_screens(self, *_args: object) -> None:
            """The other screens, one a frame from the first frame on, so that the first person's taps find them
            built; staff mode's and "out of order" only when they are needed."""
            Window.unbind(on_flip=self._build_screens)

            def one(_dt: float) -> None:
                if self.manager.build_next(leaving=BUILT_WHEN_NEEDED):
                    Clock.schedule_once(one, 0)

            Clock.schedule_once(one, 0)

        def tick(self) -> None:
            """Twice a second: the session's and staff mode's timers."""
            self.flow.tick()
            self.staff.tick()

        def _apply_updates(self) -> None:
            """Take up what the sync job brought back, between sessions only."""
            stamp = max((p.stat().st_mtime for p in (data_dir / "updates").glob("*.*")), default=None)
            if stamp == self._updates_seen:
                return
            questions = load_question_set_update(data_dir, config.picture_dirs)
            if questions is None or self.flow.replace_questions(questions):
                self._updates_seen = stamp
                self.manager.get_screen("thank_you").items = load_you_said_we_did(data_dir)

        def _draw(self, state: FlowState) -> None:
            if state.screen == Screen.ATTRACT:
                self._apply_updates()
            self._personalise(state.personal)
            self.can_listen = self.voice.can_listen(state.personal.hears, words=state.takes_words)
            screen = self.manager.get_screen(state.screen.value)
            screen.show(state)
            if self.staff.is_open:
                return  # drawn underneath, shown when staff mode closes
            self.manager.current = state.screen.value
            shown = (state.screen, state.question and state.question.id, state.follow_up, state.personal)
            if shown != self._screen_shown:  # a new screen: the highlight starts again (not on each letter typed)
                self._screen_shown = shown
                self.access.reset()

        def _announce(self, target: object) -> None:
            """Read a highlighted button aloud: a language's name, and "Language" in every language, each
            in its own voice, so a person finds their own language by ear."""
            tap_id = getattr(target, "tap_id", "")
            if tap_id == "setting:language":
                languages = list(self.flow.languages)
                self.voice.read_aloud([words.translate("Language", tag) for tag in languages], languages)
            elif tap_id.startswith("language:"):
                self.voice.read_aloud([words_of(target)], [tap_id.removeprefix("language:")])
            else:
                self.voice.read_aloud([words_of(target)])

        def _draw_staff(self, state: StaffState) -> None:
            if state.view == StaffView.CLOSED:
                self.manager.current = self.flow.state.screen.value
                return
            self.manager.get_screen(state.view.value).show_staff(state)
            self.manager.current = state.view.value

        def _corner_down(self, window: object, touch: object) -> bool:
            """A touch in the hidden staff corner is the staff mode's, not the screen's."""
            self.staff.touched()
            corner = min(Window.size) * STAFF_CORNER
            if (self.manager.current in CORNER_SCREENS and touch.x <= corner  # type: ignore[attr-defined]
                    and touch.y >= Window.height - corner):  # type: ignore[attr-defined]
                touch.ud["staff_corner"] = True  # type: ignore[attr-defined]
                self.staff.corner_down()
                return True
            return False

        def _corner_up(self, window: object, touch: object) -> bool:
            if not touch.ud.get("staff_corner"):  # type: ignore[attr-defined]
                return False
            if self.staff.corner_up() and self.manager.current == Screen.ATTRACT.value:
                self.flow.start()  # a short touch there starts a session like anywhere else on the screen
            return True

        def _personalise(self, personal: Personal) -> None:
            """This person's language, text size and colours, on every screen (the kv files bind to these)."""
            pack = config.language_packs[personal.language]
            self.font_name = theme.font_for(pack.fonts)
            self.language = personal.language
            self.bigger = FitLabel.bigger = BIGGER_TEXT if personal.bigger_text else 1.0
            scale = self.bigger * pack.text_scale
            if Metrics.fontscale != scale:  # every size given in sp follows
                Metrics.fontscale = scale
            self.colors.use(theme.HIGH_CONTRAST if personal.high_contrast else theme.STANDARD)

        def _resized(self, _window: object, size: tuple[int, int]) -> None:
            for screen in self.manager.screens:
                screen.landscape = size[0] >= size[1]

        def on_stop(self) -> None:
            if self.backups is not None:
                self.backups.stop()
            self.voice.close()
            if self.store is not None:
                self.store.close()

    def _cannot_save(_record: object) -> None:
        raise SaveFailed("the database could not be opened")

    def _in_background(work: Callable[[], str], done: Callable[[str], None]) -> None:
        def run() -> None:
            message = work()
            Clock.schedule_once(lambda _dt: done(message), 0)

        threading.Thread(target=run, name="staff-tool", daemon=True).start()

    return KioskApp()


def run_app(*, config: KioskConfig, data_dir: Path, windowed: bool, size: tuple[int, int],
            concern_rules: dict[str, ConcernRules], keyboards: dict[str, Keyboard]) -> None:
    prepare_kivy(windowed=windowed, size=size, screen=config.settings.screen)
    app = build_app(config=config, data_dir=data_dir, concern_rules=concern_rules, keyboards=keyboards,
                    locked_down=not windowed)
    stop_on_sigterm(app)
    app.run()


def stop_on_sigterm(app: object) -> None:
    """``systemctl stop`` (SIGTERM) closes the app cleanly, also in kiosk mode where close requests are refused."""
    from kivy.clock import Clock

    signal.signal(signal.SIGTERM, lambda *_args: Clock.schedule_once(lambda _dt: app.stop(), 0))  # type: ignore[attr-defined]
