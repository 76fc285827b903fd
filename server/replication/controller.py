"""Sync endpoints (filled in by the sync work)."""

from litestar import Controller


class SyncController(Controller):
    path = "/api/sync"


class ConflictController(Controller):
    path = "/api/conflicts"
