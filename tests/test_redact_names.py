"""Names redacted at publication (issue 20): comments keep staff names as given when the kiosks' privacy.staff_names
is "keep", and `feedback-server export --redact-names`, the reports' --redact-names and the dashboard's "Names" box
publish them as [name], with the same function a kiosk set to "replace" stores them with
(sync.core.privacy.redact_names)."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from sync.server.reports.monthly import gather_monthly
from sync.server.reports.period import Month, Quarter
from sync.server.reports.quarterly import gather_quarterly
from sync.server.storage.db import open_database
from tests.dashboard import add_people, payload, seed, signed_in
from tests.server_process import ServerProcess, feedback_server

PRAISE = [f"Trevor and Dr Smith were kind to my {who}" for who in ("mum", "dad", "nan", "son")]
REDACTED = [f"[name] and Dr [name] were kind to my {who}" for who in ("mum", "dad", "nan", "son")]
OTHERS = ["the food was cold", "parking is hard", "the lift is broken", "too noisy at night", "waited too long"]


def bag_of_words(texts: list[str]) -> np.ndarray:
    """A stand-in sentence encoder: each word a fixed random direction, a text the unit sum of its words', so
    comments sharing most words group into a theme."""
    rows = [sum(np.random.default_rng(zlib.crc32(word.encode())).normal(size=64) for word in text.lower().split())
            for text in texts]
    return np.asarray([row / np.linalg.norm(row) for row in rows], dtype=np.float32)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A site whose comments name staff (a theme of praise), stored as given, and some others."""
    db = str(tmp_path / "server.db")
    seed(db, "Mile End", "lounge", [payload("very-good", text) for text in PRAISE * 3 + OTHERS], days_ago=0)
    return db


def test_the_server_export_redacts_names_only_when_asked(database: str, tmp_path: Path) -> None:
    for redact, expected in ((False, PRAISE), (True, REDACTED)):
        out = tmp_path / f"all-{redact}.jsonl"
        result = feedback_server("export", "--format", "jsonl", "--out", str(out), *["--redact-names"] * redact,
                                 db=database)
        assert result.returncode == 0, result.stderr
        texts = {json.loads(line)["answers"][0]["text"] for line in out.read_text(encoding="utf-8").splitlines()}
        assert texts == {*expected, *OTHERS}


def test_report_examples_and_theme_names_redact_names_only_when_asked(database: str) -> None:
    engine = open_database(database, create=False)
    today = datetime.now(UTC).date()  # the day seed() gives the answers
    month, quarter = Month(today.year, today.month), Quarter(today.year, (today.month - 1) // 3 + 1)
    try:
        for redact, expected in ((False, PRAISE), (True, REDACTED)):
            monthly = gather_monthly(engine, "Mile End", month, encode=bag_of_words, redact_names=redact)
            board = gather_quarterly(engine, [], quarter, encode=bag_of_words, redact_names=redact)
            for side in (monthly.themes["working"], board.sites[0].themes["working"]):
                praise = next(theme for theme in side.themes if set(theme.examples) & set(expected))
                assert set(praise.examples) <= set(expected)
                named = {"trevor", "smith"} & set(praise.name.split(" · "))  # keywords made of names: "smith · trevor"
                assert not named if redact else named
    finally:
        engine.dispose()


def test_the_dashboard_redacts_names_in_downloads_when_the_box_is_ticked(database: str) -> None:
    add_people(database)  # manny: manager of Mile End
    today = datetime.now(UTC).date()  # the day seed() gives the answers
    with ServerProcess(database) as server:
        manny = signed_in(server, "manny")
        assert 'name="redact_names"' in manny.get("/staff/export").text
        for redact, expected in ((False, PRAISE), (True, REDACTED)):
            ticked = {"redact_names": "yes"} if redact else {}
            exported = manny.post("/staff/export", {"format": "jsonl", **ticked})
            assert exported.status_code == 200
            texts = {json.loads(line)["answers"][0]["text"] for line in exported.text.splitlines()}
            assert texts == {*expected, *OTHERS}
        assert 'name="redact_names"' in manny.get("/staff/reports").text
        report = manny.post("/staff/reports", {"kind": "monthly", "month": f"{today:%Y-%m}", "format": "html",
                                               "redact_names": "yes"})
        assert report.status_code == 200 and "[name] and Dr [name] were kind" in report.text
        assert "Trevor" not in report.text and "Smith" not in report.text
