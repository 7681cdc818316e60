"""Hours of a whole organisation's kiosks on the central server, with things going wrong: is anything lost, does
anything fail, does the server's memory level off?

    .venv/bin/python bench/soak_server.py --minutes 60 --kiosks 50 --interval 5      # the real run (an hour)
    .venv/bin/python bench/soak_server.py --minutes 0.35 --kiosks 3 --interval 2 --restarts 1 --sample-seconds 1 \\
        --forget-every 5 --report-every 0 --probe-every 2 --backfill 300 --payloads 60    # the suite's smoke run

A real ``feedback-server serve`` (a SQLite file, or PostgreSQL with --postgres) is seeded with ``demo-data``
received up to two years ago (the backfill), and ``--kiosks`` kiosks are enrolled with ``add-kiosk``. Each kiosk
(a thread with its own token, device id and HTTP session) sends a batch of ``--records`` real sessions every
``--interval`` seconds and keeps a ledger of what it holds a receipt for. A share of the batches (``--fault-share``)
meets a fault, in turn: the connection dropped mid-body (then the batch is sent whole); the receipt lost (the same
batch sent again: it must come back as duplicates, stored once); a batch of new answers with stale and repeated
sequence numbers (as from a kiosk restored from a backup: all must be stored); a malformed body before the
batch (not JSON, not UTF-8, a wrong schema version, records not a list, a record without its hash: each must get
its own 4xx and change nothing). Every ``--probe-every`` seconds tokens that must not work are tried: none, one
nobody was given, one kiosk's token with another kiosk's device id (403), and a kiosk revoked part way through the
run (401 from then on). The server is killed (SIGKILL) ``--restarts`` times in the first quarter of the run and
started again on a new port; kiosks retry (connection errors, 429 after Retry-After, 5xx) until they hold a
receipt, as ``kiosk-sync`` does, but pausing at most a few seconds.

Meanwhile ``feedback-server forget --older-than --keep-days`` runs every ``--forget-every`` seconds, and the
quarterly report (every site, HTML) and a site's monthly report (HTML) are made in turn with ``feedback-server
report``, ``--report-every`` seconds apart. Retention goes by the day the server *received* a response, and
``demo-data`` stores everything as received now, so the backfill's received time is set to the moment each
answer was given (a server that has run for years received each answer soon after): with the defaults, half the
backfill is older than the 365 days kept, and every fresh batch is minutes old.

Every ``--sample-seconds`` the server's resident memory, open descriptors and threads are read from /proc. At the
end the database is checked: every id with a receipt held exactly once, nothing the server refused held, no 5xx
and no traceback in the server's output, every report and retention pass succeeded, retention deleted the old
backfill (except what the safeguarding queue keeps) and nothing else, the dashboard's counts equal the rows
held, and no free text in the server's output. It prints PASS or FAIL for each and exits 1 on any FAIL.
Figures: docs/performance.md, "Soak: the central server".
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ and bench/ are not installed

from bench.bench_sync import fresh_database
from bench.bench_sync_kiosks import KioskPlan, enrol_all, payload_database, read_payloads
from bench.soak_common import (
    Sample,
    allocations_grown,
    compare_halves,
    process_sample,
    trace_allocations,
    write_csv,
)
from sync.core.clock import utc_now
from sync.core.protocol import BATCHES_PATH
from sync.server.domain.timestamps import parse_device_time
from sync.server.storage.db import concern_queue, open_database, response_counts, responses
from tests.server_process import ServerProcess, cut_mid_body, feedback_server, make_batch, make_record

REQUEST_TIMEOUT = 60.0
MAX_PAUSE = 5.0
"""Longest wait between a kiosk's tries (kiosk-sync waits up to 15 minutes; a soak has no time to lose)."""
GRACE_SECONDS = 300.0
"""After the run, how long a kiosk keeps trying to get its last batch's receipt before it is a failure."""
COMMAND_TIMEOUT = 1800.0
"""A report or retention pass that takes longer than this has hung."""
FAULTS = ("cut-body", "lost-receipt", "stale-seq", "malformed")
BACKFILL_SITES = ("Site 0", "Site 1", "Site 2")
"""Sites of the demo-data backfill: enrol_all's kiosks stand at "Site 0" to "Site 9", so these mix old and new."""
REPORT_SITE = "Site 1"
ACCESS_LINE = re.compile(r'"(?:GET|POST|PUT|DELETE|HEAD) (\S+) HTTP/[\d.]+" (\d{3})')
SHORTEST_TEXT = 12
"""Free text shorter than this ("yes", "ok") could appear in a log by chance; longer text there is a leak."""


@dataclass
class Ledger:
    """What the kiosks know, shared by their threads: the ids they hold a receipt for, the ids the server
    refused, what they met, and every answer a kiosk should never get."""

    receipted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    batches: int = 0
    events: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, ids: list[str]) -> None:
        with self.lock:
            self.receipted.update(ids)
            self.batches += 1

    def refuse(self, ids: list[str]) -> None:
        with self.lock:
            self.refused.update(ids)

    def count(self, event: str) -> None:
        with self.lock:
            self.events[event] += 1

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


class Restartable:
    """The run's `feedback-server serve`, killed and started again on purpose (on a new port: kiosks read ``url``
    before every try, as a kiosk's server name would follow the server)."""

    def __init__(self, db: str):
        self.db = db
        self.processes = [ServerProcess(db)]

    @property
    def url(self) -> str:
        return self.processes[-1].url

    @property
    def pid(self) -> int:
        return self.processes[-1].process.pid

    def kill_and_restart(self) -> None:
        self.processes[-1].kill()  # SIGKILL: no shutdown, open transactions and half-read requests cut off
        self.processes.append(ServerProcess(self.db))

    def stop(self) -> None:
        self.processes[-1].stop()

    def output(self) -> str:
        """What every server process printed; complete once the last has stopped."""
        return "".join(process.output() for process in self.processes)


class SoakKiosk:
    """One kiosk: its token, device id, sequence numbers and HTTP session, sending real sessions' payloads."""

    def __init__(self, plan: KioskPlan, payloads: list[str], records: int, ledger: Ledger, server: Restartable,
                 deadline: float):
        self.plan, self.payloads, self.size, self.ledger, self.server = plan, payloads, records, ledger, server
        self.deadline = deadline
        self.seq = 0
        self.acknowledged_seq = 0
        self.broken = 0
        """Malformed bodies sent so far: each kiosk goes through the kinds in turn."""
        self.session = requests.Session()
        self.session.headers["Content-Type"] = "application/json"

    def records(self, count: int, seqs: Iterator[int] | None = None) -> list[dict[str, Any]]:
        """``count`` new answers, numbered next in turn unless ``seqs`` says otherwise."""
        made = []
        for _ in range(count):
            seq = next(seqs) if seqs is not None else self._next_seq()
            payload = self.payloads[(self.plan.offset + seq) % len(self.payloads)]
            made.append(make_record(seq, payload=json.loads(payload)))
        return made

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def body(self, records: list[dict[str, Any]], device_id: str | None = None) -> tuple[bytes, str]:
        batch = make_batch(records, device_id=device_id or self.plan.device_id)
        return json.dumps(batch, ensure_ascii=False).encode("utf-8"), batch["batch_id"]

    def post(self, body: bytes, token: str | None = "") -> requests.Response | None:
        """POST ``body`` (with this kiosk's token, or ``token``; None sends none) until the server answers
        something other than 429 or 5xx; connection errors and those are tried again, a 5xx also noted as a
        problem. None when the deadline passed first."""
        headers = {} if token is None else {"Authorization": f"Bearer {token or self.plan.token}"}
        pause = 0.25
        while time.monotonic() < self.deadline:
            try:
                response = self.session.post(self.server.url + BATCHES_PATH, data=body, headers=headers,
                                             timeout=REQUEST_TIMEOUT)
            except requests.RequestException as exc:
                self.ledger.count(f"retried after {type(exc).__name__}")
            else:
                if response.status_code == 429:
                    self.ledger.count("retried after 429")
                    time.sleep(float(response.headers.get("Retry-After", MAX_PAUSE)))
                    continue
                if response.status_code < 500:
                    return response
                self.ledger.problem(f"HTTP {response.status_code} from the server")
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
        self.ledger.problem("gave up waiting for the server")
        return None

    def deliver(self, records: list[dict[str, Any]], body: bytes | None = None, batch_id: str = "",
                resent: bool = False) -> None:
        """Send a batch until it has a receipt, check the receipt, and only then count its ids as sent."""
        if body is None:
            body, batch_id = self.body(records)
        response = self.post(body)
        if response is None:
            return
        problem = receipt_problem(response, batch_id, len(records), resent=resent,
                                  acknowledged_seq=self.acknowledged_seq)
        if problem:
            self.ledger.problem(problem)
            return
        self.ledger.received([record["id"] for record in records])
        self.acknowledged_seq = max(self.acknowledged_seq, *(record["seq"] for record in records))

    def probe(self, body: bytes, ids: list[str], expected: int, what: str, token: str | None = "") -> None:
        """Send something the server must refuse with ``expected``; its ids must never be stored."""
        self.ledger.refuse(ids)
        response = self.post(body, token)
        if response is None:
            return
        self.ledger.count(f"{what}: {response.status_code}")
        if response.status_code != expected:
            self.ledger.problem(f"{what}: HTTP {response.status_code}, expected {expected}")


def receipt_problem(response: requests.Response, batch_id: str, count: int, *, resent: bool,
                    acknowledged_seq: int) -> str | None:
    """What is wrong with the answer to a good batch, or None: the kiosk checks its receipt as kiosk-sync does."""
    if response.status_code != 200:
        return f"HTTP {response.status_code} for a good batch"
    try:
        receipt = response.json()
    except ValueError:
        return "a 200 that is not a receipt"
    if receipt.get("batch_id") != batch_id:
        return "a receipt for another batch"
    if receipt.get("rejected") or receipt.get("conflict"):
        return "records rejected or in conflict"
    if receipt.get("accepted", 0) + receipt.get("duplicate", 0) != count:
        return f"a receipt for {receipt.get('accepted')} + {receipt.get('duplicate')} of {count} records"
    if resent and receipt.get("duplicate") != count:
        return "a batch sent again after a lost receipt was stored again"
    if receipt.get("high_water_seq", 0) < acknowledged_seq:
        return "the server's high-water seq went back"
    return None


def malformed(kiosk: SoakKiosk, number: int) -> tuple[bytes, list[str], int, str]:
    """The ``number``-th kind of broken body, its ids, the status it must get and its name."""
    records = kiosk.records(2, seqs=iter((kiosk.seq + 1, kiosk.seq + 2)))  # numbers not used up: no gap left
    body, _ = kiosk.body(records)
    batch = json.loads(body)
    kinds: list[tuple[str, int, Callable[[], bytes]]] = [
        ("not JSON", 400, lambda: body[:len(body) * 2 // 3]),
        ("not UTF-8", 400, lambda: b"\xff\xfe" + body),
        ("wrong schema version", 422, lambda: json.dumps(batch | {"schema_version": 99}).encode()),
        ("records not a list", 422, lambda: json.dumps(batch | {"records": "none"}).encode()),
        ("a record without its hash", 422, lambda: json.dumps(
            batch | {"records": [{k: v for k, v in records[0].items() if k != "sha256"}]}).encode()),
    ]
    name, status, make = kinds[number % len(kinds)]
    return make(), [record["id"] for record in records], status, f"malformed ({name})"


def send(kiosk: SoakKiosk, fault: str | None, index: int) -> None:
    """One batch of fresh answers, meeting ``fault`` on the way (``index``: the kiosk's, to vary the faults)."""
    if fault is not None:
        kiosk.ledger.count(f"fault: {fault}")
    if fault == "stale-seq":
        earlier = max(1, kiosk.seq - kiosk.size * 3)  # numbers already sent, and the first one twice
        stale = iter([earlier, *range(earlier, earlier + kiosk.size - 1)])
        kiosk.deliver(kiosk.records(kiosk.size, seqs=stale))
        return
    if fault == "malformed":
        kiosk.probe(*malformed(kiosk, index + kiosk.broken))
        kiosk.broken += 1
    records = kiosk.records(kiosk.size)
    body, batch_id = kiosk.body(records)
    if fault == "cut-body" and not cut_mid_body(kiosk.server.url, kiosk.plan.token, body):
        kiosk.ledger.count("cut-body missed: server down")
    if fault == "lost-receipt" and kiosk.post(body) is not None:  # stored; the receipt never reached the kiosk
        kiosk.deliver(records, body, batch_id, resent=True)
        return
    kiosk.deliver(records, body, batch_id)


def run_kiosk(kiosk: SoakKiosk, index: int, interval: float, fault_share: float, stop: threading.Event) -> None:
    """A kiosk's day: a batch every ``interval`` seconds (from a random start), a share of them meeting the
    faults in turn; a slot missed while the server was away is not made up in a burst."""
    chooser = random.Random(index)
    due = time.monotonic() + chooser.uniform(0, interval)
    faults = 0
    while not stop.wait(max(0.0, due - time.monotonic())):
        due = max(due + interval, time.monotonic())
        fault = FAULTS[(index + faults) % len(FAULTS)] if chooser.random() < fault_share else None
        send(kiosk, fault, index)
        faults += fault is not None


def intrude(thief: SoakKiosk, victim: SoakKiosk, revokee: SoakKiosk, db: str, every: float, revoke_after: float,
            stop: threading.Event) -> None:
    """Tokens that must not work, every ``every`` seconds: none, one nobody was given, the ``thief``'s token with
    the ``victim``'s device id; and a kiosk that sends until it is revoked part way through, then gets 401."""
    revoke_at = time.monotonic() + revoke_after
    revoked = False
    while not stop.wait(every):
        if not revoked and time.monotonic() >= revoke_at:
            revoke(revokee, db)
            revoked = True
        if revoked:
            refused = revokee.records(1, seqs=iter((revokee.seq + 1,)))
            revokee.probe(revokee.body(refused)[0], [refused[0]["id"]], 401, "revoked token")
        else:
            revokee.deliver(revokee.records(1))
        for what, token, expected, device in (("no token", None, 401, None),
                                              ("unknown token", "x" * 43, 401, None),
                                              ("another kiosk's device id", "", 403, victim.plan.device_id)):
            records = thief.records(1, seqs=iter((1,)))
            thief.probe(thief.body(records, device)[0], [records[0]["id"]], expected, what, token)


def revoke(kiosk: SoakKiosk, db: str) -> None:
    """`feedback-server revoke-kiosk` while the server runs."""
    result = feedback_server("revoke-kiosk", kiosk.plan.name, db=db)
    if result.returncode != 0:
        kiosk.ledger.problem(f"revoke-kiosk exited {result.returncode}")
    kiosk.ledger.count("kiosk revoked")


@dataclass
class CommandRun:
    """One `feedback-server forget` or `report` while the kiosks send."""

    what: str
    started: datetime
    seconds: float
    ok: bool
    forgot: int = 0


def run_command(what: str, args: list[str], db: str, out: Path | None = None) -> CommandRun:
    """Run one command; it succeeded if it exited 0, said it had done its work and wrote its file."""
    started, clock = utc_now(), time.monotonic()
    result = feedback_server(*args, db=db, timeout=COMMAND_TIMEOUT)
    said = re.search(r"Forgot (\d+) responses", result.stdout) if what == "forget" else None
    ok = result.returncode == 0 and ("Forgot" if what == "forget" else "Wrote") in result.stdout
    if out is not None:
        ok = ok and out.exists() and out.stat().st_size > 0
        out.unlink(missing_ok=True)
    if not ok:
        print(f"{what} failed ({result.returncode}): {result.stderr.strip()[-500:]}", flush=True)
    return CommandRun(what, started, time.monotonic() - clock, ok, int(said.group(1)) if said else 0)


def forgetting(db: str, days: int, every: float, runs: list[CommandRun], stop: threading.Event) -> None:
    """A retention pass every ``every`` seconds (the first after half of that)."""
    wait = every / 2
    while not stop.wait(wait):
        runs.append(run_command("forget", ["forget", "--older-than", str(days)], db))
        wait = every


def reporting(db: str, folder: Path, every: float, runs: list[CommandRun], stop: threading.Event) -> None:
    """The quarterly report and a site's monthly report, in turn, ``every`` seconds apart, until stopped."""
    today = date.today()
    kinds = [("quarterly report", ["--period", f"{today.year}-Q{(today.month - 1) // 3 + 1}"]),
             ("monthly report", ["--site", REPORT_SITE, "--period", today.strftime("%Y-%m")])]
    number = 0
    while not stop.is_set():
        what, period = kinds[number % len(kinds)]
        out = folder / f"report-{number}.html"
        runs.append(run_command(what, ["report", *period, "--format", "html", "--out", str(out)], db, out))
        number += 1
        stop.wait(every)


def seed_backfill(db: str, count: int, days: int) -> dict[str, datetime]:
    """``demo-data`` answers given over the last ``days`` days, each received when it was given; their ids and
    received times."""
    sites = [part for site in BACKFILL_SITES for part in ("--site", site)]
    result = feedback_server("demo-data", "--responses", str(count), "--days", str(days), *sites, db=db,
                             timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        raise SystemExit(f"Error: demo-data failed: {result.stderr.strip()}")
    return backdate(db)


def backdate(db: str) -> dict[str, datetime]:
    """Set each backfill response's received time (and its safeguarding queue entry's) to when it was given:
    demo-data stores all as received now, which retention, going by received time, would never forget."""
    engine = open_database(db, create=False)
    try:
        with engine.begin() as connection:
            given = {rid: parse_device_time(created) for rid, created in connection.execute(
                sa.select(responses.c.id, responses.c.created_at_device))}
            moments = [{"rid": rid, "moment": moment} for rid, moment in given.items()]
            for table, key in ((responses, responses.c.id), (concern_queue, concern_queue.c.response_id)):
                connection.execute(sa.update(table).where(key == sa.bindparam("rid"))
                                   .values(received_at=sa.bindparam("moment")), moments)
    finally:
        engine.dispose()
    return {rid: moment for rid, moment in given.items() if moment is not None}


def sample(server: Restartable, db: str, ledger: Ledger, started: float, forgets: list[CommandRun],
           reports: list[CommandRun]) -> Sample | None:
    """The server process now, and how far the run has gone."""
    held = process_sample(server.pid)
    if held is None:
        return None
    files = [Path(db), Path(db + "-wal")] if "://" not in db else []
    with ledger.lock:
        batches, records = ledger.batches, len(ledger.receipted)
    return {"minutes": (time.monotonic() - started) / 60, "server": len(server.processes), **held,
            "db_mb": sum(path.stat().st_size for path in files if path.exists()) / 2**20,
            "batches": batches, "records": records, "forgets": len(forgets), "reports": len(reports)}


def watch(server: Restartable, db: str, ledger: Ledger, args: argparse.Namespace, forgets: list[CommandRun],
          reports: list[CommandRun]) -> list[Sample]:
    """Sample the server every ``--sample-seconds`` until the run's end, killing and restarting it on time."""
    started = time.monotonic()
    end = started + args.minutes * 60
    restarts = [started + args.minutes * 60 * 0.25 * (n + 1) / args.restarts for n in range(args.restarts)]
    rows: list[Sample] = []
    while time.monotonic() < end:
        time.sleep(min(args.sample_seconds, max(0.0, end - time.monotonic())))
        if restarts and time.monotonic() >= restarts[0]:
            restarts.pop(0)
            server.kill_and_restart()
            ledger.count("server killed and restarted")
        row = sample(server, db, ledger, started, forgets, reports)
        if row is not None:
            rows.append(row)
            print(", ".join(f"{key} {value:.1f}" for key, value in row.items()), flush=True)
    return rows


@dataclass
class Outcome:
    """Everything the run saw, for the checks."""

    ledger: Ledger
    rows: list[Sample]
    forgets: list[CommandRun]
    reports: list[CommandRun]
    output: str
    minutes: float


def soak(db: str, scratch: Path, plans: list[KioskPlan], payloads: list[str], args: argparse.Namespace) -> Outcome:
    """Start the server, let the kiosks, the retention passes, the reports and the intruder loose, watch the
    server until the end, then let every kiosk get its last receipt."""
    ledger, stop = Ledger(), threading.Event()
    forgets: list[CommandRun] = []
    reports: list[CommandRun] = []
    server = Restartable(db)
    deadline = time.monotonic() + args.minutes * 60 + GRACE_SECONDS
    kiosks = [SoakKiosk(plan, payloads, args.records, ledger, server, deadline) for plan in plans]
    revokee, kiosks = kiosks[-1], kiosks[:-1]
    thief = SoakKiosk(plans[0], payloads, args.records, ledger, server, deadline)  # a session of its own
    threads = [threading.Thread(target=run_kiosk, args=(kiosk, index, args.interval, args.fault_share, stop))
               for index, kiosk in enumerate(kiosks)]
    threads += [threading.Thread(target=forgetting, args=(db, args.keep_days, args.forget_every, forgets, stop)),
                threading.Thread(target=reporting, args=(db, scratch, args.report_every, reports, stop)),
                threading.Thread(target=intrude, args=(thief, kiosks[-1], revokee, db, args.probe_every,
                                                       args.minutes * 60 * 0.4, stop))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        rows = watch(server, db, ledger, args, forgets, reports)
        stop.set()
        for thread in threads:
            thread.join()
        last = sample(server, db, ledger, started, forgets, reports)
        rows += [last] if last is not None else []
    finally:
        stop.set()
        server.stop()
    return Outcome(ledger, rows, forgets, reports, server.output(), (time.monotonic() - started) / 60)


@dataclass
class Held:
    """What the server's database holds at the end."""

    times: Counter[str]
    """Each response id, and how many rows have it."""
    queued: set[str]
    """Responses waiting in the safeguarding queue (not resolved): retention keeps these however old."""
    counted: int
    """Responses the dashboard's counts add up to."""


def held(db: str) -> Held:
    engine = open_database(db, create=False)
    try:
        with engine.connect() as connection:
            times = Counter(connection.execute(sa.select(responses.c.id)).scalars())
            queued = set(connection.execute(sa.select(concern_queue.c.response_id)
                                            .where(concern_queue.c.status != "resolved")).scalars())
            counted = connection.execute(sa.select(sa.func.coalesce(sa.func.sum(response_counts.c.responses), 0)))
            return Held(times, queued, int(counted.scalar_one()))
    finally:
        engine.dispose()


Check = tuple[bool, str]


def check_nothing_lost(outcome: Outcome, now: Held, backfill: dict[str, datetime]) -> list[Check]:
    ledger = outcome.ledger
    lost = [rid for rid in ledger.receipted if now.times[rid] != 1]
    unasked = [rid for rid in ledger.refused if rid in now.times]
    unconfirmed = [rid for rid in now.times if rid not in ledger.receipted and rid not in backfill]
    return [
        (not lost and bool(ledger.receipted), f"nothing lost: {len(ledger.receipted) - len(lost)} of the "
         f"{len(ledger.receipted)} responses with a receipt are held exactly once"),
        (not unasked, f"nothing refused was stored: {len(unasked)} of {len(ledger.refused)} refused ids held"),
        (not unconfirmed, f"nothing stored without a receipt reaching its kiosk: {len(unconfirmed)}"),
    ]


def check_no_errors(outcome: Outcome) -> list[Check]:
    statuses = Counter(status for _path, status in ACCESS_LINE.findall(outcome.output))
    server_errors = sum(count for status, count in statuses.items() if status.startswith("5"))
    tracebacks = outcome.output.count("Traceback") + len(re.findall(r"(?m)^ERROR", outcome.output))
    problems = Counter(outcome.ledger.problems)
    return [
        (not server_errors and not tracebacks, f"no server errors: {server_errors} 5xx answers, {tracebacks} "
         f"errors or tracebacks in its output (answers by status: {dict(sorted(statuses.items()))})"),
        (not problems, f"every answer was the one expected: {sum(problems.values())} surprises "
         f"{dict(problems) if problems else ''}".rstrip()),
    ]


def check_commands(outcome: Outcome) -> list[Check]:
    checks = []
    for what, runs in (("report", outcome.reports), ("retention pass", outcome.forgets)):
        failed = sum(not run.ok for run in runs)
        kinds = sorted({run.what for run in runs})
        times = "; ".join(f"{kind}: median {statistics.median(r.seconds for r in runs if r.what == kind):.1f} s, "
                          f"slowest {max(r.seconds for r in runs if r.what == kind):.1f} s" for kind in kinds)
        checks.append((bool(runs) and not failed, f"every {what} succeeded: {len(runs) - failed} of {len(runs)} "
                                                  f"({times or 'none ran'})"))
    return checks


def check_retention(outcome: Outcome, now: Held, backfill: dict[str, datetime], days: int,
                    finished: datetime) -> list[Check]:
    """Old backfill gone (but what the safeguarding queue keeps), recent backfill kept, and the passes' own
    count of what they deleted equal to the backfill that went: nothing else was deleted."""
    if not outcome.forgets:
        return [(False, "retention deleted only what it should: no retention pass ran")]
    surely_old = outcome.forgets[-1].started - timedelta(days=days)
    surely_new = finished - timedelta(days=days)
    stayed_old = [rid for rid, moment in backfill.items()
                  if moment < surely_old and rid in now.times and rid not in now.queued]
    went_new = [rid for rid, moment in backfill.items() if moment >= surely_new and rid not in now.times]
    gone = sum(rid not in now.times for rid in backfill)
    forgot = sum(run.forgot for run in outcome.forgets)
    kept = sum(moment < surely_old and rid in now.queued for rid, moment in backfill.items())
    return [(not stayed_old and not went_new and gone == forgot,
             f"retention deleted only what it should: {gone} of {len(backfill)} backfill responses older than "
             f"{days} days gone ({forgot} by the passes' own count), {kept} as old kept for the safeguarding queue, "
             f"{len(stayed_old)} old ones left, {len(went_new)} newer ones deleted")]


def check_counts_and_privacy(outcome: Outcome, now: Held, payloads: list[str]) -> list[Check]:
    rows = sum(now.times.values())
    texts = {answer["text"] for payload in payloads for answer in json.loads(payload).get("answers", [])
             if isinstance(answer.get("text"), str) and len(answer["text"]) >= SHORTEST_TEXT}
    leaked = [text for text in texts if text in outcome.output]
    return [(now.counted == rows, f"the dashboard's counts equal the rows held: {now.counted} and {rows}"),
            (not leaked, f"no free text in the server's output: {len(leaked)} of {len(texts)} answers' words found")]


def check_faults(outcome: Outcome, args: argparse.Namespace) -> list[Check]:
    events = outcome.ledger.events
    missing = [fault for fault in FAULTS if not events[f"fault: {fault}"]]
    restarts = events["server killed and restarted"]
    met = ", ".join(f"{fault} {events['fault: ' + fault]}" for fault in FAULTS)
    return [(not missing and restarts == args.restarts and events["kiosk revoked"] == 1,
             f"every fault was met: {met}; server killed {restarts} of {args.restarts} times; kiosk revoked "
             f"{events['kiosk revoked']}")]


def report(outcome: Outcome, args: argparse.Namespace) -> None:
    """The samples as a short table, what the kiosks met, and the second half against the first."""
    rows = outcome.rows
    step = max(1, len(rows) // 10)
    shown = rows[::step] + ([rows[-1]] if rows and (len(rows) - 1) % step else [])
    for key, label in (("minutes", "minutes"), ("batches", "batches"), ("records", "records"),
                       ("rss_mb", "RSS MB"), ("open_files", "fds"), ("threads", "threads"), ("db_mb", "db MB")):
        print(f"| {label} | " + " | ".join(f"{row[key]:.1f}" if key in ("minutes", "rss_mb") else f"{row[key]:,.0f}"
                                           for row in shown) + " |")
    events = outcome.ledger.events
    print("met: " + "; ".join(f"{event} {count}" for event, count in sorted(events.items())))
    last_server = [row for row in rows if row["server"] == rows[-1]["server"]] if rows else []
    print(f"run: {outcome.minutes:.1f} min, {outcome.ledger.batches} batches with a receipt, "
          f"{len(outcome.ledger.receipted)} responses; last server process sampled {len(last_server)} times")
    for line in compare_halves(last_server, ("rss_mb", "open_files", "threads")):
        print(f"last server process, {line}")
    write_csv(rows, args.csv)


def verify(db: str, outcome: Outcome, backfill: dict[str, datetime], payloads: list[str],
           args: argparse.Namespace) -> bool:
    """Print PASS or FAIL for each check; True when all pass."""
    finished = utc_now()
    now = held(db)
    checks = [*check_nothing_lost(outcome, now, backfill), *check_no_errors(outcome), *check_commands(outcome),
              *check_retention(outcome, now, backfill, args.keep_days, finished),
              *check_counts_and_privacy(outcome, now, payloads), *check_faults(outcome, args)]
    for ok, line in checks:
        print(f"{'PASS' if ok else 'FAIL'} {line}")
    return all(ok for ok, _ in checks)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0, help="how long the kiosks send (default 60)")
    parser.add_argument("--kiosks", type=int, default=50, help="kiosks sending (default 50)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between a kiosk's batches (default 5)")
    parser.add_argument("--records", type=int, default=5, help="responses in each batch (default 5)")
    parser.add_argument("--fault-share", type=float, default=0.2, help="share of batches meeting a fault (0.2)")
    parser.add_argument("--restarts", type=int, default=2, help="times the server is killed, in the first quarter")
    parser.add_argument("--probe-every", type=float, default=30.0, help="seconds between tries of bad tokens (30)")
    parser.add_argument("--forget-every", type=float, default=300.0, help="seconds between retention passes (300)")
    parser.add_argument("--keep-days", type=int, default=365, help="forget --older-than DAYS (default 365)")
    parser.add_argument("--report-every", type=float, default=30.0, help="seconds between reports (default 30)")
    parser.add_argument("--backfill", type=int, default=20_000, help="demo-data responses seeded first (20,000)")
    parser.add_argument("--backfill-days", type=int, default=730, help="spread over this many days (730)")
    parser.add_argument("--payloads", type=int, default=2_000, help="real sessions to take payloads from (2,000)")
    parser.add_argument("--sample-seconds", type=float, default=30.0, help="seconds between samples (default 30)")
    parser.add_argument("--postgres", metavar="URL", help="use this PostgreSQL database (its tables are DROPPED)")
    parser.add_argument("--dir", type=Path, help="folder for the databases (default: temporary)")
    parser.add_argument("--csv", type=Path, help="also write the samples here")
    parser.add_argument("--tracemalloc", type=float, metavar="SECONDS",
                        help="to find what grows: trace the server's allocations, a snapshot every SECONDS, and "
                             "print where its last process grew in its second half (slower; RSS counts the traces)")
    args = parser.parse_args()
    if min(args.kiosks, args.records, args.backfill, args.payloads) < 1 or min(args.minutes, args.interval) <= 0:
        parser.error("every count must be at least 1, and --minutes and --interval above 0")
    if args.kiosks < 2:
        parser.error("the 403 probe needs two kiosks: give --kiosks 2 or more")
    return args


def main() -> None:
    args = arguments()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        scratch = Path(folder)
        db = fresh_database(args.postgres, scratch, "central")
        payloads = read_payloads(payload_database(scratch, args.payloads))
        backfill = seed_backfill(db, args.backfill, args.backfill_days)
        plans = enrol_all(db, args.kiosks + 1)  # the last is revoked part way through
        if args.tracemalloc:
            trace_allocations(scratch / "tracemalloc", "serve", args.tracemalloc)
        print(f"seeded {len(backfill)} backfill responses; enrolled {len(plans)} kiosks", flush=True)
        outcome = soak(db, scratch, plans, payloads, args)
        report(outcome, args)
        for line in allocations_grown(scratch / "tracemalloc") if args.tracemalloc else []:
            print(line)
        passed = verify(db, outcome, backfill, payloads, args)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
