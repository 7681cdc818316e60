"""Alembic's entry point for the server's migrations. ``open_database`` passes in its own connection, inside
the transaction that holds the migration lock; the ``alembic`` command line (developers only, see the
``sync.server.storage.db`` docstring) names a database with ``-x db=PATH_OR_URL`` instead."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection

from sync.server.storage.db import database_url, metadata


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    db = context.get_x_argument(as_dictionary=True).get("db")
    if not db:
        raise SystemExit("name a scratch database: "
                         "alembic -c sync/server/storage/migrations/alembic.ini -x db=PATH_OR_URL …")
    engine = sa.create_engine(database_url(db))
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()
