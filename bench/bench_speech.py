"""Speech start latency: from ``SpeechWorker.say`` to the speaker being handed the WAV (first sample ready).

Measured for prompts already in the synthesis cache and for prompts synthesised on the spot (pyttsx3
with espeak-ng), against two references: the ``espeak-ng -w out.wav TEXT`` command's wall time, and
the time until ``espeak-ng --stdout TEXT`` delivers its first bytes. The prompts are the words the
built-in question set shows and speaks (questions, answers, follow-ups), cycled to ``-n``.

    .venv/bin/python bench/bench_speech.py          # 30 prompts of each kind
    .venv/bin/python bench/bench_speech.py -n 100 --voice en-gb --rate 150
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
import tomllib
from pathlib import Path

from kiosk.voice.speech_out import PromptCache, Pyttsx3Synthesiser, SpeechWorker, Voice

QUESTIONS = Path(__file__).resolve().parent.parent / "config" / "questions" / "default.toml"
TARGET_CACHED_P95_MS = 150.0


class TimingSpeaker:
    """Notes when it is handed a WAV, and plays nothing."""

    def __init__(self) -> None:
        self.handed: list[float] = []
        self.event = threading.Event()

    def play(self, wav: Path) -> None:
        self.handed.append(time.perf_counter())
        self.event.set()

    def stop(self) -> None:
        return None


def prompts(count: int) -> list[str]:
    """Every distinct text shown or spoken by the default question set, cycled to ``count``."""
    questions = tomllib.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]
    texts: list[str] = []
    for question in questions:
        for item in (question, *question.get("answers", ())):
            texts += [item[key] for key in ("text", "spoken", "follow_up", "follow_up_spoken") if item.get(key)]
    distinct = list(dict.fromkeys(texts))
    return [distinct[i % len(distinct)] for i in range(count)]


def say_latency_ms(worker: SpeechWorker, speaker: TimingSpeaker, text: str, voice: Voice) -> float:
    speaker.event.clear()
    start = time.perf_counter()
    worker.say([text], "en", voice)
    if not speaker.event.wait(30) or not worker.wait_idle(30):
        raise RuntimeError(f"speech worker did not speak {text!r}")
    return (speaker.handed[-1] - start) * 1000


def espeak_file_ms(text: str, voice: Voice, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["espeak-ng", "-v", voice.name, "-s", str(voice.rate), "-w", str(out), text], check=True)
    return (time.perf_counter() - start) * 1000


def espeak_first_bytes_ms(text: str, voice: Voice) -> float:
    start = time.perf_counter()
    with subprocess.Popen(["espeak-ng", "-v", voice.name, "-s", str(voice.rate), "--stdout", text],
                          stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        first = os.read(process.stdout.fileno(), 65536)
        elapsed = (time.perf_counter() - start) * 1000
        process.stdout.read()
    if not first:
        raise RuntimeError("espeak-ng --stdout wrote nothing")
    return elapsed


def summary(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=30, help="prompts to time for each kind (default 30)")
    parser.add_argument("--voice", default="en-gb", help="espeak-ng voice (default en-gb)")
    parser.add_argument("--rate", type=int, default=150, help="words per minute (default 150)")
    args = parser.parse_args()
    voice, texts = Voice(args.voice, args.rate), prompts(args.n)

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        speaker, synthesiser = TimingSpeaker(), Pyttsx3Synthesiser()
        engine_start = time.perf_counter()
        synthesiser.synthesise("Warming up", voice, folder / "warm-up.wav")
        engine_start_ms = (time.perf_counter() - engine_start) * 1000
        figures: dict[str, list[float]] = {"cached": [], "uncached": [], "espeak-ng -w": [], "espeak-ng --stdout": []}
        for i, text in enumerate(texts):
            # A fresh cache per prompt: the first say synthesises, the second finds the WAV.
            worker = SpeechWorker(synthesiser, speaker, PromptCache(folder / f"cache-{i}"))
            worker.start()
            figures["uncached"].append(say_latency_ms(worker, speaker, text, voice))
            figures["cached"].append(say_latency_ms(worker, speaker, text, voice))
            worker.close()
            figures["espeak-ng -w"].append(espeak_file_ms(text, voice, folder / "cli.wav"))
            figures["espeak-ng --stdout"].append(espeak_first_bytes_ms(text, voice))

    print(f"prompts: {len(texts)} ({len(set(texts))} distinct, {min(map(len, texts))}-{max(map(len, texts))} chars)"
          f", voice {voice.name} at {voice.rate} wpm")
    print(f"first synthesis in this process (pyttsx3 engine start included): {engine_start_ms:.1f} ms")
    medians: dict[str, float] = {}
    for name, samples in figures.items():
        median, p95 = summary(samples)
        medians[name] = median
        print(f"{name:>20}: median {median:7.2f} ms  p95 {p95:7.2f} ms")
    cached_p95 = summary(figures["cached"])[1]
    verdict = "met" if cached_p95 <= TARGET_CACHED_P95_MS else "MISSED"
    print(f"cached p95 vs target {TARGET_CACHED_P95_MS:g} ms: {verdict}")
    for ours in ("cached", "uncached"):
        for reference in ("espeak-ng -w", "espeak-ng --stdout"):
            print(f"median ratio {ours} / {reference}: {medians[ours] / medians[reference]:.3f}x")


if __name__ == "__main__":
    main()
