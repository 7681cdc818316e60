"""The staff dashboard's pages (sync/server/web/dashboard.py puts them on the server)."""
