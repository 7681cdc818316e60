"""The `feedback-server` command as the involvement team meets it: help with examples, one-line errors."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing

import pytest

from sync.server.cli import cli
from tests.conftest import PROJECT
from tests.server_process import FEEDBACK_SERVER, enrol, feedback_server

COMMANDS = ["serve", "add-kiosk", "revoke-kiosk", "stats", "export", "forget", "questions set",
            "you-said-we-did add", "staff add", "staff password", "staff list", "demo-data", "report", "reports-due",
            "fft-return", "fft-codes site", "fft-codes ward", "fft-codes list"]


def test_the_command_list_is_complete():
    leaves = [f"{name} {sub}" if hasattr(command, "commands") else name
              for name, command in cli.commands.items() for sub in getattr(command, "commands", [""])]
    assert sorted(leaves) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command, tmp_path):
    result = feedback_server(*command.split(), "--help", db=str(tmp_path / "unused.db"))
    assert result.returncode == 0
    assert "Example: feedback-server " + command in result.stdout
    assert f"`feedback-server {command}" in (PROJECT / "README.md").read_text()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [
    ["nonesuch"],
    ["stats"],  # no database there: a typo must not show an empty new one
    ["revoke-kiosk", "lounge-1"],
    ["serve", "--port", "99999"],
    ["serve", "--workers", "2"],  # SQLite: one process
    ["serve", "--keep-days", "-1"],
    ["forget", "--older-than", "30"],  # no database there
    ["forget", "--older-than", "0"],  # would forget everything received until now
    ["forget"],
    ["add-kiosk", "lounge-1"],
    ["add-kiosk", "   ", "--site", "Bow"],
    ["you-said-we-did", "add", "--site", "Bow", "--said", "x", "--did", "y", "--date", "last week"],
    ["you-said-we-did", "add", "--site", "Bow", "--said", "x", "--did", "y", "--translation", "fr", "a", "b"],
    ["you-said-we-did", "add", "--site", "Bow", "--said", "x", "--did", "y", "--translation", "bn", "a"],
    ["you-said-we-did", "add", "--site", "Bow", "--said", "x", "--did", "y", "--translation", "bn", "a", "b",
     "--translation", "BN", "c", "d"],
    ["reports-due", "--out-dir", "reports", "--today", "tomorrow"],
    ["fft-return", "--period", "2026-13", "--out", "fft.csv"],
    ["fft-return", "--period", "2026-10", "--out", "fft.csv"],  # no database there
    ["fft-codes", "site", "Bow", "--mode", "Kiosk"],
])
def test_bad_arguments_give_one_line_and_a_non_zero_exit(args, tmp_path):
    result = feedback_server(*args, db=str(tmp_path / "missing.db"))
    assert result.returncode != 0
    assert list(tmp_path.iterdir()) == []
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


@pytest.mark.parametrize("db, error", [
    ("mysql://somewhere/feedback", "unsupported database 'mysql': give a SQLite file path or a "
                                   "postgresql+psycopg://user:password@host/dbname URL"),
    ("postgresql://kiosk@db:port/feedback", "'postgresql://kiosk@db:port/feedback' is not a database URL or a "
                                            "file path"),
    ("{tmp}", "{tmp} is a folder; give the database file inside it, e.g. {tmp}/feedback-server.db"),
    ("/proc/version/server.db", "cannot make the folder /proc/version (File exists)"),
    ("postgresql+psycopg://kiosk:secret@127.0.0.1:1/feedback", "cannot use the database: connection failed: "
                                                               'connection to server at "127.0.0.1", port 1 failed: '
                                                               "Connection refused"),
])
def test_an_unusable_database_is_one_line(db, error, tmp_path):
    result = feedback_server("add-kiosk", "lounge-1", "--site", "Bow", db=db.format(tmp=tmp_path))
    assert result.returncode != 0
    assert result.stderr.strip() == "Error: " + error.format(tmp=tmp_path)
    assert list(tmp_path.iterdir()) == []


def _one_error(result) -> str:  # type: ignore[no-untyped-def]
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1, result.stderr
    return lines[0]


def test_refusals_on_an_existing_database_say_why(tmp_path):
    db = str(tmp_path / "server.db")
    enrol(db)
    assert _one_error(feedback_server("add-kiosk", "lounge-1", "--site", "Bow", db=db)) == (
        "Error: a kiosk named 'lounge-1' is already enrolled; choose another name")
    assert _one_error(feedback_server("revoke-kiosk", "ghost", db=db)) == (
        "Error: no kiosk named 'ghost' (see feedback-server stats for the names)")
    assert _one_error(feedback_server("you-said-we-did", "add", "--site", "Bow", "--said", "x", "--did", "y",
                                      "--picture", "smiel", db=db)).startswith("Error: no picture named 'smiel'")
    assert _one_error(feedback_server("you-said-we-did", "add", "--site", "Bow", "--said", "x", "--did", "y",
                                      "--translation", "ko", "x", " ", db=db)) == (
        "Error: the Korean translation needs both 'you said' and 'we did'")
    assert "the kiosks have no language 'fr' to translate into; they have bn (Bengali), ko (Korean)" in _one_error(
        feedback_server("you-said-we-did", "add", "--site", "Bow", "--said", "x", "--did", "y",
                        "--translation", "fr", "x", "y", db=db))
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT count(*) FROM kiosks").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM you_said_we_did").fetchone() == (0,)


def test_a_question_set_is_checked_with_the_kiosks_rules_before_it_is_stored(tmp_path):
    db = str(tmp_path / "server.db")
    good = (PROJECT / "config/questions/default.toml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text(good.replace('picture = "thumbs-up"', 'picture = "smiel"', 1), encoding="utf-8")
    error = _one_error(feedback_server("questions", "set", "--site", "Bow", str(broken), db=db))
    assert error.startswith(f"Error: {broken}, line ") and "picture: no picture named 'smiel'" in error

    questions = tmp_path / "questions.toml"
    questions.write_text(good, encoding="utf-8")
    stored = feedback_server("questions", "set", "--site", "Bow", str(questions), db=db)
    assert stored.returncode == 0 and "'default' version 1" in stored.stdout
    questions.write_text(good.replace("?", "??", 1), encoding="utf-8")  # other words, same version
    assert _one_error(feedback_server("questions", "set", "--site", "Bow", str(questions), db=db)) == (
        f"Error: version 1 of question set 'default' was already sent to site 'Bow' with other content; "
        f"raise 'version' in {questions}")
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT toml FROM question_sets").fetchall() == [(good,)]


def test_the_database_comes_from_db_then_the_environment_then_the_user_data_folder(tmp_path):
    environment = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data-home")}
    environment.pop("FEEDBACK_SERVER_DB", None)
    for name, extra in [("by-default", {}), ("by-env", {"FEEDBACK_SERVER_DB": str(tmp_path / "env.db")})]:
        result = subprocess.run([FEEDBACK_SERVER, "add-kiosk", name, "--site", "Bow"], capture_output=True, text=True,
                                env={**environment, **extra}, timeout=120)
        assert result.returncode == 0, result.stderr
    for db, name in [(tmp_path / "data-home/feedback-server/feedback-server.db", "by-default"),
                     (tmp_path / "env.db", "by-env")]:
        with closing(sqlite3.connect(db)) as connection:
            assert connection.execute("SELECT name FROM kiosks").fetchall() == [(name,)]
