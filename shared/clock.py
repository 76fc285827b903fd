"""The wall clock, in one place: every "now" of the server and both apps is an aware UTC moment.

Code that needs the time takes a ``clock`` (or ``now``) parameter defaulting to :func:`utcnow`, so
tests pass their own instead of patching this module.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow"]


def utcnow() -> datetime:
    """Now, in UTC, with its zone (never a naive datetime)."""
    return datetime.now(UTC)
