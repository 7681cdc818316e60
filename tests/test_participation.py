"""Who is answering (issue 9): each site's answers by language and channel against the mix it expects."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from kiosk.config_files import ConfigError
from sync.server.db import open_database
from sync.server.participation import ReferenceMix, gather_participation, load_reference_mix
from tests.conftest import PROJECT
from tests.dashboard import add_people, payload, seed, signed_in
from tests.server_process import ServerProcess, feedback_server

MIX = """
[default]
language = { en = 100 }
channel = { touch = 80, voice = 10, keyboard = 10 }

[sites."Mile End"]
language = { en = 55, bn = 40, ko = 5 }
"""


def answers(count: int, language: str = "en-GB", channel: str = "touch") -> list[dict]:
    return [payload("good") | {"language": language, "channel": channel} for _ in range(count)]


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Mile End: 30 English and 3 Korean answers this month, Bengali only 200 days ago; Bow: 12 by touch."""
    folder = tmp_path_factory.mktemp("participation")
    db = str(folder / "central.db")
    add_people(db)
    seed(db, "Mile End", "lounge-1", answers(27) + answers(3, channel="voice") + answers(3, "ko"))
    seed(db, "Mile End", "lounge-2", answers(6, "bn"), days_ago=200)
    seed(db, "Bow", "hall-1", answers(12))
    mix = folder / "participation.toml"
    mix.write_text(MIX, encoding="utf-8")
    return db, mix


def gather(db: str, site: str, mix: ReferenceMix, days: int = 90):
    engine = open_database(db)
    try:
        with engine.connect() as connection:
            return gather_participation(connection, site, date.today() - timedelta(days=days), date.today(), mix, 5)
    finally:
        engine.dispose()


def test_a_language_no_one_used_in_the_period_is_named_with_when_it_was_last_used(central):
    db, mix_file = central
    mile_end = gather(db, "Mile End", load_reference_mix(mix_file))
    last_bengali = date.today() - timedelta(days=200)
    assert mile_end.total == 33
    assert mile_end.findings[0] == (
        f"No one has answered in Bengali at Mile End from {(date.today() - timedelta(days=90)).day} "
        f"{date.today() - timedelta(days=90):%B %Y} to {date.today().day} {date.today():%B %Y}. "
        f"The last answer in Bengali was on {last_bengali.day} {last_bengali:%B %Y}.")
    rows = {(row.dimension, row.group): row for row in mile_end.rows}
    assert rows["language", "bn"].answers == "0" and rows["language", "bn"].expected == "40%"
    assert rows["language", "en"].answers == "30" and rows["language", "en"].expected == "55%"  # en-GB is English


def test_small_counts_are_suppressed_and_get_no_percentage(central):
    db, mix_file = central
    mile_end = gather(db, "Mile End", load_reference_mix(mix_file))
    rows = {(row.dimension, row.group): row for row in mile_end.rows}
    assert rows["language", "ko"].answers == "fewer than 5" and rows["language", "ko"].share == ""
    assert rows["channel", "voice"].answers == "fewer than 5" and rows["channel", "voice"].share == ""
    assert rows["channel", "touch"].share == f"{round(100 * 30 / 33)}%"
    assert "Fewer than 5 answers by voice, against 10% expected." not in mile_end.findings  # 3.3 expected: too few
    assert "No one has answered by a keyboard or switch" in " ".join(mile_end.findings)


def test_a_group_well_below_its_share_is_reported_with_both_shares(tmp_path):
    db = str(tmp_path / "central.db")
    seed(db, "Poplar", "hall-1", answers(40) + answers(10, channel="voice"))
    mix = ReferenceMix.model_validate({"default": {"channel": {"touch": 20, "voice": 80}}})
    poplar = gather(db, "Poplar", mix)
    assert "Fewer answers by voice than expected: 20% of answers, against 80% expected." in poplar.findings
    assert not [finding for finding in poplar.findings if "touch" in finding]


def test_without_a_reference_mix_nothing_is_compared(central):
    db, _ = central
    bow = gather(db, "Bow", ReferenceMix())
    assert not bow.has_reference and bow.findings == []
    assert [(row.group, row.answers) for row in bow.rows] == [("en", "12"), ("touch", "12")]


@pytest.mark.parametrize(("text", "where"), [
    ("[default]\nlanguage = { en = 60, bn = 30 }\n", "line 2, field default.language: the shares add up to 90"),
    ("[sites.Bow]\nchanel = { touch = 100 }\n", "line 2, field sites.Bow.chanel: is not a known setting"),
    ("[default]\nchannel = { touch = 120 }\n", "line 2, field default.channel.touch"),
])
def test_a_broken_reference_mix_names_the_line_and_field(tmp_path, text, where):
    broken = tmp_path / "participation.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        load_reference_mix(broken)
    run = feedback_server("serve", "--participation", str(broken), "--port", "0", db=str(tmp_path / "c.db"))
    assert run.returncode != 0 and run.stderr.startswith("Error: ") and where.split(":")[0] in run.stderr


def test_the_example_file_is_valid():
    mix = load_reference_mix(PROJECT / "config" / "participation.toml")
    assert mix.for_site("Mile End").language["bn"] == 40 and mix.for_site("Bow").language == {"en": 100}
    assert mix.for_site("Mile End").channel == mix.default.channel


def test_the_dashboard_page_shows_who_is_missing_to_staff_of_that_site_only(central):
    db, mix_file = central
    with ServerProcess(db, "--participation", str(mix_file)) as server:
        page = signed_in(server, "vera").get("/staff/participation?site=Mile+End").text
        assert "No one has answered in Bengali at Mile End" in page and "fewer than 5" in page
        assert 'aria-current="page">Who is answering' in page
        assert signed_in(server, "vera").get("/staff/participation?site=Nowhere").status_code == 403
