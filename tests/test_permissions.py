"""Only the user the kiosk or the server runs as can read the answers (sync.core.private_files): the real `kiosk` and
`feedback-server` commands, started with the usual permissive umask (022: folders 0755, files 0644), make their
folders 0700 and their files 0600, and tighten a data folder and database an older version left open to others."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from kiosk.session.store import DB_FILENAME
from tests.server_process import FEEDBACK_SERVER, ServerProcess, enrol, make_batch, make_record
from tests.test_service import journal_free

PERMISSIVE = 0o022
WAL, SHM = f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(folder: Path) -> dict[str, str]:
    """The mode of ``folder`` (".") and of everything under it, in octal, by path relative to it."""
    return {str(path.relative_to(folder)): oct(mode(path)) for path in [folder, *folder.rglob("*")]}


def private(folder: Path) -> dict[str, str]:
    """What ``modes(folder)`` is when every folder is 0700 and every file 0600."""
    return {str(path.relative_to(folder)): oct(0o700 if path.is_dir() else 0o600)
            for path in [folder, *folder.rglob("*")]}


def kiosk(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=300, umask=PERMISSIVE)


def left_open_by_an_older_version(data: Path, env: dict[str, str]) -> None:
    """A kiosk data folder with answers, 0755 with kiosk.db 0644, as versions before this one made it."""
    made = kiosk("simulate", "3", "--data", data, "--seed", "1", env=env)
    assert made.returncode == 0, made.stderr
    data.chmod(0o755)
    (data / DB_FILENAME).chmod(0o644)


# -- the kiosk ------------------------------------------------------------------------------------------


def test_a_new_kiosk_data_folder_and_database_are_readable_by_the_kiosk_user_only(tmp_path, kiosk_env):
    data = tmp_path / "new" / "data"
    made = kiosk("simulate", "3", "--data", data, env=kiosk_env)
    assert made.returncode == 0, made.stderr
    assert DB_FILENAME in modes(data)
    assert modes(data) == private(data)
    assert mode(tmp_path / "new") == 0o700  # a parent made for it too


def test_a_data_folder_left_open_by_an_older_version_is_tightened_by_the_next_command(tmp_path, kiosk_env):
    data = tmp_path / "data"
    left_open_by_an_older_version(data, kiosk_env)
    status = kiosk("status", "--data", data, env=kiosk_env)
    assert status.returncode == 0, status.stderr
    assert modes(data) == private(data)
    assert (f"{data / DB_FILENAME} could be read by other users: made readable by this user only (chmod 600 "
            f"{data / DB_FILENAME}; chmod 700 {data})") in status.stderr


@pytest.mark.gui
def test_the_running_kiosk_keeps_its_database_wal_backups_and_logs_private(tmp_path, kiosk_env):
    """``kiosk run`` on a data folder an older version left open: while it runs, the folder, the database, the WAL
    and shared-memory files SQLite makes, the first backup (made 10 s after start) and the log are all private."""
    data = tmp_path / "data"
    left_open_by_an_older_version(data, kiosk_env)
    with (tmp_path / "output.txt").open("w") as output:
        app = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--data", str(data)], env=journal_free(kiosk_env),
                               stdout=output, stderr=subprocess.STDOUT, umask=PERMISSIVE)
        try:
            deadline = time.monotonic() + 120
            while not list((data / "backups").glob("kiosk-*.db")) and app.poll() is None:
                assert time.monotonic() < deadline, (tmp_path / "output.txt").read_text()[-3000:]
                time.sleep(0.5)
            assert app.poll() is None, (tmp_path / "output.txt").read_text()[-3000:]
            seen = modes(data)
            expected = private(data)
        finally:
            app.terminate()
            app.wait(timeout=60)
    assert {DB_FILENAME, WAL, SHM, "logs/kiosk.log", "backups"} <= set(seen)
    assert any(name.startswith("backups/kiosk-") for name in seen)
    assert seen == expected


# -- the central server ------------------------------------------------------------------------------------


def feedback_server(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([FEEDBACK_SERVER, *args, "--db", str(db)], capture_output=True, text=True, timeout=120,
                          umask=PERMISSIVE)
    assert done.returncode == 0, done.stderr
    return done


def test_a_new_server_database_and_its_wal_are_readable_by_the_server_user_only(tmp_path):
    folder = tmp_path / "srv" / "feedback"
    db = folder / "feedback-server.db"
    token = feedback_server("add-kiosk", "lounge-1", "--site", "Bow", db=db).stdout.splitlines()[-1]
    assert modes(folder) == private(folder) and set(modes(folder)) == {".", "feedback-server.db"}
    with ServerProcess(str(db), umask=PERMISSIVE) as server:
        sent = server.post_batch(token, make_batch([make_record(1)], device_id=str(uuid.uuid4())))
        assert sent.status_code == 200, sent.text
        seen = modes(folder)  # while it runs, SQLite keeps its -wal and -shm beside the database
        expected = private(folder)
    assert set(seen) == {".", "feedback-server.db", "feedback-server.db-wal", "feedback-server.db-shm"}
    assert seen == expected


def test_the_server_tightens_at_start_a_database_an_older_version_left_readable_and_says_so(tmp_path):
    folder = tmp_path / "feedback"
    db = folder / "feedback-server.db"
    enrol(str(db))
    folder.chmod(0o755)
    db.chmod(0o644)
    with ServerProcess(str(db), umask=PERMISSIVE) as server:
        seen, expected = modes(folder), private(folder)
    assert seen == expected
    assert f"could be read by other users: made readable by this user only (chmod 600 {db}; chmod 700 {folder})" \
           in server.output()


def test_a_database_in_a_folder_shared_with_other_files_is_tightened_and_the_folder_left_as_it_is(tmp_path):
    """A --db in a folder holding other things (a home folder, /tmp, reports to share) may be used by others: the
    database is made private, the folder is not changed."""
    shared = tmp_path / "shared"
    db = shared / "feedback-server.db"
    enrol(str(db))
    (shared / "notes.txt").write_text("not the server's\n")
    shared.chmod(0o755)
    db.chmod(0o644)
    listed = feedback_server("stats", db=db)
    assert f"chmod 600 {db})" in listed.stderr
    assert (mode(shared), mode(db)) == (0o755, 0o600)
