"""Speech in, English with nothing installed (kiosk.voice.sphinx): how long a person waits from the end of their
answer to "You said: …", what the kiosk's listening loop costs over PocketSphinx alone, and the memory.

The Easy Read set's answers to its first question (with the English pack's other words for them, as the kiosk
listens), spoken by espeak-ng (en-gb), fed through the same listening loop the kiosk uses:

1. the wait after the end of speech: audio the loop takes after the last chunk with speech in it before it
   answers (PocketSphinx's endpointer deciding the person has finished), plus the time to decode the utterance;
2. listen() over a WavFileSource against PocketSphinx's own minimal decode of the same audio (one
   process_raw of the whole buffer), in CPU time;
3. resident memory (VmRSS) before and after loading the engine.

    .venv/bin/python bench/bench_english.py                 # 10 rounds
    taskset -c 0 .venv/bin/python bench/bench_english.py    # one core, as on a Raspberry Pi
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_recogniser import SPEECH_LEVEL, rss_mb

from kiosk.session.settings import load_config
from kiosk.voice.audio import CHUNK_BYTES, SAMPLE_RATE, WavFileSource, read_wav_16k_mono
from kiosk.voice.sphinx import SphinxRecogniser

TARGET_WAIT_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10, help="rounds of the answers (default 10)")
    args = parser.parse_args()
    config = load_config()
    question = config.questions.in_language("en-GB")[0].questions[0]
    phrases = list(config.language_packs["en-GB"].answer_phrases(question))

    before = rss_mb()
    start = time.perf_counter()
    recogniser = SphinxRecogniser()
    load_ms = (time.perf_counter() - start) * 1000
    loaded = rss_mb()

    waits, decodes, ours, raw = [], [], 0.0, 0.0
    with tempfile.TemporaryDirectory() as scratch:
        spoken = []
        for number, answer in enumerate(question.answers):
            wav = Path(scratch) / f"{number}.wav"
            subprocess.run(["espeak-ng", "-v", "en-gb", "-w", str(wav), answer.text], check=True)
            spoken.append(wav)
        for _ in range(args.n):
            for wav in spoken:
                levels: list[float] = []
                cpu = time.process_time()
                recogniser.listen(WavFileSource(wav, realtime=False, trailing_silence=2.0), phrases,
                                  on_level=levels.append, silence_timeout=3.0)
                ours += time.process_time() - cpu
                last_speech = max(index for index, value in enumerate(levels) if value > SPEECH_LEVEL)
                waits.append((len(levels) - 1 - last_speech) * CHUNK_BYTES / 2 / SAMPLE_RATE)
                pcm = read_wav_16k_mono(wav)
                cpu, wall = time.process_time(), time.perf_counter()
                recogniser.transcribe(pcm, phrases)
                raw += time.process_time() - cpu
                decodes.append((time.perf_counter() - wall) * 1000)

    wait, decode = statistics.median(waits), statistics.median(decodes)
    print(f"listens: {len(waits)} ({args.n} rounds x {len(spoken)} answers), grammar of {len(phrases)} phrases")
    print(f"endpointer wait after the last chunk of speech (audio): median {wait:.2f} s, max {max(waits):.2f} s")
    print(f"decode of one answer: median {decode:.1f} ms, max {max(decodes):.1f} ms")
    total = wait + decode / 1000
    print(f"end of speech to heard: median {total:.2f} s (target < {TARGET_WAIT_SECONDS:g} s: "
          f"{'met' if total < TARGET_WAIT_SECONDS else 'MISSED'})")
    print(f"listen() CPU {ours:.3f} s vs PocketSphinx's one decode of each buffer {raw:.3f} s: {ours / raw:.2f}x")
    print(f"engine load: {load_ms:.0f} ms; RSS {before:.0f} MB before, {loaded:.0f} MB after "
          f"(+{loaded - before:.0f} MB)")


if __name__ == "__main__":
    main()
