"""Concern detection: recall, precision and false alarms on the test corpus, and the time per text.

A missed disclosure is never read by anyone, a false alarm costs a member of staff a minute, so the
targets put recall first: recall >= 98% with precision >= 80% (issue 5). The published anchor is automated
detection of safety incidents in NHS online feedback: precision 0.69, recall 0.98.

A case counts as flagged when concerns() returns any category (as in the anchor); category figures count
(case, category) pairs. The corpus was written by the people who wrote the phrases, so these figures are
an upper bound: run a blind set with --cases before trusting them.

    .venv/bin/python bench/bench_concerns.py
    .venv/bin/python bench/bench_concerns.py --cases blind.toml --language en -n 200
"""

from __future__ import annotations

import argparse
import time
import tomllib
from pathlib import Path

from kiosk.privacy.concerns import CATEGORIES, load_concern_rules

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "concern_cases.toml"
TARGET_RECALL = 0.98
TARGET_PRECISION = 0.80
ANCHOR = {"precision": 0.69, "recall": 0.98}


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CORPUS, help="TOML file of [[case]] text/expect")
    parser.add_argument("--language", default="en")
    parser.add_argument("-n", "--rounds", type=int, default=100, help="passes over the corpus for timing")
    args = parser.parse_args()
    cases = tomllib.loads(args.cases.read_text(encoding="utf-8"))["case"]

    started = time.perf_counter()
    rules = load_concern_rules(args.language)
    load_ms = (time.perf_counter() - started) * 1000
    found = [set(rules.concerns(case["text"])) for case in cases]
    expected = [set(case["expect"]) for case in cases]

    print(f"{len(cases)} cases from {args.cases.name}: {sum(map(bool, expected))} concerns, "
          f"{sum(not e for e in expected)} ordinary; language {args.language}\n")
    print(f"{'category':18} {'cases':>5} {'recall':>7} {'false alarms':>12}")
    for category in CATEGORIES:
        should = sum(category in e for e in expected)
        hits = sum(category in e and category in f for e, f in zip(expected, found, strict=True))
        wrong = sum(category in f and category not in e for e, f in zip(expected, found, strict=True))
        print(f"{category:18} {should:5} {ratio(hits, should):7.1%} {wrong:12}")

    true_pos = sum(bool(e) and bool(f) for e, f in zip(expected, found, strict=True))
    false_pos = sum(not e and bool(f) for e, f in zip(expected, found, strict=True))
    recall = ratio(true_pos, sum(map(bool, expected)))
    precision = ratio(true_pos, true_pos + false_pos)
    pair_hits = sum(len(e & f) for e, f in zip(expected, found, strict=True))
    pair_recall = ratio(pair_hits, sum(map(len, expected)))
    pair_precision = ratio(pair_hits, sum(map(len, found)))
    print(f"\nflagged at all:  recall {recall:.1%}  precision {precision:.1%}  "
          f"false-positive rate {ratio(false_pos, sum(not e for e in expected)):.1%} on ordinary texts")
    print(f"right category:  recall {pair_recall:.1%}  precision {pair_precision:.1%}")
    print(f"anchor (NHS online feedback, safety incidents): recall {ANCHOR['recall']:.0%}  "
          f"precision {ANCHOR['precision']:.0%}")
    print(f"targets: recall >= {TARGET_RECALL:.0%} with precision >= {TARGET_PRECISION:.0%}: "
          f"{'met' if recall >= TARGET_RECALL and precision >= TARGET_PRECISION else 'NOT met'}")
    for case, e, f in zip(cases, expected, found, strict=True):
        if e != f:
            print(f"  wrong: expected {sorted(e)}, got {sorted(f)}, case {cases.index(case) + 1}")

    started = time.perf_counter()
    for _ in range(args.rounds):
        for case in cases:
            rules.concerns(case["text"])
    per_call_us = (time.perf_counter() - started) / (args.rounds * len(cases)) * 1e6
    print(f"\ntime: {per_call_us:.1f} µs per text (mean over {args.rounds} x {len(cases)}); "
          f"loading the phrases {load_ms:.0f} ms, once per language")


if __name__ == "__main__":
    main()
