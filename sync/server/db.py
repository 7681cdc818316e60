"""The server's tables and how to open them, in SQLAlchemy Core so one code path runs on a SQLite file
(the default: nothing to install) and on PostgreSQL (``postgresql+psycopg://…``) when one server takes
many kiosks.

Tables are created on first run with ``metadata.create_all``; Alembic migrations come in when the
schema first changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

DEFAULT_FILENAME = "feedback-server.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another to finish; batches commit in milliseconds."""

metadata = sa.MetaData()
Moment = sa.DateTime(timezone=True)

kiosks = sa.Table(
    "kiosks", metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("site", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("revoked_at", Moment),
    sa.Column("last_seen_at", Moment),
    sa.Column("last_pending", sa.BigInteger),
    sa.Column("clock_skew_seconds", sa.Float),
    sa.Column("last_device_id", sa.String(36)),
)

responses = sa.Table(
    "responses", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kiosk", sa.String(100), nullable=False),
    sa.Column("site", sa.String(100), nullable=False),
    sa.Column("device_id", sa.String(36), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("created_at_device", sa.String(40), nullable=False),
    sa.Column("received_at", Moment, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    # copied out of the payload so exports and reports can group by question set without parsing JSON
    sa.Column("question_set", sa.String(100), nullable=False, server_default=""),
    sa.Column("question_set_version", sa.Integer, nullable=False, server_default="0"),
    sa.Index("responses_by_device_seq", "device_id", "seq"),
)

conflicts = sa.Table(
    "conflicts", metadata,
    sa.Column("response_id", sa.String(36), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("kiosk", sa.String(100), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("received_at", Moment, nullable=False),
)
"""Records that reused a held id with other content: kept aside for a person to look at. The key on
(id, sha256) keeps each distinct version once however often the kiosk resends it."""

question_sets = sa.Table(
    "question_sets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(100), nullable=False, index=True),
    sa.Column("set_id", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("toml", sa.Text, nullable=False),
    sa.Column("created_at", Moment, nullable=False),
)
"""Every question set ever stored for a site; the newest row is the one kiosks get."""

you_said_we_did = sa.Table(
    "you_said_we_did", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(100), nullable=False, index=True),
    sa.Column("said", sa.Text, nullable=False),
    sa.Column("did", sa.Text, nullable=False),
    sa.Column("picture", sa.String(200), nullable=False, default=""),
    sa.Column("date", sa.String(10), nullable=False),
    sa.Column("created_at", Moment, nullable=False),
)


class DatabaseSetupError(Exception):
    """The database named by the user cannot be used as given; the message says what to change."""


def database_url(value: str) -> str:
    """Accept a SQLAlchemy URL, or a plain path to a SQLite file (easier to type on a server)."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def open_database(url: str, *, create: bool = True) -> Engine:
    """Open (and on first run create) the server's database. ``create=False`` refuses a SQLite file that
    does not exist yet, so a mistyped --db on a reading command does not show an empty, new database."""
    try:
        parsed = sa.make_url(database_url(url))
    except (sa.exc.ArgumentError, ValueError):
        raise DatabaseSetupError(f"{url!r} is not a database URL or a file path") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = _open_sqlite(parsed, create=create)
    elif backend == "postgresql":
        # psycopg 3 is the driver we ship; a bare postgresql:// would ask for psycopg2
        engine = sa.create_engine(parsed.set(drivername="postgresql+psycopg"), hide_parameters=True,
                                  pool_pre_ping=True)
    else:
        raise DatabaseSetupError(f"unsupported database {backend!r}: give a SQLite file path or a "
                                 "postgresql+psycopg://user:password@host/dbname URL")
    metadata.create_all(engine)
    return engine


def _open_sqlite(url: sa.URL, *, create: bool) -> Engine:
    if not url.database or url.database == ":memory:":
        raise DatabaseSetupError("the server needs a SQLite file, not an in-memory database")
    path = Path(url.database)
    if path.is_dir():
        raise DatabaseSetupError(f"{path} is a folder; give the database file inside it, "
                                 f"e.g. {path / DEFAULT_FILENAME}")
    if not path.exists():
        if not create:
            raise DatabaseSetupError(f"no server database at {path} (is --db or FEEDBACK_SERVER_DB right?)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseSetupError(f"cannot make the folder {path.parent} ({exc.strerror})") from None
    engine = sa.create_engine(url, hide_parameters=True)

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # we issue BEGIN ourselves (below); pysqlite's own deferred BEGIN would let two writers both
        # read, then deadlock when both try to write
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        # take the write lock at the start: a writer waits its turn (busy_timeout) instead of failing.
        # Reads take it too; the server's reads are a few rows, and one rule is easier to trust.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def insert_ignoring_duplicates(connection: Connection, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: the unique key decides, never a check-then-insert. On
    PostgreSQL a row another transaction is inserting makes this wait for that commit, then skip."""
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing()
