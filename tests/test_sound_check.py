"""The staff screen's sound checks. The microphone is the kiosk's own fake (WavFileSource) fed with real
speech from espeak-ng, silence and a quiet hiss; the volume goes through the real amixer where there is no
sound card, and through a stand-in mixer (a script that answers as amixer does for a sound card) where a
working one is needed, since this machine has none."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.staff.sound_check import (
    HEARD,
    HEARD_NOTHING,
    NO_MICROPHONE,
    NO_SPEAKER,
    SILENT_DBFS,
    STALL_SECONDS,
    SoundUnavailable,
    check_microphone,
    get_volume,
    set_volume,
)
from kiosk.voice.audio import WavFileSource
from tests.test_voice_in import sine, write_wav

NO_SUCH_CARD = ("amixer", "-c", "99")
"""The real amixer, asked about a sound card no machine has: what a kiosk without a speaker sees."""

FAKE_AMIXER = '''
import json, sys
from pathlib import Path

state_file = Path(__file__).with_suffix(".json")
levels = json.loads(state_file.read_text())
args = [arg for arg in sys.argv[1:] if arg != "-M"]


def show(name):
    percent = levels[name]
    if name == "PCM":  # a Raspberry Pi's mono control
        print(f"Simple mixer control 'PCM',0\\n  Capabilities: pvolume pvolume-joined pswitch pswitch-joined\\n"
              f"  Playback channels: Mono\\n  Limits: Playback -10239 - 400\\n"
              f"  Mono: Playback {percent * 106 - 10239} [{percent}%] [-20.00dB] [on]")
    else:
        print(f"Simple mixer control '{name}',0\\n  Capabilities: pvolume pswitch pswitch-joined\\n"
              f"  Playback channels: Front Left - Front Right\\n  Limits: Playback 0 - 65536\\n  Mono:\\n"
              f"  Front Left: Playback {percent * 655} [{percent}%] [on]\\n"
              f"  Front Right: Playback {percent * 655} [{percent}%] [on]")


if args == ["scontrols"]:
    for name in [*levels, "Capture"]:
        print(f"Simple mixer control '{name}',0")
elif len(args) >= 2 and args[0] == "get" and args[1] in levels:
    show(args[1])
elif len(args) >= 3 and args[0] == "set" and args[1] in levels:
    levels[args[1]] = int(args[2].rstrip("%"))
    state_file.write_text(json.dumps(levels))
    show(args[1])
else:
    print(f"amixer: Unable to find simple control '{args[-1]}',0", file=sys.stderr)
    sys.exit(1)
'''


def sound_card(tmp_path: Path, levels: dict[str, int]) -> tuple[str, ...]:
    """A stand-in amixer for a sound card with these playback controls at these percentages."""
    script = tmp_path / "amixer.py"
    script.write_text(FAKE_AMIXER)
    script.with_suffix(".json").write_text(json.dumps(levels))
    return (sys.executable, str(script))


def test_without_a_sound_card_the_volume_is_unknown_and_cannot_be_set():
    assert get_volume(NO_SUCH_CARD) is None
    with pytest.raises(SoundUnavailable) as error:
        set_volume(50, NO_SUCH_CARD)
    assert str(error.value) == NO_SPEAKER == "No speaker found. Check that the speaker is plugged in and switched on."


def test_without_amixer_installed_the_volume_is_unknown():
    assert get_volume(("no-such-amixer-program",)) is None


def test_a_pcs_master_volume_is_read_and_set(tmp_path):
    card = sound_card(tmp_path, {"Master": 75, "PCM": 100, "Headphone": 40})
    assert get_volume(card) == 75
    assert set_volume(30, card) == 30
    assert get_volume(card) == 30
    assert json.loads(Path(card[1]).with_suffix(".json").read_text()) == {"Master": 30, "PCM": 100, "Headphone": 40}


def test_a_raspberry_pis_pcm_control_is_used_when_there_is_no_master(tmp_path):
    card = sound_card(tmp_path, {"PCM": 77})
    assert get_volume(card) == 77
    assert set_volume(100, card) == 100


def test_a_volume_outside_0_to_100_is_refused(tmp_path):
    card = sound_card(tmp_path, {"Master": 75})
    with pytest.raises(ValueError, match="0 to 100"):
        set_volume(101, card)
    assert get_volume(card) == 75


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A care worker's test sentence, spoken by espeak-ng (22050 Hz, converted by the source as a mic's would)."""
    wav = tmp_path_factory.mktemp("speech") / "testing.wav"
    subprocess.run(["espeak-ng", "-v", "en-gb", "-w", str(wav), "Testing, testing, one two three."], check=True)
    return wav


def microphone(path: Path, **options: float | bool) -> WavFileSource:
    return WavFileSource(path, realtime=bool(options.pop("realtime", False)), **options)  # type: ignore[arg-type]


def test_speech_into_the_microphone_is_heard(speech):
    levels: list[float] = []
    result = check_microphone(lambda: microphone(speech), on_level=levels.append)
    assert result.heard and result.message == HEARD == "I heard you. The microphone works."
    assert -30 < result.loudest_dbfs <= result.peak_dbfs <= 0
    assert result.rms_dbfs < result.loudest_dbfs
    assert len(levels) == 30 and max(levels) > 0.5  # 3 s in tenths, for the meter


def test_silence_and_a_quiet_room_are_not_heard(tmp_path):
    silence = write_wav(tmp_path / "silence.wav", np.zeros(16000 * 4))
    result = check_microphone(lambda: microphone(silence))
    assert not result.heard and result.message == HEARD_NOTHING == "I heard nothing. Is the microphone plugged in?"
    assert result.peak_dbfs == result.rms_dbfs == result.loudest_dbfs == SILENT_DBFS
    hiss = write_wav(tmp_path / "hiss.wav", np.random.default_rng(1).normal(0, 0.001, 16000 * 4))  # about -60 dBFS
    quiet = check_microphone(lambda: microphone(hiss))
    assert not quiet.heard and -63 < quiet.rms_dbfs < -57


def test_it_listens_for_three_seconds_only(tmp_path):
    late = np.concatenate([np.zeros(16000 * 4), sine(1.0, 16000)])  # a loud tone after 4 s of silence
    result = check_microphone(lambda: microphone(write_wav(tmp_path / "late.wav", late)))
    assert not result.heard
    assert check_microphone(lambda: microphone(tmp_path / "late.wav"), seconds=5).heard


def test_a_real_time_microphone_is_listened_to_for_as_long_as_asked(speech):
    started = time.monotonic()
    assert check_microphone(lambda: microphone(speech, realtime=True, trailing_silence=60), seconds=1.0).heard
    assert 0.9 < time.monotonic() - started < 1.0 + STALL_SECONDS


def test_no_microphone_is_a_plain_message():
    with pytest.raises(SoundUnavailable) as error:
        check_microphone(lambda: None)
    assert str(error.value) == NO_MICROPHONE == "No microphone found. Is it plugged in?"


class SilentLine:
    """A fake microphone that is plugged in but sends nothing, until closed."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def chunks(self) -> Iterator[bytes]:
        self.closed.wait()
        return iter(())

    def close(self) -> None:
        self.closed.set()


def test_a_microphone_that_sends_nothing_is_given_up_on(tmp_path):
    started = time.monotonic()
    result = check_microphone(SilentLine, seconds=0.5)
    assert not result.heard and result.rms_dbfs == SILENT_DBFS
    assert 0.5 + STALL_SECONDS - 0.1 < time.monotonic() - started < 0.5 + STALL_SECONDS + 2
