"""The server's schema history as Alembic migrations; ``sync.server.db.open_database`` applies them."""
