"""`kiosk doctor` on this machine (no microphone, no sound card, no screen), against a real central server,
with broken settings, a damaged database and a disk reserve larger than the free space; and the clock
check with an injected "now"."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.device.backup import make_backup
from kiosk.device.clock_check import OFFSET_KEY, check_clock
from kiosk.device.doctor import Kiosk, check_backups, examine
from kiosk.device.doctor import check_clock as doctor_clock_check
from kiosk.session.simulate import simulate
from kiosk.session.store import DB_FILENAME
from tests.server_process import ServerProcess, enrol
from tests.test_sync_e2e import KIOSK_SYNC

CHECKS = ["config", "screen", "microphone", "speaker", "speech", "voice models", "recordings", "disk", "permissions",
          "database", "backups", "server", "clock"]
NO_SOUND_HARDWARE = not Path("/dev/snd").exists()
NO_GRAPHICS_DEVICE = not list(Path("/dev/dri").glob("card*"))


def run_doctor(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "doctor", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=120)


def doctor_json(*args: str | Path, env: dict[str, str]) -> tuple[int, dict[str, dict[str, str]]]:
    result = run_doctor(*args, "--json", env=env)
    assert "Traceback" not in result.stderr, result.stderr
    findings = json.loads(result.stdout)
    assert [finding["check"] for finding in findings] == CHECKS
    return result.returncode, {finding["check"]: finding for finding in findings}


def fill(data: Path, env: dict[str, str], count: int) -> None:
    subprocess.run([sys.executable, "-m", "kiosk", "simulate", str(count), "--data", str(data), "--seed", "1"],
                   env=env, check=True, capture_output=True, timeout=300)


def config_folder(root: Path, toml: str) -> Path:
    folder = root / "config"
    folder.mkdir()
    (folder / "kiosk.toml").write_text(toml)
    return folder


@pytest.mark.skipif(not NO_SOUND_HARDWARE, reason="this machine has sound hardware")
def test_this_machine_has_no_microphone_or_speaker_and_says_so_in_plain_words(tmp_path, kiosk_env):
    fill(tmp_path / "data", kiosk_env, 5)
    result = run_doctor("--data", tmp_path / "data", env=kiosk_env)
    assert result.returncode == 0, result.stdout  # warnings only: the kiosk still takes answers by touch
    assert "Traceback" not in result.stderr
    lines = {line.split()[1]: line for line in result.stdout.splitlines()[:len(CHECKS)]}
    assert lines["microphone"].startswith("WARNING  microphone    No microphone found")
    assert "people can still answer by touch" in lines["microphone"]
    assert lines["speaker"].startswith("WARNING  speaker       No speaker or sound card found")
    assert lines["config"].startswith("OK       config        Settings read from the built-in settings")
    assert lines["screen"].startswith("OK       screen        Drawing off-screen, as SDL_VIDEODRIVER=offscreen asks")
    assert lines["speech"].startswith("OK       speech        The kiosk can speak en-GB, bn, ko")  # real espeak-ng
    assert "5 answers stored, 5 waiting to be sent" in lines["database"]
    assert lines["server"].startswith("OK       server        Not connected to a server")
    # English needs no download (PocketSphinx), Korean's model is the PyPI package; Bengali is answered by touch
    assert lines["voice"].startswith("OK       voice models  People can say their answers in ko, en-GB.")
    assert "In en-GB they say a question's answers; to say their own words too, install a model" in lines["voice"]
    assert result.stdout.splitlines()[-1].startswith("0 problems, 3 warnings; checked in ")


@pytest.mark.skipif(not NO_GRAPHICS_DEVICE, reason="this machine has a graphics device")
def test_with_no_screen_at_all_the_screen_is_a_problem_and_the_exit_status_is_1(tmp_path, kiosk_env):
    env = {key: value for key, value in kiosk_env.items()
           if key not in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")}
    status, found = doctor_json("--data", tmp_path / "data", env=env)
    assert status == 1
    assert found["screen"]["status"] == "PROBLEM"
    assert found["screen"]["message"] == "No screen found: no desktop and no graphics device (/dev/dri/card0)."
    assert "plugged in" in found["screen"]["fix"]
    assert [check for check, finding in found.items() if finding["status"] == "PROBLEM"] == ["screen"]
    assert not (tmp_path / "data").exists()  # looking created nothing


def test_a_broken_kiosk_toml_is_named_by_file_line_and_field(tmp_path, kiosk_env):
    config = config_folder(tmp_path, '[voice]\nlisten = true\nspeaker = "loud"\n')
    status, found = doctor_json("--config", config, "--data", tmp_path / "data", env=kiosk_env)
    assert status == 1
    assert found["config"]["status"] == "PROBLEM"
    assert found["config"]["message"].startswith(f"{config / 'kiosk.toml'}, line 3, field voice.speaker: ")
    assert "built-in settings" in found["config"]["fix"]
    assert found["speaker"]["status"] == "WARNING" if NO_SOUND_HARDWARE else "OK"  # the rest still ran


def test_a_disk_reserve_above_the_free_space_is_a_problem_and_below_three_times_a_warning(tmp_path, kiosk_env):
    free_mb = shutil.disk_usage(tmp_path).free // 1_000_000  # [storage] keep_free_mb counts a million bytes
    if free_mb + 500 > 100_000:
        pytest.skip("more free space than the largest reserve the settings allow")
    for reserve, expected in ((free_mb + 500, "PROBLEM"), (free_mb // 2, "WARNING"), (free_mb // 4, "OK")):
        (tmp_path / str(reserve)).mkdir()
        config = config_folder(tmp_path / str(reserve), f"[storage]\nkeep_free_mb = {reserve}\n")
        status, found = doctor_json("--config", config, "--data", tmp_path / "data", env=kiosk_env)
        assert found["disk"]["status"] == expected, found["disk"]
        assert (status == 1) == (expected == "PROBLEM")
        assert ("stops taking answers below" in found["disk"]["message"]) == (expected != "OK")


def test_a_damaged_database_is_a_problem_and_is_not_touched(tmp_path, kiosk_env):
    data = tmp_path / "data"
    fill(data, kiosk_env, 60)
    database = data / DB_FILENAME
    with database.open("r+b") as damaged:  # garbage over pages 2 to 4, as a failing memory card leaves them
        damaged.seek(4096)
        damaged.write(os.urandom(3 * 4096))
    before = database.read_bytes()
    status, found = doctor_json("--data", data, env=kiosk_env)
    assert status == 1
    assert found["database"]["status"] == "PROBLEM"
    assert found["database"]["message"].startswith(f"The answers database {database} is damaged (")
    assert "newest good backup" in found["database"]["fix"]
    assert found["clock"]["status"] == "OK"  # checks that need the database still give an answer
    assert database.read_bytes() == before
    assert {path.name for path in data.iterdir()} <= {DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm"}


def test_a_data_folder_or_database_other_users_can_read_is_reported_with_the_fix_and_left_as_it_is(
        tmp_path, kiosk_env):
    data = tmp_path / "data"
    fill(data, kiosk_env, 3)
    _status, found = doctor_json("--data", data, env=kiosk_env)
    assert found["permissions"] == {"check": "permissions", "status": "OK", "fix": "", "message":
                                    "Only the kiosk's own user can open its data folder and read its answers."}
    data.chmod(0o755)  # by hand, or left so by a version before the kiosk made its folder private
    (data / DB_FILENAME).chmod(0o644)
    status, found = doctor_json("--data", data, env=kiosk_env)
    assert status == 0  # a warning: the kiosk still takes and keeps answers
    assert found["permissions"]["status"] == "WARNING"
    assert found["permissions"]["message"] == (f"Other users of this computer can read the kiosk's answers: {data} "
                                               f"(755), {data / DB_FILENAME} (644).")
    assert found["permissions"]["fix"] == (f"As the kiosk's user: chmod 700 {data}; chmod 600 {data / DB_FILENAME} "
                                           "(the kiosk also does this itself the next time it starts).")
    assert found["database"]["status"] == "OK"
    assert (stat.S_IMODE(data.stat().st_mode), stat.S_IMODE((data / DB_FILENAME).stat().st_mode)) == (0o755, 0o644)


# -- the server -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def central(tmp_path_factory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("central") / "central.db")
    with ServerProcess(db) as server:
        server.token = enrol(db)
        yield server


def connected_kiosk(root: Path, env: dict[str, str], server_url: str, token: str | None) -> tuple[Path, Path]:
    """A kiosk with 3 answers whose settings name ``server_url`` and a token file (absent for None)."""
    token_file = root / "token"
    if token is not None:
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
    config = config_folder(root, f'[sync]\nserver_url = "{server_url}"\ntoken_file = "{token_file}"\n')
    fill(root / "data", env, 3)
    return config, root / "data"


def test_the_server_check_is_ok_with_a_valid_token_after_a_sync_and_the_clock_offset_is_kept(
        tmp_path, kiosk_env, central):
    config, data = connected_kiosk(tmp_path, kiosk_env, central.url, central.token)
    status, found = doctor_json("--config", config, "--data", data, env=kiosk_env)
    assert found["server"]["status"] == "WARNING"  # reachable, but 3 answers waiting and never synced
    assert "3 answers are waiting to be sent" in found["server"]["message"]
    assert "kiosk-sync" in found["server"]["fix"]
    synced = subprocess.run([KIOSK_SYNC, "--once", "--data", str(data), "--config", str(config)], env=kiosk_env,
                            capture_output=True, text=True, timeout=120)
    assert synced.returncode == 0, synced.stderr
    with sqlite3.connect(data / DB_FILENAME) as db:
        [(offset,)] = db.execute("SELECT value FROM meta WHERE key = ?", [OFFSET_KEY]).fetchall()
    assert abs(float(offset)) <= 5  # the server runs on this machine's clock
    status, found = doctor_json("--config", config, "--data", data, env=kiosk_env)
    assert found["server"] == {"check": "server", "status": "OK", "fix": "", "message":
                               f"The server at {central.url} answers and knows this kiosk. Last confirmed sync: "
                               "just now."}
    assert found["clock"]["status"] == "OK"
    assert status == 0


@pytest.mark.parametrize(("token", "address", "expected"), [
    ("not-the-token", None, "refused this kiosk's token"),
    (None, None, "There is no token file at"),
    ("any-token", "http://127.0.0.1:9", "The kiosk cannot reach the server at http://127.0.0.1:9 (cannot reach"),
])
def test_a_wrong_or_missing_token_or_a_closed_port_is_a_problem(tmp_path, kiosk_env, central, token, address,
                                                                expected):
    config, data = connected_kiosk(tmp_path, kiosk_env, address or central.url, token)
    status, found = doctor_json("--config", config, "--data", data, env=kiosk_env)
    assert status == 1
    assert found["server"]["status"] == "PROBLEM"
    assert expected in found["server"]["message"]
    assert found["server"]["fix"]


# -- the clock, with an injected "now" ---------------------------------------------------------------------


def test_a_clock_in_1970_is_called_wrong(store):
    verdict = check_clock(store, now=datetime(1970, 1, 1, 12, tzinfo=UTC))
    assert not verdict.ok
    assert verdict.message.startswith("The kiosk's clock says 1 January 1970")
    assert "timedatectl set-time" in verdict.fix and "network" in verdict.fix
    assert check_clock(None, now=datetime(1970, 1, 1, 12, tzinfo=UTC)) == verdict  # no database needed


def test_a_clock_behind_the_newest_answer_has_gone_back(store, config):
    simulate(1, config=config, store=store, seed=1, on_saved=lambda saved: None)
    assert check_clock(store).ok
    assert check_clock(store, now=datetime.now(UTC) - timedelta(minutes=2)).ok  # within tolerance
    verdict = check_clock(store, now=datetime.now(UTC) - timedelta(days=2))
    assert not verdict.ok
    assert verdict.message.endswith("the clock has gone back.")


@pytest.mark.parametrize(("offset", "expected"), [
    ("-7200", "At the last sync the kiosk's clock was 2 hours ahead of the server's."),
    ("600", "At the last sync the kiosk's clock was 10 minutes behind the server's."),
    ("-120", None),
])
def test_a_clock_far_from_the_servers_at_the_last_sync_is_wrong(store, offset, expected):
    store.set_meta(OFFSET_KEY, offset)
    verdict = check_clock(store)
    assert verdict.ok == (expected is None)
    if expected:
        assert verdict.message == expected


# -- backups, and checks that break ------------------------------------------------------------------------


def test_the_newest_backup_is_reported_and_an_old_one_is_a_warning(tmp_path, store):
    kiosk = Kiosk(None, store.path.parent, store=store)
    assert check_backups(kiosk).status == "WARNING"  # answers, but no backup
    taken = make_backup(store.path.parent, keep=5, max_age_days=90, keep_free_mb=1)
    assert taken is not None
    verdict = check_backups(kiosk)
    assert (verdict.status, verdict.message) == ("OK", f"Newest backup of the answers: {taken.name}, made just now.")
    os.utime(taken, (time.time() - 3 * 86400,) * 2)
    verdict = check_backups(kiosk)
    assert verdict.status == "WARNING" and verdict.message.endswith("made 3 days ago.")
    assert "every 1 hour:" in verdict.fix


def test_a_check_that_breaks_is_one_problem_line_and_the_others_still_run(tmp_path, monkeypatch):
    def broken(_kiosk: Kiosk):  # type: ignore[no-untyped-def]
        raise OSError("the disk went away\nsecond line")

    monkeypatch.setattr("kiosk.device.doctor.CHECKS", [("disk", broken), ("clock", doctor_clock_check)])
    findings = examine(None, tmp_path / "data")
    assert [(f.check, f.status) for f in findings] == [("disk", "PROBLEM"), ("clock", "OK")]
    assert findings[0].message == "This check failed: OSError: the disk went away second line."
