"""Keeping the device healthy unattended: backups, recovery of a damaged store, the watchdog heartbeat, disk space,
the clock, logs and ``kiosk doctor``."""
