"""The relay key: how the console tells the server which browser a sign-in comes from.

The console signs in from its own process, so the server sees the console's address for every office
user. With the key the server and the console share (``LEVEE_RELAY_KEY``, or ``relay.key`` in the
server's data directory, made with mode 600 at its first start), the console's sign-in names the
browser's address in :data:`CLIENT_HEADER`, and the server believes it only when :data:`RELAY_HEADER`
carries the key. Anyone else's header is ignored: the throttle counts the connection's address.
"""

from __future__ import annotations

import os
from pathlib import Path

KEY_ENV = "LEVEE_RELAY_KEY"
KEY_FILE = "relay.key"
RELAY_HEADER = "X-Levee-Relay"
CLIENT_HEADER = "X-Levee-Client"
#: Shorter keys are refused (``LEVEE_RELAY_KEY``) or ignored (a key file).
MIN_KEY = 32


def read_key(path: Path | None) -> str | None:
    """``LEVEE_RELAY_KEY`` if set, else the key file at ``path`` if it is there (and long enough)."""
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env if len(env) >= MIN_KEY else None
    return read_key_file(path) if path is not None else None


def read_key_file(path: Path) -> str | None:
    """The key in ``path``, or None when it is missing, unreadable or too short."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if len(text) >= MIN_KEY else None
