"""Durable save latency: ``Store.save`` against a bare ``sqlite3`` insert of the same row.

The kiosk says "thank you" only after ``Store.save`` returns, so its latency is what a person waits
for. The floor is one INSERT committed with the same pragmas (WAL, synchronous=FULL) into a table made
from the very same schema; the ratio shows what our layer (sqlite-utils, payload serialisation, UUID,
hash) adds on top of the fsyncs. Run it on the disk the kiosk uses: on tmpfs an fsync costs nothing.

    .venv/bin/python bench/bench_store.py            # 2000 saves each, in a temporary folder
    .venv/bin/python bench/bench_store.py -n 500 --dir /media/usb/bench
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kiosk.session.settings import load_config
from kiosk.session.store import Store
from sync.core.clock import device_stamp, utc_now
from sync.core.record import AnswerRecord, SessionRecord, canonical_json, payload_sha256

TARGET_P99_MS = 20.0
TARGET_RATIO = 2.0
WARM_UP = 20


def realistic_record() -> SessionRecord:
    """A complete session on the built-in question set: every choice answered, every text filled in."""
    questions = load_config().questions
    answers = []
    for question in questions.questions:
        answer = AnswerRecord(question.id, question.text, question.kind, "answered")
        if question.kind == "choice":
            answer.choice, answer.choice_text = question.answers[0].id, question.answers[0].text
        if question.kind == "text" or question.follow_up:
            answer.text = "The staff are kind and they listen to me. কর্মীরা খুব ভালো। 직원들이 친절해요."
            answer.follow_up_text = question.follow_up or None
        answers.append(answer)
    return SessionRecord(questions.id, questions.version, "en-GB", answers, complete=True)


def raw_inserter(folder: Path, schema_from: Path, record: SessionRecord) -> Callable[[], None]:
    """A plain sqlite3 connection with the store's pragmas and schema, inserting a prepared row."""
    source = sqlite3.connect(schema_from)
    ddl = [sql for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'responses' AND sql IS NOT NULL ORDER BY type DESC")]
    source.close()
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    for sql in ddl:
        conn.execute(sql)
    payload = canonical_json(record.payload())
    row = (device_stamp(utc_now()), record.question_set, int(record.complete), int(record.misuse_suspected), payload,
           payload_sha256(payload))
    insert = ("INSERT INTO responses (id, created_at_device, question_set, complete, misuse_suspected, "
              "payload, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)")

    def save() -> None:
        conn.execute("BEGIN")
        conn.execute(insert, (str(uuid.uuid4()), *row))
        conn.execute("COMMIT")

    return save


def percentiles_ms(samples_ns: list[int]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ns, n=100, method="inclusive")
    return {"p50": cuts[49] / 1e6, "p95": cuts[94] / 1e6, "p99": cuts[98] / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="saves to time for each side (default 2000)")
    parser.add_argument("--dir", type=Path, help="folder on the disk to measure (default: a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        record = realistic_record()
        store = Store(Path(scratch) / "ours")
        raw_save = raw_inserter(Path(scratch) / "raw", store.path, record)
        sides: dict[str, Callable[[], object]] = {"ours": lambda: store.save(record), "raw": raw_save}
        timings: dict[str, list[int]] = {name: [] for name in sides}
        for i in range(WARM_UP + args.n):
            # Alternate which side goes first so both see the same disk conditions.
            for name in sorted(sides, reverse=bool(i % 2)):
                start = time.perf_counter_ns()
                sides[name]()
                if i >= WARM_UP:
                    timings[name].append(time.perf_counter_ns() - start)
        store.close()

    ours, raw = percentiles_ms(timings["ours"]), percentiles_ms(timings["raw"])
    print(f"saves per side: {args.n}")
    print(f"payload bytes: {len(canonical_json(record.payload()).encode())}")
    for name, figures in (("Store.save", ours), ("raw sqlite3 insert", raw)):
        for cut, value in figures.items():
            print(f"{name} {cut}: {value:.3f} ms")
    print(f"Store.save p99 vs target {TARGET_P99_MS:g} ms: {'met' if ours['p99'] <= TARGET_P99_MS else 'MISSED'}")
    for cut in ("p50", "p99"):
        ratio = ours[cut] / raw[cut]
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        print(f"ratio ours/raw {cut}: {ratio:.2f}x (target <= {TARGET_RATIO:g}x: {verdict})")


if __name__ == "__main__":
    main()
