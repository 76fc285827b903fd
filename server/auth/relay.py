"""The client address a sign-in is counted against: the connection's, or the browser's as the console
relays it with the shared key (:mod:`shared.relay`)."""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
from typing import Any

from litestar.connection import Request

from server.settings import Settings
from shared.relay import CLIENT_HEADER, KEY_FILE, MIN_KEY, RELAY_HEADER, read_key_file


def load_key(settings: Settings) -> str:
    """``LEVEE_RELAY_KEY``, else ``relay.key`` in the data directory, made (mode 600) when missing.

    Two servers starting at once on one data directory agree: the file appears whole or not at all.
    """
    if settings.relay_key is not None:
        key = settings.relay_key.get_secret_value().strip()
        if len(key) < MIN_KEY:  # the message never shows the key
            raise ValueError(f"LEVEE_RELAY_KEY is too short: use at least {MIN_KEY} characters")
        return key
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        aside = settings.data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another server made it first: use theirs
                os.link(aside, path)
        finally:
            aside.unlink(missing_ok=True)
    # Unreadable or too short: nobody can relay (the console's users share its address).
    return read_key_file(path) or ""


def client_address(request: Request[Any, Any, Any], key: str | None) -> str:
    """The browser's address the console relays when the request carries the key, else the connection's."""
    own = request.client.host if request.client else ""
    sent = request.headers.get(RELAY_HEADER, "")
    if not key or not sent or not hmac.compare_digest(sent.encode(), key.encode()):
        return own
    relayed = request.headers.get(CLIENT_HEADER, "").strip()
    return relayed or own
