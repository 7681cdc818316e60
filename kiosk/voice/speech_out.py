"""The kiosk's voice: each screen's words spoken on arrival, silenced the moment the person taps or speaks.

One long-lived worker thread takes prompts from a queue, finds each one's WAV (a human recording from
the language pack, else the synthesis cache, synthesising on a miss) and plays it. The UI thread only
ever posts to the queue: :meth:`SpeechWorker.say` and :meth:`SpeechWorker.stop` return at once.
:attr:`SpeechWorker.speaking` is set while the kiosk talks, so the microphone side can ignore itself.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import threading
import tomllib
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.voice.speakers import AplaySpeaker, CaptureSpeaker, Labelled, Played, SilentSpeaker, Speaker
from kiosk.voice.synthesis import (
    PromptCache,
    Pyttsx3Synthesiser,
    Synthesiser,
    SynthesisFailed,
    Voice,
    default_cache_dir,
)

__all__ = [
    "AplaySpeaker", "CaptureSpeaker", "Played", "PromptCache", "Pyttsx3Synthesiser", "RecordedPrompts",
    "RecordingsError", "SilentSpeaker", "Speaker", "SpeechWorker", "SynthesisFailed", "Synthesiser", "Voice",
    "default_cache_dir",
]

log = logging.getLogger(__name__)
RESTOP_SECONDS = 0.01
"""How often a stop is repeated until the interrupted ``play`` has returned (see ``_interrupt_loop``)."""


class RecordingsError(ValueError):
    """A language pack's ``recordings.toml`` is unreadable or names a recording that is not there."""


class RecordedPrompts:
    """Human recordings that replace synthesis: ``<pack>/recordings.toml`` maps exact prompt text to a WAV
    file name in ``<pack>/recordings/``. A pack without ``recordings.toml`` has none."""

    def __init__(self, pack: Path) -> None:
        self._paths: dict[str, Path] = {}
        listing, folder = pack / "recordings.toml", pack / "recordings"
        if not listing.is_file():
            return
        try:
            entries = tomllib.loads(listing.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise RecordingsError(f"{listing}: {error}") from error
        for text, name in entries.items():
            if not isinstance(name, str) or not name or Path(name).name != name:
                raise RecordingsError(f"{listing}: entry {text!r} must be a file name in {folder}, not {name!r}")
            if not (folder / name).is_file():
                raise RecordingsError(f"{listing}: entry {text!r} names {name!r}, which is missing from {folder}")
            self._paths[text] = folder / name

    def lookup(self, text: str) -> Path | None:
        return self._paths.get(text)

    def with_recordings(self, recordings: Mapping[str, Path]) -> RecordedPrompts:
        """These, and ``recordings`` ({words said: WAV}, imported at the site by prompt id) before them."""
        merged = copy.copy(self)
        merged._paths = {**self._paths, **recordings}
        return merged


@dataclass(frozen=True)
class _Prompt:
    text: str
    language: str
    voice: Voice
    recording: Path | None = None
    private: bool = False
    """Holds the person's own words ("You said: …"): never cached, never on disk (see ram_folder)."""


def ram_folder() -> Path | None:
    """A folder in memory (Linux /dev/shm) for the few prompts that repeat a person's own words; each
    file is deleted as soon as it has been played. None where there is no such folder: those prompts
    are then shown but not spoken, rather than written to disk."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        return None
    folder = shm / f"feedback-kiosk-{os.getpid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


class SpeechWorker:
    """Speaks prompts on one long-lived daemon thread; every public method returns at once except ``wait_idle``.

    ``on_speaking(True/False)`` is called from the worker thread when :attr:`speaking` changes; it stays
    set across the prompts of one screen, so the microphone is not unmuted between them.

    A second daemon thread only repeats ``speaker.stop()`` until an interrupted ``play`` has returned,
    which closes the gap between deciding to play a file and the speaker having started it.
    """

    def __init__(self, synthesiser: Synthesiser, speaker: Speaker, cache: PromptCache,
                 on_speaking: Callable[[bool], None] | None = None) -> None:
        self.speaking = threading.Event()
        self._synthesiser, self._speaker, self._cache, self._on_speaking = synthesiser, speaker, cache, on_speaking
        self._cond = threading.Condition()
        self._generation = 0
        self._pending: deque[_Prompt] = deque()
        self._prefetch: deque[_Prompt] = deque()
        self._busy = False
        self._saying = False
        """The worker is synthesising or playing a prompt to be said now (not one being prefetched)."""
        self._playing: int | None = None
        """Generation of the prompt being played, None when not playing."""
        self._closed = False
        self._ram: Path | bool | None = None
        """The in-memory folder for private prompts once made; False where there is none."""
        self._threads = [threading.Thread(target=self._run, name="speech", daemon=True),
                         threading.Thread(target=self._interrupt_loop, name="speech-stop", daemon=True)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def say(self, texts: Sequence[str], language: str, voice: Voice, recorded: RecordedPrompts | None = None,
            *, private: bool = False, queue: bool = False) -> None:
        """Speak ``texts`` in order, replacing whatever was queued or playing (``queue``: after it, to say
        things in several languages in turn). ``private`` texts hold the person's own words: they are
        synthesised in memory and forgotten, never cached."""
        prompts = [_Prompt(text, language, voice, recorded.lookup(text) if recorded else None, private)
                   for text in texts if text.strip()]
        with self._cond:
            if queue:
                self._pending.extend(prompts)
            else:
                self._generation += 1
                self._pending = deque(prompts)
            self._cond.notify_all()

    def prefetch(self, texts: Sequence[str], language: str, voice: Voice) -> None:
        """Synthesise ``texts`` into the cache when there is nothing to say."""
        with self._cond:
            self._prefetch.extend(_Prompt(text, language, voice) for text in texts if text.strip())
            self._cond.notify_all()

    def stop(self) -> None:
        """Silence now: the person tapped or started speaking."""
        with self._cond:
            self._generation += 1
            self._pending.clear()
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued, synthesising or playing; False if ``timeout`` seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not (self._pending or self._prefetch or self._busy), timeout)

    def said_everything(self) -> bool:
        """Nothing is waiting to be said or being said: what a person waits for before answering.
        Prompts prefetched into the cache do not count: they are never heard."""
        with self._cond:
            return not (self._pending or self._saying)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._generation += 1
            self._pending.clear()
            self._prefetch.clear()
            self._cond.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)
        if isinstance(self._ram, Path):
            shutil.rmtree(self._ram, ignore_errors=True)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._pending or self._prefetch)
                if self._closed:
                    return
                speak = bool(self._pending)
                prompt = self._pending.popleft() if speak else self._prefetch.popleft()
                generation, self._busy, self._saying = self._generation, True, speak
            try:
                if speak:
                    self._speak(prompt, generation)
                else:
                    self._cache.get(prompt.text, prompt.language, prompt.voice, self._synthesiser)
            except Exception:
                log.warning("could not %s a prompt (%s)", "speak" if speak else "prefetch", prompt.language,
                            exc_info=True)
            finally:
                with self._cond:
                    self._busy = self._saying = False
                    quiet = not self._pending
                    self._cond.notify_all()
                if quiet:
                    self._set_speaking(False)

    def _speak(self, prompt: _Prompt, generation: int) -> None:
        wav = self._wav_for(prompt)
        if wav is None:
            return
        try:
            with self._cond:
                if generation != self._generation:
                    return
                self._playing = generation
            self._set_speaking(True)
            log.debug("speaking a prompt (%s) from %s", prompt.language, "memory" if prompt.private else wav)
            if isinstance(self._speaker, Labelled):
                self._speaker.label(prompt.text, prompt.language)
            self._speaker.play(wav)
        finally:
            with self._cond:
                self._playing = None
                self._cond.notify_all()
            if prompt.private:
                wav.unlink(missing_ok=True)

    def _wav_for(self, prompt: _Prompt) -> Path | None:
        if prompt.recording is not None:
            return prompt.recording
        if not prompt.private:
            return self._cache.get(prompt.text, prompt.language, prompt.voice, self._synthesiser)
        if self._ram is None:
            self._ram = ram_folder() or False
            if not self._ram:
                log.warning("no memory-backed folder (/dev/shm): what people said is shown but not read back")
        if not self._ram:
            return None
        wav = self._ram / f"{uuid.uuid4().hex}.wav"
        try:
            self._synthesiser.synthesise(prompt.text, prompt.voice, wav)
        except BaseException:
            wav.unlink(missing_ok=True)
            raise
        return wav

    def _interrupt_loop(self) -> None:
        """Stop the speaker while it plays a prompt that a newer ``say``/``stop``/``close`` has replaced.

        A single ``speaker.stop()`` could land after the worker decided to play but before the speaker
        started, and be lost; repeating it until ``play`` returns cannot be.
        """
        def stale() -> bool:
            return self._playing is not None and self._playing != self._generation

        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or stale())
                if not stale():
                    return
            self._speaker.stop()
            with self._cond:
                self._cond.wait_for(lambda: not stale(), RESTOP_SECONDS)

    def _set_speaking(self, speaking: bool) -> None:
        if speaking == self.speaking.is_set():
            return
        if speaking:
            self.speaking.set()
        else:
            self.speaking.clear()
        if self._on_speaking is not None:
            try:
                self._on_speaking(speaking)
            except Exception:
                log.exception("on_speaking callback failed")
