"""The server's Alembic migrations: they build exactly the tables sync/server/storage/db.py declares, adopt databases
made before migrations existed, and run once however many servers start together."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from sync.server.domain.demo import generate
from sync.server.domain.kiosks import add_kiosk
from sync.server.domain.site_content import list_you_said_we_did, updates_for_site
from sync.server.domain.stats import server_stats
from sync.server.storage.db import (
    MIGRATIONS,
    DatabaseSetupError,
    database_url,
    metadata,
    migration_config,
    open_database,
    responses,
)

HEAD = "0010"
STARTING_TOGETHER = 8


def differences(engine: sa.Engine) -> list[object]:
    """What autogenerate would write to turn the database into ``metadata``; [] when they agree."""
    with engine.connect() as connection:
        # alembic's SQLite comparison misreads an empty-string default ('' vs ''), so defaults are
        # compared on PostgreSQL only
        options = {"compare_server_default": connection.dialect.name == "postgresql"}
        return compare_metadata(MigrationContext.configure(connection, opts=options), metadata)


def revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def sqlite_schema(path: Path) -> list[tuple[str, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return sorted(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                          "WHERE tbl_name != 'alembic_version'").fetchall())


def test_head_is_the_newest_revision_in_the_package():
    assert ScriptDirectory(str(MIGRATIONS)).get_heads() == [HEAD]


def test_upgrading_an_empty_database_gives_exactly_the_declared_tables(server_database):
    engine = open_database(server_database)
    try:
        assert revision(engine) == HEAD
        assert differences(engine) == []
    finally:
        engine.dispose()


def made_before_migrations(url: str) -> None:
    """A database as the server made it before migrations: revision 0001's tables (when 0001 was written,
    a test checked its SQLite DDL was identical to what ``create_all`` made), no ``alembic_version``."""
    old = sa.create_engine(database_url(url))
    with old.begin() as connection:
        command.upgrade(migration_config(connection), "0001")
        connection.execute(sa.text("DROP TABLE alembic_version"))
    old.dispose()


def test_a_database_made_before_migrations_is_stamped_and_keeps_its_rows(server_database, caplog):
    made_before_migrations(server_database)
    with caplog.at_level(logging.WARNING, logger="sync.server.storage.db"):
        engine = open_database(server_database, create=False)
    try:
        assert "made before migrations; marking it as revision 0001" in caplog.text
        assert revision(engine) == HEAD
        add_kiosk(engine, "lounge-1", "Mile End")
    finally:
        engine.dispose()
    caplog.clear()
    engine = open_database(server_database, create=False)  # stamped once: opening again says nothing
    try:
        assert "made before migrations" not in caplog.text
        assert [kiosk["name"] for kiosk in server_stats(engine)["kiosks"]] == ["lounge-1"]
    finally:
        engine.dispose()


def demo_responses(folder: Path) -> list[dict[str, object]]:
    """300 demo responses as today's server stores them (made in a database of their own: the code that makes
    them writes today's tables, which an old revision does not all have)."""
    engine = open_database(str(folder / "demo.db"))
    try:
        generate(engine, ["Mile End", "Bow"], 300, days=60, seed=5)
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(sa.select(responses)).mappings()]
    finally:
        engine.dispose()


def test_upgrading_from_0006_keeps_every_response_and_indexes_them_by_site_and_day(server_database, tmp_path):
    """Revision 0007 adds the index the monthly report reads a site's month through (sync/server/reports/)."""
    engine = sa.create_engine(database_url(server_database))
    try:
        with engine.begin() as connection:
            command.upgrade(migration_config(connection), "0006")
            connection.execute(sa.insert(responses), demo_responses(tmp_path))
        with engine.connect() as connection:
            held = sorted(connection.execute(RESPONSE_ROWS).all())
        assert len(held) == 300 and "responses_by_site_created_at_device" not in index_columns(engine)
    finally:
        engine.dispose()
    engine = open_database(server_database, create=False)
    try:
        assert revision(engine) == HEAD and differences(engine) == []
        assert index_columns(engine)["responses_by_site_created_at_device"] == ["site", "created_at_device"]
        with engine.connect() as connection:
            assert sorted(connection.execute(RESPONSE_ROWS).all()) == held
            if connection.dialect.name == "sqlite":  # and the report's read of a site's month goes through it
                plan = connection.execute(sa.text(
                    "EXPLAIN QUERY PLAN SELECT kiosk, count(*) FROM responses WHERE site = 'Bow' AND "
                    "created_at_device >= '2026-10-01' AND created_at_device < '2026-11-01' GROUP BY kiosk")).all()
                assert "USING INDEX responses_by_site_created_at_device" in str(plan)
    finally:
        engine.dispose()


RESPONSE_ROWS = sa.text("SELECT id, kiosk, site, seq, created_at_device, sha256, payload FROM responses")


def test_upgrading_from_0007_keeps_you_said_we_did_items_with_no_translations(server_database):
    """Revision 0008 gives items their translations; those written before have none, and kiosks get them as
    before (in English only)."""
    engine = sa.create_engine(database_url(server_database))
    try:
        with engine.begin() as connection:
            command.upgrade(migration_config(connection), "0007")
            connection.execute(sa.text(
                "INSERT INTO you_said_we_did (site, said, did, picture, date, created_at) VALUES "
                "('Mile End', 'Too cold.', 'We fixed the heating.', 'heart', '2026-09-01', CURRENT_TIMESTAMP), "
                "('Mile End', 'Too loud.', 'Quiet hours.', '', '2026-10-01', CURRENT_TIMESTAMP)"))
    finally:
        engine.dispose()
    engine = open_database(server_database, create=False)
    try:
        assert revision(engine) == HEAD and differences(engine) == []
        with engine.connect() as connection:
            items = list_you_said_we_did(connection, ["Mile End"])
            sent = updates_for_site(connection, "Mile End").you_said_we_did
        assert [(item["said"], item["did"], item["picture"], item["translations"]) for item in items] == [
            ("Too loud.", "Quiet hours.", "", {}), ("Too cold.", "We fixed the heating.", "heart", {})]
        assert [(item.said, item.translations) for item in sent] == [("Too loud.", {}), ("Too cold.", {})]
    finally:
        engine.dispose()


def index_columns(engine: sa.Engine) -> dict[str, list[str]]:
    return {index["name"]: index["column_names"] for index in sa.inspect(engine).get_indexes("responses")}


def test_downgrading_to_nothing_and_back(server_database):
    engine = open_database(server_database)
    try:
        with engine.begin() as connection:
            command.downgrade(migration_config(connection), "base")
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    engine = open_database(server_database)
    try:
        assert revision(engine) == HEAD and differences(engine) == []
    finally:
        engine.dispose()


def test_a_database_from_a_newer_server_is_refused(server_database):
    open_database(server_database).dispose()
    engine = open_database(server_database)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(DatabaseSetupError, match="newer feedback-server"):
        open_database(server_database)


def test_servers_starting_together_create_the_tables_once(server_database):
    """Several processes open one new database at the same moment; each waits its turn, none fails."""
    code = ("import sys; from sync.server.storage.db import open_database; "
            "print(flush=True); input(); open_database(sys.argv[1])")
    processes = [subprocess.Popen([sys.executable, "-c", code, server_database], text=True, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(STARTING_TOGETHER)]
    for process in processes:  # wait until every interpreter has imported the server…
        assert process.stdout is not None and process.stdout.readline() == "\n"
    for process in processes:  # …then let them all go
        assert process.stdin is not None
        process.stdin.write("\n")
        process.stdin.flush()
    errors = [process.communicate(timeout=60)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * STARTING_TOGETHER, "\n".join(errors)
    engine = open_database(server_database)
    try:
        assert revision(engine) == HEAD and differences(engine) == []
    finally:
        engine.dispose()
