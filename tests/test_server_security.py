"""The server's answers over real HTTP: security headers on everything, HSTS and the Secure cookie only over
HTTPS (as a trusted proxy says), no API docs unless asked for, and each kiosk's allowance of batches."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from kiosk.session.store import Store
from sync.client import SyncClient, TransientError
from sync.core.record import AnswerRecord, SessionRecord
from sync.server.api.batch_rate import BatchRate
from sync.server.api.headers import HSTS, SECURITY_HEADERS
from tests.dashboard import add_people
from tests.server_process import ServerProcess, enrol, make_batch, make_record

ALLOWANCE = 3
"""Batches a minute each kiosk may send to the servers here (``--batches-per-minute``)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("security") / "central.db")
    add_people(db)
    with ServerProcess(db, "--batches-per-minute", str(ALLOWANCE)) as running:
        yield running


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A server that believes X-Forwarded-* from 127.0.0.1, as behind a reverse proxy on the same machine."""
    db = str(tmp_path_factory.mktemp("proxied") / "central.db")
    add_people(db)
    with ServerProcess(db, "--trust-proxy", "127.0.0.1") as running:
        yield running


def assert_secured(response: requests.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_api_docs_are_not_served_by_default(server, path):
    response = requests.get(server.url + path, timeout=30)
    assert response.status_code == 404
    assert_secured(response)


def test_the_openapi_option_serves_the_document_but_never_pages_with_scripts_from_elsewhere(tmp_path):
    with ServerProcess(str(tmp_path / "central.db"), "--openapi") as running:
        document = requests.get(running.url + "/openapi.json", timeout=30)
        assert document.status_code == 200 and "/v1/batches" in document.json()["paths"]
        assert_secured(document)
        for page in ("/docs", "/redoc"):
            assert requests.get(running.url + page, timeout=30).status_code == 404


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/v1/health", 200),
    ("GET", "/v1/updates", 401),
    ("POST", "/v1/batches", 401),
    ("GET", "/no/such/page", 404),
    ("GET", "/staff/static/dashboard.css", 200),
    ("GET", "/staff/sign-in", 200),
    ("GET", "/", 303),
])
def test_every_answer_carries_the_security_headers_and_no_hsts_over_plain_http(server, method, path, status):
    response = requests.request(method, server.url + path, timeout=30, allow_redirects=False)
    assert response.status_code == status
    assert_secured(response)
    assert "Strict-Transport-Security" not in response.headers


def test_a_trusted_proxy_saying_https_brings_hsts_and_a_secure_cookie(behind_proxy):
    over_https = requests.get(behind_proxy.url + "/staff/sign-in", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert over_https.headers["Strict-Transport-Security"] == HSTS
    assert "Secure" in over_https.headers["set-cookie"]
    api = requests.get(behind_proxy.url + "/no/such/page", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert api.status_code == 404 and api.headers["Strict-Transport-Security"] == HSTS
    plain = requests.get(behind_proxy.url + "/staff/sign-in", timeout=30)
    assert "Strict-Transport-Security" not in plain.headers and "Secure" not in plain.headers["set-cookie"]


def test_forwarded_headers_from_an_address_not_trusted_are_ignored(server):
    response = requests.get(server.url + "/staff/sign-in", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert "Strict-Transport-Security" not in response.headers and "Secure" not in response.headers["set-cookie"]


def test_a_burst_of_batches_from_one_kiosk_is_refused_while_another_kiosk_is_served(server):
    noisy, quiet = enrol(server.db, "noisy-1"), enrol(server.db, "quiet-1")
    device = str(uuid.uuid4())
    answers = [server.post_batch(noisy, make_batch([make_record(seq)], device_id=device))
               for seq in range(1, ALLOWANCE + 3)]
    assert [answer.status_code for answer in answers] == [200] * ALLOWANCE + [429, 429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 // ALLOWANCE
    assert "too many batches" in refused.json()["detail"]
    assert_secured(refused)
    assert server.post_batch(quiet, make_batch([make_record(1)], device_id=str(uuid.uuid4()))).status_code == 200


def test_a_kiosk_told_to_wait_keeps_its_answers_to_send_later(server, tmp_path: Path):
    store = Store(tmp_path)
    for number in range(ALLOWANCE + 2):
        store.save(SessionRecord("default", 1, "en-GB", [AnswerRecord(
            "working", "What is working?", "text", status="answered", text=f"answer {number}")], complete=True))
    client = SyncClient(store=store, server_url=server.url, token=enrol(server.db, "backlog-1"), batch_size=1)
    with pytest.raises(TransientError) as waiting:
        client.push()
    assert waiting.value.retry_after is not None and waiting.value.retry_after >= 1
    assert store.count_pending() == 2 and store.counts()["dead"] == 0
    store.close()


def test_the_batch_allowance_refills_at_its_rate():
    now = [0.0]
    rate = BatchRate(60, clock=lambda: now[0])
    assert all(rate.wait("a") == 0 for _ in range(60))
    assert rate.wait("a") == pytest.approx(1.0) and rate.wait("b") == 0
    now[0] = 2.5
    assert rate.wait("a") == 0 and rate.wait("a") == 0 and rate.wait("a") == pytest.approx(0.5)
    assert all(BatchRate(0).wait("a") == 0 for _ in range(1000))
