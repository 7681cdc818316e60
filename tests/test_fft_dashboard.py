"""The Friends and Family Test return on the dashboard, over real HTTP: an admin sets the NHS codes on the Admin
page (checked, audited), a manager sees the month's return for their sites as NHS England would publish it and
downloads it, and a viewer cannot."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.dashboard import add_people, mixed_answers, seed, signed_in
from tests.server_process import ServerProcess
from tests.test_dashboard_admin_export import audited

GIVEN = datetime.now(UTC) - timedelta(days=3)
MONTH = f"{GIVEN:%Y-%m}"
"""The month the seeded answers were given in."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("fft") / "central.db")
    add_people(db)
    seed(db, "Mile End", "lounge-1", mixed_answers(12))
    seed(db, "Mile End", "lounge-2", mixed_answers(3, seed_value=9))
    seed(db, "Bow", "hall-1", mixed_answers(9, seed_value=8))
    with ServerProcess(db) as running:
        yield running


def test_an_admin_sets_codes_and_a_wrong_one_is_refused_with_what_was_typed_kept(server):
    ada = signed_in(server, "ada")
    assert "NHS codes for the Friends and Family Test return" in ada.get("/staff/admin").text
    wrong = ada.post("/staff/admin/fft/site", {"site": "Mile End", "org_code": "RWD", "site_code": "ABCDE",
                                               "org_name": "Rose Trust", "mode": "Other"})
    assert wrong.status_code == 400 and "ABCDE does not start with RWD" in wrong.text
    assert 'value="Rose Trust"' in wrong.text
    saved = ada.post("/staff/admin/fft/site", {"site": "Mile End", "org_code": "rwd", "site_code": "rwdme",
                                               "org_name": "Rose Trust", "icb_code": "", "mode": "Other"})
    assert saved.status_code == 200 and "The NHS codes are saved" in saved.text and "RWDME" in saved.text
    ward = ada.post("/staff/admin/fft/ward", {"kiosk": "lounge-1", "ward": "Willow ward", "first_specialty": "710"})
    assert "Willow ward" in ward.text
    assert ("ada", "Mile End", "site Mile End; org_code RWD; org_name Rose Trust; site_code RWDME; mode Other") in \
        audited(server.db, "fft-site-codes")


def test_a_manager_sees_their_sites_return_as_published_and_downloads_the_exact_counts(server):
    manny = signed_in(server, "manny")
    page = manny.get(f"/staff/fft?month={MONTH}")
    assert page.status_code == 200 and "check before you submit" in page.text
    assert "lounge-2" in page.text and "hall-1" not in page.text  # Bow is not theirs
    assert "<td>*</td>" in page.text and "<td>3</td>" not in page.text  # lounge-2's 3 answers hidden
    download = manny.post("/staff/fft", {"month": MONTH, "kind": "submission", "format": "csv"})
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    totals = {row["Ward Name"]: row["Total Responses"] for row in rows}
    assert totals["lounge-2"] == "3" and "hall-1" not in totals
    assert any(detail.startswith(f"submission for {MONTH} as csv") for _staff, _site, detail in
               audited(server.db, "fft-return"))
    published = manny.post("/staff/fft", {"month": MONTH, "kind": "publication", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(published.content.decode("utf-8-sig"))))
    assert {row["Ward Name"]: row["Total Responses"] for row in rows}["lounge-2"] == "*"


def test_a_viewer_cannot_see_the_return_and_a_manager_cannot_set_codes(server):
    assert signed_in(server, "vera").get("/staff/fft").status_code == 403
    manny = signed_in(server, "manny")
    refused = manny.post("/staff/admin/fft/site", {"site": "Mile End", "org_code": "RXX"})
    assert refused.status_code == 403
