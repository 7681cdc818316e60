"""The Kivy app: wires the flow, the store and the screens together, and nothing more."""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import features

from kiosk.settings import KioskConfig

if TYPE_CHECKING:
    from kiosk.privacy.concerns import ConcernRules
    from kiosk.voice.controller import SourceFactory
    from kiosk.voice.speakers import Speaker

BIGGER_TEXT = 1.3
"""How much larger a person's "bigger text" makes every word (the layout keeps its 2 cm buttons)."""
SCREEN_MODULES = ("attract", "language", "choice", "text", "listening", "confirm_voice", "help", "still_there",
                  "thank_you", "out_of_order")


def prepare_kivy(*, windowed: bool, size: tuple[int, int], kivy_home: Path | None = None) -> None:
    """Settings Kivy reads once, before its window exists."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
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


def build_app(*, config: KioskConfig, data_dir: Path, clock: Callable[[], float] = time.monotonic,  # type: ignore[no-untyped-def]
              speaker: Speaker | None = None, open_source: SourceFactory | None = None,
              concern_rules: dict[str, ConcernRules] | None = None):
    """Create the app object (Kivy must already be prepared). ``speaker`` and ``open_source`` stand in
    for the sound card and microphone (see kiosk.voice.controller.make_voice). ``concern_rules`` (by
    language) are compiled on a thread after the first screen when not given (``kiosk run`` compiles
    them before, so a mistake in a site's concerns.toml stops it with one clear line)."""
    from importlib import import_module

    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.metrics import Metrics
    from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
    from kivy.uix.screenmanager import NoTransition, ScreenManager

    from kiosk.flow import Flow, FlowState, Personal, SaveFailed, Screen
    from kiosk.privacy import scrub
    from kiosk.privacy.concerns import load_concern_rules
    from kiosk.store import Store, StoreUnavailable
    from kiosk.ui import theme, words
    from kiosk.ui.access import KeyAccess
    from kiosk.updates import load_question_set_update, load_you_said_we_did
    from kiosk.voice.controller import make_voice

    @functools.cache
    def rules(language: str) -> ConcernRules:
        return (concern_rules or {}).get(language) or load_concern_rules(
            language, config.config_dirs, learned=config.settings.privacy.learned_concerns)

    words.use(config.config_dirs)
    import kiosk.ui.widgets  # noqa: F401  (registers the widget classes and rules)

    screens = {name: import_module(f"kiosk.ui.screens.{name}") for name in SCREEN_MODULES}

    class KioskApp(App):
        title = "Feedback kiosk"
        language = StringProperty(config.settings.language)
        """The language on screen: this person's choice, else the kiosk's own (kv: ``_('Back', app.language)``)."""
        font_name = StringProperty(theme.font_for(config.language_pack.fonts))
        colors = ObjectProperty(theme.Palette())
        """The colours on screen (kv: ``app.colors.text``): the standard palette or this person's high contrast."""
        can_listen = BooleanProperty(False)
        """Whether the microphone button shows: only for a language with a speech model."""

        def build(self):  # type: ignore[no-untyped-def]
            self.pictures = theme.Pictures(config.picture_dirs)
            self.help_settings = config.settings.help
            try:
                self.store: Store | None = Store(data_dir)
                save = self.store.save
            except StoreUnavailable:
                self.store = None
                save = _cannot_save
            self.flow = Flow(questions=config.questions, settings=config.settings, save=save, scrub=scrub,
                             concerns=lambda text, language: rules(language).concerns(text), clock=clock)
            self.language_names = {tag: (pack.name, pack.fonts) for tag, pack in config.language_packs.items()}
            """Each language's name in its own words, and its fonts (found when the language screen first
            shows: opening them takes 0.17 s that the start screen need not wait for)."""
            self.voice = make_voice(flow=self.flow, config=config, data_dir=data_dir, speaker=speaker,
                                    open_source=open_source,
                                    call_soon=lambda action: Clock.schedule_once(lambda _dt: action(), 0))
            Window.bind(on_touch_down=lambda *_args: self.voice.touched())
            self.access = KeyAccess(lambda: self.manager.current_screen, self.voice.read_aloud,
                                    lambda: tuple(self.colors.selected_border), self.flow.used_keys,
                                    config.settings.access.scan_seconds)
            self._screen_shown: tuple[object, ...] = ()
            manager = ScreenManager(transition=NoTransition())
            for name, module in screens.items():
                class_name = "".join(part.title() for part in name.split("_")) + "Screen"
                manager.add_widget(getattr(module, class_name)(name=name))
            self.manager = manager
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
            Clock.schedule_interval(lambda _dt: self.flow.tick(), 0.5)
            # the concern rules take ~0.3 s to compile: do it on a thread once the first screen is up, not
            # when the first person presses Done
            Clock.schedule_once(lambda _dt: threading.Thread(target=rules, args=(config.settings.language,),
                                                             daemon=True).start(), 1)
            return manager

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
            screen = self.manager.get_screen(state.screen.value)
            screen.show(state)
            self.manager.current = state.screen.value
            shown = (state.screen, state.question and state.question.id, state.follow_up, state.personal)
            if shown != self._screen_shown:  # a new screen: the highlight starts again (not on each letter typed)
                self._screen_shown = shown
                self.access.reset()

        def _personalise(self, personal: Personal) -> None:
            """This person's language, text size and colours, on every screen (the kv files bind to these)."""
            self.font_name = theme.font_for(config.language_packs[personal.language].fonts)
            self.language = personal.language
            self.can_listen = self.voice.can_listen(personal.language)
            scale = BIGGER_TEXT if personal.bigger_text else 1.0
            if Metrics.fontscale != scale:  # every size given in sp follows
                Metrics.fontscale = scale
            self.colors.use(theme.HIGH_CONTRAST if personal.high_contrast else theme.STANDARD)

        def _resized(self, _window: object, size: tuple[int, int]) -> None:
            for screen in self.manager.screens:
                screen.landscape = size[0] >= size[1]

        def on_stop(self) -> None:
            self.voice.close()
            if self.store is not None:
                self.store.close()

    def _cannot_save(_record: object) -> None:
        raise SaveFailed("the database could not be opened")

    return KioskApp()


def run_app(*, config: KioskConfig, data_dir: Path, windowed: bool, size: tuple[int, int],
            concern_rules: dict[str, ConcernRules]) -> None:
    prepare_kivy(windowed=windowed, size=size)
    build_app(config=config, data_dir=data_dir, concern_rules=concern_rules).run()
