"""Admin pages and exports over real HTTP: adding and stopping staff, enrolling and revoking kiosks, and
downloads that hold only what the person may see, each one in the audit log."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa

from sync.core.protocol import UPDATES_PATH
from sync.server.storage.db import audit_log, open_database
from tests.dashboard import StaffBrowser, add_people, mixed_answers, payload, seed, signed_in
from tests.server_process import ServerProcess, enrol, make_batch, make_record
from tests.test_export import EVIL_SET, assert_no_formula, review_session

NEW_PASSWORD = "another long password"


def last_30_days() -> tuple[date, date]:
    """The export's period, ending today as the server counts days (UTC), worked out when it is asked for: a run
    that crosses midnight would otherwise ask for yesterday's period after storing today's answers."""
    today = datetime.now(UTC).date()
    return today - timedelta(days=30), today


def period() -> str:
    """The query string of the last 30 days (the seeded answers were given 3 days ago)."""
    start, end = last_30_days()
    return f"start={start}&end={end}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("admin") / "central.db")
    add_people(db)
    seed(db, "Mile End", "lounge-1", [*mixed_answers(12), payload("good", "the garden is lovely")])
    seed(db, "Bow", "hall-1", mixed_answers(9, seed_value=8))
    with ServerProcess(db) as running:
        yield running


def audited(db: str, action: str) -> list[tuple[str, str | None, str]]:
    engine = open_database(db, create=False)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(  # type: ignore[misc]
                sa.select(audit_log.c.staff, audit_log.c.site, audit_log.c.detail)
                .where(audit_log.c.action == action).order_by(audit_log.c.id))]
    finally:
        engine.dispose()


def test_an_admin_adds_a_member_of_staff_who_can_then_sign_in(server):
    ada = signed_in(server, "ada")
    added = ada.post("/staff/admin/staff", {"name": "sam", "role": "viewer", "sites": "Bow", "password": NEW_PASSWORD})
    assert "The new member of staff can sign in now." in added.text
    assert "Bow" in signed_in_as(server, "sam", NEW_PASSWORD).get("/staff/").text
    assert ("ada", None, "sam as viewer; sites: Bow") in audited(server.db, "staff-added")


def signed_in_as(server: ServerProcess, name: str, password: str) -> StaffBrowser:
    browser = StaffBrowser(server.url)
    assert browser.sign_in(name, password).status_code == 200
    return browser


def test_a_short_password_or_a_taken_name_is_refused_and_what_was_typed_is_kept(server):
    ada = signed_in(server, "ada")
    short = ada.post("/staff/admin/staff", {"name": "kim", "role": "manager", "sites": "Bow", "password": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.text and 'value="kim"' in short.text
    taken = ada.post("/staff/admin/staff", {"name": "vera", "role": "viewer", "sites": "Bow", "password": NEW_PASSWORD})
    assert taken.status_code == 400 and "already a member of staff called" in taken.text


def test_stopping_someones_access_signs_them_out_at_once(server):
    ada, bo = signed_in(server, "ada"), signed_in(server, "bo")
    assert ada.post("/staff/admin/staff/bo", {"action": "disable"}).status_code == 200
    assert bo.get("/staff/", allow_redirects=False).status_code == 303
    assert StaffBrowser(server.url).sign_in("bo").status_code == 401
    ada.post("/staff/admin/staff/bo", {"action": "enable"})
    assert StaffBrowser(server.url).sign_in("bo").status_code == 200
    refused = ada.post("/staff/admin/staff/ada", {"action": "disable"})
    assert refused.status_code == 400 and "cannot disable your own account" in refused.text


def test_an_enrolled_kiosks_token_is_shown_once_works_and_stops_when_revoked(server):
    ada = signed_in(server, "ada")
    page = ada.post("/staff/admin/kiosks", {"name": "garden-room", "site": "Poplar"}).text
    token = re.search(r'<code class="token">([^<]+)</code>', page).group(1)  # type: ignore[union-attr]
    assert "shown only this once" in page and token not in ada.get("/staff/admin").text
    updates = requests.get(server.url + UPDATES_PATH, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert updates.status_code == 200 and updates.json()["site"] == "Poplar"
    ada.post("/staff/admin/kiosks/garden-room/revoke", {})
    again = requests.get(server.url + UPDATES_PATH, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert again.status_code == 401
    assert [action[2] for action in audited(server.db, "kiosk-revoked")] == ["garden-room"]


def test_admin_forms_need_an_admin_and_their_token(server):
    manny = signed_in(server, "manny")
    assert manny.post("/staff/admin/kiosks", {"name": "sneaky", "site": "Bow"}).status_code == 403
    ada = signed_in(server, "ada")
    assert ada.post("/staff/admin/kiosks", {"name": "sneaky", "site": "Bow"}, with_token=False).status_code == 403
    assert "sneaky" not in ada.get("/staff/admin").text


def test_a_managers_export_holds_only_their_sites_with_times_to_the_day_and_is_audited(server):
    manny = signed_in(server, "manny")
    manny.get("/staff/export")
    response = manny.post(f"/staff/export?{period()}", {"format": "csv", "time_detail": "day"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    start, end = last_30_days()
    assert f'filename="feedback-all-my-sites-{start}-to-{end}.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 13 and {row["site"] for row in rows} == {"Mile End"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["created_at_device"]) for row in rows)
    assert "the garden is lovely" in response.text
    assert audited(server.db, "exported")[-1][:2] == ("manny", None)
    assert "13 responses as csv" in audited(server.db, "exported")[-1][2]


def test_jsonl_export_of_one_site_for_an_admin(server):
    ada = signed_in(server, "ada")
    ada.get("/staff/export")
    response = ada.post(f"/staff/export?site=Bow&{period()}", {"format": "jsonl"})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 9 and {line["site"] for line in lines} == {"Bow"}


def test_no_one_exports_another_sites_answers(server):
    manny = signed_in(server, "manny")
    manny.get("/staff/export")
    assert manny.post(f"/staff/export?site=Bow&{period()}", {"format": "csv"}).status_code == 403
    vera = signed_in(server, "vera")
    assert vera.post(f"/staff/export?{period()}", {"format": "csv"}).status_code == 403
    refused = manny.post(f"/staff/export?{period()}", {"format": "pdf"})
    assert refused.status_code == 400 and "format must be one of: csv, jsonl, xlsx" in refused.text


def test_a_managers_export_of_a_kiosks_formulas_holds_only_text(tmp_path):
    """The review's record sent over HTTP by a kiosk, downloaded by the site's manager as XLSX and CSV."""
    db = str(tmp_path / "central.db")
    add_people(db)
    token = enrol(db, name='=HYPERLINK("http://evil.example/k","k")', site="Mile End")
    with ServerProcess(db) as running:
        sent = running.post_batch(token, make_batch([make_record(1, review_session().payload())],
                                                    device_id=str(uuid.uuid4())))
        assert sent.status_code == 200 and sent.json()["accepted"] == 1
        manny = signed_in(running, "manny")
        manny.get("/staff/export")
        for fmt in ("xlsx", "csv"):
            response = manny.post(f"/staff/export?{period()}", {"format": fmt, "time_detail": "day"})
            assert response.status_code == 200
            (tmp_path / f"download.{fmt}").write_bytes(response.content)
            assert_no_formula(tmp_path / f"download.{fmt}")
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "download.csv").read_text(encoding="utf-8-sig"))))
    assert row["question_set"] == "'" + EVIL_SET and row["kiosk"].startswith("'=HYPERLINK(")
