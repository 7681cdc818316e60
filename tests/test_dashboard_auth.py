"""Who may see what on the dashboard, over real HTTP to a real server: signing in, sessions, roles,
per-site access, CSRF and rate limiting."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from sync.server.domain.staff import MAX_FAILURES_PER_NAME, MAX_FAILURES_PER_PAIR, list_staff
from sync.server.storage.db import open_database
from tests.dashboard import (
    CHUNKED_FORM,
    PASSWORD,
    StaffBrowser,
    add_people,
    bytes_written,
    chunked_form,
    mixed_answers,
    seed,
    signed_in,
)
from tests.server_process import FEEDBACK_SERVER, ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("dashboard") / "central.db")
    add_people(db)
    seed(db, "Mile End", "lounge-1", mixed_answers(40))
    seed(db, "Bow", "hall-1", mixed_answers(30, seed_value=8))
    with ServerProcess(db) as running:
        yield running



@pytest.mark.parametrize("path", ["/staff/", "/staff/themes", "/staff/concerns", "/staff/export",
                                  "/staff/you-said-we-did", "/staff/questions", "/staff/admin"])
def test_signed_out_visitors_are_sent_to_sign_in_and_back(server, path):
    response = requests.get(server.url + path + "?site=Bow", allow_redirects=False, timeout=30)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/sign-in?next=" + requests.utils.quote(path + "?site=Bow")


def test_signing_in_sets_a_protected_session_cookie_and_returns_to_the_page_asked_for(server):
    browser = StaffBrowser(server.url)
    browser.get("/staff/sign-in?next=/staff/themes")
    response = browser.post("/staff/sign-in", {"name": "vera", "password": PASSWORD, "next": "/staff/themes"},
                            allow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/themes"
    cookie = response.headers["set-cookie"]
    assert "feedback_staff=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = browser.get("/staff/")
    assert page.status_code == 200 and "vera · viewer" in page.text


def test_sign_in_never_redirects_off_the_dashboard(server):
    browser = StaffBrowser(server.url)
    browser.get("/staff/sign-in")
    response = browser.post("/staff/sign-in", {"name": "vera", "password": PASSWORD, "next": "//evil.example/"},
                            allow_redirects=False)
    assert response.headers["location"] == "/staff/"


def test_a_wrong_password_is_refused_in_plain_words(server):
    response = StaffBrowser(server.url).sign_in("vera", "not the password at all")
    assert response.status_code == 401 and "That name and password do not match" in response.text


def test_sign_in_without_its_form_token_is_refused(server):
    browser = StaffBrowser(server.url)
    browser.get("/staff/sign-in")
    response = browser.post("/staff/sign-in", {"name": "vera", "password": PASSWORD}, with_token=False)
    assert response.status_code == 403 and "security token" in response.text


def test_a_huge_sign_in_form_is_refused_before_it_is_read_even_when_sent_in_chunks(server):
    browser = StaffBrowser(server.url)
    before = bytes_written(server.process.pid)
    streamed = browser.http.post(server.url + "/staff/sign-in", data=chunked_form({"name": "nobody"}, 30),
                                 headers={"Content-Type": CHUNKED_FORM}, timeout=60)  # no Content-Length
    declared = browser.http.post(server.url + "/staff/sign-in", data={"name": "nobody", "password": "x" * 100_000},
                                 timeout=60)
    for response in (streamed, declared):
        assert response.status_code == 413 and "What was sent is larger than 64 KB" in response.text
    assert bytes_written(server.process.pid) - before < 1_000_000  # the 30 MB file was never spooled to disk
    assert browser.sign_in("vera").status_code == 200


def from_address(browser: StaffBrowser, address: str) -> StaffBrowser:
    """``browser`` connecting from ``address``: all of 127.0.0.0/8 reaches the server on this machine."""
    browser.http.mount("http://", SourceAddress(address))
    return browser


class SourceAddress(HTTPAdapter):
    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def test_wrong_passwords_slow_the_address_they_come_from_not_the_name_elsewhere(tmp_path):
    with ServerProcess(str(tmp_path / "throttled.db")) as fresh:
        add_people(fresh.db)
        for _ in range(MAX_FAILURES_PER_PAIR):
            assert StaffBrowser(fresh.url).sign_in("manny", "wrong password here").status_code == 401
        waiting = StaffBrowser(fresh.url).sign_in("manny")
        assert waiting.status_code == 429 and "Too many tries. Wait 15 minutes" in waiting.text
        # the manager at their own desk is not kept out by someone else's guesses
        assert from_address(StaffBrowser(fresh.url), "127.0.0.2").sign_in("manny").status_code == 200
        # X-Forwarded-For is believed only from a trusted proxy (serve --trust-proxy): not here
        claimed = StaffBrowser(fresh.url)
        claimed.http.headers["X-Forwarded-For"] = "198.51.100.7"
        assert claimed.sign_in("manny").status_code == 429
        assert StaffBrowser(fresh.url).sign_in("vera").status_code == 200  # other names are not slowed


def test_a_guess_spread_over_many_addresses_is_slowed_for_the_name_but_never_locked(tmp_path):
    with ServerProcess(str(tmp_path / "spread.db"), "--trust-proxy", "127.0.0.1") as fresh:
        add_people(fresh.db)

        def via_proxy(address: str) -> StaffBrowser:
            browser = StaffBrowser(fresh.url)
            browser.http.headers["X-Forwarded-For"] = address
            return browser

        addresses = [f"203.0.113.{n}" for n in range(MAX_FAILURES_PER_NAME // MAX_FAILURES_PER_PAIR)]
        for address in addresses:
            for _ in range(MAX_FAILURES_PER_PAIR):
                assert via_proxy(address).sign_in("manny", "wrong password here").status_code == 401
            assert via_proxy(address).sign_in("manny").status_code == 429
        slowed = via_proxy("198.51.100.7").sign_in("manny")
        assert slowed.status_code == 429 and "Too many tries. Wait 1 minute," in slowed.text
        assert via_proxy("198.51.100.7").sign_in("vera").status_code == 200


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(server):
    browser = signed_in(server, "vera")
    refused = browser.post("/staff/sign-out", {}, with_token=False)
    assert refused.status_code == 403 and "This form has expired" in refused.text
    wrong = browser.post("/staff/sign-out", {"csrf_token": "forged"}, with_token=False)
    assert wrong.status_code == 403
    assert browser.get("/staff/", allow_redirects=False).status_code == 200  # still signed in


def test_signing_out_ends_the_session_on_the_server(server):
    browser = signed_in(server, "vera")
    cookie = browser.http.cookies.get("feedback_staff")
    assert browser.post("/staff/sign-out", {}).url.endswith("/staff/sign-in")
    replayed = requests.get(server.url + "/staff/", cookies={"feedback_staff": cookie}, allow_redirects=False,
                            timeout=30)
    assert replayed.status_code == 303


def test_a_viewer_of_one_site_sees_only_that_site(server):
    bo = signed_in(server, "bo")
    page = bo.get("/staff/")
    assert "Bow" in page.text and "Mile End" not in page.text and "lounge-1" not in page.text
    assert bo.get("/staff/?site=Mile+End").status_code == 403
    assert "Mile End" in signed_in(server, "ada").get("/staff/").text


@pytest.mark.parametrize("path", ["/staff/concerns", "/staff/export", "/staff/questions", "/staff/admin"])
def test_viewers_cannot_open_managers_pages(server, path):
    response = signed_in(server, "vera").get(path)
    assert response.status_code == 403 and "Only a" in response.text


def test_managers_cannot_open_admin_pages(server):
    assert signed_in(server, "manny").get("/staff/admin").status_code == 403


def test_pages_carry_security_headers(server):
    response = signed_in(server, "vera").get("/staff/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_staff_are_added_from_the_command_line_with_a_hidden_password(tmp_path: Path):
    db = str(tmp_path / "central.db")

    def staff_add(name: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([FEEDBACK_SERVER, "staff", "add", name, "--role", "manager", "--site", "Bow", "--db", db],
                              input=f"{password}\n{password}\n", capture_output=True, text=True, timeout=120)

    added = staff_add("sam", PASSWORD)
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    short = staff_add("kim", "short")
    assert short.returncode != 0 and "at least 12 characters" in short.stderr
    engine = open_database(db)
    with engine.connect() as connection:
        assert list_staff(connection) == [{"name": "sam", "role": "manager", "all_sites": False, "sites": ["Bow"],
                                           "disabled": False}]
    listed = subprocess.run([FEEDBACK_SERVER, "staff", "list", "--db", db], capture_output=True, text=True, timeout=120)
    assert "sam" in listed.stdout and "manager" in listed.stdout and "Bow" in listed.stdout
