"""Text to WAV: pyttsx3 with espeak-ng, and a cache of synthesised prompts so speech starts at once.

pyttsx3 2.99's espeak driver has traps, all checked on Debian 12 with espeak-ng 1.51:

* espeak-ng is a process-wide C library and the driver registers ONE process-wide callback. A second
  ``Engine`` takes that callback over, and when either engine is garbage-collected it unregisters the
  callback for both: the survivor then never finishes ``runAndWait``. So there is one engine per
  process (``pyttsx3.init()``'s own), created lazily by the first ``synthesise`` call (in the speech
  worker thread), kept alive for good and used under a lock.
* ``runAndWait`` hangs for ever when writing the WAV fails inside the driver's callback (folder
  missing, disk full): a watchdog ends the driver's loop after ``timeout`` seconds and the call fails.
* Errors in queued commands are swallowed: ``setProperty("voice", "no-such-voice")`` silently keeps
  the previous voice. Voices are therefore matched against the engine's list here, and any error the
  engine reports during a call fails that call.
* The driver prints "Audio saved to ..." on stdout for every file; that goes to the DEBUG log instead.
* Rarely (seen once in CI, 1 call in ~1,600 tests under load) ``runAndWait`` returns with no error and
  no file: the loop ended on a stale event left by an earlier utterance. Such a call is tried once more
  before it fails.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from platformdirs import user_cache_dir

from sync.core.files import atomic_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Voice:
    """How one language is spoken (from the language pack's config)."""

    name: str
    """espeak-ng voice id or language, e.g. "en-gb", "ko", "bn"."""
    rate: int = 150
    """Words per minute."""
    volume: float = 1.0
    """0 to 1."""
    piper: Path | None = None
    """A Piper voice's .onnx file, when this language has one (kiosk.voice.piper); ``name`` then says what
    espeak-ng would use instead."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.volume <= 1.0 or self.rate <= 0:
            raise ValueError(f"voice {self.name!r}: volume must be 0..1 and rate positive")


class SynthesisFailed(RuntimeError):
    """No usable WAV came out for a prompt."""


class Synthesiser(Protocol):
    def synthesise(self, text: str, voice: Voice, out: Path) -> None:
        """Write ``text`` spoken with ``voice`` to the WAV file ``out``."""


_engine_lock = threading.Lock()
_engine: Any = None


def _shared_engine() -> Any:
    """The process's one pyttsx3 engine (call with ``_engine_lock`` held)."""
    global _engine
    if _engine is None:
        import pyttsx3
        from pyttsx3.drivers import espeak

        espeak.print = lambda *args, **_: log.debug("pyttsx3: %s", " ".join(map(str, args)))  # type: ignore[attr-defined]
        _engine = pyttsx3.init()
    return _engine


class Pyttsx3Synthesiser:
    """The default synthesiser: pyttsx3's espeak-ng driver, ``save_to_file`` + ``runAndWait`` only."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._voice_ids: dict[str, str] = {}

    def synthesise(self, text: str, voice: Voice, out: Path) -> None:
        for attempt in (1, 2):
            self._run_once(text, voice, out)
            if out.is_file() and out.stat().st_size > 0:
                return
            log.warning("pyttsx3 wrote nothing (attempt %d of 2)", attempt)
        raise SynthesisFailed(f"pyttsx3 wrote nothing to {out}")

    def _run_once(self, text: str, voice: Voice, out: Path) -> None:
        errors: list[object] = []
        timed_out = threading.Event()
        with _engine_lock:
            engine = _shared_engine()
            voice_id = self._voice_id(engine, voice.name)
            token = engine.connect("error", lambda **event: errors.append(event.get("exception")))

            def rescue() -> None:
                timed_out.set()
                engine.proxy.endLoop(True)

            watchdog = threading.Timer(self._timeout, rescue)
            try:
                engine.setProperty("voice", voice_id)
                engine.setProperty("rate", voice.rate)
                engine.setProperty("volume", voice.volume)
                engine.save_to_file(text, str(out))
                watchdog.start()
                engine.runAndWait()
            finally:
                watchdog.cancel()
                engine.disconnect(token)
        if timed_out.is_set():
            raise SynthesisFailed(f"pyttsx3 did not finish within {self._timeout:g} s writing {out}")
        if errors:
            raise SynthesisFailed(f"pyttsx3 failed: {errors[0]}")

    def _voice_id(self, engine: Any, name: str) -> str:
        """The engine's voice for a language or voice name: "en-gb" is espeak-ng's "gmw/en"."""
        if name not in self._voice_ids:
            wanted = name.lower()
            voices = engine.getProperty("voices")
            matches = [v.id for v in voices if wanted in (lang.lower() for lang in v.languages)]
            matches += [v.id for v in voices if wanted in (v.id, v.id.rsplit("/", 1)[-1])]
            if not matches:
                raise SynthesisFailed(f"espeak-ng has no voice for {name!r} (see `espeak-ng --voices`)")
            self._voice_ids[name] = matches[0]
        return self._voice_ids[name]


def default_cache_dir() -> Path:
    """Synthesised prompts live in the user's cache, never with the answers or in the temp folder."""
    return Path(user_cache_dir("feedback-kiosk", appauthor=False)) / "speech"


class PromptCache:
    """A folder of synthesised prompts, one WAV per (text, language, voice, rate, volume), written atomically."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else default_cache_dir()

    def path_for(self, text: str, language: str, voice: Voice) -> Path:
        engine = [str(voice.piper)] if voice.piper else []  # a new Piper voice does not reuse espeak-ng's prompts
        key = json.dumps([text, language, voice.name, voice.rate, voice.volume, *engine], ensure_ascii=False)
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()}.wav"

    def get(self, text: str, language: str, voice: Voice, synthesiser: Synthesiser) -> Path:
        """The prompt's WAV, synthesised first on a miss (so call it from the thread owning ``synthesiser``)."""
        path = self.path_for(text, language, voice)
        if path.is_file():
            return path
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, shared=True) as partial:
            log.debug("synthesising a prompt of %d characters (%s, %s)", len(text), language, voice)
            synthesiser.synthesise(text, voice, partial)
            _check_wav(partial)
        return path


def _check_wav(path: Path) -> None:
    try:
        with wave.open(str(path), "rb") as reader:
            frames = reader.getnframes()
    except (OSError, EOFError, wave.Error) as error:
        raise SynthesisFailed(f"no readable WAV was written: {error}") from error
    if frames == 0:
        raise SynthesisFailed("the WAV written holds no audio")
