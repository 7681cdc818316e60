"""This kiosk's own store as a source for the shared export writers (sync.core.export): ``kiosk export`` and the
staff screen's USB export."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from kiosk.session.store import Store
from sync.core.export import Format, TimeDetail, period_order, write_export


class KioskSource:
    """This kiosk's own store."""

    columns = ("id", "created_at_device", "sync_state")

    def __init__(self, store: Store):
        self.store = store

    def reading(self) -> AbstractContextManager[object]:
        return self.store.db.atomic()

    def count(self, since: str | None) -> int:
        return self.store.count_since(since)

    def examples(self, since: str | None) -> list[str]:
        where, params = ("WHERE created_at_device >= ?", [since]) if since else ("", [])
        return [payload for (payload,) in self.store.db.execute(
            f"SELECT payload FROM responses WHERE seq IN (SELECT max(seq) FROM responses {where} "
            "GROUP BY question_set, question_set_version ORDER BY min(seq))", params)]

    def rows(self, since: str | None, detail: TimeDetail) -> Iterator[tuple[Any, ...]]:
        where, params = ("WHERE created_at_device >= ?", [since]) if since else ("", [])
        yield from self.store.db.execute(
            f"SELECT id, created_at_device, sync_state, payload FROM responses {where} "
            f"ORDER BY {period_order('created_at_device', detail)}, id", params)


def export(store: Store, fmt: Format, out: Path, *, since: str | None = None, time_detail: TimeDetail = "day",
           progress: bool | None = None, redact_names: bool = False) -> int:
    """Write every response this kiosk holds (from ``since``, a ``YYYY-MM-DD`` date, on) to ``out``."""
    return write_export(KioskSource(store), fmt, out, since=since, time_detail=time_detail, progress=progress,
                        redact_names=redact_names)
