"""A site's own recordings, and Sylheti, a language that is spoken and not written (issue 18): the script a
community member records from, the import's checks on real WAV files, the language offered only once every
prompt is recorded, and a whole session in a real window that speaks nothing but those recordings.

The recordings are a stand-in set made with espeak-ng (docs/example_recordings.py), as a site would make them
with a phone: WAV files named by prompt id."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from docs.example_recordings import make_example
from kiosk.session.flow import Flow, Screen
from kiosk.session.settings import load_config
from kiosk.voice.audio import read_wav_mono
from kiosk.voice.controller import _every_prompt
from kiosk.voice.prompt_script import ScriptLine, prompt_script, script_as, spoken_languages_ready
from kiosk.voice.prompts import fixed_prompts
from kiosk.voice.recordings import PAUSE
from sync.core.privacy import read_concerns, scrub
from tests.conftest import FAST_SPEECH
from tests.test_gui import rows, run_kiosk, screens
from tests.test_languages_flow import stored


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every Sylheti prompt, as espeak-ng's Bengali voice reads the words on screen."""
    folder = tmp_path_factory.mktemp("sylheti-example")
    make_example("syl", folder)
    return folder


def imported(example: Path, data: Path) -> Path:
    result = kiosk("voice", "recordings", "syl", "--from", str(example), "--data", str(data))
    assert result.returncode == 0, result.stderr + result.stdout
    return data


def dbfs(samples: np.ndarray) -> float:
    return 20 * math.log10(float(np.sqrt(np.mean(samples ** 2))) / 32768)


def test_the_script_holds_everything_a_session_says_once_each_with_its_english_meaning():
    config = load_config()
    script = prompt_script(config, "syl")
    ids = [line.id for line in script]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z0-9.-]+", name) for name in ids)
    by_id = {line.id: line for line in script}
    assert (by_id["overall.good"].english, by_id["overall.good"].said) == ("Good", "ভালো")
    assert by_id["touch-the-screen-to-start"].said == "স্ক্রিন ছুঁয়ে শুরু করুন।"
    assert by_id["language-name"].said == "ছিলটি (Sylheti)"
    said = {line.said for line in script}
    # whatever a Bengali screen says without a microphone: the words a Sylheti session is heard in
    assert set(fixed_prompts(language="bn", can_listen=False, contacts=config.settings.help.contacts,
                             _=_bengali(config))) <= said
    assert set(_every_prompt(config, "bn")) <= said
    assert not any("microphone" in line.english for line in script), "Sylheti has no speech model: no listening"
    english = {line.id for line in prompt_script(config, "en-GB")}
    assert {"or-touch-the-microphone-and-say", "i-did-not-hear-anything-please"} <= english


def _bengali(config):  # type: ignore[no-untyped-def]
    from kiosk.session.i18n import translations

    return translations("bn", config.config_dirs).gettext


def test_the_script_prints_as_text_csv_and_a_page(tmp_path):
    count = len(prompt_script(load_config(), "syl"))
    text = kiosk("voice", "prompts", "syl")
    assert text.returncode == 0 and text.stdout.count(".wav\n") == count
    assert "overall.good.wav\n    Good\n    ভালো\n" in text.stdout
    table = kiosk("voice", "prompts", "syl", "--format", "csv")
    lines = list(csv.reader(io.StringIO(table.stdout)))
    assert lines[0] == ["file", "meaning (English)", "on screen"] and len(lines) == count + 1
    page = tmp_path / "script.html"
    done = kiosk("voice", "prompts", "syl", "--format", "html", "--out", str(page))
    assert done.returncode == 0 and f"Wrote the {count} prompts" in done.stdout
    html = page.read_text()
    assert html.count('<td class="file">') == count and "kiosk voice recordings syl --from FOLDER" in html
    wrong = kiosk("voice", "prompts", "xx")
    assert wrong.returncode == 2 and "offers no 'xx'" in wrong.stderr and "syl" in wrong.stderr


def test_the_script_as_a_spreadsheet_shows_words_that_start_like_formulas_as_text():
    """A site's own translations (messages.po) and help contacts are its words; a spreadsheet must not run them."""
    lines = [ScriptLine("a", "=1+1", "@SUM(1)"), ScriptLine("b", "\u0001-2", " +3")]
    table = script_as("csv", load_config().language_packs["syl"], lines)
    assert [row[1:] for row in csv.reader(io.StringIO(table))][1:] == [["'=1+1", "'@SUM(1)"], ["'-2", "' +3"]]


def write(path: Path, samples: np.ndarray, rate: int = 22050) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return path


def test_the_import_checks_each_file_evens_out_the_good_ones_and_says_what_is_missing(example, tmp_path):
    source, data = tmp_path / "from-a-phone", tmp_path / "data"
    source.mkdir()
    speech, rate = read_wav_mono(example / "overall.good.wav")
    quiet_start = np.concatenate([np.zeros(2 * rate), speech * 0.05])  # two seconds late, 26 dB too quiet
    write(source / "overall.good.wav", quiet_start, rate)
    write(source / "overall.poor.wav", np.zeros(rate * 2))
    write(source / "overall.very-poor.wav", np.clip(speech * 40, -32768, 32767), rate)
    write(source / "overall.neither.wav", 8000 * np.sin(np.arange(2205) * 0.1))  # 0.1 s: a false start
    (source / "overall.dont-know.wav").write_text("not audio")
    write(source / "overal.very-good.wav", speech, rate)  # a typing slip in its name
    (source / "notes.txt").write_text("ignored: not a WAV")
    result = kiosk("voice", "recordings", "syl", "--from", str(source), "--data", str(data))
    assert result.returncode == 1, result.stdout
    report = result.stdout
    assert "Imported 1 recordings of syl." in report
    assert "overall.poor.wav: silent, or nearly" in report
    assert "overall.very-poor.wav: clipped" in report
    assert "overall.neither.wav: only 0.1 s of sound" in report
    assert "overall.dont-know.wav: " in report and "not a PCM WAV" in report
    assert "overal.very-good.wav: not a prompt id: did you mean overall.very-good.wav?" in report
    assert "notes.txt" not in report
    total = len(prompt_script(load_config(), "syl"))
    assert f"Still to record ({total - 1}): language-name.wav, " in report
    assert f" and {total - 11} more (kiosk voice prompts syl lists them)" in report
    assert "Error: 5 of the recordings were not imported" in result.stderr
    kept = data / "recordings" / "syl"
    assert sorted(path.name for path in kept.iterdir()) == ["overall.good.wav"]  # nothing half-made beside it
    evened, kept_rate = read_wav_mono(kept / "overall.good.wav")
    assert kept_rate == rate
    assert len(evened) < len(speech) + 2 * PAUSE * rate  # the two silent seconds are gone
    loud = evened[np.abs(evened) > 0.03 * np.max(np.abs(evened))]
    assert -23 < dbfs(loud) < -15, dbfs(loud)  # brought up to the common loudness
    assert np.max(np.abs(evened)) <= 10 ** (-1 / 20) * 32768 + 1  # with room left at the top


def test_sylheti_is_offered_only_when_every_prompt_is_recorded(example, tmp_path):
    config = load_config()
    data = tmp_path / "data"
    assert spoken_languages_ready(config, data) == {}
    partial = tmp_path / "partial"
    partial.mkdir()
    for wav in sorted(example.iterdir())[:10]:
        (partial / wav.name).write_bytes(wav.read_bytes())
    result = kiosk("voice", "recordings", "syl", "--from", str(partial), "--data", str(data))
    assert result.returncode == 0 and "Still to record" in result.stdout
    assert spoken_languages_ready(config, data) == {}
    doctor = kiosk("doctor", "--data", str(data))
    assert "is not offered yet: 10 of" in doctor.stdout
    rest = kiosk("voice", "recordings", "syl", "--from", str(example), "--data", str(data))
    assert "Every prompt is recorded: the language screen offers ছিলটি (Sylheti)" in rest.stdout
    assert spoken_languages_ready(config, data) == {"syl": "bn"}
    assert "People can choose ছিলটি (Sylheti)" in kiosk("doctor", "--data", str(data)).stdout


def test_sylheti_is_not_offered_where_its_screens_language_is_not(example, tmp_path):
    """A kiosk that does not offer Bengali cannot show Sylheti's screens: not offered, and the doctor says why
    (not a config error: Sylheti is in the built-in settings, and a site offering English alone must start)."""
    (tmp_path / "kiosk.toml").write_text('languages = ["en-GB", "ko"]\n')
    data = imported(example, tmp_path / "data")
    assert spoken_languages_ready(load_config(tmp_path), data) == {}
    doctor = kiosk("doctor", "--config", str(tmp_path), "--data", str(data))
    assert "its screens show bn, which this kiosk does not offer" in doctor.stdout


def test_a_sylheti_session_shows_bengali_and_is_stored_as_sylheti(store):
    config = load_config()
    flow = Flow(questions=config.questions, settings=config.settings, save=store.save, scrub=scrub,
                concerns=read_concerns, spoken={"syl": "bn"})  # as the app makes it once every prompt is recorded
    assert flow.languages == ("en-GB", "bn", "ko", "syl")
    flow.open_languages()
    flow.set_language("syl")
    assert (flow.state.personal.language, flow.state.personal.hears) == ("bn", "syl")
    flow.start()
    for _ in range(30):
        if flow.state.screen == Screen.CHOICE:
            assert re.search("[\u0980-\u09ff]", flow.state.question.text), "the words on screen are Bengali"
            flow.choose(flow.state.question.answers[0].id)
        elif flow.state.screen == Screen.TEXT:
            flow.skip()
    assert flow.state.screen == Screen.THANK_YOU
    [payload] = stored(store)
    assert payload["language"] == "syl"


@pytest.mark.gui
def test_a_whole_session_in_sylheti_speaks_only_the_recordings(example, tmp_path, kiosk_env):
    data = imported(example, tmp_path / "data")
    spoken, language_screen = tmp_path / "spoken.jsonl", tmp_path / "language.png"
    steps = [
        {"quiet": 60}, {"tap": "setting:language"}, {"quiet": 60}, {"screenshot": str(language_screen)},
        {"tap": "language:syl"}, {"quiet": 60}, {"tap": "start"}, {"quiet": 60},
        {"tap": "answer:good"}, {"tap": "control:skip"}, {"tap": "answer:yes"}, {"tap": "answer:yes"},
        {"tap": "control:skip"}, {"tap": "control:skip"}, {"tap": "answer:no"}, {"quiet": 60}, {"advance": 20},
        {"quiet": 60},
    ]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data, extra=("--speech-log", str(spoken), *FAST_SPEECH))
    assert screens(result)[-3:] == ["thank_you", "attract", "attract"]
    said = [json.loads(line) for line in spoken.read_text().splitlines()]
    sylheti = [entry for entry in said if entry["language"] == "syl"]
    recordings = {path.name for path in (data / "recordings" / "syl").iterdir()}
    assert {entry["wav"] for entry in sylheti} <= recordings  # never a synthesised prompt
    heard = [entry["wav"] for entry in sylheti]
    assert heard[0] == "language-name.wav"  # its name on the language screen, in its own voice
    for prompt in ("tell-us-what-you-think.wav", "overall.wav", "overall.good.wav", "thank-you.wav"):
        assert prompt in heard
    assert said[-1]["language"] == "en-GB", "the next person starts in the kiosk's own language"
    [(_seq, _id, complete, payload_json)] = rows(data)
    assert complete == 1 and json.loads(payload_json)["language"] == "syl"
    assert language_screen.stat().st_size > 10_000
