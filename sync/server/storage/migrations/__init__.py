"""The server's schema history as Alembic migrations; ``sync.server.storage.db.open_database`` applies them."""
