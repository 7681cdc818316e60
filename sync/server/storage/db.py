"""The server's tables and how to open them, in SQLAlchemy Core so one code path runs on a SQLite file
(the default: nothing to install) and on PostgreSQL (``postgresql+psycopg://…``) when one server takes
many kiosks.

The tables below are the schema the code expects; Alembic migrations in ``migrations/versions`` get a
database there. ``open_database`` upgrades to the newest revision every time it opens one, reading
commands included: one code path, and a reading command on an old database needs the new columns too.
Only one process migrates at a time (a PostgreSQL advisory lock; on SQLite, ``BEGIN IMMEDIATE``), so
servers started together do not both create the tables. A database made before migrations existed
(tables, no ``alembic_version``) is stamped at revision 0001, which made exactly those tables.

To change the schema, change the tables here, then write the next revision; autogenerate drafts it
from a scratch database (read the draft: SQLite needs ``op.batch_alter_table`` to alter columns)::

    alembic -c sync/server/storage/migrations/alembic.ini -x db=/tmp/scratch.db upgrade head
    alembic -c sync/server/storage/migrations/alembic.ini -x db=/tmp/scratch.db revision --autogenerate \\
        --rev-id 0002 -m "add staff"

tests/test_server_migrations.py fails until the migrations and these tables agree.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from sync.core.private_files import FOLDER_MODE, holds_only, tighten

DEFAULT_FILENAME = "feedback-server.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another to finish; batches commit in milliseconds."""
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x66656564_6261636B
"""PostgreSQL advisory lock key ("feedback" in ASCII) held while a process migrates its database."""
FIRST_REVISION = "0001"
WAL_ATTEMPTS = 100
log = logging.getLogger(__name__)

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
    sa.Index("responses_by_received_at", "received_at"),  # finds what retention forgets without a full scan
    # a site's responses given in a period (reports, themes, the dashboard's exports) without a full scan
    sa.Index("responses_by_site_created_at_device", "site", "created_at_device"),
)

forgotten = sa.Table(
    "forgotten", metadata,
    sa.Column("device_id", sa.String(36), primary_key=True),
    sa.Column("max_seq", sa.BigInteger, nullable=False),
)
"""The highest seq retention has deleted from each kiosk store (sync/server/domain/retention.py). Without it,
a kiosk whose every response was forgotten would be told the server holds nothing from it (a restore
from backup, as far as it can tell) and send them all again; and the forgotten seqs would count as
gaps in `feedback-server stats`."""

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

concern_queue = sa.Table(
    "concern_queue", metadata,
    sa.Column("response_id", sa.String(36), primary_key=True),
    sa.Column("site", sa.String(100), nullable=False),
    sa.Column("kiosk", sa.String(100), nullable=False),
    sa.Column("categories", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("received_at", Moment, nullable=False),
    sa.Column("updated_at", Moment, nullable=False),
    sa.Column("assigned_to", sa.String(100)),
    sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("concern_queue_by_status", "status", "received_at"),
)
"""Responses whose words suggested someone may be at risk (sync.core.privacy.concerns, flagged on the kiosk):
a queue for staff to acknowledge, assign and resolve (the dashboard, issue 7). ``categories`` is the
comma-separated list, e.g. ``abuse-physical,unsafe``; the words themselves stay in ``responses``. ``urgent``: the
kiosk read the words as "may be at risk now" (it showed the help screen); the rest are for staff to review."""

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
    sa.Column("translations", sa.Text, nullable=False, server_default="{}"),
)
"""What services did about feedback (sync/server/domain/site_content.py). ``said`` and ``did`` are in English, the
dashboard's language; ``translations`` is a JSON object of the same words in other languages,
``{"bn": {"said": …, "did": …}}``."""

staff = sa.Table(
    "staff", metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("all_sites", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("disabled_at", Moment),
)
"""People who use the dashboard (sync/server/domain/staff.py): a viewer, manager or admin; argon2 password hashes."""

staff_sites = sa.Table(
    "staff_sites", metadata,
    sa.Column("staff", sa.String(100), sa.ForeignKey("staff.name", ondelete="CASCADE"), primary_key=True),
    sa.Column("site", sa.String(100), primary_key=True),
)
"""The sites a member of staff may see, unless ``staff.all_sites``."""

staff_sessions = sa.Table(
    "staff_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("staff", sa.String(100), sa.ForeignKey("staff.name", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("last_seen_at", Moment, nullable=False),
)
"""Signed-in browsers: the cookie holds a random token, this table its SHA-256 (like kiosk tokens), so
signing out or disabling someone ends their sessions at once."""

login_failures = sa.Table(
    "login_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("at", Moment, nullable=False),
    sa.Index("login_failures_by_username", "username", "at"),
    sa.Index("login_failures_by_address", "address", "at"),
)
"""Failed sign-ins, for rate limiting; kept in the database so several server processes share the count."""

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Moment, nullable=False),
    sa.Column("staff", sa.String(100), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("site", sa.String(100)),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Index("audit_log_by_at", "at"),
)
"""Who exported, resolved, published or changed what, and when. Never holds what people said."""

concern_events = sa.Table(
    "concern_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("response_id", sa.String(36), nullable=False, index=True),
    sa.Column("at", Moment, nullable=False),
    sa.Column("staff", sa.String(100), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("assigned_to", sa.String(100)),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)
"""Every step taken on a safeguarding concern, never deleted: the queue row holds only the latest state."""

saved_themes = sa.Table(
    "saved_themes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site", sa.String(100), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("centroids", sa.Text, nullable=False),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
)
"""Themes staff named or merged (sync/server/domain/themes.py): the name and the centre(s) of meaning it covers."""

response_counts = sa.Table(
    "response_counts", metadata,
    # key in this order: every dashboard query names the sites and a period, so (site, day) leads the index
    sa.Column("site", sa.String(100), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("question_set", sa.String(100), primary_key=True),
    sa.Column("language", sa.String(20), primary_key=True),
    sa.Column("channel", sa.String(20), primary_key=True),
    sa.Column("responses", sa.BigInteger, nullable=False),
    sa.Column("complete", sa.BigInteger, nullable=False),
    sa.Index("response_counts_by_set", "site", "question_set"),  # question sets seen, without reading every day
    sqlite_with_rowid=False,  # rows stored in key order: a period's rows are read in one pass, 2-3x faster
)
"""How many responses the server holds, by site, day given (``created_at_device[:10]``), question set,
language and channel; kept up to date as batches arrive and retention forgets (sync/server/domain/aggregates.py),
so the dashboard never parses payloads."""

answer_counts = sa.Table(
    "answer_counts", metadata,
    sa.Column("site", sa.String(100), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("question_set", sa.String(100), primary_key=True),
    sa.Column("question", sa.String(100), primary_key=True),
    sa.Column("answer", sa.String(100), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)
"""How often each answer was chosen, by site, day and question set (sync/server/domain/aggregates.py)."""

answer_labels = sa.Table(
    "answer_labels", metadata,
    sa.Column("question_set", sa.String(100), primary_key=True),
    sa.Column("question", sa.String(100), primary_key=True),
    sa.Column("answer", sa.String(100), primary_key=True),
    sa.Column("question_text", sa.Text, nullable=False),
    sa.Column("answer_text", sa.Text, nullable=False),
    sa.Column("language", sa.String(20), nullable=False),
    sqlite_with_rowid=False,
)
"""The newest words seen for each answer and its question, from the payloads (sync/server/domain/aggregates.py):
labels for the dashboard's charts when the server does not have the question set itself."""

comment_vectors = sa.Table(
    "comment_vectors", metadata,
    sa.Column("response_id", sa.String(36), primary_key=True),
    sa.Column("question", sa.String(100), primary_key=True),
    sa.Column("vector", sa.LargeBinary, nullable=False),
)
"""Each free-text answer's sentence vector (float16), computed once for the themes page
(sync/server/domain/theme_store.py) and deleted with its response."""


fft_sites = sa.Table(
    "fft_sites", metadata,
    sa.Column("site", sa.String(100), primary_key=True),
    sa.Column("icb_code", sa.String(10), nullable=False, server_default=""),
    sa.Column("org_code", sa.String(10), nullable=False),
    sa.Column("org_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("site_code", sa.String(10), nullable=False, server_default=""),
    sa.Column("mode", sa.String(40), nullable=False, server_default="Other"),
    sa.Column("updated_at", Moment, nullable=False),
)
"""Each site's NHS codes for the Friends and Family Test return (sync/server/fft/codes.py): its ODS organisation,
site and ICB codes, and the collection mode its kiosks report under."""

fft_wards = sa.Table(
    "fft_wards", metadata,
    sa.Column("kiosk", sa.String(100), primary_key=True),
    sa.Column("ward", sa.String(100), nullable=False),
    sa.Column("first_specialty", sa.String(100), nullable=False, server_default=""),
    sa.Column("second_specialty", sa.String(100), nullable=False, server_default=""),
    sa.Column("updated_at", Moment, nullable=False),
)
"""The ward or service each kiosk stands in, and its specialties, for the return's ward rows."""


class DatabaseSetupError(Exception):
    """The database named by the user cannot be used as given; the message says what to change."""


def database_url(value: str) -> str:
    """Accept a SQLAlchemy URL, or a plain path to a SQLite file (easier to type on a server)."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def open_database(url: str, *, create: bool = True) -> Engine:
    """Open the server's database, creating or upgrading its tables. ``create=False`` refuses a SQLite file
    that does not exist yet, so a mistyped --db on a reading command does not show an empty, new database."""
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
    migrate(engine)
    return engine


def migrate(engine: Engine) -> None:
    """Bring the tables to the newest revision, in one transaction, one process at a time."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        config = migration_config(connection)
        tables = sa.inspect(connection)
        if tables.has_table("responses") and not tables.has_table("alembic_version"):
            log.warning("%s was made before migrations; marking it as revision %s",
                        engine.url.render_as_string(hide_password=True), FIRST_REVISION)
            command.stamp(config, FIRST_REVISION)
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            raise DatabaseSetupError(f"cannot update the database's tables ({exc}); was it last used by a "
                                     "newer feedback-server?") from None


def migration_config(connection: Connection) -> Config:
    """Alembic's settings for running this package's migrations on ``connection``, with no ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, retried: on a brand-new file opened by several processes at once
    SQLite answers "database is locked" at once (no busy wait, to avoid a deadlock). Once a file is in
    WAL mode the pragma never blocks."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.005, 0.05))


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
            path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseSetupError(f"cannot make the folder {path.parent} ({exc.strerror})") from None
    tighten(path, folder_too=holds_only(path))  # made by an older version, or by hand: sync.core.private_files
    engine = sa.create_engine(url, hide_parameters=True)

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # we issue BEGIN ourselves (below); pysqlite's own deferred BEGIN would let two writers both
        # read, then deadlock when both try to write
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        # take the write lock at the start: a writer waits its turn (busy_timeout) instead of failing.
        # Reads take it too; the server's reads are a few rows, and one rule is easier to trust.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_POSTGRES_INSERT_RESPONSES = sa.text("""
    INSERT INTO responses (id, kiosk, site, device_id, seq, created_at_device, received_at, sha256, payload,
                           question_set, question_set_version)
    SELECT id, :kiosk, :site, :device_id, seq, created_at_device, :received_at, sha256, payload,
           question_set, question_set_version
    FROM json_to_recordset(CAST(:rows AS json))
         AS batch(id text, seq bigint, created_at_device text, sha256 text, payload text, question_set text,
                  question_set_version integer)
    ORDER BY id
    ON CONFLICT DO NOTHING
    RETURNING id
""")
"""One short statement whose one parameter is the batch's rows as a JSON array: psycopg prepares it once,
where a multi-row VALUES list (about 158 KB for 500 rows) is over its 4 KB statement cache and was parsed
again for every batch; and orjson writes the array in C, where psycopg's text arrays escaped every quote
of every payload with a regular expression. Rows go in in id order, so concurrent batches lock rows in one
order and never wait on each other in a cycle."""

_PER_BATCH = ("kiosk", "site", "device_id", "received_at")
_PER_RECORD = ("id", "seq", "created_at_device", "sha256", "payload", "question_set", "question_set_version")
_COLUMNS = _PER_BATCH + _PER_RECORD


def insert_responses(connection: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert one batch's rows (all from one kiosk, received at one moment), skipping ids already held;
    returns the ids that were new."""
    if not rows:
        return set()
    if connection.dialect.name != "postgresql":
        insert = insert_ignoring_duplicates(connection, responses).returning(responses.c.id)
        return set(connection.execute(insert, [{name: row[name] for name in _COLUMNS} for row in rows]).scalars())
    params = {name: rows[0][name] for name in _PER_BATCH}
    params["rows"] = orjson.dumps([{name: row[name] for name in _PER_RECORD} for row in rows]).decode("utf-8")
    return set(connection.execute(_POSTGRES_INSERT_RESPONSES, params).scalars())


def insert_ignoring_duplicates(connection: Connection, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: the unique key decides, never a check-then-insert. On
    PostgreSQL a row another transaction is inserting makes this wait for that commit, then skip."""
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing()
