"""Fuzzing the live server from its own OpenAPI document: whatever arrives, it never answers 5xx, and
every answer matches what the document promises (status codes, content types, bodies).

Schemathesis is driven through Hypothesis directly (``as_strategy``): its pytest plugin cannot load a
schema from a fixture under the pytest we use. For schema-violating requests we skip one check,
"invalid data must be rejected": the server deliberately ignores unknown query parameters (so older
servers tolerate newer kiosks), and the valid token we add would mask a case that drops the header.
Generated records get their true sha256, so odd payloads reach the database, not just the hash check.
"""

from __future__ import annotations

from contextlib import suppress

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from sync.core.protocol import payload_hash
from tests.server_process import ServerProcess, enrol

pytestmark = pytest.mark.slow
EXAMPLES = 500


def with_true_hashes(case: schemathesis.Case) -> schemathesis.Case:
    """Give each well-formed generated record the hash of its payload, as a kiosk would."""
    records = case.body.get("records") if isinstance(case.body, dict) else None
    for record in records if isinstance(records, list) else []:
        if isinstance(record, dict) and isinstance(record.get("payload"), dict):
            with suppress(UnicodeEncodeError):  # a lone surrogate: the server must reject the record alone
                record["sha256"] = payload_hash(record["payload"])
    return case


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    db = str(tmp_path_factory.mktemp("fuzz") / "server.db")
    token = enrol(db)
    with ServerProcess(db, "--openapi", "--batches-per-minute", "0") as server:  # fuzz the store, not the 429
        yield server, {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_server_keeps_to_its_openapi_document(live_server, mode):
    server, auth = live_server
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json", timeout=60)
    schema.config.update(base_url=server.url, request_timeout=60)
    operations = sorted(f"{op.ok().method.upper()} {op.ok().path}" for op in schema.get_all_operations())
    assert operations == ["GET /v1/health", "GET /v1/updates", "POST /v1/batches"]
    excluded = [negative_data_rejection] if mode == GenerationMode.NEGATIVE else []

    @given(case=schema.as_strategy(mode).map(with_true_hashes))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=auth, excluded_checks=excluded)

    call()
    assert server.process.poll() is None
