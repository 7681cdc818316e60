"""The server's tables, how to open them, and their Alembic migrations."""
