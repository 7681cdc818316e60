"""Kiosk to server, for real: `kiosk simulate`, `kiosk-sync` and `feedback-server` as separate processes
on 127.0.0.1, with faults injected by tests/fault_proxy.py."""

from __future__ import annotations

import contextlib
import copy
import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.core.protocol import Translation, payload_hash
from sync.server.storage.db import open_database, responses
from tests.fault_proxy import FaultProxy
from tests.server_process import ServerProcess, enrol, feedback_server

KIOSK_SYNC = str(Path(sys.executable).parent / "kiosk-sync")


class Kiosk:
    """One kiosk's data folder, token file and commands."""

    def __init__(self, root: Path, env: dict[str, str], token: str, batch_size: int = 500):
        self.data, self.env = root / "data", env
        self.token_file = root / "token"
        self.token_file.write_text(token + "\n")
        self.token_file.chmod(0o600)
        self.config = root / "config"
        self.config.mkdir()
        (self.config / "kiosk.toml").write_text(f"[sync]\nbatch_size = {batch_size}\n")

    def copied_to(self, root: Path) -> Kiosk:
        """This kiosk's whole folder copied elsewhere, as if its disk were put in a second machine."""
        shutil.copytree(self.data.parent, root)
        twin = copy.copy(self)
        twin.data, twin.token_file, twin.config = root / "data", root / "token", root / "config"
        return twin

    def simulate(self, count: int, seed: int = 1) -> None:
        subprocess.run([sys.executable, "-m", "kiosk", "simulate", str(count), "--data", str(self.data), "--seed",
                        str(seed)], env=self.env, check=True, capture_output=True, timeout=300)

    def sync_command(self, server_url: str, *extra: str) -> list[str]:
        return [KIOSK_SYNC, "--data", str(self.data), "--config", str(self.config), "--server", server_url,
                "--token-file", str(self.token_file), *extra]

    def sync_once(self, server_url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.sync_command(server_url, "--once"), env=self.env, capture_output=True, text=True,
                              timeout=600)

    def status(self) -> dict:
        result = subprocess.run([sys.executable, "-m", "kiosk", "status", "--json", "--data", str(self.data)],
                                env=self.env, capture_output=True, text=True, check=True)
        return json.loads(result.stdout)

    def ids(self) -> set[str]:
        with sqlite3.connect(self.data / "kiosk.db") as db:
            return {row[0] for row in db.execute("SELECT id FROM responses")}


def server_rows(db_path: Path | str) -> list[tuple[str, str, str]]:
    return held_on_server(str(db_path))


def assert_exactly(database: Path | str, expected_ids: set[str]) -> None:
    """The server holds every expected response once, each intact."""
    rows = server_rows(database)
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids)) == len(expected_ids)
    assert set(ids) == expected_ids
    for _id, sha, payload in rows:
        assert payload_hash(json.loads(payload)) == sha


@pytest.fixture
def server(tmp_path):  # type: ignore[no-untyped-def]
    db = tmp_path / "central.db"
    with ServerProcess(str(db)) as running:
        running.db_path = db
        yield running


def held_on_server(database: str) -> list[tuple[str, str, str]]:
    """(id, sha256, payload) of every response the server holds, on SQLite or PostgreSQL."""
    engine = open_database(database, create=False)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                sa.select(responses.c.id, responses.c.sha256, responses.c.payload))]
    finally:
        engine.dispose()


def test_end_to_end_2000_responses_arrive_exactly_once(tmp_path, kiosk_env, server_database):
    with ServerProcess(server_database) as server:
        kiosk = Kiosk(tmp_path, kiosk_env, enrol(server_database))
        kiosk.simulate(2000)
        first = kiosk.sync_once(server.url)
        assert first.returncode == 0, first.stderr
        assert_exactly(server_database, kiosk.ids())
        status = kiosk.status()
        assert (status["stored"], status["pending"], status["dead"], status["sync_status"]) == (2000, 0, 0, "ok")
        assert status["last_sync"] is not None
        again = kiosk.sync_once(server.url)
        assert again.returncode == 0
        assert_exactly(server_database, kiosk.ids())
    stats = json.loads(feedback_server("stats", "--json", db=server_database).stdout)
    assert stats["responses"] == 2000
    [health] = stats["kiosks"]
    assert health["pending"] == 0 and health["sequence_gaps"] == 0


def test_oversized_batches_are_halved_until_the_server_takes_them(tmp_path, kiosk_env, server):
    kiosk = Kiosk(tmp_path, kiosk_env, enrol(str(server.db_path)), batch_size=5000)  # ~6 MB: over the 1 MB cap
    kiosk.simulate(1500)
    result = kiosk.sync_once(server.url)
    assert result.returncode == 0, result.stderr
    assert_exactly(server.db_path, kiosk.ids())


def test_a_wrong_token_stops_with_not_authorised_and_sends_nothing(tmp_path, kiosk_env, server):
    enrol(str(server.db_path))
    kiosk = Kiosk(tmp_path, kiosk_env, "not-the-token")
    kiosk.simulate(5)
    result = kiosk.sync_once(server.url)
    assert result.returncode == 3
    status = kiosk.status()
    assert status["sync_status"] == "not authorised" and status["pending"] == 5
    assert server_rows(server.db_path) == []


def test_a_revoked_kiosk_is_refused(tmp_path, kiosk_env, server):
    kiosk = Kiosk(tmp_path, kiosk_env, enrol(str(server.db_path), name="hall"))
    kiosk.simulate(3)
    assert feedback_server("revoke-kiosk", "hall", db=str(server.db_path)).returncode == 0
    assert kiosk.sync_once(server.url).returncode == 3
    assert kiosk.status()["pending"] == 3


class CaptivePortal(http.server.BaseHTTPRequestHandler):
    """Answers everything with a friendly 200 HTML page, as hotel and hospital Wi-Fi logins do."""

    def _page(self) -> None:
        body = b"<html><body>Please log in to the Wi-Fi</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, *_args: object) -> None:
        pass


def test_a_captive_portal_page_is_not_taken_for_success(tmp_path, kiosk_env):
    portal = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CaptivePortal)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    try:
        kiosk = Kiosk(tmp_path, kiosk_env, "token")
        kiosk.simulate(4)
        result = kiosk.sync_once(f"http://127.0.0.1:{portal.server_address[1]}")
    finally:
        portal.shutdown()
    assert result.returncode == 1
    status = kiosk.status()
    assert status["pending"] == 4 and status["last_sync"] is None
    assert "captive portal" in status["sync_status"]


def test_no_server_at_all_leaves_everything_pending(tmp_path, kiosk_env):
    kiosk = Kiosk(tmp_path, kiosk_env, "token")
    kiosk.simulate(2)
    result = kiosk.sync_once("http://127.0.0.1:9")  # discard port: connection refused
    assert result.returncode == 1
    assert kiosk.status()["pending"] == 2


def test_only_one_sync_job_per_data_folder(tmp_path, kiosk_env, server):
    kiosk = Kiosk(tmp_path, kiosk_env, enrol(str(server.db_path)))
    kiosk.simulate(1)
    from filelock import FileLock

    with FileLock(kiosk.data / "sync.lock"):
        result = kiosk.sync_once(server.url)
    assert result.returncode == 4 and "already running" in result.stderr
    assert kiosk.sync_once(server.url).returncode == 0


@pytest.fixture(scope="module")
def ten_thousand_sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kiosk's data folder holding 10,000 simulated sessions, made once (it takes a while) for the SQLite and
    the PostgreSQL run of the fault test, each of which syncs a copy of its own."""
    root = tmp_path_factory.mktemp("ten-thousand")
    Kiosk(root, dict(os.environ), "not used").simulate(10_000)
    return root / "data"


@pytest.mark.slow
def test_10000_responses_through_20_percent_faults_arrive_exactly_once(tmp_path, kiosk_env, server_database,
                                                                       ten_thousand_sessions):
    """50 batches of 200, with one request in ten dropped before the server sees it and one in ten cut off
    after the server committed it, its answer lost (the kiosk sends the same responses again)."""
    kiosk = Kiosk(tmp_path, kiosk_env, enrol(server_database), batch_size=200)
    shutil.copytree(ten_thousand_sessions, kiosk.data)
    with ServerProcess(server_database) as server, \
            FaultProxy(int(server.url.rsplit(":", 1)[1]), drop=0.1, cut=0.1, seed=43) as proxy:
        proxy_url = f"http://127.0.0.1:{proxy.port}"
        for _ in range(50):
            if kiosk.sync_once(proxy_url).returncode == 0:
                break
        faults = proxy.counts.faults  # the faults really happened, of both kinds, sending and fetching updates
        assert faults["drop", "POST /v1/batches"] >= 5 and faults["cut", "POST /v1/batches"] >= 5, faults
        assert faults["drop", "GET /v1/updates"] >= 1 and faults["cut", "GET /v1/updates"] >= 1, faults
        proxy.set_faults(drop=0, cut=0)
        assert kiosk.sync_once(proxy_url).returncode == 0
    assert kiosk.status()["pending"] == 0
    assert_exactly(server_database, kiosk.ids())


@pytest.mark.slow
def test_server_killed_mid_batch_and_restarted_loses_and_duplicates_nothing(tmp_path, kiosk_env):
    db = tmp_path / "central.db"
    token = enrol(str(db))
    kiosk = Kiosk(tmp_path, kiosk_env, token, batch_size=50)
    kiosk.simulate(3000)
    first = ServerProcess(str(db))
    with FaultProxy(int(first.url.rsplit(":", 1)[1])) as proxy:
        job = subprocess.Popen(kiosk.sync_command(f"http://127.0.0.1:{proxy.port}"), env=kiosk_env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while not server_rows(db) and time.monotonic() < deadline:
                time.sleep(0.05)
            first.kill()  # SIGKILL while batches are flowing
            second = ServerProcess(str(db))
            proxy.upstream_port = int(second.url.rsplit(":", 1)[1])
            deadline = time.monotonic() + 300
            while kiosk.status()["pending"] and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            job.terminate()
            job.wait(30)
    second.stop()
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert kiosk.status()["pending"] == 0
    assert_exactly(db, kiosk.ids())


def test_a_server_restored_from_backup_gets_the_lost_responses_again(tmp_path, kiosk_env):
    db = tmp_path / "central.db"
    kiosk = Kiosk(tmp_path, kiosk_env, enrol(str(db)))
    with ServerProcess(str(db)) as server:
        kiosk.simulate(30, seed=1)
        assert kiosk.sync_once(server.url).returncode == 0
    shutil.copy(db, tmp_path / "backup.db")  # last night's backup
    with ServerProcess(str(db)) as server:
        kiosk.simulate(30, seed=2)
        assert kiosk.sync_once(server.url).returncode == 0
    shutil.copy(tmp_path / "backup.db", db)  # the server's disk died; restored from the backup
    for leftover in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    with ServerProcess(str(db)) as server:
        kiosk.simulate(1, seed=3)
        assert kiosk.sync_once(server.url).returncode == 0  # learns the server went back; resends
        assert kiosk.sync_once(server.url).returncode == 0
    assert_exactly(db, kiosk.ids())



def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A private certificate authority and a server certificate for 127.0.0.1 it signed (openssl CLI)."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Care Trust Test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


def test_https_with_the_organisations_own_certificate_authority(tmp_path, kiosk_env):
    ca, cert, key = make_certificates(tmp_path)
    db = str(tmp_path / "central.db")
    kiosk = Kiosk(tmp_path, kiosk_env, enrol(db))
    kiosk.simulate(5)
    with ServerProcess(db, "--tls-cert", str(cert), "--tls-key", str(key)) as server:
        assert server.url.startswith("https://")
        untrusted = kiosk.sync_once(server.url)  # the kiosk does not know this authority yet
        assert untrusted.returncode == 1 and kiosk.status()["pending"] == 5
        trusted = subprocess.run(kiosk.sync_command(server.url, "--once", "--ca-file", str(ca)), env=kiosk_env,
                                 capture_output=True, text=True, timeout=120)
        assert trusted.returncode == 0, trusted.stderr
    assert_exactly(db, kiosk.ids())


def test_question_sets_and_you_said_we_did_come_back_and_cost_one_small_request_when_unchanged(
        tmp_path, kiosk_env, server):
    from kiosk.session.settings import BUILTIN_CONFIG, load_config
    from kiosk.session.updates import load_question_set_update, load_you_said_we_did

    db = str(server.db_path)
    kiosk = Kiosk(tmp_path, kiosk_env, enrol(db, site="Rose House"))
    feelings = BUILTIN_CONFIG / "questions" / "feelings.toml"
    assert feedback_server("questions", "set", "--site", "Rose House", str(feelings), db=db).returncode == 0
    assert feedback_server("you-said-we-did", "add", "--site", "Rose House", "--said", "Too noisy at night",
                           "--did", "Quiet hours after 10pm", "--translation", "bn", "রাতে খুব শব্দ হয়",
                           "রাত ১০টার পর শান্ত সময়", db=db).returncode == 0
    kiosk.simulate(1)
    assert kiosk.sync_once(server.url).returncode == 0
    picture_dirs = load_config().picture_dirs
    assert load_question_set_update(kiosk.data, picture_dirs).id == "feelings"
    [item] = load_you_said_we_did(kiosk.data)
    assert item.did == "Quiet hours after 10pm"
    assert item.translations == {"bn": Translation(said="রাতে খুব শব্দ হয়", did="রাত ১০টার পর শান্ত সময়")}
    assert kiosk.sync_once(server.url).returncode == 0
    time.sleep(0.2)  # let the server's access log line reach us; nothing is asserted about time
    updates = [line for line in server.log if "GET /v1/updates" in line]
    assert len(updates) == 2 and " 200" in updates[0] and " 304" in updates[1]


def test_two_servers_on_one_postgresql_take_the_same_responses_once(tmp_path, kiosk_env, postgres):
    """Servers are stateless: two `serve` processes share one PostgreSQL, and the same responses arriving
    through both at once (a kiosk's data folder copied to a second machine) are stored once."""
    (tmp_path / "a").mkdir()
    kiosk = Kiosk(tmp_path / "a", kiosk_env, enrol(postgres))
    kiosk.simulate(600)
    twin = kiosk.copied_to(tmp_path / "b")
    with ServerProcess(postgres) as first, ServerProcess(postgres) as second:
        jobs = [subprocess.Popen(k.sync_command(server.url, "--once"), env=kiosk_env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
                for k, server in ((kiosk, first), (twin, second))]
        results = [(job.wait(300), job.stderr.read() if job.stderr else "") for job in jobs]
    assert [code for code, _ in results] == [0, 0], results
    assert kiosk.ids() == twin.ids()
    assert_exactly(postgres, kiosk.ids())
    assert kiosk.status()["pending"] == twin.status()["pending"] == 0


def test_one_record_too_large_for_the_server_is_set_aside_and_the_rest_still_go_in_batches(
        tmp_path, kiosk_env, server):
    from kiosk.session.store import Store
    from sync.core.record import AnswerRecord, SessionRecord

    kiosk = Kiosk(tmp_path, kiosk_env, enrol(str(server.db_path)))
    kiosk.simulate(10, seed=1)
    huge = AnswerRecord("working", "What is working?", "text", status="answered", text="x" * 1_200_000)
    store = Store(kiosk.data)
    giant = store.save(SessionRecord("default", 1, "en-GB", [huge], complete=True))
    store.close()
    kiosk.simulate(30, seed=2)
    assert kiosk.sync_once(server.url).returncode == 0
    status = kiosk.status()
    assert (status["dead"], status["pending"], status["acknowledged"]) == (1, 0, 40)
    assert_exactly(server.db_path, kiosk.ids() - {giant.id})
    time.sleep(0.2)  # let the server's access log reach us; nothing is asserted about time
    posts = [line for line in server.log if "POST /v1/batches" in line]
    assert len(posts) < 15  # not one record per request after the giant (40 would go one by one)


def open_files(pid: int) -> list[str]:
    folder = Path(f"/proc/{pid}/fd")
    names = []
    for fd in folder.iterdir():
        with contextlib.suppress(OSError):  # closed while we looked
            names.append(os.readlink(fd))
    return names


def test_the_running_sync_job_keeps_the_database_closed_between_passes(tmp_path, kiosk_env, server):
    """So the app can repair a damaged file at start (kiosk.device.recovery will not move a file another process
    holds), and the job's next pass reads the repaired one."""
    kiosk = Kiosk(tmp_path, kiosk_env, enrol(str(server.db_path)))
    kiosk.simulate(5)
    job = subprocess.Popen(kiosk.sync_command(server.url), env=kiosk.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while kiosk.status()["pending"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kiosk.status()["pending"] == 0  # a pass ran; the job now waits 60 s for the next
        time.sleep(0.5)
        assert job.poll() is None
        held = [name for name in open_files(job.pid) if "kiosk.db" in name]
        assert held == []
    finally:
        job.terminate()
        job.wait(10)
