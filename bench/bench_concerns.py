"""Concern detection: recall, precision and false alarms of the rules, the learned reader and both together,
and the time per text.

A missed disclosure is never read by anyone, a false alarm costs a member of staff a minute, so the
targets put recall first: recall >= 98% with precision >= 80% (issue 5). The published anchor is automated
detection of safety incidents in NHS online feedback: precision 0.69, recall 0.98.

A case counts as flagged when a reader returns any category (as in the anchor); category figures count
(case, category) pairs. Three readers are measured on the same cases: the rules alone, the learned reader
alone (kiosk/privacy/learned.py, English only), and the two combined as the kiosk uses them (the union: the
rules' categories when they fire, else the learned reader's). The corpus was written by the people who wrote
the phrases, and the learned reader was trained on it, three more files and half of realstyle_dev.toml
(bench/train_concerns.py, ``training_sets``), so figures on those are an upper bound. Only texts that neither
has seen give an estimate: concern_blind3.toml (HELD_OUT there), and the check half of realstyle_dev.toml
(``--realstyle-check``).

    .venv/bin/python bench/bench_concerns.py
    .venv/bin/python bench/bench_concerns.py --cases blind.toml --language en -n 200
    taskset -c 0 .venv/bin/python bench/bench_concerns.py --realstyle-check     # one core, as on a Pi
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiosk.privacy.concerns import CATEGORIES, load_concern_rules
from kiosk.privacy.learned import LearnedReader, is_english

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "concern_cases.toml"
TARGET_RECALL = 0.98
TARGET_PRECISION = 0.80
ANCHOR = {"precision": 0.69, "recall": 0.98}


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def flagged_figures(expected: Sequence[set[str]], found: Sequence[set[str]]) -> dict[str, float]:
    pairs = list(zip(expected, found, strict=True))
    true_pos = sum(bool(e) and bool(f) for e, f in pairs)
    false_pos = sum(not e and bool(f) for e, f in pairs)
    pair_hits = sum(len(e & f) for e, f in pairs)
    return {"recall": ratio(true_pos, sum(map(bool, expected))), "precision": ratio(true_pos, true_pos + false_pos),
            "false_positive_rate": ratio(false_pos, sum(not e for e in expected)),
            "category_recall": ratio(pair_hits, sum(map(len, expected))),
            "category_precision": ratio(pair_hits, sum(map(len, found)))}


def resident_mb() -> float:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def per_text_seconds(read: Callable[[str], list[str]], texts: Sequence[str], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            read(text)
    return (time.perf_counter() - started) / (rounds * len(texts))


def chosen_cases(args: argparse.Namespace) -> tuple[str, list[dict[str, Any]]]:
    """(name, cases) of the set asked for."""
    if not args.realstyle_check:
        return args.cases.name, tomllib.loads(args.cases.read_text(encoding="utf-8"))["case"]
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package
    from train_concerns import REALSTYLE, realstyle_split

    return f"{REALSTYLE.name}, check half", realstyle_split()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CORPUS, help="TOML file of [[case]] text/expect")
    parser.add_argument("--language", default="en")
    parser.add_argument("-n", "--rounds", type=int, default=100, help="passes over the corpus for timing the rules")
    parser.add_argument("--learned-rounds", type=int, default=20, help="passes for timing the learned reader")
    parser.add_argument("--realstyle-check", action="store_true",
                        help="the check half of realstyle_dev.toml (bench/train_concerns.py), not --cases")
    args = parser.parse_args()
    name, cases = chosen_cases(args)
    texts = [case["text"] for case in cases]
    expected = [set(case["expect"]) for case in cases]

    started = time.perf_counter()
    rules = load_concern_rules(args.language, learned=False)
    rules_load = time.perf_counter() - started
    learned = LearnedReader(args.language) if is_english(args.language) else None
    encoder_load = float("nan")
    memory = {"rules": resident_mb()}
    if learned is not None:
        started = time.perf_counter()
        if learned.warm_up():  # in this fresh process: importing tokenizers, then the static table
            encoder_load = time.perf_counter() - started
            memory["learned"] = resident_mb()
        else:
            learned = None
    combined = dataclasses.replace(rules, learned=learned)  # what load_concern_rules gives the app

    readers: dict[str, Callable[[str], list[str]]] = {"rules alone": rules.concerns}
    if learned is not None:
        readers |= {"learned alone": learned.concerns, "combined (union)": combined.concerns}
    found = {name: [set(read(text)) for text in texts] for name, read in readers.items()}

    print(f"{len(cases)} cases from {name}: {sum(map(bool, expected))} concerns, "
          f"{sum(not e for e in expected)} ordinary; language {args.language}")
    if learned is None:
        print("learned reader: not measured (" + ("not English" if not is_english(args.language)
                                                   else "its encoder cannot be loaded") + ")")
    else:
        print(f"learned reader: threshold {learned.model.threshold}, C {learned.model.about['C']}, trained "
              f"{learned.model.about['trained_on']} on "
              + ", ".join(entry["group"] for entry in learned.model.about["training_data"]))

    print(f"\n{'category':18} {'cases':>5} " + " ".join(f"{name:>18}" for name in readers)
          + "   (recall / false alarms)")
    for category in CATEGORIES:
        should = sum(category in e for e in expected)
        cells = []
        for name in readers:
            hits = sum(category in e and category in f for e, f in zip(expected, found[name], strict=True))
            wrong = sum(category in f and category not in e for e, f in zip(expected, found[name], strict=True))
            cells.append(f"{ratio(hits, should):7.1%} / {wrong:3}")
        print(f"{category:18} {should:5} " + " ".join(f"{cell:>18}" for cell in cells))

    print(f"\n{'reader':18} {'recall':>7} {'precision':>9} {'false-pos rate':>14} {'cat. recall':>11} "
          f"{'cat. prec.':>10}  target")
    figures = {name: flagged_figures(expected, found[name]) for name in readers}
    for name, figure in figures.items():
        met = figure["recall"] >= TARGET_RECALL and figure["precision"] >= TARGET_PRECISION
        print(f"{name:18} {figure['recall']:7.1%} {figure['precision']:9.1%} {figure['false_positive_rate']:14.1%} "
              f"{figure['category_recall']:11.1%} {figure['category_precision']:10.1%}  {'met' if met else 'NOT met'}")
    print(f"anchor (NHS online feedback, safety incidents): recall {ANCHOR['recall']:.0%}  "
          f"precision {ANCHOR['precision']:.0%}; targets: recall >= {TARGET_RECALL:.0%} with precision >= "
          f"{TARGET_PRECISION:.0%}")

    final = list(readers)[-1]
    if learned is not None:
        added = sum(bool(c) and not r for r, c in zip(found["rules alone"], found[final], strict=True))
        added_right = sum(bool(c) and not r and bool(e)
                          for e, r, c in zip(expected, found["rules alone"], found[final], strict=True))
        print(f"the learned reader flagged {added} cases the rules did not: {added_right} concerns, "
              f"{added - added_right} ordinary")
    print(f"\nwrong ({final}), by case number:")
    for number, (e, f) in enumerate(zip(expected, found[final], strict=True), start=1):
        if bool(e) != bool(f):
            by = "" if not f or found["rules alone"][number - 1] else " (learned reader)"
            print(f"  case {number}: expected {sorted(e)}, got {sorted(f)}{by}")

    rules_each = per_text_seconds(rules.concerns, texts, args.rounds)
    print(f"\ntime per text (mean over the {len(texts)} texts):")
    print(f"  rules alone        {rules_each * 1e6:9.1f} µs   ({args.rounds} passes)")
    if learned is not None:
        learned_each = per_text_seconds(learned.concerns, texts, args.learned_rounds)
        combined_each = per_text_seconds(combined.concerns, texts, args.learned_rounds)
        rows = learned.encoder.embed(texts[:1])
        assert rows is not None
        model_each = per_text_seconds(lambda _text: learned.model.read(rows[0]), texts, args.rounds)
        print(f"  learned alone      {learned_each * 1e6:9.1f} µs   ({args.learned_rounds} passes) = "
              f"{learned_each / rules_each:.0f}x the rules; of which the trained model (numpy) "
              f"{model_each * 1e6:.1f} µs, the rest the encoder")
        print(f"  combined           {combined_each * 1e6:9.1f} µs   = {combined_each / rules_each:.0f}x the rules "
              f"(the encoder runs only when the rules find nothing)")
    print("load, once per process:")
    print(f"  rules              {rules_load * 1000:9.0f} ms   (once per language)")
    if learned is not None:
        print(f"  encoder            {encoder_load * 1000:9.0f} ms   = {encoder_load / rules_load:.0f}x the rules "
              f"(importing tokenizers, then the static table; once per process)")
    print(f"resident memory: {memory['rules']:.0f} MB with the rules loaded" + (
        f", {memory['learned']:.0f} MB with the learned reader too (+{memory['learned'] - memory['rules']:.0f} MB; "
        f"after reading every text {resident_mb():.0f} MB)" if "learned" in memory else ""))


if __name__ == "__main__":
    main()
