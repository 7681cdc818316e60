"""The sync job's loop: push, pull, wait; back off when offline; stop storming when not authorised."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from kiosk.session.settings import KioskConfig
from kiosk.session.store import Store
from kiosk.session.updates import save_updates
from sync.client import BACKOFF_CAP, NotAuthorised, SyncClient, TransientError, backoff_delay, read_token

log = logging.getLogger(__name__)

QUICK_RETRIES = 3
"""With --once: a few quick retries of a failing request, then give up the pass."""
QUICK_RETRY_CAP = 1.0

EXIT_DONE, EXIT_PENDING, EXIT_NOT_AUTHORISED = 0, 1, 3
NUDGE_FILE = "sync-now"
"""Touched in the data folder by the staff screen's "Send answers now": the running job stops waiting."""


@dataclass(frozen=True)
class SyncTarget:
    server_url: str
    token_file: Path
    ca_file: str | None


def sync_target(config: KioskConfig, data_dir: Path, *, server_url: str | None = None, token_file: Path | None = None,
                ca_file: str | None = None) -> SyncTarget | None:
    """Where to send, from kiosk.toml unless given; None when this kiosk has no server."""
    settings = config.settings.sync
    server_url = server_url or settings.server_url
    if not server_url:
        return None
    return SyncTarget(server_url, token_file or Path(settings.token_file or data_dir / "sync-token"),
                      ca_file or settings.ca_file or None)


def wait_or_nudge(seconds: float, data_dir: Path, sleep: Callable[[float], None]) -> None:
    """Wait ``seconds`` between passes, cut short when the staff screen asks for a sync now."""
    nudge, waited = data_dir / NUDGE_FILE, 0.0
    while waited < seconds:
        if nudge.exists():
            nudge.unlink(missing_ok=True)
            return
        step = min(1.0, seconds - waited)
        sleep(step)
        waited += step


def sync_pass(store: Store, target: SyncTarget, config: KioskConfig, data_dir: Path, batch_size: int) -> int:
    """One pass: send everything pending, then fetch this site's updates if they changed. Returns the
    batch size the server accepted, so the next pass does not start with a batch it will refuse."""
    client = SyncClient(store=store, server_url=target.server_url, token=read_token(target.token_file),
                        ca_file=target.ca_file, batch_size=batch_size)
    result = client.push()
    if result.sent or result.dead or result.resent:
        log.info("sent %d responses, %d refused by the server, %d to send again",
                 result.sent, result.dead, result.resent)
    if forgotten := store.forget_sent(config.settings.privacy.keep_sent_days):
        log.info("deleted %d sent responses older than %d days", forgotten, config.settings.privacy.keep_sent_days)
    updates, etag = client.fetch_updates(store.get_meta("updates_etag"))
    if updates is not None:
        save_updates(data_dir, updates, config.picture_dirs)
        if etag:
            store.set_meta("updates_etag", etag)
        log.info("received updates for site %s", updates.site)
    return client.batch_size


def run(open_store: Callable[[], Store], target: SyncTarget, config: KioskConfig, data_dir: Path, *, once: bool,
        sleep: Callable[[float], None] = time.sleep) -> int:
    """Sync until done (``once``) or forever; returns the exit code for ``--once``.

    The database is opened for each pass and closed while waiting (most of the time), so the kiosk app
    can repair a damaged file at start (kiosk.device.recovery refuses to move a file another process holds open),
    and a file the app repaired is the one the next pass reads."""
    attempt = 0
    batch_size = config.settings.sync.batch_size
    while True:
        with closing(open_store()) as store:
            try:
                batch_size = sync_pass(store, target, config, data_dir, batch_size)
                attempt = 0
                if once:
                    return EXIT_DONE if store.count_pending() == 0 else EXIT_PENDING
                wait = config.settings.sync.interval_seconds
            except NotAuthorised as exc:
                log.error("%s: ask for a new token (feedback-server add-kiosk) and put it in %s", exc,
                          target.token_file)
                if once:
                    return EXIT_NOT_AUTHORISED
                wait = BACKOFF_CAP  # look again later: someone may put a new token in place
            except TransientError as exc:
                store.set_meta("sync_status", f"waiting to retry: {exc}")
                attempt += 1
                if once and attempt > QUICK_RETRIES:
                    log.warning("giving up this pass: %s", exc)
                    return EXIT_PENDING
                delay = backoff_delay(attempt, exc.retry_after)
                log.info("%s; trying again in %.0f s", exc, delay)
                wait = min(delay, QUICK_RETRY_CAP) if once else delay
        wait_or_nudge(wait, data_dir, sleep)
