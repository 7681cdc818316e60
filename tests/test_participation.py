"""Who is answering (issue 9): each site's answers by language and channel against the mix it expects."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from sync.core.config_files import ConfigError
from sync.server.domain.participation import ReferenceMix, gather_participation, load_reference_mix
from sync.server.storage.db import open_database
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
    rows = {(row.section, row.group): row for row in mile_end.rows}
    assert rows["By language", "bn"].answers == "0" and rows["By language", "bn"].expected == "40%"
    assert rows["By language", "en"].group == "en" and rows["By language", "en"].expected == "55%"  # en-GB is English
    assert rows["By language", "en"].answers == "hidden"  # 33 less English's 30 would be Korean's 3


def test_small_counts_are_suppressed_and_get_no_percentage(central):
    db, mix_file = central
    mile_end = gather(db, "Mile End", load_reference_mix(mix_file))
    rows = {(row.section, row.group): row for row in mile_end.rows}
    assert rows["By language", "ko"].answers == "fewer than 5" and rows["By language", "ko"].share == ""
    voice = rows["By how they answered", "voice"]
    assert voice.answers == "fewer than 5" and voice.share == ""
    touch = rows["By how they answered", "touch"]
    assert (touch.answers, touch.share) == ("hidden", "")  # 30 (91%) would give 33 in all, and voice's 3 away
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
    report = feedback_server("reports-due", "--out-dir", str(tmp_path / "out"), "--participation", str(broken),
                             db=str(tmp_path / "c.db"))
    assert report.returncode != 0 and where.split(":")[0] in report.stderr and "Error: " in report.stderr


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


def about_you(who: str) -> dict:
    """An answer as the kiosk records it: on the built-in set, the gate said yes, then who the person is."""
    answer = payload("good")
    answer["answers"] += [
        {"question": "about-you", "question_text": "Would you like to tell us a little about you?", "kind": "choice",
         "status": "answered", "choice": "yes", "choice_text": "Yes", "about_you": True},
        {"question": "about-who", "question_text": "Which of these are you?", "kind": "choice", "status": "answered",
         "choice": who, "choice_text": who, "about_you": True}]
    return answer


def test_about_you_groups_are_counted_against_the_mix_and_the_missing_named(tmp_path):
    db = str(tmp_path / "central.db")
    seed(db, "Poplar", "hall-1", [about_you("uses-service")] * 12 + [about_you("visitor")] * 3 + answers(5))
    mix = ReferenceMix.model_validate({"default": {"about_you": {
        "about-who": {"uses-service": 70, "family-carer": 20, "visitor": 10}}}})
    poplar = gather(db, "Poplar", mix)
    rows = {(row.section, row.group): row for row in poplar.rows}
    assert rows["Which of these are you?", "uses-service"].answers == "hidden"  # 15 less 12 would be the visitors
    assert rows["Which of these are you?", "uses-service"].share == ""
    assert rows["Which of these are you?", "visitor"].answers == "fewer than 5"
    assert rows["Which of these are you?", "family-carer"].answers == "0"
    assert rows["Which of these are you?", "uses-service"].name == "I get support here"  # the set's own words
    assert any(finding.startswith("No one has answered from people who said \u201cFamily or carer\u201d at Poplar")
               for finding in poplar.findings)
    assert not [row for row in poplar.rows if "Would you like" in row.section]  # the gate is not a group
    assert poplar.total == 20


def test_the_monthly_report_says_who_answered_and_who_is_missing(central, tmp_path):
    from sync.server.reports.monthly import gather_monthly
    from sync.server.reports.period import Month
    from sync.server.reports.render import monthly_html

    db, mix_file = central
    given = date.today() - timedelta(days=3)  # when the fixture's answers were given
    engine = open_database(db)
    try:
        report = gather_monthly(engine, "Mile End", Month(given.year, given.month),
                                reference_mix=load_reference_mix(mix_file))
    finally:
        engine.dispose()
    html = monthly_html(report, 5)
    assert "<h2>Who answered</h2>" in html and "No one has answered in Bengali at Mile End" in html
    assert "Which of these are you?" not in html  # no one answered it: no table, and no chart among the questions
    out = tmp_path / "report.html"
    run = feedback_server("report", "--site", "Mile End", "--period", f"{given:%Y-%m}", "--format", "html",
                          "--out", str(out), "--participation", str(mix_file), db=db)
    assert run.returncode == 0, run.stderr
    assert "No one has answered in Bengali at Mile End" in out.read_text(encoding="utf-8")
