"""The real Kivy app in a real (offscreen SDL2) window, driven by simulated touches in a subprocess."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.gui

FULL_SESSION = [
    {"tap": "start"},
    {"tap": "answer:very-good"},
    {"type": "kind staff"},
    {"tap": "control:done"},
    {"tap": "answer:sometimes"},  # "Do we listen to you?"
    {"tap": "answer:yes"},  # "Do we know what matters to you?"
    {"tap": "answer:building"},  # "What is the best thing here?"
    {"type": "the garden"},  # "Tell us more"
    {"tap": "control:done"},
    {"tap": "control:skip"},  # "What could be better?"
    {"tap": "answer:no"},  # "Would you like to tell us a little about you?" No, finish
]


def run_kiosk(tmp_path: Path, env: dict[str, str], steps: list[dict[str, Any]], *, data: Path,
              size: str = "1280x800", config: Path | None = None, extra: tuple[str, ...] = (),
              check: bool = True) -> dict[str, Any]:
    """Run the app through the autopilot; ``check`` fails the test on any error the script met."""
    script, out = tmp_path / "steps.json", tmp_path / "result.json"
    script.write_text(json.dumps(steps))
    command = [sys.executable, "-m", "kiosk.ui.autopilot", "--script", str(script), "--out", str(out),
               "--data", str(data), "--size", size]
    if config:
        command += ["--config", str(config)]
    command += extra
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert out.exists(), done.stderr[-3000:]
    result = json.loads(out.read_text())
    if check:
        assert result["error"] is None, result["error"]
        assert done.returncode == 0, done.stderr[-3000:]
    result["output"] = done.stdout + done.stderr
    return result


def screens(result: dict[str, Any]) -> list[str]:
    """The screen after each step, leaving out single letters of typed text."""
    return [step["screen"] for step in result["steps"] if not step["step"].get("tap", "").startswith("key:")]


def rows(data: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "kiosk.db") as db:
        return db.execute("SELECT seq, id, complete, payload FROM responses ORDER BY seq").fetchall()


@pytest.mark.parametrize("size", ["1280x800", "800x1280"])
def test_a_whole_session_by_touch_is_stored(tmp_path, kiosk_env, size):
    data = tmp_path / "data"
    result = run_kiosk(tmp_path, kiosk_env, FULL_SESSION, data=data, size=size)
    assert screens(result) == ["choice", "text", "choice", "choice", "choice", "text", "choice", "choice", "thank_you"]
    [(seq, response_id, complete, payload_json)] = rows(data)
    payload = json.loads(payload_json)
    answers = {a["question"]: a for a in payload["answers"]}
    assert seq == 1 and len(response_id) == 36 and complete == 1
    assert answers["overall"]["choice"] == "very-good" and answers["overall"]["text"] == "Kind staff"
    assert answers["listen"]["choice"] == "sometimes" and answers["matters"]["choice"] == "yes"
    assert answers["working"]["choice"] == "building" and answers["working"]["text"] == "The garden"
    assert answers["not-working"]["status"] == "skipped"


def test_about_you_can_be_answered_or_skipped_on_screen(tmp_path, kiosk_env):
    data = tmp_path / "data"
    steps = [*FULL_SESSION[:-1], {"tap": "answer:yes"}, {"tap": "answer:under-18"}, {"tap": "control:skip"}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data)
    assert screens(result)[-4:] == ["choice", "choice", "choice", "thank_you"]
    [(_seq, _id, complete, payload_json)] = rows(data)
    answers = {a["question"]: a for a in json.loads(payload_json)["answers"]}
    assert complete == 1 and answers["overall"]["choice"] == "very-good"
    assert answers["about-age"]["choice"] == "under-18" and answers["about-age"]["about_you"] is True
    assert answers["about-who"]["status"] == "skipped"


def test_back_start_again_and_idle_work_on_screen(tmp_path, kiosk_env):
    data = tmp_path / "data"
    steps = [
        {"tap": "start"}, {"tap": "answer:poor"}, {"tap": "control:back"},  # back from "tell us why"
        {"tap": "control:start_again"}, {"tap": "start_again:no"},  # asked first: no, back to the question
        {"tap": "control:start_again"}, {"tap": "start_again:yes"},  # yes: kept as incomplete (default policy)
        {"advance": 5}, {"tap": "start"}, {"tap": "answer:good"}, {"advance": 61},  # quiet: still there?
        {"tap": "still_here"}, {"advance": 61}, {"advance": 21},  # then quiet until the countdown ends
    ]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data)
    assert screens(result) == ["choice", "text", "choice", "start_again", "choice", "start_again", "attract",
                               "attract", "choice", "text", "still_there", "text", "still_there", "attract"]
    stored = [json.loads(r[3]) for r in rows(data)]
    assert [(p["complete"], p["answers"][0]["choice"]) for p in stored] == [(False, "poor"), (False, "good")]


def test_full_disk_shows_out_of_order_never_thank_you_and_harms_nothing(tmp_path, kiosk_env):
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "kiosk", "simulate", "5", "--data", str(data), "--seed", "3"],
                   env=kiosk_env, check=True, capture_output=True, timeout=60)
    before = rows(data)
    steps = [*FULL_SESSION[:-1], {"disk_full": True}, FULL_SESSION[-1], {"touch_at": [0.5, 0.5]},
             {"disk_full": False}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data)
    assert screens(result)[-3:] == ["out_of_order", "out_of_order", "out_of_order"]
    assert "thank_you" not in screens(result)
    after = rows(data)
    assert after == before  # the failed session did not half-write, nothing earlier was touched
    with sqlite3.connect(data / "kiosk.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_answers_held_during_a_full_disk_are_saved_when_space_returns(tmp_path, kiosk_env):
    data = tmp_path / "data"
    steps = [*FULL_SESSION[:-1], {"disk_full": True}, FULL_SESSION[-1], {"disk_full": False}, {"advance": 31}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data)
    assert screens(result)[-3:] == ["out_of_order", "out_of_order", "attract"]
    [(_seq, _id, complete, payload)] = rows(data)
    assert complete == 1 and json.loads(payload)["answers"][0]["text"] == "Kind staff"


def test_a_database_that_cannot_be_opened_shows_out_of_order(tmp_path, kiosk_env):
    data = tmp_path / "data"
    data.mkdir()
    (data / "kiosk.db").write_bytes(b"this is not a database" * 100)
    result = run_kiosk(tmp_path, kiosk_env, [{"touch_at": [0.5, 0.5]}, {"advance": 60}], data=data)
    assert screens(result) == ["out_of_order", "out_of_order"]
    assert (data / "kiosk.db").read_bytes() == b"this is not a database" * 100


def test_updates_from_the_server_are_used_and_you_said_we_did_is_shown(tmp_path, kiosk_env, config):
    from kiosk.session.settings import BUILTIN_CONFIG
    from kiosk.session.updates import save_updates
    from sync.core.protocol import QuestionSetText, Updates, YouSaidWeDid

    data = tmp_path / "data"
    feelings = (BUILTIN_CONFIG / "questions" / "feelings.toml").read_text()
    item = YouSaidWeDid(id=1, said="The garden is messy", did="We planted flowers", picture="heart",
                        date="2026-11-01")
    save_updates(data, Updates(version="1", site="Rose House", you_said_we_did=[item],
                               question_set=QuestionSetText(id="feelings", version=1, toml=feelings)),
                 config.picture_dirs)
    shot = tmp_path / "thanks.png"
    steps = [{"tap": "start"}, {"tap": "answer:happy"}, {"tap": "control:skip"}, {"screenshot": str(shot)}]
    result = run_kiosk(tmp_path, kiosk_env, steps, data=data)
    assert screens(result) == ["choice", "text", "thank_you", "thank_you"]
    [(_seq, _id, _complete, payload)] = rows(data)
    assert json.loads(payload)["question_set"] == "feelings"
    assert shot.stat().st_size > 10_000
