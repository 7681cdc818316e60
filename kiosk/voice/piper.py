"""A natural voice: Piper (neural speech in ONNX, fast enough for a Raspberry Pi) where one is installed for a
language, with espeak-ng (pyttsx3) behind it.

espeak-ng's voice is clear but robotic, hard work for older people and people with a learning disability. A
site installs a Piper voice per language::

    kiosk voice install-speech en --from en_GB-alba-medium.onnx    # its .onnx.json beside it

and every prompt in that language is then spoken with it (synthesised ahead into the prompt cache, so the person
never waits). The voice is checked by speaking a sentence before it replaces anything. A pack that wants
espeak-ng whatever is installed says ``engine = "espeak-ng"`` under ``[speech]`` in its voice.toml.

Voices live in ``<data dir>/speech-voices/<language>/voice.onnx`` (and ``voice.onnx.json``). docs/voice.md
recommends British English voices and their licences.
"""

from __future__ import annotations

import logging
import shutil
import threading
import wave
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.voice.language_pack import LanguagePack
from kiosk.voice.models import InstallError, language_folder, staging_folder, swap_in
from kiosk.voice.synthesis import Synthesiser, Voice

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)
VOICES_FOLDER = "speech-voices"
MODEL, CONFIG = "voice.onnx", "voice.onnx.json"
NATURAL_RATE = 160
"""Words per minute a Piper voice speaks at its own pace: a pack's ``rate`` of 145 is a little slower than that,
and "slower speech" (kiosk.voice.controller.SLOWER) slower again."""
TRIAL = "Hello. How was your visit today?"


def load_voice(model: Path) -> PiperVoice:
    from piper import PiperVoice

    return PiperVoice.load(model, model.with_name(model.name + ".json"))


def speak_to(voice: PiperVoice, text: str, out: Path, rate: int = NATURAL_RATE, volume: float = 1.0) -> None:
    from piper import SynthesisConfig

    with wave.open(str(out), "wb") as wav:
        voice.synthesize_wav(text, wav, syn_config=SynthesisConfig(length_scale=NATURAL_RATE / rate, volume=volume))


class PiperVoices:
    """The Piper voices installed on this kiosk, by language."""

    def __init__(self, data_dir: Path):
        self.root = data_dir / VOICES_FOLDER

    def find(self, language: str) -> Path | None:
        """The voice for "en-GB": that exact language, else its primary language ("en")."""
        folder = language_folder(language)
        for name in dict.fromkeys([folder, folder.partition("-")[0]]):
            if (self.root / name / MODEL).is_file() and (self.root / name / CONFIG).is_file():
                return self.root / name / MODEL
        return None

    def install(self, language: str, source: Path) -> Path:
        """Copy ``source`` (a .onnx file with its .onnx.json beside it) into place for ``language``, replacing an
        older voice only once the new one has spoken a sentence."""
        config = source.with_name(source.name + ".json")
        if source.suffix != ".onnx" or not config.is_file():
            raise InstallError(f"{source} is not a Piper voice: give its .onnx file, with {config.name} beside it")
        target = self.root / language_folder(language)
        with staging_folder(self.root) as staging:
            voice = staging / "voice"
            voice.mkdir()
            try:
                shutil.copyfile(source, voice / MODEL)
                shutil.copyfile(config, voice / CONFIG)
            except OSError as exc:
                raise InstallError(f"could not copy the voice: {exc.strerror or exc}") from exc
            try:
                speak_to(load_voice(voice / MODEL), TRIAL, staging / "trial.wav")
            except Exception as exc:  # onnxruntime and piper raise many kinds; any of them means "not usable"
                raise InstallError(f"the voice in {source} does not speak: it may be damaged or not a Piper "
                                   f"voice ({type(exc).__name__})") from exc
            swap_in(voice, target, staging, "voice")
        return target / MODEL


class PiperSynthesiser:
    """Speaks with a voice's Piper model (``Voice.piper``), each model loaded once (about 60 MB, a second) and
    kept; anything Piper cannot say is said by ``fallback`` (espeak-ng) rather than not at all."""

    def __init__(self, fallback: Synthesiser):
        self.fallback = fallback
        self._voices: dict[Path, Any] = {}
        self._lock = threading.Lock()

    def synthesise(self, text: str, voice: Voice, out: Path) -> None:
        if voice.piper is None:
            self.fallback.synthesise(text, voice, out)
            return
        try:
            with self._lock:
                if voice.piper not in self._voices:
                    self._voices[voice.piper] = load_voice(voice.piper)
                speak_to(self._voices[voice.piper], text, out, voice.rate, voice.volume)
        except Exception as exc:  # a prompt in espeak-ng's voice is better than silence
            # the kind of error only: its message may quote the words, and "You said: …" holds the person's own
            log.warning("the Piper voice %s failed (%s); speaking with espeak-ng", voice.piper, type(exc).__name__)
            self.fallback.synthesise(text, voice, out)


def with_installed_voices(packs: Mapping[str, LanguagePack], data_dir: Path) -> dict[str, LanguagePack]:
    """The packs, each speaking with the Piper voice installed for its language (unless it asks for espeak-ng)."""
    voices = PiperVoices(data_dir)
    spoken = {}
    for language, pack in packs.items():
        model = voices.find(language) if pack.piper else None
        spoken[language] = replace(pack, voice=replace(pack.voice, piper=model)) if model else pack
    return spoken
